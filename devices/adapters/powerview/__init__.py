"""Hunter Douglas PowerView shades, through generation 2 and 3 hubs, with aiopvapi."""

from __future__ import annotations

from devices.adapters.powerview.adapter import PowerViewAdapter, PowerViewConfig

__all__ = ["PowerViewAdapter", "PowerViewConfig"]
