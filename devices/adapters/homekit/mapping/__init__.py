"""HomeKit services onto Dobby's capabilities, one module per family of services."""

from __future__ import annotations

from devices.adapters.homekit.mapping.base import Family, Unit, View, Write, from_unit, to_unit
from devices.adapters.homekit.mapping.climate import HeaterCoolerFamily, ThermostatFamily
from devices.adapters.homekit.mapping.cover import CoverFamily, GarageDoorFamily
from devices.adapters.homekit.mapping.security import LockFamily, SecuritySystemFamily
from devices.adapters.homekit.mapping.sensors import BinarySensorFamily, SensorFamily
from devices.adapters.homekit.mapping.switches import LightFamily, SwitchFamily

FAMILIES: tuple[Family, ...] = (
    ThermostatFamily(),
    HeaterCoolerFamily(),
    LockFamily(),
    SecuritySystemFamily(),
    CoverFamily(),
    GarageDoorFamily(),
    BinarySensorFamily(),
    SensorFamily(),
    LightFamily(),
    SwitchFamily(),
)
BY_SERVICE_TYPE: dict[str, Family] = {t: f for f in FAMILIES for t in f.service_types}
"""The family that maps each HomeKit service type."""

__all__ = [
    "BY_SERVICE_TYPE",
    "FAMILIES",
    "Family",
    "Unit",
    "View",
    "Write",
    "from_unit",
    "to_unit",
]
