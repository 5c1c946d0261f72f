"""The powerview manifest: Hunter Douglas PowerView hubs, through aiopvapi."""

from __future__ import annotations

from devices.capabilities import Domain
from devices.plugin import AdapterConfig, Manifest


class PowerViewConfig(AdapterConfig):
    """Settings under `adapters.powerview` in home.yaml (`hosts` may carry a `:port`)."""

    request_timeout: float = 5.0
    """Seconds aiopvapi waits for one answer from a hub."""


MANIFEST = Manifest(
    name="powerview",
    title="Hunter Douglas PowerView",
    adapter="devices.adapters.powerview.adapter:PowerViewAdapter",
    domains=(Domain.COVER, Domain.SCENE),
    mdns_types=("_powerview._tcp.local.", "_powerview-g3._tcp.local."),
    config_model=PowerViewConfig,
    emulator="devices.adapters.powerview.demo:start_demo",
)
