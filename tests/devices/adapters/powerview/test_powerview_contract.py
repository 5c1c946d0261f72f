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
    """The contract for one hub generation; the shade under test tilts, and the others are
    of the kinds that tilt too (tilt-only shutters, a dual shade with vanes, a Twist) and
    one whose position the hub lost."""

    adapter_class = PowerViewAdapter
    entity_count = 6
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
                ShadeSpec("Study Shutters", "Study", kind="tilt_only", tilt=40),
                ShadeSpec("Study Duolite", "Study", position=20, kind="dual_overlapped_tilt"),
                ShadeSpec("Study Twist", "Study", position=0, kind="twist", tilt=30),
                ShadeSpec("Study Lost", "Repeaters", position=None),
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


class _RailsContract(_PowerViewContract):
    """The contract for the shades with two rails or two fabrics: the shade under test is
    top-down/bottom-up; beside it a dual-overlapped shade of a type newer than aiopvapi,
    an illuminated one and a top-down one."""

    entity_count = 4
    command_cases = [  # noqa: RUF012 - the kit's declared shape
        CommandCase("cover.close", expect={"state": "closed", "position": 0, "top_position": 0}),
        CommandCase(
            "cover.set_top_position",
            {"position": 30},
            expect={"state": "open", "position": 0, "top_position": 30},
        ),
        CommandCase(
            "cover.set_position", {"position": 40}, expect={"position": 40, "top_position": 30}
        ),
        CommandCase("cover.open", expect={"state": "open", "position": 100, "top_position": 0}),
        CommandCase("cover.stop", expect={"state": "open", "position": 100}),
    ]

    async def start_emulator(self, hosts: HostAllocator) -> PowerViewHub:
        host = hosts.allocate()
        hub = PowerViewHub(
            host,
            [
                ShadeSpec("Bay Duette", "Bay", position=0, top=50, kind="top_down_bottom_up"),
                ShadeSpec("Den Duolite", "Den", position=70, kind="dual_overlapped", type_id=999),
                ShadeSpec("Den Aura", "Den", position=30, kind="illuminated"),
                ShadeSpec("Den Top Down", "Den", position=80, kind="top_down"),
            ],
            generation=self.generation,
            name=f"Rails Hub {host}",
            port=PORT,
            travel_time=1.0,
        )
        await hub.start()
        return hub

    async def change_on_device(self, emulated: Any) -> tuple[str, dict[str, Any]]:
        shade = emulated.shade("Den Duolite")
        shade.move(secondary=0.5)  # the rear fabric half down: the front one comes down first
        return f"{emulated.serial}-{shade.id}", {"position": 25, "state": "open"}


class TestGeneration2Contract(_PowerViewContract):
    generation = 2


class TestGeneration3Contract(_PowerViewContract):
    generation = 3


class TestGeneration2RailsContract(_RailsContract):
    generation = 2


class TestGeneration3RailsContract(_RailsContract):
    generation = 3
