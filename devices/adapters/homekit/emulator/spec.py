"""What an emulated HomeKit accessory is: plain data, sent to the emulator process as JSON."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal[
    "thermostat",
    "heater_cooler",
    "lock",
    "security_system",
    "window_covering",
    "garage_door",
    "contact_sensor",
    "motion_sensor",
    "leak_sensor",
    "temperature_sensor",
    "humidity_sensor",
    "lightbulb",
    "color_lightbulb",
    "switch",
    "outlet",
    "bridge",
]

DEFAULT_SETUP_CODE = "031-45-154"
HAP_PORT = 51826


def device_id_for(name: str, host: str) -> str:
    """A stable, MAC-shaped HomeKit device id for an accessory at an address."""
    digest = hashlib.sha256(f"{name}@{host}".encode()).digest()
    octets = [digest[0] & 0xFE | 0x02, *digest[1:6]]
    return ":".join(f"{o:02X}" for o in octets)


@dataclass
class AccessorySpec:
    """One emulated accessory: who it is, where it listens, and how it starts."""

    name: str
    kind: Kind
    host: str
    port: int = HAP_PORT
    setup_code: str = DEFAULT_SETUP_CODE
    state: dict[str, Any] = field(default_factory=dict)
    """HomeKit characteristic names and start values, e.g. {"TargetTemperature": 21.0}."""
    drift_seconds: float = 0.0
    """For thermostats: every so many seconds the room moves 0.1 °C toward the target."""
    device_id: str = ""
    bridged: list[AccessorySpec] = field(default_factory=list)
    """For a bridge: the accessories behind it (aids 2, 3, ... in this order); their host,
    port and set-up code are the bridge's."""

    def __post_init__(self) -> None:
        if not self.device_id:
            self.device_id = device_id_for(self.name, self.host)
        self.bridged = [
            AccessorySpec(**child) if isinstance(child, dict) else child for child in self.bridged
        ]

    def as_json(self) -> dict[str, Any]:
        """The spec as JSON-ready data."""
        return asdict(self)
