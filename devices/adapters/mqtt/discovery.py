"""Home Assistant MQTT discovery: entities announced on `<prefix>/<component>/.../config`.

The topic is `<prefix>/<component>/[<node_id>/]<object_id>/config`.

This is how Tasmota, ESPHome, Shelly and many home-made devices announce themselves. A
config is JSON naming the entity's topics and payloads, with keys in full or abbreviated
(`stat_t` for `state_topic`, `~` standing for a base topic); an empty retained config
removes the entity. (Source: Home Assistant's documentation, "MQTT Discovery" and the
pages of the MQTT switch, light, sensor, binary sensor, cover and lock platforms,
home-assistant.io/integrations/mqtt.)

Value templates are read only in their common forms, `{{ value }}`, `{{ value_json.x }}`,
`{{ value_json.x.y }}` and `{{ value_json['x']['y'] }}`; any other template is an
"unsupported template" and the entity is skipped with a log line saying so. Supported
components: switch, light (on/off and brightness), sensor, binary_sensor, cover, lock and
climate (mode and target temperature, each with its command and state topic, the current
temperature, the action; "MQTT HVAC" in Home Assistant's documentation). A
`json_attributes_topic` fills the attributes Dobby's state of the entity has (a climate's
`current_humidity`, say); the others are left out.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from devices.capabilities import (
    BinarySensorState,
    ClimateState,
    CoverState,
    Domain,
    LightState,
    LockState,
    SensorState,
    State,
    SwitchState,
)
from devices.capabilities.climate import ClimateFeature, HVACMode
from devices.capabilities.cover import CoverFeature
from devices.capabilities.light import LightFeature

OWN_NODE = "dobby"
"""The node id under which Dobby announces its own entities: never read back as devices."""
TOPIC = re.compile(r"(?P<component>[^/]+)/(?:(?P<node>[^/]+)/)?(?P<object>[^/]+)/config")
COMPONENTS = {
    "switch": Domain.SWITCH,
    "light": Domain.LIGHT,
    "sensor": Domain.SENSOR,
    "binary_sensor": Domain.BINARY_SENSOR,
    "cover": Domain.COVER,
    "lock": Domain.LOCK,
    "climate": Domain.CLIMATE,
}
ABBREVIATIONS = {
    "avty": "availability", "avty_t": "availability_topic", "bri_cmd_t": "brightness_command_topic",
    "bri_scl": "brightness_scale", "bri_stat_t": "brightness_state_topic",
    "bri_val_tpl": "brightness_value_template", "cmd_t": "command_topic", "dev": "device",
    "dev_cla": "device_class", "json_attr_t": "json_attributes_topic", "name": "name",
    "obj_id": "object_id", "pl_avail": "payload_available", "pl_cls": "payload_close",
    "pl_lock": "payload_lock", "pl_not_avail": "payload_not_available", "pl_off": "payload_off",
    "pl_on": "payload_on", "pl_open": "payload_open", "pl_stop": "payload_stop",
    "pl_unlk": "payload_unlock", "pos_t": "position_topic", "pos_tpl": "position_template",
    "set_pos_t": "set_position_topic", "stat_cla": "state_class", "stat_clsd": "state_closed",
    "stat_locked": "state_locked", "stat_off": "state_off", "stat_on": "state_on",
    "stat_open": "state_open", "stat_t": "state_topic", "stat_unlocked": "state_unlocked",
    "stat_val_tpl": "state_value_template", "uniq_id": "unique_id",
    "unit_of_meas": "unit_of_measurement", "val_tpl": "value_template", "t": "topic",
    "ids": "identifiers", "mf": "manufacturer", "mdl": "model", "sw": "sw_version",
    "cns": "connections", "sa": "suggested_area",
    "mode_cmd_t": "mode_command_topic", "mode_stat_t": "mode_state_topic",
    "mode_stat_tpl": "mode_state_template", "temp_cmd_t": "temperature_command_topic",
    "temp_stat_t": "temperature_state_topic", "temp_stat_tpl": "temperature_state_template",
    "curr_temp_t": "current_temperature_topic", "curr_temp_tpl": "current_temperature_template",
    "act_t": "action_topic", "act_tpl": "action_template", "temp_unit": "temperature_unit",
    "json_attr_tpl": "json_attributes_template",
}  # fmt: skip
ROLES = {
    "state": ("state_topic", ("value_template", "state_value_template")),
    "brightness": ("brightness_state_topic", ("brightness_value_template",)),
    "position": ("position_topic", ("position_template",)),
    "availability": ("availability_topic", ()),
    "mode": ("mode_state_topic", ("mode_state_template",)),
    "temperature": ("temperature_state_topic", ("temperature_state_template",)),
    "current_temperature": ("current_temperature_topic", ("current_temperature_template",)),
    "action": ("action_topic", ("action_template",)),
    "attributes": ("json_attributes_topic", ("json_attributes_template",)),
}
"""Each topic role: the config key of its topic and of its value template."""
NUMERIC_ROLES = frozenset({"brightness", "position", "temperature", "current_temperature"})
"""The topic roles whose values are numbers."""
HVAC_ACTIONS = {"heating": "heating", "cooling": "cooling", "idle": "idle", "off": "off"}
REQUIRED = {
    Domain.SWITCH: ("command_topic",),
    Domain.LIGHT: ("command_topic",),
    Domain.SENSOR: ("state_topic",),
    Domain.BINARY_SENSOR: ("state_topic",),
    Domain.COVER: (),
    Domain.LOCK: ("command_topic",),
    Domain.CLIMATE: (),
}
_TEMPLATE = re.compile(
    r"\{\{\s*(?P<path>value(?:_json(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\s*'[^']*'\s*\]|\[\s*\"[^\"]*\"\s*\])*)?)"
    r"\s*\}\}"
)
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*'([^']*)'\s*\]|\[\s*\"([^\"]*)\"\s*\]")


class ConfigProblemError(ValueError):
    """A discovery config Dobby cannot use; the message says why, for the log."""


def expand(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Abbreviated keys written out, and `~` put into every topic that starts or ends with it."""
    config = {ABBREVIATIONS.get(k, k): v for k, v in raw.items()}
    base = config.pop("~", None)
    for key, value in list(config.items()):
        if isinstance(value, Mapping):
            config[key] = {ABBREVIATIONS.get(k, k): v for k, v in value.items()}
        elif isinstance(value, str) and isinstance(base, str) and key.endswith("_topic"):
            if value.startswith("~"):
                config[key] = base + value[1:]
            elif value.endswith("~"):
                config[key] = value[:-1] + base
    return config


