"""The virtual house's wired alarm: one emulated Envisalink with its panel's partitions and zones.

A house file lists the panel (kind `honeywell_panel` or `dsc_panel`, one per partition) and
its zones (kind `door`, `window`, `motion` or `smoke`). The module password and user code
are read from the environment, or made up for this run and put there, so the adapter in
the same process finds them where it always looks.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from typing import Any, get_args

from devices.adapters.envisalink.config import CODE_ENV, PASSWORD_ENV
from devices.adapters.envisalink.emulator import (
    TPI_PORT,
    EnvisalinkEmulator,
    PartitionSpec,
    ZoneSpec,
)
from devices.adapters.envisalink.emulator.panel import Mode, ZoneKind
from devices.testing.addresses import HostAllocator
from devices.testing.house import DemoDevice

PANEL_KINDS = {"honeywell_panel": "honeywell", "dsc_panel": "dsc"}
MODES: dict[str, Mode] = {
    "disarmed": "disarmed",
    "armed_away": "away",
    "armed_home": "stay",
    "armed_night": "night",
}


class EnvisalinkDemo:
    """The running emulator, and the adapter settings that reach it."""

    def __init__(self, emulator: EnvisalinkEmulator, settings: dict[str, Any]) -> None:
        self.emulator = emulator
        self.adapter_settings = settings
        """What goes under `adapters.envisalink` for Dobby to connect (no secrets)."""

    async def stop(self) -> None:
        """Stop the module."""
        await self.emulator.stop()


def _secret(variable: str, make: str) -> str:
    """The value in the environment, or `make` put there for this process."""
    return os.environ.setdefault(variable, make)


async def start_demo(
    devices: Sequence[DemoDevice], hosts: HostAllocator, *, interface: str
) -> EnvisalinkDemo:
    """Start one Envisalink on its own loopback address with every panel and zone listed."""
    del interface  # the TPI has no announcement to make
    panels = [d for d in devices if d.kind in PANEL_KINDS]
    zones = [d for d in devices if d.kind in get_args(ZoneKind)]
    unknown = sorted({d.kind for d in devices} - set(PANEL_KINDS) - set(get_args(ZoneKind)))
    if not panels or unknown:
        raise ValueError(
            f"an Envisalink demo needs a panel (kinds {sorted(PANEL_KINDS)}) and zones "
            f"(kinds {list(get_args(ZoneKind))}); unknown kinds: {unknown}"
        )
    panel_type = PANEL_KINDS[panels[0].kind]
    password = _secret(PASSWORD_ENV, secrets.token_hex(3))
    code = _secret(CODE_ENV, f"{secrets.randbelow(10_000):04d}")
    partitions = [
        PartitionSpec(number, d.name, MODES.get(str(d.state.get("state", "disarmed")), "disarmed"))
        for number, d in enumerate(panels, start=1)
    ]
    zone_specs = [
        ZoneSpec(number, d.name, d.kind, 1, d.state.get("state") == "on")  # type: ignore[arg-type]
        for number, d in enumerate(zones, start=1)
    ]
    host = hosts.allocate(tcp=[TPI_PORT])
    emulator = EnvisalinkEmulator(
        host,
        panel_type=panel_type,  # type: ignore[arg-type]
        password=password,
        codes={1: code},
        partitions=partitions,
        zones=zone_specs,
        exit_delay=3.0,
    )
    await emulator.start()
    settings: dict[str, Any] = {
        "hosts": [host],
        "panel_type": panel_type,
        "panel_id": "demo-envisalink",
        "reconnect_interval": 2.0,
        "partitions": {
            p.number: {"name": p.name, "area": d.area}
            for p, d in zip(partitions, panels, strict=True)
        },
        "zones": {
            z.number: {"name": z.name, "device_class": z.kind, "area": d.area}
            for z, d in zip(zone_specs, zones, strict=True)
        },
    }
    return EnvisalinkDemo(emulator, settings)
