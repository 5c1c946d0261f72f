"""The MQTT adapter on a real broker: sensors, buttons, bad input, a broker that dies."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from devices.adapters.mqtt import MqttConfig
from devices.adapters.mqtt.adapter import MqttAdapter
from devices.adapters.mqtt.demo import start_zigbee
from devices.blocking import BlockingRunner
from devices.capabilities import validate_command
from devices.errors import DeviceConnectionError, DeviceUnavailableError
from devices.plugin import AdapterContext
from devices.registry import Registry
from devices.testing import HostAllocator

from .helpers import Bus, running_bus, until


def _available(bus: Bus, *entity_ids: str) -> bool:
    return all(bus.entity(e).available for e in entity_ids)


async def _send(bus: Bus, entity_id: str, command: str, **params: object) -> None:
    entity = bus.entity(entity_id)
    spec, typed = validate_command(
        entity.entity_id, entity.domain, entity.features, command, params, state=entity.state
    )
    await bus.adapter.execute(entity, spec, typed)


async def test_the_hallway_reads_as_a_person_says_it() -> None:
    """Friendly names "Hallway/Door" are Hallway Door in the Hallway; states are Dobby's."""
    async with running_bus() as bus:
        door = bus.entity("binary_sensor.hallway_door")
        assert (door.device_class, door.state.state) == ("door", "off")  # type: ignore[union-attr]
        radiator = bus.entity("climate.hallway_radiator")
        assert radiator.device_class == "thermostat"
        assert radiator.state.attributes()["temperature"] == 21  # type: ignore[union-attr]
        device = bus.registry.devices[door.device_id]
        assert (device.info.suggested_area, device.info.model) == ("Hallway", "MCCGQ11LM")
        power = bus.entity("sensor.hallway_plug_power")
        assert power.state.attributes()["unit_of_measurement"] == "W"  # type: ignore[union-attr]
        assert bus.entity("sensor.hallway_remote").state.state == "none"  # type: ignore[union-attr]


async def test_a_door_opened_and_a_button_pressed_are_pushed() -> None:
    """The door sensor reporting `contact: false` is an open door; a press is the action."""
    async with running_bus() as bus:
        await bus.zigbee.bridge.change("Hallway/Door", contact=False)
        assert await bus.wait(lambda: bus.entity("binary_sensor.hallway_door").state.state == "on")  # type: ignore[union-attr]
        await bus.zigbee.bridge.press("Hallway/Remote", "toggle")
        action = "sensor.hallway_remote"
        assert await bus.wait(lambda: bus.entity(action).state.state == "toggle")  # type: ignore[union-attr]
        await bus.zigbee.bridge.change("Hallway/Remote", battery=66)  # no action: the last stays
        battery = "sensor.hallway_remote_battery"
        assert await bus.wait(lambda: bus.entity(battery).state.state == "66")  # type: ignore[union-attr]
        assert bus.entity(action).state.state == "toggle"  # type: ignore[union-attr]


