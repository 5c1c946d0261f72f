"""The contract kit against the emulated Zigbee2MQTT bridge, through a real Mosquitto.

The contract's devices are the ones that answer `/get` (a bulb, a metering plug, a radiator
valve and a blind): the kit's poll reads every device back. The battery devices that only
report (the door sensor, the remote) have their own tests beside this one.
"""

from __future__ import annotations

import asyncio
from typing import Any

from devices.adapters.mqtt import MqttConfig
from devices.adapters.mqtt.adapter import MqttAdapter
from devices.adapters.mqtt.demo import MqttDemo, start_zigbee
from devices.testing import AdapterContract, CommandCase, Harness
from devices.testing.addresses import HostAllocator

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
