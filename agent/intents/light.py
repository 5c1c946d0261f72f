"""Light settings: HassLightSet's brightness, colour and colour temperature.

| Slot          | Command                                     |
|---------------|---------------------------------------------|
| brightness    | light.turn_on(brightness=N), N in percent   |
| color         | light.turn_on(rgb_color=[r, g, b])          |
| temperature   | light.turn_on(color_temp_kelvin=K)          |

DobbyLightStep ("brighten the kitchen", "make the bedroom darker") moves each light's
brightness by `BRIGHTNESS_STEP` points from where it is: up from off starts at the step; down
turns off a light that would reach 0; a light without dimming is turned on or off.

Home Assistant's colour list gives English colour names in every language ("rot" is `red`);
they map to RGB here. With no name, area or floor, the lights that are on are meant; if none
is on, the lights of the only room that has any, else a question back.
"""

from __future__ import annotations

from typing import Any

from agent.intents.base import IntentRequest, IntentResult, IntentSpec, Phrases, Targets
from agent.intents.targets import busy_or_ask, select
from devices.capabilities import Domain, LightState
from devices.capabilities.light import LightFeature
from devices.entities import Entity
from skills.actions import Action

BRIGHTNESS_STEP = 25
"""Percentage points for "brighter" and "darker"."""

COLORS: dict[str, tuple[int, int, int]] = {
    "white": (255, 255, 255),
    "black": (0, 0, 0),
    "red": (255, 0, 0),
    "orange": (255, 165, 0),
    "yellow": (255, 255, 0),
    "green": (0, 128, 0),
    "blue": (0, 0, 255),
    "purple": (128, 0, 128),
    "brown": (165, 42, 42),
    "pink": (255, 192, 203),
    "turquoise": (64, 224, 208),
}
"""The colours of Home Assistant's colour list, as CSS defines them."""

_COLOR_NAMES_DE = {
    "white": "weiß",
    "black": "schwarz",
    "red": "rot",
    "orange": "orange",
    "yellow": "gelb",
    "green": "grün",
    "blue": "blau",
    "purple": "violett",
    "brown": "braun",
    "pink": "rosa",
    "turquoise": "türkis",
}

_LIGHTS = frozenset({Domain.LIGHT})

PHRASES: Phrases = {
    "en": {
        "brightness": "Setting {targets} to {value}% brightness.",
        "color": "Setting {targets} to {value}.",
        "temperature": "Setting {targets} to {value} K.",
        "unknown_color": "I don't know the colour {value}.",
        "up": "Brightening {targets}.",
        "down": "Dimming {targets}.",
        "nothing_down": "Nothing to change: {targets} cannot go further that way.",
    },
    "de": {
        "brightness": "Setze die Helligkeit von {targets} auf {value} %.",
        "color": "Setze {targets} auf {value}.",
        "temperature": "Setze {targets} auf {value} K.",
        "unknown_color": "Die Farbe {value} kenne ich nicht.",
        "up": "Mache {targets} heller.",
        "down": "Mache {targets} dunkler.",
        "nothing_down": "Nichts zu ändern: {targets} geht nicht weiter in diese Richtung.",
    },
}


def _params(request: IntentRequest) -> tuple[str, Any, dict[str, Any]] | str:
    """Which setting, its value as said, and the command's parameters; or a problem."""
    slots = request.slots
    if "brightness" in slots:
        value = max(0, min(100, round(float(slots["brightness"]))))
        return "brightness", value, {"brightness": value}
    if "color" in slots:
        color = str(slots["color"]).casefold()
        rgb = COLORS.get(color)
        if rgb is None:
            return request.say(PHRASES, "unknown_color", value=color)
        said = _COLOR_NAMES_DE.get(color, color) if request.language == "de" else color
        return "color", said, {"rgb_color": list(rgb)}
    kelvin = float(slots["temperature"])
    if kelvin < 1000:  # a mired value: 1,000,000 / kelvin
        kelvin = 1_000_000 / kelvin
    return "temperature", round(kelvin), {"color_temp_kelvin": round(kelvin)}


def _handle(request: IntentRequest) -> IntentResult:
    setting = _params(request)
    if isinstance(setting, str):
        return request.result(setting)
    key, value, params = setting
    targets = select(request, _LIGHTS, busy_or_ask({"on"}))
    if not targets.entities:
        return request.result(targets.question or targets.problem or "", [], targets.question)
    actions = [
        Action(entity_id=e.entity_id, command="light.turn_on", params=dict(params))
        for e in targets.entities
    ]
    names = targets.names(request.language, most=5)
    return request.result(request.say(PHRASES, key, targets=names, value=value), actions)


def _step(request: IntentRequest) -> IntentResult:
    up = request.slots.get("step") == "up"
    targets = select(request, _LIGHTS, busy_or_ask({"on"}))
    if not targets.entities:
        return request.result(targets.question or targets.problem or "", [], targets.question)
    stepped = [(e, _stepped(e, up)) for e in targets.entities]
    actions = [a for _, a in stepped if a is not None]
    if not actions:
        names = targets.names(request.language, most=5)
        return request.result(request.say(PHRASES, "nothing_down", targets=names))
    moved = Targets([e for e, a in stepped if a is not None])
    names = moved.names(request.language, most=5)
    return request.result(request.say(PHRASES, "up" if up else "down", targets=names), actions)


def _stepped(entity: Entity, up: bool) -> Action | None:
    """One light a step brighter or darker; None when there is nothing to do."""
    state = entity.state if isinstance(entity.state, LightState) else None
    on = state is not None and state.state == "on"
    if LightFeature.BRIGHTNESS not in entity.features:
        if up == on:
            return None
        return Action(
            entity_id=entity.entity_id, command="light.turn_on" if up else "light.turn_off"
        )
    now = (state.brightness if state and state.brightness is not None else 100) if on else 0
    wanted = max(0, min(100, now + (BRIGHTNESS_STEP if up else -BRIGHTNESS_STEP)))
    if wanted == now:
        return None
    if wanted == 0:
        return Action(entity_id=entity.entity_id, command="light.turn_off")
    return Action(
        entity_id=entity.entity_id, command="light.turn_on", params={"brightness": wanted}
    )


HANDLERS: dict[str, IntentSpec] = {
    "HassLightSet": IntentSpec(_LIGHTS, _handle),
    "DobbyLightStep": IntentSpec(_LIGHTS, _step),
}
"""The light intents and how each is handled."""
