"""HomeKit accessories for tests and the virtual house: HAP-python, in a separate process."""

from __future__ import annotations

from devices.adapters.homekit.emulator.process import EmulatorError, HomeKitEmulator
from devices.adapters.homekit.emulator.spec import (
    DEFAULT_SETUP_CODE,
    AccessorySpec,
    Kind,
    device_id_for,
)

__all__ = [
    "DEFAULT_SETUP_CODE",
    "AccessorySpec",
    "EmulatorError",
    "HomeKitEmulator",
    "Kind",
    "device_id_for",
]
