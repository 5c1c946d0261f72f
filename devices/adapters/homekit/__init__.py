"""HomeKit accessories over IP, through aiohomekit: thermostats, locks, alarms and more."""

from __future__ import annotations

from devices.adapters.homekit.adapter import HomeKitAdapter, HomeKitConfig
from devices.adapters.homekit.pairing import PairingError, pair, unpair

__all__ = ["HomeKitAdapter", "HomeKitConfig", "PairingError", "pair", "unpair"]
