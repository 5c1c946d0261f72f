"""The Hue lights of the virtual house: one emulated bridge holding every light.

Kinds: "light" is a Hue white ambiance bulb (dimming and colour temperature), "colour
light" a Hue colour bulb, "white light" a dimmable white bulb. Each house area becomes a
Hue room. The bridge keeps a "Relax" scene for the Living Room's lights (dimmed, warm
white). The bridge's link button is pressed as it starts, so Dobby pairs by itself on
the first run (and again on later runs, since an emulator forgets its keys).
"""

from __future__ import annotations

from collections.abc import Sequence

from devices.adapters.hue.color import kelvin_to_mirek, rgb_to_xy
from devices.adapters.hue.emulator import (
    HueBridgeEmulator,
    LightKind,
    LightSpec,
    SceneSpec,
    bridge_id_for,
)
from devices.testing.addresses import HostAllocator
from devices.testing.house import DemoDevice

KINDS: dict[str, LightKind] = {
    "light": "ambiance",
    "white ambiance": "ambiance",
    "colour light": "color",
    "color light": "color",
    "white light": "white",
}
RELAX_ROOM = "Living Room"
RELAX = {"on": {"on": True}, "dimming": {"brightness": 30.0}}
RELAX_MIREK = 400
"""The Relax scene: its room's lights at 30 %, warm white (2500 K) where they have it."""
DEMO_BRIDGE_SEED = "dobby-demo-hue-bridge"
"""The demo bridge's id derives from this, so it stays the same from run to run."""


def _is_on(value: object) -> bool:
    # YAML 1.1 reads a bare `on` as True: accept both spellings.
    return value is True or str(value).lower() in ("on", "true")


def light_spec(device: DemoDevice) -> LightSpec:
    """The emulated bulb for one device of a house file."""
    state = device.state
    kind = KINDS.get(device.kind.lower())
    if kind is None:
        raise ValueError(f"{device.name}: a Hue light's kind is one of {', '.join(KINDS)}")
    spec = LightSpec(device.name, device.area, kind=kind, on=_is_on(state.get("state")))
    brightness = state.get("brightness")
    if isinstance(brightness, int | float):
        spec.brightness = float(brightness)
    kelvin = state.get("color_temp_kelvin")
    if isinstance(kelvin, int) and kind != "white":
        spec.mirek = kelvin_to_mirek(kelvin, 153, 454 if kind == "ambiance" else 500)
    rgb = state.get("rgb_color")
    if isinstance(rgb, list | tuple) and len(rgb) == 3 and kind == "color":
        spec.xy = rgb_to_xy((int(rgb[0]), int(rgb[1]), int(rgb[2])))
        spec.mirek = None
    return spec


def demo_scenes(lights: Sequence[LightSpec]) -> list[SceneSpec]:
    """The bridge's scenes: Relax over the lights of RELAX_ROOM, if it has any."""
    actions = {
        light.name: {**RELAX, "color_temperature": {"mirek": RELAX_MIREK}}
        if light.kind != "white"
        else dict(RELAX)
        for light in lights
        if light.room == RELAX_ROOM
    }
    return [SceneSpec("Relax", RELAX_ROOM, actions)] if actions else []


async def start_demo(
    devices: Sequence[DemoDevice], hosts: HostAllocator, *, interface: str
) -> HueBridgeEmulator:
    """Start one bridge with every Hue light of the house, announced on `interface`."""
    lights = [light_spec(device) for device in devices]
    bridge = HueBridgeEmulator(
        hosts.allocate(),
        lights,
        scenes=demo_scenes(lights),
        bridge_id=bridge_id_for(DEMO_BRIDGE_SEED),
        mdns_interface=interface,
    )
    await bridge.start()
    bridge.press_link_button()
    return bridge
