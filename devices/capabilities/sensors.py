"""Sensors and binary sensors: read-only, so they have no commands."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from devices.capabilities.base import State


class BinarySensorDeviceClass(StrEnum):
    """What a binary sensor senses; "on" means open, detected, wet, ..."""

    DOOR = "door"
    WINDOW = "window"
    OPENING = "opening"
    GARAGE_DOOR = "garage_door"
    MOTION = "motion"
    OCCUPANCY = "occupancy"
    LEAK = "moisture"
    SMOKE = "smoke"
    GAS = "gas"
    PROBLEM = "problem"


class BinarySensorState(State):
    """A binary sensor's state."""

    state: Literal["on", "off"]


class SensorState(State):
    """A sensor's reading, with its unit."""

    state: str
    """The reading, as text (numbers are formatted by the adapter)."""
    unit_of_measurement: str | None = None
    problem: str | None = None
    """What the device's own alarm says of the reading ("out of range"), None if all is
    well."""
