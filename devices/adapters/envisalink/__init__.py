"""DSC and Honeywell Vista alarm panels through an Envisalink module, with pyenvisalink.

The package imports only its manifest and settings; the adapter and pyenvisalink load when
the module is configured.
"""

from __future__ import annotations

from devices.adapters.envisalink.config import (
    CODE_ENV,
    PASSWORD_ENV,
    EnvisalinkConfig,
    PartitionConfig,
    ZoneConfig,
)
from devices.adapters.envisalink.manifest import MANIFEST

__all__ = [
    "CODE_ENV",
    "MANIFEST",
    "PASSWORD_ENV",
    "EnvisalinkConfig",
    "PartitionConfig",
    "ZoneConfig",
]