@dataclass(frozen=True)
class Template:
    """A value template in one of the forms read here: a path into the payload's JSON."""

    path: tuple[str, ...] | None
    """None: the payload itself (`{{ value }}`)."""

    @classmethod
    def parse(cls, text: Any) -> Template:
        """The template, or ConfigProblemError("unsupported template ...")."""
        if text is None:
            return cls(None)
        matched = _TEMPLATE.fullmatch(str(text).strip())
        if matched is None:
            raise ConfigProblemError(f"unsupported template {text!r} (only {{{{ value_json.x }}}})")
        path = matched["path"]
        if path == "value":
            return cls(None)
        steps = tuple(a or b or c for a, b, c in _STEP.findall(path[len("value_json") :]))
        return cls(steps)

    def unreadable(self, payload: bytes) -> bool:
        """Whether the payload is not JSON where this template reads JSON: no answer at all."""
        if self.path is None:
            return False
        try:
            json.loads(payload.decode(errors="replace"))
        except ValueError:
            return True
        return False

    def render(self, payload: bytes) -> str | None:
        """The value in the payload, as text; None when the payload does not have it."""
        text = payload.decode(errors="replace").strip()
        if self.path is None:
            return text
        try:
            value: Any = json.loads(text)
        except ValueError:
            return None
        for step in self.path:
            if not isinstance(value, Mapping) or step not in value:
                return None
            value = value[step]
        if isinstance(value, Mapping | list):
            return None
        return str(value) if not isinstance(value, bool) else str(value).lower()


