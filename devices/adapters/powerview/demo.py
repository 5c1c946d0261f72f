"""The PowerView shades of the virtual house: one generation 3 hub, each shade in its room."""

from __future__ import annotations

from collections.abc import Sequence

from devices.adapters.powerview.emulator import (
    KINDS,
    PowerViewHub,
    PowerViewHubs,
    SceneSpec,
    ShadeSpec,
)
from devices.testing.addresses import HostAllocator
from devices.testing.house import DemoDevice

HUB_NAME = "Dobby Shades Hub"
MOVIE_ROOM = "Living Room"
TRAVEL_TIME = 2.0
"""Seconds a demo shade takes from closed to open."""


def shade_spec(device: DemoDevice) -> ShadeSpec:
    """The emulated shade for one device of a house file: its `kind` is one of the kinds
    hubs report (`venetian`, `top_down_bottom_up`, ...; `shade` is a roller), its state
    may give a `position`, a `tilt` and a `top_position` (the top rail, percent down)."""
    return ShadeSpec(
        name=device.name,
        room=device.area,
        position=_percent(device.state.get("position"), 100),
        kind=device.kind if device.kind in KINDS else "roller",
        tilt=_percent(device.state.get("tilt"), 0),
        top=_percent(device.state.get("top_position"), 0),
    )


def _percent(value: object, default: int) -> int:
    return int(value) if isinstance(value, int | str) else default


def demo_scenes(shades: Sequence[ShadeSpec]) -> list[SceneSpec]:
    """Hub scenes over the house's shades: "Open All" and "Close All" (in the first
    shade's room, as hubs file them) and "Movie", the Living Room's shades down."""
    if not shades:
        return []
    room = shades[0].room
    scenes = [
        SceneSpec("Open All", room, {s.name: 100 for s in shades}),
        SceneSpec("Close All", room, {s.name: 0 for s in shades}),
    ]
    living = {s.name: 0 for s in shades if s.room == MOVIE_ROOM}
    if living:
        scenes.append(SceneSpec("Movie", MOVIE_ROOM, dict(living)))
    return scenes


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
