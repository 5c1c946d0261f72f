"""The virtual house's unknown devices: started beside the adapters' emulators.

A house file lists them under `unknown:` (they have no adapter, so no `adapter:`), each
with its `kind`: `wled`, `shelly_plus_1` or `upnp_fan`. Their MAC and UDN come from their
names and the house's seed: a demo keeps its seed in its state dir, so a recipe learned in
one demo names the same device in the next, although its address is new (as a real device
keeps its MAC when its DHCP lease changes); two houses with different seeds never share one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

from devices.testing.addresses import HostAllocator
from devices.testing.house import all_at_once
from devices.testing.unknown.shelly import ShellyPlus1
from devices.testing.unknown.upnp_fan import UpnpFan
from devices.testing.unknown.wled import WledStrip

UnknownKind = Literal["wled", "shelly_plus_1", "upnp_fan"]
UnknownEmulator = WledStrip | ShellyPlus1 | UpnpFan


class UnknownDevice(BaseModel):
    """One `unknown:` line of a house file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    area: str
    kind: UnknownKind
    on: bool = False
    level: int = 50
    """Brightness (WLED, 0-255) or speed (the fan, 0-100)."""


def mac_of(name: str) -> str:
    """A locally administered MAC address made from a name (`02:xx:...`)."""
    digest = hashlib.sha256(name.encode()).digest()
    return ":".join(f"{b:02x}" for b in (0x02, *digest[:5]))


def udn_of(name: str) -> str:
    """A UDN made from a name."""
    hexed = hashlib.sha256(name.encode()).hexdigest()
    return f"uuid:{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:32]}"


def make(device: UnknownDevice, host: str, seed: str) -> UnknownEmulator:
    """The emulator of one unknown device, on `host`: its MAC, UDN (and so its mDNS host
    name) come from its name and the house's `seed`."""
    unique = f"{device.name}@{seed}"
    match device.kind:
        case "wled":
            return WledStrip(
                host, device.name, mac_of(unique), on=device.on, brightness=device.level
            )
        case "shelly_plus_1":
            return ShellyPlus1(host, device.name, mac_of(unique), on=device.on)
        case "upnp_fan":
            return UpnpFan(host, device.name, udn_of(unique), on=device.on, speed=device.level)


class UnknownDevices:
    """The running emulators of a house's unknown devices."""

    def __init__(self, emulators: list[UnknownEmulator]) -> None:
        self.emulators = emulators

    def named(self, name: str) -> UnknownEmulator:
        """The emulator of the device called `name`."""
        return next(e for e in self.emulators if e.name == name)

    async def stop(self) -> None:
        """Stop every emulator."""
        await all_at_once(emulator.stop() for emulator in self.emulators)


async def start_unknown(
    devices: Sequence[UnknownDevice], hosts: HostAllocator, *, interface: str, seed: str
) -> UnknownDevices:
    """Start every unknown device (all at once) on an address of its own, announced on
    `interface`; their identities come from `seed` (see the module's docstring)."""
    emulators = [make(device, hosts.allocate(), seed) for device in devices]
    started = UnknownDevices([])

    async def start(emulator: UnknownEmulator) -> None:
        await emulator.start(interface)
        started.emulators.append(emulator)

    try:
        await all_at_once(map(start, emulators))
    except BaseException:
        await started.stop()
        raise
    started.emulators.sort(key=emulators.index)  # in the house file's order
    return started
