"""Dobby's own intents for what Home Assistant's sentences leave out: the alarm and the
climate mode.

| intent                | action                                   |
| --------------------- | ---------------------------------------- |
| DobbyAlarmArm (mode)  | alarm_panel.arm(mode=home / away / night) |
| DobbyAlarmDisarm      | alarm_panel.disarm                        |
| DobbyClimateSetMode   | climate.set_hvac_mode(hvac_mode=...)      |

With no panel or thermostat named, the only one in the house is meant, else Dobby asks.
Whether disarming needs a confirmation is the policy's business, not this module's.
"""

from __future__ import annotations

from agent.intents.base import IntentRequest, IntentResult, IntentSpec, Phrases
from agent.intents.targets import only_or_ask, select
from devices.capabilities import ArmMode, Domain, HVACMode
from skills.actions import Action

_PANELS = frozenset({Domain.ALARM_PANEL})
_CLIMATE = frozenset({Domain.CLIMATE})

PHRASES: Phrases = {
    "en": {
        "arm": "Arming {targets} ({mode}).",
        "disarm": "Disarming {targets}.",
        "mode": "Setting {targets} to {mode}.",
        "home": "home",
        "away": "away",
        "night": "night",
        "off": "off",
        "heat": "heat",
        "cool": "cool",
        "auto": "auto",
    },
    "de": {
        "arm": "Schalte {targets} scharf ({mode}).",
        "disarm": "Schalte {targets} unscharf.",
        "mode": "Stelle {targets} auf {mode}.",
        "home": "Zuhause",
        "away": "Abwesend",
        "night": "Nacht",
        "off": "Aus",
        "heat": "Heizen",
        "cool": "Kühlen",
        "auto": "Automatik",
    },
}


def _arm(request: IntentRequest) -> IntentResult:
    mode = ArmMode(str(request.slots.get("mode", ArmMode.AWAY.value)))
    targets = select(request, _PANELS, only_or_ask)
    if not targets.entities:
        return request.result(targets.question or targets.problem or "", [], targets.question)
    actions = [
        Action(entity_id=e.entity_id, command="alarm_panel.arm", params={"mode": mode.value})
        for e in targets.entities
    ]
    said_mode = request.say(PHRASES, mode.value)
    names = targets.names(request.language, most=3)
    return request.result(request.say(PHRASES, "arm", targets=names, mode=said_mode), actions)


def _disarm(request: IntentRequest) -> IntentResult:
    targets = select(request, _PANELS, only_or_ask)
    if not targets.entities:
        return request.result(targets.question or targets.problem or "", [], targets.question)
    actions = [
        Action(entity_id=e.entity_id, command="alarm_panel.disarm") for e in targets.entities
    ]
    names = targets.names(request.language, most=3)
    return request.result(request.say(PHRASES, "disarm", targets=names), actions)


def _set_mode(request: IntentRequest) -> IntentResult:
    mode = HVACMode(str(request.slots["hvac_mode"]))
    targets = select(request, _CLIMATE, only_or_ask)
    if not targets.entities:
        return request.result(targets.question or targets.problem or "", [], targets.question)
    actions = [
        Action(
            entity_id=e.entity_id,
            command="climate.set_hvac_mode",
            params={"hvac_mode": mode.value},
        )
        for e in targets.entities
    ]
    said_mode = request.say(PHRASES, mode.value)
    names = targets.names(request.language, most=3)
    return request.result(request.say(PHRASES, "mode", targets=names, mode=said_mode), actions)


HANDLERS: dict[str, IntentSpec] = {
    "DobbyAlarmArm": IntentSpec(_PANELS, _arm),
    "DobbyAlarmDisarm": IntentSpec(_PANELS, _disarm),
    "DobbyClimateSetMode": IntentSpec(_CLIMATE, _set_mode),
}
"""The alarm and climate-mode intents and how each is handled."""
