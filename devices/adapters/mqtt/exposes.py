"""Zigbee2MQTT's `definition.exposes` read as Dobby entities, states and commands.

Zigbee2MQTT describes what each device can do in its retained `bridge/devices` list: a
list of exposes, each a generic feature (`binary`, `numeric`, `enum`, `text`, `composite`,
`list`) or a specific one (`light`, `switch`, `fan`, `cover`, `lock`, `climate`) holding
generic features. Every feature names the `property` it has in the device's state JSON and
an `access` bitmask: 1 the property is published, 2 it can be written with `/set`, 4 it can
be read with `/get`. (Source: the Zigbee2MQTT documentation, "Exposes",
zigbee2mqtt.io/guide/usage/exposes.html, and "MQTT Topics and Messages",
zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html.)

Everything here is pure: a device's exposes in, `ZigbeeEntity` plans out; a state payload
in, a `State` out; a command in, the JSON for `/set` out. Input comes from the network, so
nothing here trusts its shape: what cannot be read is skipped and named in `unknown`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from devices.adapters.hue.color import kelvin_to_mirek, mirek_to_kelvin, rgb_to_xy, xy_to_rgb
from devices.capabilities import (
    BinarySensorState,
    ClimateState,
    CoverState,
    Domain,
    HVACMode,
    LightState,
    LockState,
    Params,
    SensorState,
    State,
    SwitchState,
)
from devices.capabilities.climate import (
    ClimateDeviceClass,
    ClimateFeature,
    SetHVACMode,
    SetTemperature,
)
from devices.capabilities.cover import CoverFeature, SetPosition, SetTilt
from devices.capabilities.light import LightFeature, LightTurnOn

PUBLISHED, SETTABLE, GETTABLE = 1, 2, 4
"""The bits of a feature's `access`."""
SPECIFIC = {"light", "switch", "cover", "lock", "climate", "fan"}
GENERIC = {"binary", "numeric", "enum", "text", "composite", "list"}
BINARY_SENSORS = {
    "contact": "door",  # `contact: true` is closed: the sensor's magnet is near
    "occupancy": "motion",
    "presence": "occupancy",
    "water_leak": "moisture",
    "smoke": "smoke",
    "gas": "gas",
}
SENSORS = {
    "temperature": "Temperature",
    "humidity": "Humidity",
    "battery": "Battery",
    "power": "Power",
    "energy": "Energy",
    "voltage": "Voltage",
    "current": "Current",
    "illuminance": "Illuminance",
    "illuminance_lux": "Illuminance",
    "pressure": "Pressure",
    "co2": "CO2",
}
SETPOINTS = ("occupied_heating_setpoint", "current_heating_setpoint", "occupied_cooling_setpoint")
HVAC_ACTIONS = {"idle": "idle", "heat": "heating", "cool": "cooling", "off": "off"}


@dataclass(frozen=True)
class Feature:
    """One generic feature of an expose: a property of the device's state JSON."""

    type: str
    name: str
    property: str
    access: int = PUBLISHED
    value_on: Any = True
    value_off: Any = False
    value_toggle: Any = None
    value_min: float | None = None
    value_max: float | None = None
    values: tuple[str, ...] = ()
    unit: str | None = None
    endpoint: str | None = None

    def can(self, bit: int) -> bool:
        """Whether the access bitmask has `bit`."""
        return bool(self.access & bit)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def read_feature(raw: Any) -> Feature | None:
    """A generic feature from its JSON, or None when it is not one we can use."""
    if not isinstance(raw, Mapping):
        return None
    kind, prop = raw.get("type"), raw.get("property")
    if kind not in GENERIC or not isinstance(prop, str) or not prop:
        return None
    access = raw.get("access", PUBLISHED)
    values = raw.get("values", ())
    endpoint = raw.get("endpoint")
    name = raw.get("name")
    return Feature(
        type=kind,
        name=name if isinstance(name, str) and name else prop,
        property=prop,
        access=access if isinstance(access, int) and not isinstance(access, bool) else 0,
        value_on=raw.get("value_on", True),
        value_off=raw.get("value_off", False),
        value_toggle=raw.get("value_toggle"),
        value_min=_number(raw.get("value_min")),
        value_max=_number(raw.get("value_max")),
        values=tuple(v for v in values if isinstance(v, str)) if isinstance(values, list) else (),
        unit=raw["unit"] if isinstance(raw.get("unit"), str) else None,
        endpoint=endpoint if isinstance(endpoint, str) else None,
    )


