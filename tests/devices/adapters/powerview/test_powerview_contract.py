"""The contract kit for the PowerView adapter, against emulated hubs of both generations."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from devices.adapters.powerview import PowerViewConfig
from devices.adapters.powerview.adapter import PowerViewAdapter
from devices.adapters.powerview.emulator import Generation, PowerViewHub, ShadeSpec
from devices.entities import Entity
from devices.testing import AdapterContract, CommandCase, Harness
from devices.testing.addresses import HostAllocator
from devices.testing.contract import state_fields

PORT = 8080
"""An unprivileged port, so the tests run as any user (the adapter follows mDNS's port)."""
MOVING = ("opening", "closing")


class _PowerViewContract(AdapterContract):
    """The contract for one hub generation; the shade under test tilts."""

    adapter_class = PowerViewAdapter
    entity_count = 2
    generation: ClassVar[Generation]
    command_cases = [  # noqa: RUF012 - the kit's declared shape
        CommandCase("cover.close", expect={"state": "closed", "position": 0}),
        CommandCase(
            "cover.set_position", {"position": 40}, expect={"state": "open", "position": 40}
        ),
        CommandCase("cover.set_tilt", {"tilt": 70}, expect={"tilt": 70, "position": 40}),
        CommandCase("cover.open", expect={"state": "open", "position": 100}),
        CommandCase("cover.stop", expect={"state": "open", "position": 100}),
    ]

    async def start_emulator(self, hosts: HostAllocator) -> PowerViewHub:
        host = hosts.allocate()
        hub = PowerViewHub(
            host,
            [
                ShadeSpec("Den Venetian", "Den", position=100, kind="venetian", tilt=20),
                ShadeSpec("Study Roller", "Study", position=60),
            ],
            generation=self.generation,
            name=f"Contract Hub {host}",
            port=PORT,
            travel_time=1.0,
        )
        await hub.start()
        return hub

    def adapter_config(self, emulated: Any) -> PowerViewConfig:
        return PowerViewConfig(request_timeout=self.timeout)

    async def change_on_device(self, emulated: Any) -> tuple[str, dict[str, Any]]:
        shade = emulated.shade("Study Roller")
        shade.move(primary=0.2)  # someone used the remote
        return f"{emulated.serial}-{shade.id}", {"position": 20, "state": "open"}

    async def send(self, harness: Harness, entity: Entity, command: str, **params: Any) -> None:
        """Send, then poll until the shade has arrived: a shade travels, it does not jump."""
        await super().send(harness, entity, command, **params)
        async with asyncio.timeout(self.timeout * 20):
            while state_fields(harness.registry.entity(entity.entity_id))["state"] in MOVING:
                await asyncio.sleep(0.05)
                await harness.adapter.refresh()


class TestGeneration2Contract(_PowerViewContract):
    generation = 2


class TestGeneration3Contract(_PowerViewContract):
    generation = 3
