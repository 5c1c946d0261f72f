"""LIFX bulbs of the virtual house and the tests, emulated by lifx-emulator from PyPI.

One `EmulatedLifxServer` holds every bulb on one loopback address of its own, as the LIFX
app sees a house of bulbs answering one GetService broadcast. Group and location labels
are set on each bulb (the LIFX app's room and home), so the adapter proposes the area the
way it does with real bulbs.

lifx-emulator binds ::1 on the same port as its IPv4 address, so it serves on a free port
(never 56700, which only one process could hold); the bulbs say which in StateService, as
the protocol allows. The emulation hears GetService where a real bulb does, on port 56700
of its own address and of the house's broadcast address (`devices.testing.udp`), and
answers from its own address.

`devices.testing.faults.Faults` map onto the emulator's own scenarios on every packet it
receives: latency → response delays, drop and silent → dropped packets, garbage →
truncated replies, error → the bulb answers StateUnhandled to light messages (as a LIFX
Switch does).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lifx_emulator import (  # type: ignore[import-untyped]
    EmulatedLifxDevice,
    EmulatedLifxServer,
    create_color_light,
    create_color_temperature_light,
    create_multizone_light,
)
from lifx_emulator.devices import DeviceManager  # type: ignore[import-untyped]
from lifx_emulator.devices.observers import PacketEvent  # type: ignore[import-untyped]
from lifx_emulator.factories import create_switch  # type: ignore[import-untyped]
from lifx_emulator.protocol.protocol_types import LightHsbk  # type: ignore[import-untyped]
from lifx_emulator.repositories import DeviceRepository  # type: ignore[import-untyped]
from lifx_emulator.scenarios import ScenarioConfig  # type: ignore[import-untyped]

from devices.adapters.lifx.color import Hsbk, percent_to_word, rgb_to_hue_saturation
from devices.adapters.lifx.relays import RELAYS, add_relays
from devices.testing.addresses import HostAllocator
from devices.testing.faults import Faults
from devices.testing.house import DemoDevice
from devices.testing.udp import Hearing, hear_broadcasts

LIFX_PORT = 56700
"""Where bulbs hear GetService."""
EVERY_PACKET_TYPE = range(1, 1024)

KINDS = {"color_light": True, "white_light": False, "light_strip": True}
"""House-file kinds: a colour bulb (LIFX Color), a white one (LIFX Mini White to Warm), or a
strip of zones (a LIFX Beam)."""
STRIP_ZONES = 16
"""The zones of the house's strips: two Beam segments of eight."""


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
    zones: int = 0
    """A strip's zones (a LIFX Beam, product 38, as lifx-emulator makes one); 0: a bulb."""
    relays: list[bool] | None = None
    """A LIFX Switch (product 70): its relays' power, kept here as the switch changes it."""

    def __post_init__(self) -> None:
        if not self.serial:
            self.serial = serial_for(self.label)

    def hsbk(self) -> Hsbk:
        """The start colour."""
        hue, saturation = rgb_to_hue_saturation(self.rgb_color) if self.rgb_color else (0, 0)
        return Hsbk(hue, saturation, percent_to_word(self.brightness), self.kelvin)


def _device(spec: BulbSpec) -> EmulatedLifxDevice:
    labels = {"location_label": spec.location, "group_label": spec.group}
    if spec.relays is not None:
        device = create_switch(spec.serial, mdns_enabled=False, **labels)
        device.state.label = spec.label
        add_relays(device, spec.relays)
        return device
    if spec.zones:
        device = create_multizone_light(
            spec.serial, zone_count=spec.zones, mdns_enabled=False, **labels
        )
    else:
        factory = create_color_light if spec.color else create_color_temperature_light
        device = factory(spec.serial, mdns_enabled=False, **labels)
    device.state.label = spec.label
    device.state.power_level = 65535 if spec.on else 0
    device.state.color = LightHsbk(*spec.hsbk())
    if spec.zones:
        device.state.zone_colors = [LightHsbk(*spec.hsbk()) for _ in range(spec.zones)]
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
    """Emulated LIFX bulbs on one loopback address; `all_faults()` makes them misbehave.

    With `broadcast` (the house's broadcast address) they hear GetService sent there.
    """

    specs: Sequence[BulbSpec]
    host: str
    broadcast: str | None = None
    devices: dict[str, EmulatedLifxDevice] = field(default_factory=dict)
    faults: dict[str, Faults] = field(default_factory=dict)
    port: int = 0
    """Where the bulbs serve (a free port, told in StateService)."""
    _applied: dict[str, tuple[float, bool, bool, bool]] = field(default_factory=dict)
    _server: EmulatedLifxServer | None = None
    _hearings: list[Hearing] = field(default_factory=list)

    @property
    def adapter_settings(self) -> dict[str, Any]:
        """What the LIFX adapter needs to find these bulbs: where to broadcast."""
        return {"broadcast_address": self.broadcast} if self.broadcast else {}

    async def start(self) -> None:
        """Serve the bulbs, and hear GetService on port 56700 of host and broadcast."""
        for spec in self.specs:
            self.devices.setdefault(spec.label, _device(spec))
            self.faults.setdefault(spec.label, Faults())
        self._applied.clear()
        self._server = EmulatedLifxServer(
            list(self.devices.values()),
            DeviceManager(DeviceRepository()),
            bind_address=self.host,
            port=self.port,
            activity_observer=_FaultSync(self),
        )
        await self._server.start()
        self.port = int(self._server.transport.get_extra_info("sockname")[1])
        try:
            for where in (self.host, self.broadcast):
                if where is not None:
                    hearing = await hear_broadcasts(where, LIFX_PORT, (self.host, self.port))
                    self._hearings.append(hearing)
        except BaseException:
            await self.stop()
            raise

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
            wanted = (faults.latency, faults.drop or faults.silent, faults.garbage, faults.error)
            if self._applied.get(label, (0.0, False, False, False)) == wanted:
                continue
            self._applied[label] = wanted
            device = self.devices[label]
            scenario = ScenarioConfig(
                drop_packets=dict.fromkeys(EVERY_PACKET_TYPE, 1.0)
                if faults.drop or faults.silent
                else {},
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
        """Stop hearing and serving (a start again comes back on the same port)."""
        for hearing in self._hearings:
            await hearing.close()
        self._hearings.clear()
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
        zones=STRIP_ZONES if device.kind == "light_strip" else 0,
        relays=[state.get("state", "on") == "on"] * RELAYS if device.kind == "switch" else None,
    )


async def start_demo(
    devices: Sequence[DemoDevice], hosts: HostAllocator, *, interface: str
) -> LifxEmulation:
    """Start every LIFX bulb of the house on an address of its own.

    LIFX bulbs are found by a GetService broadcast, not an announcement: they hear the
    house's broadcast address, and `adapter_settings` point the adapter there.
    """
    del interface
    emulation = LifxEmulation(
        [bulb_spec(device) for device in devices],
        hosts.allocate(udp=[LIFX_PORT]),
        broadcast=hosts.broadcast,
    )
    await emulation.start()
    return emulation