@dataclass(frozen=True)
class ZigbeeEntity:
    """One Dobby entity of a Zigbee device, and the features it reads and writes."""

    key: str
    """Its part of the unique id: `light`, `switch_l1`, `temperature`, ..."""
    domain: Domain
    label: str
    """What follows the device's name in the entity's name ("" for the device's main one)."""
    roles: Mapping[str, Feature]
    """The features by what they are to Dobby: state, brightness, position, setpoint, ..."""
    features: frozenset[str] = frozenset()
    device_class: str | None = None


@dataclass
class Plan:
    """What a device's exposes amount to."""

    entities: list[ZigbeeEntity] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    """Exposes that were not understood, by type and name, for the log."""


def _features(raw: Mapping[str, Any]) -> list[Feature]:
    found = []
    for item in raw.get("features", ()) if isinstance(raw.get("features"), list) else ():
        if isinstance(item, Mapping) and item.get("type") == "composite":
            # light colour: {"type": "composite", "name": "color_xy", "property": "color", ...}
            prop, name = item.get("property"), item.get("name")
            if isinstance(prop, str) and isinstance(name, str):
                access = item.get("access", PUBLISHED)
                found.append(
                    Feature("composite", name, prop, access if isinstance(access, int) else 0)
                )
            continue
        feature = read_feature(item)
        if feature is not None:
            found.append(feature)
    return found


def _suffix(endpoint: str | None) -> str:
    return f"_{endpoint}" if endpoint else ""


def _on_off(kind: str, by_name: Mapping[str, Feature], key: str, label: str) -> ZigbeeEntity | None:
    state = by_name.get("state")
    if state is None or state.type != "binary":
        return None
    if kind != "light":  # a switch, or a fan: on or off to Dobby
        return ZigbeeEntity(key, Domain.SWITCH, label, {"state": state})
    roles: dict[str, Feature] = {"state": state}
    flags = set()
    for role, names, flag in (
        ("brightness", ("brightness",), LightFeature.BRIGHTNESS),
        ("color_temp", ("color_temp",), LightFeature.COLOR_TEMP),
        ("color", ("color_xy", "color_hs"), LightFeature.COLOR),
    ):
        feature = next((by_name[n] for n in names if n in by_name), None)
        if feature is not None and feature.can(SETTABLE):
            roles[role] = feature
            flags.add(flag.value)
    return ZigbeeEntity(key, Domain.LIGHT, label, roles, frozenset(flags))


def _cover_entity(by_name: Mapping[str, Feature], key: str, label: str) -> ZigbeeEntity | None:
    roles: dict[str, Feature] = {}
    flags: set[str] = set()
    if (state := by_name.get("state")) is not None:
        roles["state"] = state
        if state.can(SETTABLE):
            flags |= {CoverFeature.OPEN.value, CoverFeature.CLOSE.value}
            if "STOP" in state.values:
                flags.add(CoverFeature.STOP.value)
    for role, flag in (("position", CoverFeature.SET_POSITION), ("tilt", CoverFeature.SET_TILT)):
        if (feature := by_name.get(role)) is not None:
            roles[role] = feature
            if feature.can(SETTABLE):
                flags.add(flag.value)
    if not roles:
        return None
    return ZigbeeEntity(key, Domain.COVER, label, roles, frozenset(flags), "blind")


