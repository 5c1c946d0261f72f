"""Turning things on and off: HassTurnOn and HassTurnOff over every domain that can.

| Domain         | HassTurnOn                    | HassTurnOff              |
|----------------|-------------------------------|--------------------------|
| light          | light.turn_on                 | light.turn_off           |
| switch (fan)   | switch.turn_on                | switch.turn_off          |
| cover          | cover.open                    | cover.close              |
| lock           | lock.lock ("lock the door")   | lock.unlock ("unlock")   |
| media_player   | media_player.play             | media_player.stop        |
| climate        | climate.set_hvac_mode(heat)   | climate.turn_off         |
| scene          | scene.activate                | (nothing)                |

Targets come by name, area, floor, domain and device class (`targets.select`). With no
place, "turn off the lights" means the ones that are on and "turn on the lights" the ones in
the only room that has any (else a question); "turn off all the lights" means all of them.
A routine's name works like a Home Assistant scene or script: "activate movie night". A
name that is no routine's is a scene entity's (a hub's or bridge's own scene): "activate the
movie scene", "movie scene in the living room".

DobbyAllOff ("switch everything off in the bedroom") turns off what is on or playing there
(lights, switches, speakers; in the whole house with no place): "off" is not closing the
shades, and never unlocking a door.
"""

from __future__ import annotations

from collections import defaultdict

from agent.intents.base import (
    IntentRequest,
    IntentResult,
    IntentSpec,
    Phrases,
    Targets,
    common_phrase,
    join_names,
)
from agent.intents.targets import busy_or_ask, one_place_or_ask, select
from devices.capabilities import ClimateState, Commands, Domain, HVACMode
from devices.entities import Entity
from skills.actions import Action
from skills.routines import Routine, expand

TURN_ON: dict[Domain, str] = {
    Domain.LIGHT: "light.turn_on",
    Domain.SWITCH: "switch.turn_on",
    Domain.COVER: "cover.open",
    Domain.LOCK: "lock.lock",
    Domain.MEDIA_PLAYER: "media_player.play",
    Domain.CLIMATE: "climate.set_hvac_mode",
    Domain.SCENE: "scene.activate",
}
"""The command HassTurnOn sends to each domain."""

TURN_OFF: dict[Domain, str] = {
    Domain.LIGHT: "light.turn_off",
    Domain.SWITCH: "switch.turn_off",
    Domain.COVER: "cover.close",
    Domain.LOCK: "lock.unlock",
    Domain.MEDIA_PLAYER: "media_player.stop",
    Domain.CLIMATE: "climate.turn_off",
}
"""The command HassTurnOff sends to each domain."""

ROUTINE_DOMAINS = frozenset({"scene", "script"})
"""Home Assistant domains whose names are, in Dobby, routines."""

_BUSY = frozenset({"on", "open", "opening", "playing", "paused", "heat", "cool", "auto", "unknown"})
"""States "turn off the ..." with no place acts on (a shade whose position is unknown may
well be open: "close all the shades" closes it too)."""

PHRASES: Phrases = {
    "en": {
        "light.turn_on": "Turning on {targets}.",
        "light.turn_off": "Turning off {targets}.",
        "switch.turn_on": "Turning on {targets}.",
        "switch.turn_off": "Turning off {targets}.",
        "cover.open": "Opening {targets}.",
        "cover.close": "Closing {targets}.",
        "lock.lock": "Locking {targets}.",
        "lock.unlock": "Unlocking {targets}.",
        "media_player.play": "Playing on {targets}.",
        "media_player.stop": "Stopping {targets}.",
        "climate.set_hvac_mode": "Turning on {targets}.",
        "climate.turn_off": "Turning off {targets}.",
        "scene.activate": "Activating {targets}.",
        "routine": "Running {routine}.",
        "all_off_nothing": "Nothing is on there.",
    },
    "de": {
        "light.turn_on": "Schalte {targets} ein.",
        "light.turn_off": "Schalte {targets} aus.",
        "switch.turn_on": "Schalte {targets} ein.",
        "switch.turn_off": "Schalte {targets} aus.",
        "cover.open": "Öffne {targets}.",
        "cover.close": "Schließe {targets}.",
        "lock.lock": "Verriegle {targets}.",
        "lock.unlock": "Entriegle {targets}.",
        "media_player.play": "Starte die Wiedergabe auf {targets}.",
        "media_player.stop": "Stoppe {targets}.",
        "climate.set_hvac_mode": "Schalte {targets} ein.",
        "climate.turn_off": "Schalte {targets} aus.",
        "scene.activate": "Aktiviere {targets}.",
        "routine": "Starte {routine}.",
        "all_off_nothing": "Dort ist nichts an.",
    },
}

