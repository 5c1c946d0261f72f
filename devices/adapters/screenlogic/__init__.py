"""Pentair ScreenLogic pool and spa equipment, through screenlogicpy."""

from __future__ import annotations

from devices.adapters.screenlogic.adapter import ScreenLogicAdapter, ScreenLogicConfig

__all__ = ["ScreenLogicAdapter", "ScreenLogicConfig"]