def _lock_entity(by_name: Mapping[str, Feature], key: str, label: str) -> ZigbeeEntity | None:
    state = by_name.get("state")
    if state is None or state.type != "binary":
        return None
    return ZigbeeEntity(key, Domain.LOCK, label, {"state": state})


def _climate_entity(by_name: Mapping[str, Feature], key: str, label: str) -> ZigbeeEntity | None:
    setpoint = next((by_name[n] for n in SETPOINTS if n in by_name), None)
    if setpoint is None:
        return None
    roles = {"setpoint": setpoint}
    flags = {ClimateFeature.TARGET_TEMPERATURE.value}
    for name in ("local_temperature", "running_state"):
        if name in by_name:
            roles[name] = by_name[name]
    if (mode := by_name.get("system_mode")) is not None:
        roles["system_mode"] = mode
        if mode.can(SETTABLE):
            flags.add(ClimateFeature.HVAC_MODE.value)
    device_class = ClimateDeviceClass.THERMOSTAT.value
    return ZigbeeEntity(key, Domain.CLIMATE, label, roles, frozenset(flags), device_class)


def _specific(kind: str, raw: Mapping[str, Any]) -> ZigbeeEntity | None:
    by_name = {f.name: f for f in _features(raw)}
    endpoint = raw.get("endpoint") if isinstance(raw.get("endpoint"), str) else None
    key = f"{kind}{_suffix(endpoint)}"
    label = endpoint.upper() if endpoint else ""
    if kind in ("light", "switch", "fan"):
        return _on_off(kind, by_name, key, label)
    if kind == "cover":
        return _cover_entity(by_name, key, label)
    if kind == "lock":
        return _lock_entity(by_name, key, label)
    return _climate_entity(by_name, key, label)


def plan(exposes: Any) -> Plan:
    """The entities a device's `definition.exposes` make, main ones first."""
    result = Plan()
    if not isinstance(exposes, list):
        result.unknown.append(f"exposes is {type(exposes).__name__}, not a list")
        return result
    main: list[ZigbeeEntity] = []
    readings: list[ZigbeeEntity] = []
    for raw in exposes:
        kind = raw.get("type") if isinstance(raw, Mapping) else None
        if isinstance(kind, str) and kind in SPECIFIC:
            entity = _specific(kind, raw)
            if entity is None:
                result.unknown.append(f"{kind} without the features Dobby needs")
            else:
                main.append(entity)
            continue
        feature = read_feature(raw)
        if feature is None:
            result.unknown.append(
                f"{kind!r} {raw.get('name', '') if isinstance(raw, Mapping) else ''}".strip()
            )
            continue
        entity = _reading(feature)
        if entity is not None:
            readings.append(entity)
    if not main:  # a sensor or a remote: its first contact, motion, ... or its action is it
        first = next((e for e in readings if e.domain == Domain.BINARY_SENSOR), None)
        first = first or next((e for e in readings if "action" in e.roles), None)
        if first is not None:
            readings.remove(first)
            main.append(dataclasses.replace(first, label=""))
    result.entities = main + readings
    return result


def _reading(feature: Feature) -> ZigbeeEntity | None:
    if not feature.can(PUBLISHED):
        return None
    prop = feature.property
    if feature.type == "binary" and feature.name in BINARY_SENSORS:
        label = feature.name.replace("_", " ").title()
        return ZigbeeEntity(
            prop,
            Domain.BINARY_SENSOR,
            label,
            {"value": feature},
            device_class=BINARY_SENSORS[feature.name],
        )
    if feature.type == "numeric" and feature.name in SENSORS:
        return ZigbeeEntity(prop, Domain.SENSOR, SENSORS[feature.name], {"value": feature})
    if feature.type == "enum" and feature.name == "action":
        return ZigbeeEntity(prop, Domain.SENSOR, "Action", {"action": feature})
    return None


# -- state ------------------------------------------------------------------------------


def _percent(value: Any, top: float | None) -> int | None:
    number = _number(value)
    if number is None:
        return None
    return max(0, min(100, round(number * 100 / (top or 254))))