ALL_OFF = frozenset({Domain.LIGHT, Domain.SWITCH, Domain.MEDIA_PLAYER})
"""What "everything off" turns off."""

for _command in (*TURN_ON.values(), *TURN_OFF.values()):
    Commands.get(_command)  # a misspelt command fails at import, not at the first sentence


def _turn(commands: dict[Domain, str]) -> IntentSpec:
    on = commands is TURN_ON
    unplaced = one_place_or_ask if on else busy_or_ask(_BUSY)

    def handle(request: IntentRequest) -> IntentResult:
        if on and request.context_domains and request.context_domains <= ROUTINE_DOMAINS:
            if _routine(request) is not None or not _has_scenes(request):
                return _run_routine(request)
            targets = select(request, (Domain.SCENE,), one_place_or_ask)
            if not targets.entities:
                return request.result(
                    targets.question or targets.problem or "", [], targets.question
                )
            actions = [_action("scene.activate", e) for e in targets.entities]
            return request.result(_reply(request, actions, targets.entities), actions)
        targets = select(request, commands.keys(), unplaced)
        if not targets.entities:
            return request.result(targets.question or targets.problem or "", [], targets.question)
        actions = [_action(commands[e.domain], e) for e in targets.entities]
        return request.result(_reply(request, actions, targets.entities), actions)

    return IntentSpec(frozenset(commands), handle)


def _action(command: str, entity: Entity) -> Action:
    params: dict[str, str] = {}
    if command == "climate.set_hvac_mode":
        params["hvac_mode"] = _on_mode(entity).value
    return Action(entity_id=entity.entity_id, command=command, params=params)


def _on_mode(entity: Entity) -> HVACMode:
    """What "turn on the thermostat" sets: heat if it heats, else its first other mode."""
    state = entity.state
    modes = state.hvac_modes if isinstance(state, ClimateState) and state.hvac_modes else None
    if not modes or HVACMode.HEAT in modes:
        return HVACMode.HEAT
    return next((m for m in modes if m is not HVACMode.OFF), HVACMode.HEAT)


def _reply(request: IntentRequest, actions: list[Action], entities: list[Entity]) -> str:
    names = {e.entity_id: e.name for e in entities}
    grouped: dict[str, list[str]] = defaultdict(list)
    for action in actions:
        grouped[action.command].append(names[action.entity_id])
    return " ".join(
        request.say(PHRASES, command, targets=join_names(group, request.language, most=5))
        for command, group in grouped.items()
    )


def _routine(request: IntentRequest) -> Routine | None:
    """The routine the request names, by its name or one of its phrases."""
    wanted = str(request.slots.get("name", "")).casefold()
    return next(
        (r for r in request.routines if wanted in (p.casefold() for p in (r.name, *r.phrases))),
        None,
    )


def _has_scenes(request: IntentRequest) -> bool:
    return any(e.domain is Domain.SCENE for e in request.registry.entities.values())


def _run_routine(request: IntentRequest) -> IntentResult:
    """ "activate movie night": the routine of that name, expanded against this house."""
    routine = _routine(request)
    if routine is None:  # a name that only loosely matched: say so, never an empty reply
        said = str(request.slots.get("name", ""))
        return request.result(
            common_phrase(request.language, "unknown_name", kind="routine", name=said)
        )
    actions, notes = expand(routine, request.registry)
    result = request.result(request.say(PHRASES, "routine", routine=routine.name), actions)
    result.routine = routine.name
    result.notes = notes
    return result


def _all_off(request: IntentRequest) -> IntentResult:
    """Everything that is on or playing in the place (or the house) turned off."""
    targets = select(request, ALL_OFF, lambda request, pool, kind: Targets(pool))
    if not targets.entities:
        return request.result(targets.question or targets.problem or "", [], targets.question)
    busy = [e for e in targets.entities if e.available and e.state and e.state.state in _BUSY]
    if not busy:
        return request.result(request.say(PHRASES, "all_off_nothing"))
    actions = [_action(TURN_OFF[e.domain], e) for e in busy]
    return request.result(_reply(request, actions, busy), actions)


HANDLERS: dict[str, IntentSpec] = {
    "HassTurnOn": _turn(TURN_ON),
    "HassTurnOff": _turn(TURN_OFF),
    "DobbyAllOff": IntentSpec(ALL_OFF, _all_off),
}
"""The on/off intents and how each is handled."""
