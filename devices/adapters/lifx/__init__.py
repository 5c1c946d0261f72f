"""LIFX bulbs over their LAN protocol, through aiolifx."""

from __future__ import annotations

from devices.adapters.lifx.adapter import LifxAdapter, LifxConfig

__all__ = ["LifxAdapter", "LifxConfig"]
