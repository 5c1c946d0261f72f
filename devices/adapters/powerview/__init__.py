"""Hunter Douglas PowerView shades, through generation 2 and 3 hubs, with aiopvapi.

The package imports only its manifest (`manifest.py`); the adapter and the client library
load when a device of its kind is found or configured.
"""

from __future__ import annotations

from devices.adapters.powerview.manifest import MANIFEST, PowerViewConfig

__all__ = ["MANIFEST", "PowerViewConfig"]
