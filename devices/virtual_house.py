"""The virtual house: emulators of every device in a house file, on loopback addresses.

Each adapter that has an emulator hook starts its own devices; a device whose adapter is
not installed is simply absent. Dobby then finds them through normal discovery.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from devices.entities import slugify
from devices.plugin import Emulation, Manifest, load_emulator_hook
from devices.testing.addresses import HostAllocator
from devices.testing.house import DemoDevice, all_at_once
from devices.testing.unknown.house import UnknownDevice, UnknownDevices, start_unknown

_LOGGER = logging.getLogger(__name__)


class HouseDevice(BaseModel):
    """One device line of a house file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    area: str
    adapter: str
    kind: str
    domain: str
    state: dict[str, Any] = {}
    when: dict[str, str] = {}
    """Choices this device needs, e.g. `{alarm: envisalink}` (`dobby demo --alarm`)."""
    via: str | None = None
    """The bridge the device is behind, by name (a HomeKit bridge holding several
    accessories); the bridge has no entity of its own and is not listed."""

    @property
    def entity_id(self) -> str:
        """The entity id Dobby gives it: `<domain>.<slug of the name>`."""
        return f"{self.domain}.{slugify(self.name)}"


class HouseFile(BaseModel):
    """The shape of a house file (`config/demo/house.yaml`)."""

    model_config = ConfigDict(extra="forbid")

    devices: list[HouseDevice]
    unknown: list[UnknownDevice] = []
    """Devices no adapter drives (a WLED strip, a Shelly relay, a UPnP fan): `dobby explore`
    finds them, and learns them as recipes."""


def read_house(path: Path) -> HouseFile:
    """Read a house file."""
    return HouseFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


@dataclass
class VirtualHouse:
    """Emulators for the devices of a house file whose adapters are installed.

    Each house has its own `HostAllocator`: every device its own 127.x.y.z, and one
    broadcast address that its broadcast-found devices hear. An emulation's
    `adapter_settings` (where to broadcast, where a device with no announcement is) land
    in `settings`, for the config of the Dobby that runs against this house.
    """

    house: HouseFile
    adapters: Mapping[str, Manifest]
    interface: str = "127.0.0.1"
    hosts: HostAllocator = field(default_factory=HostAllocator)
    choices: dict[str, str] = field(default_factory=lambda: {"alarm": "homekit"})
    """Which of alternative devices to run, e.g. `{alarm: homekit}`."""
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Adapter settings the emulators hand over (addresses, for devices with no
    announcement of their own), by adapter name."""
    seed: str = field(default_factory=lambda: secrets.token_hex(6))
    """Where the unknown devices' MACs and UDNs come from: a demo passes the one it keeps,
    so that they stay the same from one start to the next."""
    running: list[Emulation] = field(default_factory=list)
    unknown: UnknownDevices | None = None
    """The running emulators of the house's unknown devices."""

    @property
    def devices(self) -> list[HouseDevice]:
        """The devices this house emulates (those whose adapter is here)."""
        return [
            d
            for d in self.house.devices
            if self._hook_exists(d.adapter)
            and all(self.choices.get(key) == value for key, value in d.when.items())
        ]

    @property
    def entity_ids(self) -> list[str]:
        """The entity ids Dobby should find."""
        return [d.entity_id for d in self.devices]

    @property
    def addresses(self) -> frozenset[str]:
        """Every address the house answers from: its devices' and its interface."""
        return self.hosts.allocated | {self.interface}

    def _hook_exists(self, adapter: str) -> bool:
        manifest = self.adapters.get(adapter)
        return manifest is not None and manifest.emulator is not None

    async def start(self) -> None:
        """Start every adapter's emulators (all at once)."""
        by_adapter: dict[str, list[DemoDevice]] = {}
        for device in self.devices:
            by_adapter.setdefault(device.adapter, []).append(
                DemoDevice(
                    device.name, device.area, device.kind, dict(device.state), via=device.via
                )
            )
        starts = [self._start(name, devices) for name, devices in by_adapter.items()]
        if self.house.unknown:
            starts.append(self._start_unknown())
        try:
            await all_at_once(starts)
        except BaseException:
            await self.stop()  # a port that is taken: what started goes again
            raise

    async def _start_unknown(self) -> None:
        self.unknown = await start_unknown(
            self.house.unknown, self.hosts, interface=self.interface, seed=self.seed
        )
        self.running.append(self.unknown)

    async def _start(self, name: str, devices: list[DemoDevice]) -> None:
        hook = load_emulator_hook(self.adapters[name])
        if hook is None:  # pragma: no cover - filtered by `devices`
            return
        emulation = await hook(devices, self.hosts, interface=self.interface)
        self.running.append(emulation)
        extra = getattr(emulation, "adapter_settings", None)
        if extra:
            self.settings[name] = dict(extra)
        _LOGGER.info("Emulating %d %s devices", len(devices), name)

    async def stop(self) -> None:
        """Stop every emulator (all at once, as they started)."""
        running, self.running = self.running, []
        self.unknown = None
        await all_at_once(emulation.stop() for emulation in running)
