"""The PowerView shades of the virtual house: one generation 3 hub, each shade in its room."""

from __future__ import annotations

from collections.abc import Sequence

from devices.adapters.powerview.emulator import PowerViewHub, PowerViewHubs, SceneSpec, ShadeSpec
from devices.testing.addresses import HostAllocator
from devices.testing.house import DemoDevice

HUB_NAME = "Dobby Shades Hub"
TRAVEL_TIME = 2.0
"""Seconds a demo shade takes from closed to open."""


def shade_spec(device: DemoDevice) -> ShadeSpec:
    """The emulated shade for one device of a house file (`kind: venetian` tilts)."""
    position = device.state.get("position", 100)
    tilt = device.state.get("tilt", 0)
    return ShadeSpec(
        name=device.name,
        room=device.area,
        position=int(position) if isinstance(position, int | str) else 100,
        kind="venetian" if device.kind == "venetian" else "roller",
        tilt=int(tilt) if isinstance(tilt, int | str) else 0,
    )


def demo_scenes(shades: Sequence[ShadeSpec]) -> list[SceneSpec]:
    """Hub scenes over every shade: "Open All" and "Close All"."""
    if not shades:
        return []
    room = shades[0].room
    return [
        SceneSpec("Open All", room, {s.name: 100 for s in shades}),
        SceneSpec("Close All", room, {s.name: 0 for s in shades}),
    ]


async def start_demo(
    devices: Sequence[DemoDevice], hosts: HostAllocator, *, interface: str
) -> PowerViewHubs:
    """Start one hub with every shade of the house, announced by mDNS on `interface`."""
    shades = [shade_spec(device) for device in devices]
    hub = PowerViewHub(
        hosts.allocate(),
        shades,
        generation=3,
        name=HUB_NAME,
        scenes=demo_scenes(shades),
        travel_time=TRAVEL_TIME,
        interface=interface,
    )
    await hub.start()
    return PowerViewHubs([hub])
