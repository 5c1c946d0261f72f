"""HomeKit accessories over IP, through aiohomekit: thermostats, locks, alarms and more.

Importing the package (as the plugin loader does) does not import aiohomekit: the adapter
loads it with the first accessory it finds, `pair` and `unpair` when they are called.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from devices.adapters.homekit.adapter import HomeKitAdapter, HomeKitConfig
from devices.adapters.homekit.store import PairingError

__all__ = ["HomeKitAdapter", "HomeKitConfig", "PairingError", "pair", "unpair"]


async def pair(
    name: str, code: str, *, state_dir: Path, interfaces: Sequence[str] | None = None
) -> str:
    """Find the accessory called `name` and pair with it; returns its device id."""
    from devices.adapters.homekit import pairing

    return await pairing.pair(name, code, state_dir=state_dir, interfaces=interfaces)


async def unpair(name: str, *, state_dir: Path, interfaces: Sequence[str] | None = None) -> str:
    """Remove Dobby's pairing from the accessory called `name`, and forget it."""
    from devices.adapters.homekit import pairing

    return await pairing.unpair(name, state_dir=state_dir, interfaces=interfaces)
