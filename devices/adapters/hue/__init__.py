"""Philips Hue bridges over their local API v2 (HTTPS and the event stream), through aiohue.

The package imports only its manifest (`manifest.py`); the adapter and the client library
load when a device of its kind is found or configured.
"""

from __future__ import annotations

from devices.adapters.hue.manifest import MANIFEST, HueConfig

__all__ = ["MANIFEST", "HueConfig"]
