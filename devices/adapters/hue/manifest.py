"""The hue manifest: Philips Hue bridges, through aiohue."""

from __future__ import annotations

from pathlib import Path

from devices.capabilities import Domain
from devices.plugin import AdapterConfig, Manifest, Pairing


class HueConfig(AdapterConfig):
    """Settings under `adapters.hue` in home.yaml (`hosts` may say "ip" or "ip:port")."""

    request_timeout: float = 5.0
    """Seconds to wait for one answer from a bridge."""
    groups: bool = False
    """Also offer every Hue room and zone as one light entity ("Living Room Lights")."""
    pair_when_button_pressed: bool = True
    """Pair by itself with a bridge found without a key if its link button was just pressed."""
    key_dir: Path | None = None
    """Where the bridges' keys are kept; default `<state dir>/hue`."""


MANIFEST = Manifest(
    name="hue",
    title="Philips Hue",
    adapter="devices.adapters.hue.adapter:HueAdapter",
    domains=(Domain.LIGHT, Domain.SCENE),
    mdns_types=("_hue._tcp.local.",),
    config_model=HueConfig,
    emulator="devices.adapters.hue.demo:start_demo",
    pairing=Pairing(
        pair="devices.adapters.hue.pairing:pair_hook",
        target="the bridge's address (ip or ip:port); found by mDNS if left out",
    ),
)
