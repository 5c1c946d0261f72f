"""The contract kit against the WLED-like fixture adapter and its emulator."""

from __future__ import annotations

from typing import Any

from dobby_wled import WledAdapter, WledConfig
from dobby_wled.emulator import Strips, start_strips

from devices.testing import AdapterContract, CommandCase
from devices.testing.addresses import HostAllocator


class TestWledContract(AdapterContract):
    adapter_class = WledAdapter
    entity_count = 2
    stuck_supported = True
    command_cases = [  # noqa: RUF012 - the kit's declared shape
        CommandCase("light.turn_on", {"brightness": 40}, expect={"state": "on", "brightness": 40}),
        CommandCase("light.turn_off", expect={"state": "off"}),
        CommandCase("light.toggle", expect={"state": "on"}),
    ]

    async def start_emulator(self, hosts: HostAllocator) -> Strips:
        names = [("Shelf Strip", "Study"), ("Desk Strip", "Study")]
        return await start_strips(hosts, names, interface=self.interface)

    def adapter_config(self, emulated: Any) -> WledConfig:
        return WledConfig(request_timeout=self.timeout)

    async def change_on_device(self, emulated: Any) -> tuple[str, dict[str, Any]]:
        strip = emulated.strips[0]
        strip.on = True  # someone pressed the button on the controller
        return strip.mac, {"state": "on"}
