"""Climate: HassClimateSetTemperature and HassClimateGetTemperature.

| Intent                     | Produces                                              |
|----------------------------|-------------------------------------------------------|
| HassClimateSetTemperature  | climate.set_temperature(temperature=N)                |
| HassClimateGetTemperature  | no action; a reply with the room and target readings  |

The number is the one the sentence says, in the household's unit (config: `temperature_unit`,
°C by default): Home Assistant's sentences carry no unit of their own. Setting with no name,
area or floor means the only room thermostat (pool and spa heat are not "the temperature"),
else a question back; asking with none answers for every thermostat. Asking about a place
without a thermostat reads its temperature sensors. "Turn on the pool heater to 28" (the
`power` slot) also switches a heater that is off to its heating mode.
"""

from __future__ import annotations

from agent.intents.base import IntentRequest, IntentResult, IntentSpec, Phrases, Targets
from agent.intents.targets import everything, only_or_ask, select
from devices.capabilities import ClimateState, Domain, HVACMode, SensorState
from devices.entities import Entity
from skills.actions import Action

_CLIMATE = frozenset({Domain.CLIMATE})
_TEMPERATURE_UNITS = frozenset({"°C", "°F"})
_WATER_HEAT = frozenset({"pool_heater", "spa_heater"})
"""Climate device classes that heat water, not a room."""

PHRASES: Phrases = {
    "en": {
        "set": "Setting {targets} to {value} {unit}.",
        "reading": "{name}: {current} {unit}",
        "target": "{name}: set to {target} {unit}",
        "both": "{name}: {current} {unit}, set to {target} {unit}",
        "unknown": "{name}: no reading yet",
        "no_number": "What temperature should it be?",
    },
    "de": {
        "set": "Stelle {targets} auf {value} {unit}.",
        "reading": "{name}: {current} {unit}",
        "target": "{name}: eingestellt auf {target} {unit}",
        "both": "{name}: {current} {unit}, eingestellt auf {target} {unit}",
        "unknown": "{name}: noch kein Messwert",
        "no_number": "Auf welche Temperatur?",
    },
}


def number(value: float, language: str) -> str:
    """21, 20.5 (or 20,5 in German)."""
    text = f"{value:g}" if value == round(value, 1) else f"{value:.1f}"
    return text.replace(".", ",") if language == "de" else text


def _set(request: IntentRequest) -> IntentResult:
    raw = request.slots.get("temperature")
    if raw is None:
        return request.result(request.say(PHRASES, "no_number"))
    value = float(raw)
    temperature: float | int = int(value) if value.is_integer() else value
    targets = select(request, _CLIMATE, _room_or_ask)
    if not targets.entities:
        return request.result(targets.question or targets.problem or "", [], targets.question)
    actions: list[Action] = []
    for entity in targets.entities:
        mode = _heat_mode(entity) if request.slots.get("power") == "on" else None
        if mode is not None:
            actions.append(
                Action(
                    entity_id=entity.entity_id,
                    command="climate.set_hvac_mode",
                    params={"hvac_mode": mode.value},
                )
            )
        actions.append(
            Action(
                entity_id=entity.entity_id,
                command="climate.set_temperature",
                params={"temperature": temperature},
            )
        )
    reply = request.say(
        PHRASES,
        "set",
        targets=targets.names(request.language, most=5),
        value=number(value, request.language),
        unit=request.temperature_unit,
    )
    return request.result(reply, actions)


def _room_or_ask(request: IntentRequest, pool: list[Entity], kind: str) -> Targets:
    """No place means the only room thermostat (else the only climate entity), or ask."""
    rooms = [e for e in pool if e.device_class not in _WATER_HEAT]
    return only_or_ask(request, rooms or pool, kind)


def _heat_mode(entity: Entity) -> HVACMode | None:
    """The mode that turns an entity that is off on: heat, if it heats; None if it is on."""
    state = entity.state
    if not isinstance(state, ClimateState) or state.state != HVACMode.OFF:
        return None
    modes = state.hvac_modes or [HVACMode.HEAT]
    if HVACMode.HEAT in modes:
        return HVACMode.HEAT
    return next((m for m in modes if m is not HVACMode.OFF), None)


def _get(request: IntentRequest) -> IntentResult:
    targets = select(request, _CLIMATE, everything)
    if not targets.entities and not targets.question:
        sensors = _sensors(request)
        if sensors.entities:
            targets = sensors
    if not targets.entities:
        return request.result(targets.question or targets.problem or "", [], targets.question)
    lines = [_reading(request, e) for e in targets.entities]
    return request.result(". ".join(lines) + ".")


def _reading(request: IntentRequest, entity: Entity) -> str:
    """One entity's temperatures: "Hallway Thermostat: 20.5 °C, set to 21 °C"."""
    state, language = entity.state, request.language
    values: dict[str, str] = {"name": entity.name, "unit": request.temperature_unit}
    current: float | None = None
    target: float | None = None
    if isinstance(state, SensorState) and entity.available:
        values["unit"] = state.unit_of_measurement or values["unit"]
        try:
            current = float(state.state)
        except ValueError:
            current = None
    elif isinstance(state, ClimateState) and entity.available:
        values["unit"] = state.temperature_unit or values["unit"]
        current, target = state.current_temperature, state.temperature
        if request.response == "target_temperature" and target is not None:
            current = None
    if current is not None:
        values["current"] = number(current, language)
    if target is not None:
        values["target"] = number(target, language)
    key = {
        (True, True): "both",
        (True, False): "reading",
        (False, True): "target",
        (False, False): "unknown",
    }[(current is not None, target is not None)]
    return request.say(PHRASES, key, **values)


def _sensors(request: IntentRequest) -> Targets:
    """The temperature sensors of the asked place, when it has no thermostat."""
    if "area" not in request.slots and "floor" not in request.slots:
        return Targets()
    found = select(request, frozenset({Domain.SENSOR}), everything)
    found.entities = [
        e
        for e in found.entities
        if isinstance(e.state, SensorState) and e.state.unit_of_measurement in _TEMPERATURE_UNITS
    ]
    return found


HANDLERS: dict[str, IntentSpec] = {
    "HassClimateSetTemperature": IntentSpec(_CLIMATE, _set),
    "HassClimateGetTemperature": IntentSpec(_CLIMATE, _get),
}
"""The climate intents and how each is handled."""
