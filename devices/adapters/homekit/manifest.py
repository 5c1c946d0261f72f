"""The homekit manifest: HomeKit accessories over IP, through aiohomekit."""

from __future__ import annotations

from typing import Literal

from devices.adapters.homekit.store import HAP_TYPE
from devices.capabilities import Domain
from devices.plugin import AdapterConfig, Manifest, Pairing


class HomeKitConfig(AdapterConfig):
    """Settings under `adapters.homekit` in home.yaml."""

    request_timeout: float = 5.0
    """Seconds one request to an accessory may take."""
    temperature_unit: Literal["°C", "°F"] = "°C"
    """The household's unit; HomeKit itself speaks Celsius."""


MANIFEST = Manifest(
    name="homekit",
    title="HomeKit",
    adapter="devices.adapters.homekit.adapter:HomeKitAdapter",
    domains=(
        Domain.CLIMATE,
        Domain.LOCK,
        Domain.ALARM_PANEL,
        Domain.COVER,
        Domain.BINARY_SENSOR,
        Domain.SENSOR,
        Domain.LIGHT,
        Domain.SWITCH,
    ),
    mdns_types=(HAP_TYPE,),
    config_model=HomeKitConfig,
    emulator="devices.adapters.homekit.demo:start_demo",
    pairing=Pairing(
        pair="devices.adapters.homekit.pairing:pair_hook",
        unpair="devices.adapters.homekit.pairing:unpair_hook",
        target="the accessory's name",
        target_required=True,
        code=True,
    ),
)
