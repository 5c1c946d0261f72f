"""Zigbee2MQTT's exposes read as entities, states and commands; whatever the bus carries."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.adapters.mqtt import MqttConfig
from devices.adapters.mqtt.adapter import MqttAdapter, ZigbeeDevice
from devices.adapters.mqtt.emulator.models import LOCK, MODELS
from devices.adapters.mqtt.exposes import command_payload, gettable, plan, state_of
from devices.blocking import BlockingRunner
from devices.capabilities import Domain, validate_command
from devices.entities import DeviceInfo
from devices.plugin import AdapterContext
from devices.registry import Registry

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
KNOWN_TYPES = st.sampled_from(
    ["binary", "numeric", "enum", "text", "composite", "list", "light", "switch", "cover", "lock",
     "climate", "fan", "hologram"]
)  # fmt: skip
EXPOSE = st.fixed_dictionaries(
    {"type": KNOWN_TYPES},
    optional={
        "name": st.sampled_from(["state", "contact", "battery", "action", "brightness", "x"]),
        "property": st.text(max_size=6) | st.integers(),
        "access": st.integers(-1, 9) | st.text(max_size=2),
        "features": st.lists(JSON, max_size=3),
        "values": JSON,
        "value_min": JSON,
        "value_max": JSON,
        "value_on": JSON,
        "value_off": JSON,
        "endpoint": JSON,
    },
)


@given(st.lists(EXPOSE | JSON, max_size=6))
@settings(max_examples=120, deadline=None)
def test_any_exposes_list_makes_entities_or_says_what_it_skipped(exposes: list[Any]) -> None:
    """Whatever the list holds, plan() returns entities of Dobby's domains and names the rest."""
    planned = plan(exposes)
    domains = set(MqttAdapter.manifest.domains)
    for entity in planned.entities:
        assert entity.domain in domains
        assert all(isinstance(f.property, str) and f.property for f in entity.roles.values())
    unknown = [e for e in exposes if not isinstance(e, dict) or e.get("type") == "hologram"]
    assert len(planned.unknown) >= len(unknown)


@given(st.sampled_from(sorted(MODELS)), st.dictionaries(st.text(max_size=12), JSON, max_size=6))
@settings(max_examples=120, deadline=None)
def test_any_state_json_reads_as_a_state_or_nothing(kind: str, payload: dict[str, Any]) -> None:
    """A state JSON with any values: every entity reads a valid state or None, never raises."""
    for entity in plan(MODELS[kind].exposes).entities:
        merged = {**MODELS[kind].start, **payload}
        state_of(entity, merged)
        state_of(entity, payload)


def test_every_model_of_the_emulator_plans_as_documented() -> None:
    """The six models: the entities Dobby makes of their exposes."""
    made = {
        kind: [(e.domain.value, e.key, e.label) for e in plan(model.exposes).entities]
        for kind, model in MODELS.items()
    }
    assert made["bulb"] == [("light", "light", "")]
    assert made["plug"][0] == ("switch", "switch", "")
    assert {key for _, key, _ in made["plug"]} >= {"power", "energy"}
    assert made["door_sensor"][0] == ("binary_sensor", "contact", "")
    assert made["trv"][0] == ("climate", "climate", "")
    assert made["blind"][0] == ("cover", "cover", "")
    assert made["remote"][0] == ("sensor", "action", "")  # a remote is what it says
    light = plan(MODELS["bulb"].exposes).entities[0]
    assert light.features == {"brightness", "color_temp", "color"}
    state = state_of(light, MODELS["bulb"].start)
    assert state is not None
    assert state.attributes()["min_color_temp_kelvin"] == 2000
    assert state.attributes()["max_color_temp_kelvin"] == 6536


def test_a_lock_is_locked_and_unlocked_with_its_own_values() -> None:
    """A lock's state feature says LOCK and UNLOCK; commands write them back."""
    (lock,) = plan([LOCK]).entities
    assert lock.domain == Domain.LOCK
    assert state_of(lock, {"state": "LOCK"}).state == "locked"  # type: ignore[union-attr]
    assert state_of(lock, {"state": "UNLOCK"}).state == "unlocked"  # type: ignore[union-attr]
    assert state_of(lock, {"state": "JAMMED?"}) is None
    _, params = validate_command("lock.door", Domain.LOCK, lock.features, "lock.unlock", {})
    assert command_payload(lock, "unlock", params) == {"state": "UNLOCK"}
    assert gettable([lock]) == {"state": ""}


def test_a_radiator_valve_offers_the_modes_it_lists() -> None:
    """system_mode's values are the offered modes; a setpoint command writes the setpoint."""
    (trv, _battery) = plan(MODELS["trv"].exposes).entities
    state = state_of(trv, MODELS["trv"].start)
    assert state is not None
    assert state.attributes()["hvac_modes"] == ["off", "auto", "heat"]
    assert (state.attributes()["min_temp"], state.attributes()["max_temp"]) == (5, 30)
    _, params = validate_command(
        "climate.r", Domain.CLIMATE, trv.features, "climate.set_temperature", {"temperature": 19}
    )
    assert command_payload(trv, "set_temperature", params) == {"occupied_heating_setpoint": 19}


def _adapter() -> tuple[MqttAdapter, ZigbeeDevice]:
    registry = Registry()
    adapter = MqttAdapter(
        AdapterContext("mqtt", registry, BlockingRunner(max_workers=1)),
        MqttConfig(broker="127.0.0.1"),
    )
    planned = plan(MODELS["plug"].exposes).entities
    device = ZigbeeDevice("0x1", "Plug", DeviceInfo(unique_id="0x1", name="Plug"), planned)
    adapter.listed["Plug"] = device
    return adapter, device


@given(st.binary(max_size=64) | JSON.map(lambda v: json.dumps(v).encode()))
@settings(max_examples=200, deadline=None)
def test_any_bytes_on_any_topic_never_break_the_adapter(payload: bytes) -> None:
    """Whatever arrives on a state, availability, bridge or logging topic is read or refused
    with a log line; the adapter carries on."""
    adapter, device = _adapter()
    for topic in (
        "zigbee2mqtt/Plug",
        "zigbee2mqtt/Plug/availability",
        "zigbee2mqtt/bridge/state",
        "zigbee2mqtt/bridge/logging",
        "zigbee2mqtt/Gone",
    ):
        adapter._message(topic, payload, False)
    adapter._message("zigbee2mqtt/Plug", b'{"state": "ON", "power": 3}', False)
    assert device.problem is None
    assert adapter.states(device)["0x1:switch"].state == "on"