@dataclass
class DiscoveredEntity:
    """One entity announced by a discovery config."""

    key: str
    """Its discovery topic's `[node_id/]object_id`, or its `unique_id`."""
    domain: Domain
    name: str
    config: dict[str, Any]
    templates: dict[str, Template]
    """The value template of each topic role."""
    device: dict[str, Any] = field(default_factory=dict)
    features: frozenset[str] = frozenset()
    values: dict[str, str] = field(default_factory=dict)
    """Last values by topic role (state, brightness, position, mode, temperature, ...)."""
    attributes: dict[str, Any] = field(default_factory=dict)
    """What its `json_attributes_topic` last said."""
    state: State | None = None

    @property
    def unique_id(self) -> str:
        """The unique id Dobby keeps: the config's, or the discovery topic's."""
        return str(self.config.get("unique_id") or self.key)

    @property
    def device_id(self) -> str:
        """The device's identifier (the first of `identifiers`), or the entity's own id."""
        ids = self.device.get("identifiers")
        if isinstance(ids, list) and ids:
            return str(ids[0])
        if isinstance(ids, str) and ids:
            return ids
        return self.unique_id

    def topics(self) -> dict[str, str]:
        """The topics to subscribe to, by role."""
        wanted = {role: self.config.get(key) for role, (key, _) in ROLES.items()}
        return {role: t for role, t in wanted.items() if isinstance(t, str) and t}

    def template(self, role: str) -> Template:
        """The value template of a topic role (the payload itself where none is given)."""
        return self.templates.get(role, Template(None))


def makes_no_sense(entity: DiscoveredEntity, role: str, payload: bytes, value: str | None) -> bool:
    """Whether a message on one of an entity's topics is garbage (not a value that is merely
    absent): not JSON where the template reads JSON, or not a number where a number belongs."""
    if entity.template(role).unreadable(payload):
        return True
    return role in NUMERIC_ROLES and value is not None and _number(value) is None


def read_config(prefix: str, topic: str, payload: bytes) -> DiscoveredEntity | str | None:
    """A discovery message: the entity it announces, the key it removes (an empty config),
    or None for a component Dobby does not map; ConfigProblemError for a config it cannot use."""
    matched = TOPIC.fullmatch(topic.removeprefix(prefix + "/"))
    if matched is None:
        raise ConfigProblemError("is not a discovery config topic")
    key = "/".join(p for p in (matched["node"], matched["object"]) if p)
    if matched["node"] == OWN_NODE:
        return None  # Dobby's own entities, announced by Dobby on the bus (agent.bus)
    if not payload.strip():
        return key
    domain = COMPONENTS.get(matched["component"])
    if domain is None:
        return None
    try:
        raw = json.loads(payload)
    except ValueError:
        raise ConfigProblemError("is not JSON") from None
    if not isinstance(raw, Mapping):
        raise ConfigProblemError("is not a JSON object")
    config = expand(raw)
    missing = _missing(domain, config)
    if missing:
        raise ConfigProblemError(f"lacks {', '.join(missing)}")
    if str(config.get("schema", "basic")) not in ("basic", "default"):
        raise ConfigProblemError(f"uses the {config['schema']} schema (only the default one)")
    templates: dict[str, Template] = {}
    for role, (_, keys) in ROLES.items():
        text = next((config[k] for k in keys if config.get(k)), None)
        if text is not None:
            templates[role] = Template.parse(text)
    raw_device = config.get("device")
    device: dict[str, Any] = dict(raw_device) if isinstance(raw_device, Mapping) else {}
    name = config.get("name")
    device_name = device.get("name") if isinstance(device.get("name"), str) else ""
    if not isinstance(name, str) or not name:
        name = device_name or key.replace("/", " ").replace("_", " ").title()
    elif device_name and not name.startswith(device_name):
        name = f"{device_name} {name}"
    features = _features(domain, config)
    return DiscoveredEntity(key, domain, name, config, templates, device, features)