def _format(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def state_of(  # noqa: PLR0911 - one reading per domain
    entity: ZigbeeEntity, payload: Mapping[str, Any], last: State | None = None
) -> State | None:
    """The entity's state in a device's state JSON, or None when the JSON does not say."""
    roles = entity.roles
    if entity.domain in (Domain.LIGHT, Domain.SWITCH, Domain.LOCK):
        return _on_off_state(entity, payload)
    if entity.domain == Domain.COVER:
        return _cover(roles, payload)
    if entity.domain == Domain.CLIMATE:
        return _climate(roles, payload)
    if entity.domain == Domain.BINARY_SENSOR:
        feature = roles["value"]
        value = payload.get(feature.property)
        if value not in (feature.value_on, feature.value_off):
            return None
        # `contact: true` is a closed door; "on" is open
        on = (value == feature.value_on) != (feature.name == "contact")
        return BinarySensorState(state="on" if on else "off")
    if "action" in roles:
        value = payload.get(roles["action"].property)
        if isinstance(value, str) and value:
            return SensorState(state=value)
        return last or SensorState(state="none")
    feature = roles["value"]
    number = _number(payload.get(feature.property))
    if number is None:
        return None
    return SensorState(state=_format(number), unit_of_measurement=feature.unit)


def _on_off_state(entity: ZigbeeEntity, payload: Mapping[str, Any]) -> State | None:
    state = entity.roles["state"]
    value = payload.get(state.property)
    if value not in (state.value_on, state.value_off):
        return None
    on = value == state.value_on
    if entity.domain == Domain.LOCK:
        return LockState(state="locked" if on else "unlocked")
    if entity.domain == Domain.SWITCH:
        return SwitchState(state="on" if on else "off")
    return _light(entity.roles, payload, "on" if on else "off")


def _light(roles: Mapping[str, Feature], payload: Mapping[str, Any], on: str) -> LightState:
    fields: dict[str, Any] = {"state": on}
    if (brightness := roles.get("brightness")) is not None:
        fields["brightness"] = _percent(payload.get(brightness.property), brightness.value_max)
    if (color_temp := roles.get("color_temp")) is not None:
        mireds = _number(payload.get(color_temp.property))
        if mireds and payload.get("color_mode", "color_temp") == "color_temp":
            fields["color_temp_kelvin"] = mirek_to_kelvin(round(mireds))
        if color_temp.value_min and color_temp.value_max:
            fields["min_color_temp_kelvin"] = mirek_to_kelvin(round(color_temp.value_max))
            fields["max_color_temp_kelvin"] = mirek_to_kelvin(round(color_temp.value_min))
    if (color := roles.get("color")) is not None:
        value = payload.get(color.property)
        if isinstance(value, Mapping) and payload.get("color_mode") in ("xy", "hs", None):
            x, y = _number(value.get("x")), _number(value.get("y"))
            if x is not None and y is not None and 0 <= x <= 1 and 0 < y <= 1:
                fields["rgb_color"] = xy_to_rgb((x, y))
    return LightState(**fields)


def _cover(roles: Mapping[str, Feature], payload: Mapping[str, Any]) -> CoverState | None:
    fields: dict[str, Any] = {}
    for role in ("position", "tilt"):
        if role in roles:
            number = _number(payload.get(roles[role].property))
            fields[role] = None if number is None else max(0, min(100, round(number)))
    if fields.get("position") is not None:
        fields["state"] = "closed" if fields["position"] == 0 else "open"
    elif "state" in roles:
        said = payload.get(roles["state"].property)
        if said not in ("OPEN", "CLOSE"):
            return None
        fields["state"] = "open" if said == "OPEN" else "closed"
    else:
        return None
    return CoverState(**fields)


def _climate(roles: Mapping[str, Feature], payload: Mapping[str, Any]) -> ClimateState | None:
    setpoint = roles["setpoint"]
    target = _number(payload.get(setpoint.property))
    if target is None:
        return None
    modes: list[HVACMode] = []
    state = HVACMode.HEAT
    if (mode := roles.get("system_mode")) is not None:
        modes = [HVACMode(v) for v in mode.values if v in HVACMode.__members__.values()]
        said = payload.get(mode.property)
        if isinstance(said, str) and said in HVACMode.__members__.values():
            state = HVACMode(said)
    fields: dict[str, Any] = {
        "state": state,
        "hvac_modes": modes or None,
        "temperature": target,
        "min_temp": setpoint.value_min,
        "max_temp": setpoint.value_max,
        "temperature_unit": "°C",
    }
    if (local := roles.get("local_temperature")) is not None:
        fields["current_temperature"] = _number(payload.get(local.property))
    if (running := roles.get("running_state")) is not None:
        fields["hvac_action"] = HVAC_ACTIONS.get(str(payload.get(running.property)))
    return ClimateState(**fields)


# -- commands ---------------------------------------------------------------------------


def command_payload(  # noqa: PLR0911 - one form per domain and verb
    entity: ZigbeeEntity, verb: str, params: Params
) -> dict[str, Any]:
    """The JSON for `<base>/<friendly_name>/set` that carries out a validated command."""
    roles = entity.roles
    if entity.domain in (Domain.LIGHT, Domain.SWITCH, Domain.LOCK):
        state = roles["state"]
        if verb in ("turn_off", "unlock"):
            return {state.property: state.value_off}
        if verb == "toggle":
            return {state.property: state.value_toggle or "TOGGLE"}
        payload: dict[str, Any] = {state.property: state.value_on}
        if isinstance(params, LightTurnOn):
            payload.update(_light_on(roles, params))
        return payload
    if entity.domain == Domain.COVER:
        if isinstance(params, SetPosition):
            return {roles["position"].property: params.position}
        if isinstance(params, SetTilt):
            return {roles["tilt"].property: params.tilt}
        return {roles["state"].property: {"open": "OPEN", "close": "CLOSE"}.get(verb, "STOP")}
    if entity.domain == Domain.CLIMATE:
        mode = roles.get("system_mode")
        if verb == "turn_off" and mode is not None:
            return {mode.property: "off"}
        if isinstance(params, SetHVACMode) and mode is not None:
            return {mode.property: params.hvac_mode.value}
        if isinstance(params, SetTemperature) and params.temperature is not None:
            payload = {roles["setpoint"].property: params.temperature}
            if params.hvac_mode is not None and mode is not None:
                payload[mode.property] = params.hvac_mode.value
            return payload
    raise ValueError(f"{entity.domain.value}.{verb} has no Zigbee2MQTT form")


def _light_on(roles: Mapping[str, Feature], params: LightTurnOn) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if params.brightness is not None and "brightness" in roles:
        top = roles["brightness"].value_max or 254
        payload[roles["brightness"].property] = round(params.brightness * top / 100)
    if params.brightness_step is not None and "brightness" in roles:
        top = roles["brightness"].value_max or 254
        payload["brightness_step"] = round(params.brightness_step * top / 100)
    if params.color_temp_kelvin is not None and "color_temp" in roles:
        feature = roles["color_temp"]
        low, high = int(feature.value_min or 153), int(feature.value_max or 500)
        payload[feature.property] = kelvin_to_mirek(params.color_temp_kelvin, low, high)
    if params.rgb_color is not None and "color" in roles:
        x, y = rgb_to_xy(params.rgb_color)
        payload[roles["color"].property] = {"x": x, "y": y}
    if params.transition is not None:
        payload["transition"] = params.transition
    return payload


def gettable(entities: Sequence[ZigbeeEntity]) -> dict[str, str]:
    """The `/get` JSON that reads every property these entities have with the GET bit."""
    return {
        feature.property: ""
        for entity in entities
        for feature in entity.roles.values()
        if feature.type != "composite" and feature.can(GETTABLE)
    }
