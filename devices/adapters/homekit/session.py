"""What the HomeKit adapter needs of aiohomekit, in one module: a paired accessory's
session, the mapping of its services, pairing with an offered set-up code, and the
controller.

The adapter loads it (`adapter.py`, lazily) when the first accessory Dobby is paired with
opens, or Dobby pairs one: accessories that are only found on the network, not paired
with Dobby, cost none of aiohomekit (about 3 MB of `dobby run`, and the cryptography
library it brings with it).
"""

from __future__ import annotations

from aiohomekit.characteristic_cache import CharacteristicCacheMemory
from aiohomekit.controller.ip.controller import IpController

from devices.adapters.homekit.connection import Changes, PairedAccessory
from devices.adapters.homekit.mapping import BY_SERVICE_TYPE, View
from devices.adapters.homekit.pairing import pair_found

__all__ = [
    "BY_SERVICE_TYPE",
    "Changes",
    "IpController",
    "PairedAccessory",
    "View",
    "new_controller",
    "pair_found",
]


def new_controller() -> IpController:
    """aiohomekit's controller of IP accessories, with its cache in memory."""
    return IpController(CharacteristicCacheMemory(), None)  # type: ignore[arg-type]
