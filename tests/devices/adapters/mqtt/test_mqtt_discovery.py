"""Home Assistant MQTT discovery over a real broker: a Tasmota-style plug, an ESPHome-style
sensor, and configs that cannot be used."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiomqtt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.adapters.mqtt import MqttConfig
from devices.adapters.mqtt.adapter import MqttAdapter
from devices.adapters.mqtt.discovery import ConfigProblemError, Template, expand, read_config
from devices.adapters.mqtt.emulator.announcer import PLUG, DiscoveryEmulator
from devices.blocking import BlockingRunner
from devices.capabilities import validate_command
from devices.errors import UnsupportedCommandError
from devices.plugin import AdapterContext
from devices.registry import Registry
from devices.testing import HostAllocator
from devices.testing.mosquitto import Mosquitto

ENTITIES = {"switch.desk_plug", "sensor.desk_plug_power", "sensor.living_room_sensor_temperature"}


@asynccontextmanager
async def announced(
    brokers: list[Mosquitto] | None = None,
) -> AsyncIterator[tuple[MqttAdapter, Registry, DiscoveryEmulator]]:
    """The adapter and the emulated devices on a real broker (added to `brokers`, if given)."""
    broker = Mosquitto(HostAllocator().allocate())
    await broker.start()
    if brokers is not None:
        brokers.append(broker)
    emulator = DiscoveryEmulator(broker.host, broker.port)
    registry, blocking = Registry(), BlockingRunner()
    config = MqttConfig(broker=broker.host, port=broker.port, request_timeout=2, reconnect_min=0.1)
    adapter = MqttAdapter(AdapterContext("mqtt", registry, blocking), config)
    try:
        await emulator.start()
        await adapter.start()
        found = await registry.wait_until(
            lambda: (
                set(registry.entities) >= ENTITIES
                and all(registry.entity(e).state is not None for e in ENTITIES)
            ),
            10,
        )
        assert found, sorted(registry.entities)
        yield adapter, registry, emulator
    finally:
        await adapter.stop()
        await emulator.stop()
        await broker.stop()
        blocking.shutdown()


async def _publish(adapter: MqttAdapter, topic: str, payload: bytes) -> None:
    assert adapter.link is not None
    settings_ = adapter.link.settings
    async with aiomqtt.Client(settings_.host, settings_.port) as client:
        await client.publish(topic, payload, qos=1, retain=True)


async def test_a_tasmota_plug_and_an_esphome_sensor_announce_themselves() -> None:
    """Abbreviated and full keys, nested templates, `~`: entities with states, commands work."""
    async with announced() as (adapter, registry, emulator):
        plug = registry.entity("switch.desk_plug")
        assert plug.state is not None
        assert plug.state.state == "on"
        power = registry.entity("sensor.desk_plug_power").state
        assert (power.state, power.attributes()["unit_of_measurement"]) == ("42", "W")  # type: ignore[union-attr]
        sensor = registry.entity("sensor.living_room_sensor_temperature")
        assert sensor.state.state == "21.5"  # type: ignore[union-attr]
        assert sensor.device_class == "temperature"
        assert registry.devices[plug.device_id].info.model == "Sonoff S31"
        spec, typed = validate_command(
            plug.entity_id, plug.domain, plug.features, "switch.turn_off", {}
        )
        await adapter.execute(plug, spec, typed)
        assert emulator.power == "OFF"
        assert registry.entity("switch.desk_plug").state.state == "off"  # type: ignore[union-attr]
        assert await registry.wait_until(
            lambda: registry.entity("sensor.desk_plug_power").state.state == "0",
            5,  # type: ignore[union-attr]
        )
        await emulator.set_temperature(19.0)
        assert await registry.wait_until(lambda: sensor.state.state == "19.0", 5)  # type: ignore[union-attr]


def _available(registry: Registry, entity_id: str) -> bool:
    return registry.entity(entity_id).available


async def test_an_announced_device_is_unavailable_and_back_through_its_coordinator() -> None:
    """The plug's availability topic says Offline: the plug's entities are unavailable with
    the reason, the sensor's are not; a command is still tried, and the plug answering it
    is back. Offline, then Online: back. The broker killed: every announced device
    unavailable; restarted: back, without a restart of the adapter, and taking commands."""
    brokers: list[Mosquitto] = []
    async with announced(brokers) as (adapter, registry, emulator):
        plug, power = "switch.desk_plug", "sensor.desk_plug_power"
        sensor = "sensor.living_room_sensor_temperature"
        await _publish(adapter, f"tele/{PLUG}/LWT", b"Offline")
        assert await registry.wait_until(lambda: not _available(registry, plug), 10)
        device = registry.devices[registry.entity(plug).device_id]
        assert device.unavailable_reason == "it reports itself offline"
        assert not _available(registry, power)
        assert _available(registry, sensor)

        entity = registry.entity(plug)
        spec, typed = validate_command(
            entity.entity_id, entity.domain, entity.features, "switch.turn_off", {}
        )
        await adapter.execute(entity, spec, typed)  # tried all the same, and it answers
        assert emulator.power == "OFF"
        assert _available(registry, plug)

        await _publish(adapter, f"tele/{PLUG}/LWT", b"Offline")
        assert await registry.wait_until(lambda: not _available(registry, plug), 10)
        await _publish(adapter, f"tele/{PLUG}/LWT", b"Online")
        assert await registry.wait_until(lambda: _available(registry, plug), 10)

        everything = [plug, power, sensor]
        emulator.online.clear()  # set again once the devices have announced themselves again
        await brokers[0].kill()
        assert await registry.wait_until(
            lambda: not any(_available(registry, e) for e in everything), 20
        )
        await brokers[0].start()
        assert await registry.wait_until(
            lambda: all(_available(registry, e) for e in everything), 30
        )
        async with asyncio.timeout(30):
            await emulator.online.wait()  # the plug is on the broker again
        entity = registry.entity(plug)
        spec, typed = validate_command(
            entity.entity_id, entity.domain, entity.features, "switch.turn_on", {}
        )
        await adapter.execute(entity, spec, typed)
        assert emulator.power == "ON"


async def test_an_empty_retained_config_removes_the_entity() -> None:
    """The plug's configs emptied: its entities disappear; the sensor stays."""
    async with announced() as (_adapter, registry, emulator):
        await emulator.withdraw_plug()
        gone = await registry.wait_until(
            lambda: not {"switch.desk_plug", "sensor.desk_plug_power"} & set(registry.entities), 5
        )
        assert gone
        assert "sensor.living_room_sensor_temperature" in registry.entities


