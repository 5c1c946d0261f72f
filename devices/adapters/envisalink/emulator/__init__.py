"""An emulated Envisalink TPI module with a DSC or Honeywell Vista panel behind it."""

from __future__ import annotations

from devices.adapters.envisalink.emulator.panel import Mode, Panel, PartitionSpec, ZoneSpec
from devices.adapters.envisalink.emulator.server import TPI_PORT, EnvisalinkEmulator, PanelType

__all__ = [
    "TPI_PORT",
    "EnvisalinkEmulator",
    "Mode",
    "Panel",
    "PanelType",
    "PartitionSpec",
    "ZoneSpec",
]