def _missing(domain: Domain, config: Mapping[str, Any]) -> list[str]:
    """The keys a config of this component needs and lacks."""
    missing = [k for k in REQUIRED[domain] if not isinstance(config.get(k), str)]
    either = {
        Domain.COVER: ("command_topic", "set_position_topic"),
        Domain.CLIMATE: ("mode_command_topic", "temperature_command_topic"),
    }.get(domain)
    if either and not any(isinstance(config.get(k), str) for k in either):
        missing.append(" or ".join(either))
    return missing


def _features(domain: Domain, config: Mapping[str, Any]) -> frozenset[str]:
    if domain == Domain.CLIMATE:
        wanted = {
            "temperature_command_topic": ClimateFeature.TARGET_TEMPERATURE.value,
            "mode_command_topic": ClimateFeature.HVAC_MODE.value,
        }
        return frozenset(f for k, f in wanted.items() if isinstance(config.get(k), str))
    if domain == Domain.LIGHT and isinstance(config.get("brightness_command_topic"), str):
        return frozenset({LightFeature.BRIGHTNESS.value})
    if domain == Domain.COVER:
        flags = set()
        if isinstance(config.get("command_topic"), str):
            flags |= {CoverFeature.OPEN.value, CoverFeature.CLOSE.value}
            if config.get("payload_stop", "STOP") is not None:
                flags.add(CoverFeature.STOP.value)
        if isinstance(config.get("set_position_topic"), str):
            flags.add(CoverFeature.SET_POSITION.value)
        return frozenset(flags)
    return frozenset()


def state_of(entity: DiscoveredEntity) -> State | None:
    """The entity's state from the values last heard on its topics, with the attributes of
    its `json_attributes_topic` that Dobby's state has."""
    state = _state_of(entity)
    if state is None or not entity.attributes:
        return state
    fields = type(state).model_fields
    known = {k: v for k, v in entity.attributes.items() if k in fields and k != "state"}
    if not known:
        return state
    try:
        return type(state).model_validate({**state.model_dump(), **known})
    except ValueError:
        return state


def _modes(entity: DiscoveredEntity) -> list[HVACMode]:
    said = entity.config.get("modes", ["auto", "off", "cool", "heat", "dry", "fan_only"])
    known = {m.value for m in HVACMode}
    return (
        [HVACMode(m) for m in said if isinstance(m, str) and m in known]
        if isinstance(said, list)
        else []
    )


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _climate(entity: DiscoveredEntity) -> ClimateState | None:
    c = entity.config
    mode = entity.values.get("mode")
    modes = _modes(entity)
    if mode is None and not isinstance(c.get("mode_state_topic"), str):
        mode = "heat" if HVACMode.HEAT in modes else None  # it reports no mode: it heats
    if mode not in {m.value for m in HVACMode}:
        return None
    unit = c.get("temperature_unit")
    action = HVAC_ACTIONS.get(str(entity.values.get("action")))
    return ClimateState(
        state=HVACMode(str(mode)),
        hvac_modes=modes or None,
        hvac_action=action,
        temperature=_number(entity.values.get("temperature")),
        current_temperature=_number(entity.values.get("current_temperature")),
        min_temp=_number(str(c["min_temp"])) if "min_temp" in c else None,
        max_temp=_number(str(c["max_temp"])) if "max_temp" in c else None,
        temperature_unit=f"°{unit}" if unit in ("C", "F") else None,
    )


