"""LIFX bulbs of the virtual house and the tests, emulated by lifx-emulator from PyPI.

One `EmulatedLifxServer` holds every bulb on one loopback address, UDP port 56700, as
the LIFX app sees a house of bulbs answering one GetService broadcast. Group and
location labels are set on each bulb (the LIFX app's room and home), so the adapter
proposes the area the way it does with real bulbs.

`devices.emulator.Faults` map onto the emulator's own scenarios on every packet it
receives: latency → response delays, drop → dropped packets, garbage → truncated
replies, error → the bulb answers StateUnhandled to light messages (as a LIFX Switch
does). The emulator always binds ::1 on the same port as well, so only one emulation
per machine can hold port 56700 at a time: `start` waits for it to become free.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from lifx_emulator import (  # type: ignore[import-untyped]
    EmulatedLifxDevice,
    EmulatedLifxServer,
    create_color_light,
    create_color_temperature_light,
)
from lifx_emulator.devices import DeviceManager  # type: ignore[import-untyped]
from lifx_emulator.devices.observers import PacketEvent  # type: ignore[import-untyped]
from lifx_emulator.protocol.protocol_types import LightHsbk  # type: ignore[import-untyped]
from lifx_emulator.repositories import DeviceRepository  # type: ignore[import-untyped]
from lifx_emulator.scenarios import ScenarioConfig  # type: ignore[import-untyped]

from devices.adapters.lifx.color import Hsbk, percent_to_word, rgb_to_hue_saturation
from devices.testing.addresses import HostAllocator
from devices.testing.faults import Faults
from devices.testing.house import DemoDevice

LIFX_PORT = 56700
EVERY_PACKET_TYPE = range(1, 1024)
PORT_WAIT = 30.0
"""Seconds `start` waits for another emulation to free port 56700."""

KINDS = {"color_light": True, "white_light": False}
"""House-file kinds: a colour bulb (LIFX Color) or a white one (LIFX Mini White to Warm)."""


def serial_for(label: str) -> str:
    """A stable serial for a bulb of the demo house (LIFX's d073d5 prefix)."""
    return "d073d5" + hashlib.sha256(label.encode()).hexdigest()[:6]


@dataclass
class BulbSpec:
    """One emulated bulb and how it starts."""

    label: str
    group: str
    """The LIFX app's room: the area Dobby proposes."""
    location: str = "Home"
    color: bool = True
    on: bool = True
    brightness: int = 100
    kelvin: int = 3500
    rgb_color: tuple[int, int, int] | None = None
    serial: str = ""

    def __post_init__(self) -> None:
        if not self.serial:
            self.serial = serial_for(self.label)

    def hsbk(self) -> Hsbk:
        """The start colour."""
        hue, saturation = rgb_to_hue_saturation(self.rgb_color) if self.rgb_color else (0, 0)
        return Hsbk(hue, saturation, percent_to_word(self.brightness), self.kelvin)


def _device(spec: BulbSpec) -> EmulatedLifxDevice:
    factory = create_color_light if spec.color else create_color_temperature_light
    device = factory(
        spec.serial, mdns_enabled=False, location_label=spec.location, group_label=spec.group
    )
    device.state.label = spec.label
    device.state.power_level = 65535 if spec.on else 0
    device.state.color = LightHsbk(*spec.hsbk())
    return device


@dataclass
class _FaultSync:
    """An activity observer that turns each bulb's Faults into its emulator scenario."""

    emulation: LifxEmulation

    def on_packet_received(self, event: PacketEvent) -> None:
        """Apply the faults as they are now, before the emulator handles the packet."""
        del event
        self.emulation.apply_faults()

    def on_packet_sent(self, event: PacketEvent) -> None:
        """Nothing to do."""
        del event


@dataclass
class LifxEmulation:
    """Emulated LIFX bulbs on one loopback address; `all_faults()` makes them misbehave."""

    specs: Sequence[BulbSpec]
    host: str = "127.0.0.1"
    devices: dict[str, EmulatedLifxDevice] = field(default_factory=dict)
    faults: dict[str, Faults] = field(default_factory=dict)
    _applied: dict[str, tuple[float, bool, bool, bool]] = field(default_factory=dict)
    _server: EmulatedLifxServer | None = None

    async def start(self) -> None:
        """Bind the server (waiting while another emulation holds port 56700)."""
        for spec in self.specs:
            self.devices[spec.label] = _device(spec)
            self.faults[spec.label] = Faults()
        self._server = EmulatedLifxServer(
            list(self.devices.values()),
            DeviceManager(DeviceRepository()),
            bind_address=self.host,
            port=LIFX_PORT,
            activity_observer=_FaultSync(self),
        )
        async with asyncio.timeout(PORT_WAIT):
            while True:
                try:
                    await self._server.start()
                except OSError as error:
                    if error.errno != errno.EADDRINUSE:
                        raise
                    await asyncio.sleep(0.2)
                    continue
                return

    def bulb(self, label: str) -> EmulatedLifxDevice:
        """The emulated bulb with this label."""
        return self.devices[label]

    def all_faults(self) -> list[Faults]:
        """Every bulb's faults switch."""
        return list(self.faults.values())

    def apply_faults(self) -> None:
        """Give the emulator the scenario each bulb's faults ask for (when they changed)."""
        assert self._server is not None
        for label, faults in self.faults.items():
            wanted = (faults.latency, faults.drop, faults.garbage, faults.error)
            if self._applied.get(label, (0.0, False, False, False)) == wanted:
                continue
            self._applied[label] = wanted
            device = self.devices[label]
            scenario = ScenarioConfig(
                drop_packets=dict.fromkeys(EVERY_PACKET_TYPE, 1.0) if faults.drop else {},
                response_delays=dict.fromkeys(EVERY_PACKET_TYPE, faults.latency)
                if faults.latency
                else {},
                malformed_packets=list(EVERY_PACKET_TYPE) if faults.garbage else [],
            )
            self._server.scenario_manager.set_device_scenario(device.state.serial, scenario)
            device.invalidate_scenario_cache()
            # A bulb with relays (a LIFX Switch) answers StateUnhandled to light messages.
            device.state.has_relays = faults.error

    async def stop(self) -> None:
        """Stop the server."""
        if self._server is not None:
            for faults in self.faults.values():
                faults.clear()
            await self._server.stop()
            self._server = None


def bulb_spec(device: DemoDevice) -> BulbSpec:
    """The emulated bulb for one device of a house file."""
    state = device.state
    brightness = state.get("brightness", 100)
    kelvin = state.get("color_temp_kelvin", 3500)
    rgb = state.get("rgb_color")
    return BulbSpec(
        label=device.name,
        group=device.area,
        color=KINDS.get(device.kind, True),
        on=state.get("state", "on") == "on",
        brightness=int(brightness) if isinstance(brightness, int | str) else 100,
        kelvin=int(kelvin) if isinstance(kelvin, int | str) else 3500,
        rgb_color=(int(rgb[0]), int(rgb[1]), int(rgb[2]))
        if isinstance(rgb, list | tuple) and len(rgb) == 3
        else None,
    )


async def start_demo(
    devices: Sequence[DemoDevice], hosts: HostAllocator, *, interface: str
) -> LifxEmulation:
    """Start every LIFX bulb of the house on `interface`, where discovery asks for them.

    LIFX bulbs are found by a GetService broadcast, not an announcement; on loopback the
    adapter aims it at the discovery interface's own address, so the bulbs live there.
    """
    del hosts
    emulation = LifxEmulation([bulb_spec(device) for device in devices], host=interface)
    await emulation.start()
    return emulation
