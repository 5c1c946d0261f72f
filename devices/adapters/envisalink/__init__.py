"""DSC and Honeywell Vista alarm panels through an Envisalink module, with pyenvisalink."""

from __future__ import annotations

from devices.adapters.envisalink.adapter import TPI, EnvisalinkAdapter
from devices.adapters.envisalink.config import (
    CODE_ENV,
    PASSWORD_ENV,
    EnvisalinkConfig,
    PartitionConfig,
    ZoneConfig,
)

__all__ = [
    "CODE_ENV",
    "PASSWORD_ENV",
    "TPI",
    "EnvisalinkAdapter",
    "EnvisalinkConfig",
    "PartitionConfig",
    "ZoneConfig",
]
