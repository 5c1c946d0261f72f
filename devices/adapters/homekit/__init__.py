"""HomeKit accessories over IP, through aiohomekit: thermostats, locks, alarms and more.

The package imports only its manifest (`manifest.py`); the adapter and the client library
load when a device of its kind is found or configured.
"""

from __future__ import annotations

from devices.adapters.homekit.manifest import MANIFEST, HomeKitConfig

__all__ = ["MANIFEST", "HomeKitConfig"]
