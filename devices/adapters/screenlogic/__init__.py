"""Pentair ScreenLogic pool and spa equipment, through screenlogicpy.

The package imports only its manifest (`manifest.py`); the adapter and the client library
load when a device of its kind is found or configured.
"""

from __future__ import annotations

from devices.adapters.screenlogic.manifest import MANIFEST, ScreenLogicConfig

__all__ = ["MANIFEST", "ScreenLogicConfig"]
