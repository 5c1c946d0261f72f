"""A small house for tests and examples: one partition and three zones, and its settings."""

from __future__ import annotations

from typing import Any

from devices.adapters.envisalink.emulator.panel import PartitionSpec, ZoneSpec
from devices.adapters.envisalink.emulator.server import EnvisalinkEmulator, PanelType

SAMPLE_ZONES = (
    (1, "Front Door", "door", "Entrance"),
    (2, "Hall Motion", "motion", "Hallway"),
    (3, "Patio Door", "door", "Living Room"),
)


def sample_emulator(
    host: str, panel_type: PanelType, *, password: str, code: str, **options: Any
) -> EnvisalinkEmulator:
    """An Envisalink whose panel has the House Alarm partition and the sample zones."""
    return EnvisalinkEmulator(
        host,
        panel_type=panel_type,
        password=password,
        codes={1: code},
        partitions=[PartitionSpec(1, "House Alarm")],
        zones=[ZoneSpec(n, name, kind) for n, name, kind, _ in SAMPLE_ZONES],  # type: ignore[arg-type]
        **options,
    )


def sample_settings(emulator: EnvisalinkEmulator, **options: Any) -> dict[str, Any]:
    """`adapters.envisalink` settings that reach the emulator, zones named as in the house."""
    settings: dict[str, Any] = {
        "hosts": [emulator.host],
        "port": emulator.port,
        "panel_type": emulator.panel_type,
        "partitions": {1: {"name": "House Alarm", "area": "Entrance"}},
        "zones": {
            n: {"name": name, "device_class": kind, "area": area}
            for n, name, kind, area in SAMPLE_ZONES
        },
    }
    settings.update(options)
    return settings
