"""The contract kit against the emulated Envisalink, for both panel families."""

from __future__ import annotations

from typing import Any, ClassVar

from devices.adapters.envisalink import EnvisalinkConfig
from devices.adapters.envisalink.adapter import TPI, EnvisalinkAdapter
from devices.adapters.envisalink.emulator import EnvisalinkEmulator
from devices.adapters.envisalink.emulator.sample import sample_emulator, sample_settings
from devices.plugin import Discovered
from devices.testing import AdapterContract, CommandCase, Harness
from devices.testing.addresses import HostAllocator

PASSWORD, CODE = "s3cr3tpw", "4725"  # as conftest.py puts them in the environment
CASES = [
    CommandCase("alarm_panel.arm", {"mode": "away"}, expect={"state": "armed_away"}),
    CommandCase("alarm_panel.disarm", expect={"state": "disarmed"}),
    CommandCase("alarm_panel.arm", {"mode": "home"}, expect={"state": "armed_home"}),
    CommandCase("alarm_panel.disarm", expect={"state": "disarmed"}),
    CommandCase("alarm_panel.arm", {"mode": "night"}, expect={"state": "armed_night"}),
    CommandCase("alarm_panel.trigger", expect={"state": "triggered"}),
    CommandCase("alarm_panel.disarm", expect={"state": "disarmed"}),
]


class _EnvisalinkContract(AdapterContract):
    adapter_class = EnvisalinkAdapter
    entity_count = 4
    command_cases = CASES
    panel_type: ClassVar[str]

    async def start_emulator(self, hosts: HostAllocator) -> EnvisalinkEmulator:
        emulator = sample_emulator(
            hosts.allocate(),
            self.panel_type,  # type: ignore[arg-type]
            password=PASSWORD,
            code=CODE,
        )
        await emulator.start()
        return emulator

    def adapter_config(self, emulated: Any) -> EnvisalinkConfig:
        settings = sample_settings(emulated, request_timeout=self.timeout, reconnect_interval=30)
        return EnvisalinkConfig.model_validate(settings)

    async def change_on_device(self, emulated: Any) -> tuple[str, dict[str, Any]]:
        emulated.fault_zone(3)
        return "envisalink:zone:3", {"state": "on"}

    async def discover_again(self, harness: Harness) -> None:
        emulator = harness.emulated
        assert isinstance(emulator, EnvisalinkEmulator)
        found = Discovered("config", TPI, emulator.host, emulator.port)
        await harness.adapter.discovered(found)


class TestHoneywellContract(_EnvisalinkContract):
    panel_type = "honeywell"


class TestDscContract(_EnvisalinkContract):
    """With zone bypass on: a switch per zone besides the panel and its zones."""

    panel_type = "dsc"
    entity_count = 7
    command_cases: ClassVar[list[CommandCase]] = [
        *CASES,
        CommandCase("switch.turn_on", expect={"state": "on"}),
        CommandCase("switch.turn_off", expect={"state": "off"}),
        CommandCase("switch.toggle", expect={"state": "on"}),
    ]

    def adapter_config(self, emulated: Any) -> EnvisalinkConfig:
        config = super().adapter_config(emulated)
        return config.model_copy(update={"zone_bypass": True})
