"""The envisalink manifest: DSC and Honeywell panels through an Envisalink module."""

from __future__ import annotations

from devices.adapters.envisalink.config import EnvisalinkConfig
from devices.capabilities import Domain
from devices.plugin import Manifest

MANIFEST = Manifest(
    name="envisalink",
    title="Envisalink (DSC / Honeywell)",
    adapter="devices.adapters.envisalink.adapter:EnvisalinkAdapter",
    domains=(Domain.ALARM_PANEL, Domain.BINARY_SENSOR, Domain.SWITCH),
    config_model=EnvisalinkConfig,
    emulator="devices.adapters.envisalink.demo:start_demo",
)
