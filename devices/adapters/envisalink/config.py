"""The Envisalink adapter's settings (`adapters.envisalink` in home.yaml).

Secrets are never settings: the module password and the panel's user code come from the
environment, and the settings only name the variables that hold them.
"""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from devices.capabilities import BinarySensorDeviceClass
from devices.errors import DeviceAuthError
from devices.plugin import AdapterConfig

PASSWORD_ENV = "DOBBY_ENVISALINK_PASSWORD"  # noqa: S105 - a variable's name, not a secret
CODE_ENV = "DOBBY_ENVISALINK_CODE"
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")


class PartitionConfig(BaseModel):
    """One partition of the panel: an alarm_panel entity."""

    model_config = ConfigDict(extra="forbid")

    name: str
    area: str | None = None


class ZoneConfig(BaseModel):
    """One zone of the panel: a binary_sensor entity."""

    model_config = ConfigDict(extra="forbid")

    name: str
    device_class: BinarySensorDeviceClass = BinarySensorDeviceClass.DOOR
    """door, window, motion, smoke, ... (what "on" means for it)."""
    area: str | None = None
    partition: int = Field(default=1, ge=1, le=8)


class EnvisalinkConfig(AdapterConfig):
    """Settings under `adapters.envisalink`: one Envisalink module and its panel."""

    port: int = Field(default=4025, ge=1, le=65535)
    """The module's TPI port."""
    panel_type: Literal["honeywell", "dsc"] = "honeywell"
    """The panel behind the module: a Honeywell (Ademco) Vista, or a DSC PowerSeries."""
    envisalink_version: Literal[2, 3, 4] = 4
    panel_id: str = "envisalink"
    """A stable id for this panel (the TPI does not tell its serial); keep it unchanged."""
    name: str = "Envisalink"
    password_env: str = PASSWORD_ENV
    """The environment variable that holds the module's password (never the password)."""
    code_env: str = CODE_ENV
    """The environment variable that holds the panel's user code (never the code)."""
    request_timeout: float = Field(default=10.0, gt=0)
    """Seconds to wait for the login, a poll's answer, or a command's confirmation."""
    keepalive_interval: float = Field(default=30.0, gt=0)
    zone_dump_interval: float = Field(default=20.0, ge=0)
    """Seconds between zone timer dumps (0: rely on pushed zone changes alone)."""
    reconnect_interval: float = Field(default=10.0, gt=0)
    """Seconds before the first attempt to reconnect after the module hangs up; the wait
    doubles at each failed attempt, up to a minute."""
    panic: Literal["Police", "Fire", "Ambulance"] | None = "Police"
    """The panic alarm `alarm_panel.trigger` raises on partition 1 (None: no trigger)."""
    zone_bypass: bool = False
    """Offer each zone's bypass as a switch (DSC panels whose bypass needs no code:
    pyenvisalink bypasses with the *1 keys and reads the bypass list the panel sends)."""
    partitions: dict[int, PartitionConfig] = Field(
        default_factory=lambda: {1: PartitionConfig(name="Alarm")}
    )
    zones: dict[int, ZoneConfig] = Field(default_factory=dict)

    @field_validator("password_env", "code_env")
    @classmethod
    def _names_a_variable(cls, value: str) -> str:
        if not _ENV_NAME.fullmatch(value):
            raise ValueError(
                "name an environment variable (like DOBBY_ENVISALINK_CODE); "
                "secrets never go in home.yaml"
            )
        return value

    @model_validator(mode="after")
    def _one_module(self) -> EnvisalinkConfig:
        if len(self.hosts) > 1:
            raise ValueError("one Envisalink module per adapter: list one address in hosts")
        if not self.partitions:
            raise ValueError("list at least one partition")
        if self.zone_bypass and self.panel_type != "dsc":
            raise ValueError("zone_bypass works with DSC panels only")
        for number in self.partitions:
            if not 1 <= number <= 8:
                raise ValueError(f"partition {number}: panels have partitions 1 to 8")
        top = 64 if self.envisalink_version < 4 else 128
        for number, zone in self.zones.items():
            if not 1 <= number <= top:
                raise ValueError(f"zone {number}: this module reports zones 1 to {top}")
            if zone.partition not in self.partitions:
                raise ValueError(f"zone {number}: partition {zone.partition} is not listed")
        return self

    def secret(self, variable: str, what: str) -> str:
        """The value of a secret's environment variable, or DeviceAuthError naming it."""
        value = os.environ.get(variable, "")
        if not value:
            raise DeviceAuthError(f"has no {what}: set {variable} in the environment.")
        return value
