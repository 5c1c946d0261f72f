"""The contract kit against the emulated Zigbee2MQTT bridge and the devices that announce
themselves with Home Assistant MQTT discovery, each through a real Mosquitto.

The Zigbee contract's devices are the ones that answer `/get` (a bulb, a metering plug, a
radiator valve and a blind): the kit's poll reads every device back. The battery devices
that only report (the door sensor, the remote) have their own tests beside this one.

Home Assistant discovery's devices (a Tasmota plug, an ESPHome sensor and thermostat) only
report: they are on the coordinator, but nothing can ask them and they never refuse, so the
kit's lifecycle rules (failed polls, error replies) do not apply, and the tests that need a
poll or an error reply have a variant of their own here.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from devices.adapters.mqtt import MqttConfig
from devices.adapters.mqtt.adapter import MqttAdapter
from devices.adapters.mqtt.demo import DiscoveryDemo, MqttDemo, start_discovery, start_zigbee
from devices.errors import DeviceConnectionError, DeviceResponseError
from devices.plugin import Adapter
from devices.registry import Registry
from devices.testing import AdapterContract, CommandCase, Harness
from devices.testing.addresses import HostAllocator
from devices.testing.faults import Faults

CONTRACT_DEVICES = [
    ("Kitchen/Pendant", "bulb"),
    ("Kitchen/Plug", "plug"),
    ("Hallway/Radiator", "trv"),
    ("Bedroom/Blind", "blind"),
]
CASES = [
    CommandCase("light.turn_off", expect={"state": "off"}),
    CommandCase("light.toggle", expect={"state": "on"}),
    CommandCase("light.turn_on", {"brightness": 40}, expect={"state": "on", "brightness": 40}),
    CommandCase("light.turn_on", {"color_temp_kelvin": 2500}, expect={"color_temp_kelvin": 2500}),
    CommandCase("light.turn_on", {"rgb_color": [255, 0, 0]}, expect={"rgb_color": [255, 0, 0]}),
    CommandCase("switch.turn_off", expect={"state": "off"}),
    CommandCase("switch.toggle", expect={"state": "on"}),
    CommandCase("switch.turn_on", expect={"state": "on"}),
    CommandCase("climate.set_temperature", {"temperature": 19}, expect={"temperature": 19}),
    CommandCase("climate.set_hvac_mode", {"hvac_mode": "auto"}, expect={"state": "auto"}),
    CommandCase("climate.turn_off", expect={"state": "off"}),
    CommandCase("cover.close", expect={"state": "closed", "position": 0}),
    CommandCase("cover.set_position", {"position": 40}, expect={"state": "open", "position": 40}),
    CommandCase("cover.stop", expect={"position": 40}),
    CommandCase("cover.open", expect={"state": "open", "position": 100}),
]


class TestZigbee2MqttContract(AdapterContract):
    adapter_class = MqttAdapter
    stuck_supported = True
    entity_count = (
        10  # light; switch + power, current, voltage, energy; climate + battery; cover + battery
    )
    command_cases = CASES

    async def start_emulator(self, hosts: HostAllocator) -> MqttDemo:
        return await start_zigbee(hosts, CONTRACT_DEVICES)

    def adapter_config(self, emulated: Any) -> MqttConfig:
        assert isinstance(emulated, MqttDemo)
        return MqttConfig(
            broker=emulated.broker.host,
            port=emulated.broker.port,
            request_timeout=self.timeout,
            reconnect_min=0.2,
        )

    async def change_on_device(self, emulated: Any) -> tuple[str, dict[str, Any]]:
        bridge = emulated.bridge
        await bridge.change("Kitchen/Plug", state="OFF")
        return f"{bridge.devices['Kitchen/Plug'].ieee}:switch", {"state": "off"}

    async def discover_again(self, harness: Harness) -> None:
        adapter = harness.adapter
        assert isinstance(adapter, MqttAdapter)
        seen = adapter.device_lists
        await harness.emulated.bridge.publish_devices()  # type: ignore[attr-defined]
        async with asyncio.timeout(5):
            while adapter.device_lists == seen:  # noqa: ASYNC110 - a counter, no event
                await asyncio.sleep(0.01)


DISCOVERY_CASES = [
    CommandCase("switch.turn_off", expect={"state": "off"}),
    CommandCase("switch.toggle", expect={"state": "on"}),
    CommandCase("switch.turn_on", expect={"state": "on"}),
    CommandCase("climate.set_temperature", {"temperature": 19}, expect={"temperature": 19}),
    CommandCase("climate.set_hvac_mode", {"hvac_mode": "off"}, expect={"state": "off"}),
    CommandCase("climate.set_hvac_mode", {"hvac_mode": "heat"}, expect={"state": "heat"}),
    CommandCase("climate.turn_off", expect={"state": "off"}),
]


class TestHomeAssistantDiscoveryContract(AdapterContract):
    adapter_class = MqttAdapter
    lifecycle = False  # only reported, never asked: no poll to fail, no reply to refuse
    entity_count = 4  # the plug's switch and power; the node's temperature and thermostat
    command_cases = DISCOVERY_CASES

    async def start_emulator(self, hosts: HostAllocator) -> DiscoveryDemo:
        return await start_discovery(hosts)

    def adapter_config(self, emulated: Any) -> MqttConfig:
        assert isinstance(emulated, DiscoveryDemo)
        return MqttConfig(
            broker=emulated.broker.host,
            port=emulated.broker.port,
            request_timeout=self.timeout,
            reconnect_min=0.2,
        )

    async def change_on_device(self, emulated: Any) -> tuple[str, dict[str, Any]]:
        announcer = emulated.announcer
        announcer.power = "OFF"  # the plug's button pressed
        await announcer.report()
        return "ha:A1B2C3_RL_1", {"state": "off"}

    async def _found_everything(self, registry: Registry, adapter: Adapter) -> bool:
        """Every entity, each with its state: the states come on topics of their own, after
        the configs that announce the entities."""
        if not await super()._found_everything(registry, adapter):
            return False
        entities = registry.entities.values()
        return await registry.wait_until(lambda: all(e.state is not None for e in entities), 10)

    async def discover_again(self, harness: Harness) -> None:
        adapter = harness.adapter
        assert isinstance(adapter, MqttAdapter)
        announcer = harness.emulated.announcer  # type: ignore[attr-defined]
        seen = adapter.discovery_configs + len(announcer.configs())
        await announcer.announce()
        async with asyncio.timeout(5):
            while adapter.discovery_configs < seen:  # noqa: ASYNC110 - a counter, no event
                await asyncio.sleep(0.01)

    async def test_garbage_is_a_response_error_and_the_device_recovers(self) -> None:
        """Garbage raises DeviceResponseError and marks the device that said it unavailable
        (nothing polls a device that only reports), the other device not; its next report
        that makes sense brings it back."""
        async with self.running() as harness:
            error = await self._failing(harness, Faults(garbage=True))
            assert isinstance(error, DeviceResponseError), repr(error)
            entities = harness.registry.entities.values()
            thermostat = min(entities, key=lambda e: e.entity_id)
            assert thermostat.domain == "climate"
            same = [e for e in entities if e.device_id == thermostat.device_id]
            assert len(same) == 2
            assert not any(e.available for e in same)
            assert all(e.available for e in entities if e not in same)
            for switch in harness.emulated.all_faults():
                switch.clear()
            await self.send(harness, thermostat, "climate.set_temperature", temperature=21)
            assert all(e.available for e in entities)

    async def test_a_protocol_error_is_mapped(self) -> None:
        """Neither Tasmota nor ESPHome answers a command with an error on the topics they
        announce: there is no protocol error to map."""
        pytest.skip("Home Assistant discovery's devices have no error reply")

    async def test_a_command_to_an_offline_device_fails_at_once(self) -> None:
        """A device whose last will says it went offline fails a command waiting for it
        with a connection error, not only after the timeout."""
        async with self.running() as harness:
            plug = harness.registry.entity("switch.desk_plug")
            harness.emulated.announcer.plug_faults.drop = True  # type: ignore[attr-defined]
            with pytest.raises(DeviceConnectionError, match="went offline"):
                await self.send(harness, plug, "switch.turn_off")
            assert not plug.available
            harness.emulated.announcer.plug_faults.clear()  # type: ignore[attr-defined]
            await self.send(harness, plug, "switch.turn_off")
            assert plug.available