async def test_configs_that_cannot_be_used_are_named_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A config without its required keys, one with a template beyond the common forms, and
    one that is not JSON: each a log line naming its topic; the others keep working."""
    async with announced() as (adapter, registry, _emulator):
        caplog.set_level(logging.WARNING)
        bad = {
            "homeassistant/switch/nocmd/config": json.dumps(
                {"name": "No Command", "stat_t": "x/y"}
            ),
            "homeassistant/sensor/fancy/config": json.dumps(
                {"name": "Fancy", "stat_t": "f/s", "val_tpl": "{{ value_json.t | float * 2 }}"}
            ),
            "homeassistant/binary_sensor/broken/config": "{nope",
        }
        for topic, payload in bad.items():
            await _publish(adapter, topic, payload.encode())
        await _publish(
            adapter,
            "homeassistant/sensor/fine/config",
            json.dumps({"name": "Fine", "stat_t": "fine/state", "uniq_id": "fine-1"}).encode(),
        )
        assert await registry.wait_until(lambda: "sensor.fine" in registry.entities, 30)
        assert "homeassistant/switch/nocmd/config lacks command_topic; skipped" in caplog.text
        assert "homeassistant/sensor/fancy/config unsupported template" in caplog.text
        assert "homeassistant/binary_sensor/broken/config is not JSON; skipped" in caplog.text
        assert registry.entity("switch.desk_plug").available


def test_abbreviations_and_the_base_topic_are_written_out() -> None:
    """`~` at the start or end of a topic is the base topic; abbreviated keys are full."""
    assert expand({"~": "home/plug", "stat_t": "~/state", "cmd_t": "set/~", "pl_on": "1"}) == {
        "state_topic": "home/plug/state",
        "command_topic": "set/home/plug",
        "payload_on": "1",
    }


@pytest.mark.parametrize(
    ("template", "payload", "value"),
    [
        (None, b"21.5", "21.5"),
        ("{{ value }}", b" on ", "on"),
        ("{{value_json.POWER}}", b'{"POWER": "ON"}', "ON"),
        ("{{ value_json['ENERGY']['Power'] }}", b'{"ENERGY": {"Power": 7}}', "7"),
        ("{{ value_json.a.b }}", b'{"a": {"b": true}}', "true"),
        ("{{ value_json.missing }}", b'{"a": 1}', None),
        ("{{ value_json.a }}", b"not json", None),
    ],
)
def test_the_common_templates(template: str | None, payload: bytes, value: str | None) -> None:
    """The `{{ value }}` and `{{ value_json... }}` forms read their value; a miss is None."""
    assert Template.parse(template).render(payload) == value


@given(st.text(max_size=40))
@settings(max_examples=200, deadline=None)
def test_any_template_is_read_or_refused_by_name(text: str) -> None:
    """Any text as a template: a Template, or ConfigProblemError saying "unsupported template"."""
    try:
        Template.parse(text)
    except ConfigProblemError as problem:
        said = str(problem)
    else:
        said = "unsupported template"
    assert "unsupported template" in said


@given(st.binary(max_size=80))
@settings(max_examples=200, deadline=None)
def test_any_config_payload_is_read_or_refused(payload: bytes) -> None:
    """Whatever a config topic carries: an entity, a removal, or a ConfigProblemError."""
    with contextlib.suppress(ConfigProblemError):
        read_config("homeassistant", "homeassistant/light/node/thing/config", payload)


async def test_an_esphome_thermostat_takes_a_mode_and_a_temperature() -> None:
    """A climate announced with abbreviated keys: mode, target, reading, action and the
    humidity from its attributes topic; a setpoint and a mode sent on their command topics
    and read back from their state topics."""
    async with announced() as (adapter, registry, emulator):
        climate = "climate.living_room_sensor_thermostat"
        assert await registry.wait_until(
            lambda: (
                climate in registry.entities
                and registry.entity(climate).state is not None
                and registry.entity(climate).state.attributes().get("current_humidity") == 45  # type: ignore[union-attr]
            ),
            5,
        )
        entity = registry.entity(climate)
        state = entity.state
        assert state is not None
        assert state.state == "heat"
        fields = state.attributes()
        assert (fields["temperature"], fields["current_temperature"]) == (20.0, 21.5)
        assert (fields["hvac_modes"], fields["min_temp"], fields["max_temp"]) == (
            ["off", "heat"],
            7.0,
            28.0,
        )
        assert fields["hvac_action"] == "idle"
        spec, typed = validate_command(
            climate, entity.domain, entity.features, "climate.set_temperature", {"temperature": 23}
        )
        await adapter.execute(entity, spec, typed)
        assert emulator.target == 23.0
        assert await registry.wait_until(
            lambda: registry.entity(climate).state.attributes()["hvac_action"] == "heating",  # type: ignore[union-attr]
            5,
        )
        spec, typed = validate_command(
            climate, entity.domain, entity.features, "climate.turn_off", {}
        )
        await adapter.execute(registry.entity(climate), spec, typed)
        assert emulator.mode == "off"
        assert await registry.wait_until(lambda: registry.entity(climate).state.state == "off", 5)  # type: ignore[union-attr]
        with pytest.raises(UnsupportedCommandError, match="offers the modes off, heat"):
            validate_command(
                climate,
                entity.domain,
                entity.features,
                "climate.set_hvac_mode",
                {"hvac_mode": "cool"},
                state=registry.entity(climate).state,
            )
        spec, typed = validate_command(
            climate, entity.domain, entity.features, "climate.set_hvac_mode", {"hvac_mode": "heat"}
        )
        await adapter.execute(registry.entity(climate), spec, typed)
        assert emulator.mode == "heat"


def test_dobbys_own_announcements_are_not_devices() -> None:
    """What Dobby announces on the bus (node id `dobby`) is never read back as a device."""
    payload = json.dumps({"name": "Plug", "cmd_t": "dobby/switch/plug/set"}).encode()
    assert read_config("homeassistant", "homeassistant/switch/dobby/plug/config", payload) is None
    assert read_config("homeassistant", "homeassistant/switch/dobby/plug/config", b"") is None
