"""LIFX bulbs over their LAN protocol, through aiolifx.

The package imports only its manifest (`manifest.py`); the adapter and the client library
load when a device of its kind is found or configured.
"""

from __future__ import annotations

from devices.adapters.lifx.manifest import MANIFEST, LifxConfig

__all__ = ["MANIFEST", "LifxConfig"]
