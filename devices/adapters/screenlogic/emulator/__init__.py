"""An emulated Pentair ScreenLogic gateway and the pool-and-spa controller behind it."""

from __future__ import annotations

from devices.adapters.screenlogic.emulator.equipment import (
    Body,
    Chemistry,
    Circuit,
    Equipment,
    pool_and_spa,
)
from devices.adapters.screenlogic.emulator.server import ScreenLogicEmulator, mac_for

__all__ = [
    "Body",
    "Chemistry",
    "Circuit",
    "Equipment",
    "ScreenLogicEmulator",
    "mac_for",
    "pool_and_spa",
]
