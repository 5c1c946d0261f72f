"""Sonos speakers over their local UPnP API, through SoCo."""

from __future__ import annotations

from devices.adapters.sonos.adapter import SonosAdapter, SonosConfig

__all__ = ["SonosAdapter", "SonosConfig"]