async def test_malformed_json_on_a_state_topic_marks_only_that_device(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Garbage on one device's topic: a log line naming the topic, that device unavailable,
    the rest of the house working; its next valid state brings it back."""
    async with running_bus() as bus:
        caplog.set_level(logging.WARNING)
        await bus.publish("zigbee2mqtt/Hallway/Door", b'{"contact": tru')
        door = "binary_sensor.hallway_door"
        assert await bus.wait(lambda: not bus.entity(door).available)
        assert "zigbee2mqtt/Hallway/Door" in caplog.text
        assert _available(bus, "climate.hallway_radiator", "switch.hallway_plug")
        await _send(bus, "switch.hallway_plug", "switch.turn_off")
        assert await bus.wait(lambda: bus.entity("switch.hallway_plug").state.state == "off")  # type: ignore[union-attr]
        await bus.zigbee.bridge.change("Hallway/Door", contact=False)
        assert await bus.wait(lambda: bus.entity(door).available)
        assert bus.entity(door).state.state == "on"  # type: ignore[union-attr]


async def test_a_device_removed_from_zigbee2mqtt_is_gone_and_its_retained_state_ignored(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Removed from the list: unavailable, commands refused, a retained state ignored."""
    async with running_bus() as bus:
        caplog.set_level(logging.INFO)
        plug = "switch.hallway_plug"
        await bus.zigbee.bridge.remove("Hallway/Plug")
        assert await bus.wait(lambda: not bus.entity(plug).available)
        assert "no longer lists" in (
            bus.registry.devices[bus.entity(plug).device_id].unavailable_reason or ""
        )
        await bus.publish("zigbee2mqtt/Hallway/Plug", b'{"state": "OFF"}', retain=True)
        await bus.zigbee.bridge.change("Hallway/Door", contact=False)  # a message after it
        assert await bus.wait(lambda: bus.entity("binary_sensor.hallway_door").state.state == "on")  # type: ignore[union-attr]
        assert bus.entity(plug).state.state == "on"  # type: ignore[union-attr]
        assert (
            "zigbee2mqtt/Hallway/Plug: a message for a device Zigbee2MQTT no longer lists"
            in caplog.text
        )
        assert _available(bus, "climate.hallway_radiator")


async def test_an_expose_of_an_unknown_type_is_skipped_with_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A device list with a type Dobby does not know: that expose skipped, named in the log,
    the device's other entities there."""
    async with running_bus([("Hallway/Plug", "plug")], 5) as bus:
        caplog.set_level(logging.INFO)
        plug = bus.zigbee.bridge.devices["Hallway/Plug"]
        exposes = [*plug.model.exposes, {"type": "hologram", "name": "aura", "property": "aura"}]
        plug.model = dataclasses.replace(plug.model, exposes=exposes)
        lists = bus.adapter.device_lists
        await bus.zigbee.bridge.publish_devices()
        assert await until(lambda: bus.adapter.device_lists > lists)
        assert "skipped an expose Dobby does not know ('hologram' aura)" in caplog.text
        assert len(bus.registry.entities) == 5
        assert _available(bus, "switch.hallway_plug")


async def test_a_broker_that_refuses_the_login_is_a_clear_log_line(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Wrong credentials: one error naming the variables to check, no device, no crash."""
    monkeypatch.setenv("DOBBY_MQTT_USERNAME", "dobby")
    monkeypatch.setenv("DOBBY_MQTT_PASSWORD", "wrong")
    caplog.set_level(logging.ERROR)
    users = {"zigbee2mqtt": "z2m-secret", "dobby": "right"}
    async with running_bus([("Hallway/Plug", "plug")], 0, users=users) as bus:
        assert bus.adapter.link is not None
        assert not await bus.adapter.link.wait_connected(1.0)
        assert bus.adapter.link.problem == "the MQTT broker refused Dobby's login"
        assert (
            "refused the login (check DOBBY_MQTT_USERNAME and DOBBY_MQTT_PASSWORD)" in caplog.text
        )
        assert "wrong" not in caplog.text
        assert not bus.registry.entities


async def test_the_right_login_gets_in() -> None:
    """With the broker's users, the adapter logs in and finds the devices."""
    users = {"zigbee2mqtt": "z2m-secret", "dobby": "right"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOBBY_MQTT_USERNAME", "dobby")
        patch.setenv("DOBBY_MQTT_PASSWORD", "right")
        async with running_bus([("Hallway/Plug", "plug")], 5, users=users) as bus:
            assert _available(bus, "switch.hallway_plug")


async def test_the_broker_killed_and_restarted() -> None:
    """Mosquitto dies: every device unavailable, commands fail as connection errors; it
    comes back: the devices are back and take commands, with no restart of the adapter."""
    async with running_bus() as bus:
        everything = list(bus.registry.entities)
        await bus.zigbee.broker.kill()
        assert await bus.wait(lambda: not any(bus.entity(e).available for e in everything))
        reason = bus.registry.devices[
            bus.entity("switch.hallway_plug").device_id
        ].unavailable_reason
        assert reason == "the MQTT broker cannot be reached"
        with pytest.raises(DeviceConnectionError):
            await _send(bus, "switch.hallway_plug", "switch.turn_off")
        await bus.zigbee.broker.start()
        assert await bus.wait(lambda: all(bus.entity(e).available for e in everything), 20)
        await bus.zigbee.bridge.online.wait()
        await _send(bus, "switch.hallway_plug", "switch.turn_off")
        assert await bus.wait(lambda: bus.entity("switch.hallway_plug").state.state == "off")  # type: ignore[union-attr]
        await _send(bus, "climate.hallway_radiator", "climate.set_temperature", temperature=19)
        assert bus.entity("climate.hallway_radiator").state.attributes()["temperature"] == 19  # type: ignore[union-attr]


async def test_zigbee2mqtt_going_offline_marks_its_devices() -> None:
    """bridge/state offline (Zigbee2MQTT stopped): its devices unavailable; online: back."""
    async with running_bus([("Hallway/Plug", "plug")], 5) as bus:
        await bus.publish("zigbee2mqtt/bridge/state", b'{"state":"offline"}', retain=True)
        assert await bus.wait(lambda: not bus.entity("switch.hallway_plug").available)
        await bus.publish("zigbee2mqtt/bridge/state", b'{"state":"online"}', retain=True)
        assert await bus.wait(lambda: bus.entity("switch.hallway_plug").available)


async def test_a_command_for_a_device_no_longer_listed_is_refused() -> None:
    """An entity whose device left the list: DeviceUnavailableError, nothing sent."""
    async with running_bus([("Hallway/Plug", "plug")], 5) as bus:
        entity = bus.entity("switch.hallway_plug")
        bus.adapter.listed.clear()  # as after a restart with the device removed meanwhile
        spec, typed = validate_command(
            entity.entity_id, entity.domain, entity.features, "switch.turn_on", {}
        )
        with pytest.raises(DeviceUnavailableError):
            await bus.adapter.execute(entity, spec, typed)


async def test_a_broker_that_comes_up_after_dobby() -> None:
    """Mosquitto down when the adapter starts: tried again with the configured backoff, and
    the devices arrive once it is up, without a poll or a restart."""
    zigbee = await start_zigbee(HostAllocator(), [("Hallway/Plug", "plug")])
    registry, blocking = Registry(), BlockingRunner()
    config = MqttConfig(
        broker=zigbee.broker.host, port=zigbee.broker.port, reconnect_min=0.1, reconnect_max=0.3
    )
    adapter = MqttAdapter(AdapterContext("mqtt", registry, blocking), config)
    try:
        await zigbee.broker.kill()
        await adapter.start()
        assert adapter.link is not None
        assert not adapter.link.connected
        await zigbee.broker.start()
        assert await registry.wait_until(lambda: "switch.hallway_plug" in registry.entities, 20)
    finally:
        await adapter.stop()
        await zigbee.stop()
        blocking.shutdown()