def _state_of(entity: DiscoveredEntity) -> State | None:  # noqa: PLR0911, PLR0912 - per component
    value = entity.values.get("state")
    c = entity.config
    domain = entity.domain
    if domain == Domain.CLIMATE:
        return _climate(entity)
    if domain == Domain.SENSOR:
        return (
            None
            if value is None
            else SensorState(state=value, unit_of_measurement=c.get("unit_of_measurement"))
        )
    if domain in (Domain.SWITCH, Domain.LIGHT, Domain.BINARY_SENSOR):
        on = str(c.get("state_on", c.get("payload_on", "ON")))
        off = str(c.get("state_off", c.get("payload_off", "OFF")))
        if value not in (on, off):
            return None
        said = "on" if value == on else "off"
        if domain == Domain.SWITCH:
            return SwitchState(state=said)
        if domain == Domain.BINARY_SENSOR:
            return BinarySensorState(state=said)
        scale = float(c.get("brightness_scale", 255) or 255)
        level = entity.values.get("brightness")
        brightness = None
        if level is not None and level.replace(".", "", 1).isdigit():
            brightness = max(0, min(100, round(float(level) * 100 / scale)))
        return LightState(state=said, brightness=brightness)
    if domain == Domain.LOCK:
        if value == str(c.get("state_locked", "LOCKED")):
            return LockState(state="locked")
        if value == str(c.get("state_unlocked", "UNLOCKED")):
            return LockState(state="unlocked")
        return None
    position = entity.values.get("position")
    if position is not None and position.isdigit():
        number = max(0, min(100, int(position)))
        return CoverState(state="closed" if number == 0 else "open", position=number)
    if value == str(c.get("state_open", "open")):
        return CoverState(state="open")
    if value == str(c.get("state_closed", "closed")):
        return CoverState(state="closed")
    return None


ANSWERS = {
    "command_topic": ("state", "position"),
    "brightness_command_topic": ("brightness", "state"),
    "set_position_topic": ("position", "state"),
    "mode_command_topic": ("mode",),
    "temperature_command_topic": ("temperature",),
}
"""The topic roles on which a device reports what a command on a topic changed."""


def answered_on(entity: DiscoveredEntity, sent_to: list[str]) -> set[str]:
    """The roles of the entity's topics that report the outcome of commands sent to
    `sent_to` (none: the entity reports nothing, the command is optimistic)."""
    reported = set(entity.topics())
    roles: set[str] = set()
    for key, answers in ANSWERS.items():
        if entity.config.get(key) in sent_to:
            roles |= set(answers) & reported
    return roles


def command(
    entity: DiscoveredEntity, verb: str, params: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """The (topic, payload) messages that carry out a command."""
    c = entity.config
    topic = c.get("command_topic")
    if entity.domain in (Domain.SWITCH, Domain.LIGHT):
        state = entity.state.state if entity.state is not None else "off"
        on = verb == "turn_on" or (verb == "toggle" and state == "off")
        sent = [(str(topic), str(c.get("payload_on", "ON") if on else c.get("payload_off", "OFF")))]
        brightness = params.get("brightness")
        if on and brightness is not None and isinstance(c.get("brightness_command_topic"), str):
            scale = float(c.get("brightness_scale", 255) or 255)
            sent.append((c["brightness_command_topic"], str(round(brightness * scale / 100))))
        return sent
    if entity.domain == Domain.CLIMATE:
        return _climate_command(c, verb, params)
    if entity.domain == Domain.LOCK:
        payload = (
            c.get("payload_lock", "LOCK") if verb == "lock" else c.get("payload_unlock", "UNLOCK")
        )
        return [(str(topic), str(payload))]
    if verb == "set_position":
        return [(str(c["set_position_topic"]), str(params["position"]))]
    payloads = {"open": c.get("payload_open", "OPEN"), "close": c.get("payload_close", "CLOSE")}
    return [(str(topic), str(payloads.get(verb, c.get("payload_stop", "STOP"))))]


def _climate_command(
    c: Mapping[str, Any], verb: str, params: Mapping[str, Any]
) -> list[tuple[str, str]]:
    sent: list[tuple[str, str]] = []
    mode = "off" if verb == "turn_off" else params.get("hvac_mode")
    if mode is not None:
        sent.append((str(c["mode_command_topic"]), str(getattr(mode, "value", mode))))
    temperature = params.get("temperature")
    if verb == "set_temperature" and temperature is not None:
        sent.append((str(c["temperature_command_topic"]), f"{float(temperature):g}"))
    return sent
