"""Sonos speakers over their local UPnP API, through SoCo.

The package imports only its manifest (`manifest.py`); the adapter and the client library
load when a device of its kind is found or configured.
"""

from __future__ import annotations

from devices.adapters.sonos.manifest import MANIFEST, SonosConfig

__all__ = ["MANIFEST", "SonosConfig"]
