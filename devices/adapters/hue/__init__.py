"""Philips Hue bridges over their local API v2 (HTTPS and the event stream), through aiohue."""

from __future__ import annotations

from devices.adapters.hue.adapter import HueAdapter, HueConfig

__all__ = ["HueAdapter", "HueConfig"]
