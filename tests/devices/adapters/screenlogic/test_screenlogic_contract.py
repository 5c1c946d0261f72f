"""The contract kit for the ScreenLogic adapter, against the emulated gateway over loopback."""

from __future__ import annotations

from typing import Any

from devices.adapters.screenlogic import ScreenLogicConfig
from devices.adapters.screenlogic.adapter import ScreenLogicAdapter
from devices.adapters.screenlogic.emulator import ScreenLogicEmulator, pool_and_spa
from devices.testing import AdapterContract, CommandCase, Harness
from devices.testing.addresses import HostAllocator

WATERFALL = 506


class TestScreenLogicContract(AdapterContract):
    adapter_class = ScreenLogicAdapter
    stuck_supported = True
    # Switches: Spa, Cleaner, Spa Jets, Pool, Waterfall (Aux Extra is hidden); lights: Pool
    # Light, Spa Light; climate: Pool Heater, Spa Heater; sensors: Pool and Spa
    # Temperature, Air Temperature, Pool pH, Pool ORP, Pool Salt, Pool Pump Speed and Power;
    # numbers: Pool and Spa Chlorinator Output, the pump's speed for Pool and for Spa.
    entity_count = 21
    command_cases = [  # noqa: RUF012 - the kit's declared shape
        CommandCase("switch.turn_on", expect={"state": "on"}),
        CommandCase("switch.turn_off", expect={"state": "off"}),
        CommandCase("switch.toggle", expect={"state": "on"}),
        CommandCase("light.turn_on", expect={"state": "on"}),
        CommandCase("light.turn_on", {"effect": "Caribbean"}, {"effect": "Caribbean"}),
        CommandCase("light.turn_off", expect={"state": "off", "effect": None}),
        CommandCase("light.toggle", expect={"state": "on", "effect": "Caribbean"}),
        # The controller speaks °F and keeps whole degrees: 29 °C is 84 °F, read as 28.9.
        CommandCase(
            "climate.set_temperature",
            {"temperature": 29, "hvac_mode": "heat"},
            {"state": "heat", "temperature": 28.9, "hvac_action": "heating"},
        ),
        CommandCase("climate.set_hvac_mode", {"hvac_mode": "off"}, {"state": "off"}),
        CommandCase("climate.set_hvac_mode", {"hvac_mode": "heat"}, {"state": "heat"}),
        CommandCase("climate.turn_off", expect={"state": "off", "hvac_action": "off"}),
        # The first number is the pool's chlorinator output, in percent.
        CommandCase("number.set_value", {"value": 40}, {"state": "40"}),
    ]

    async def start_emulator(self, hosts: HostAllocator) -> ScreenLogicEmulator:
        gateway = ScreenLogicEmulator(hosts.allocate(), pool_and_spa(), broadcast=hosts.broadcast)
        await gateway.start()
        return gateway

    def adapter_config(self, emulated: Any) -> ScreenLogicConfig:
        # The gateway hears the house's broadcast address: the adapter asks there.
        return ScreenLogicConfig(
            request_timeout=self.timeout, reconnect_interval=0.2, **emulated.adapter_settings
        )

    async def change_on_device(self, emulated: Any) -> tuple[str, dict[str, Any]]:
        emulated.set_circuit(WATERFALL, True)  # someone at the equipment pad
        return f"{emulated.mac}-circuit-{WATERFALL}", {"state": "on"}

    async def discover_again(self, harness: Harness) -> None:
        heard = await harness.adapter.search()  # type: ignore[attr-defined]
        gateway = harness.emulated
        assert heard == {(gateway.host, gateway.port)}  # type: ignore[attr-defined]
