"""The sonos manifest: Sonos speakers over their local UPnP API, through SoCo."""

from __future__ import annotations

from devices.capabilities import Domain
from devices.plugin import AdapterConfig, Manifest


class SonosConfig(AdapterConfig):
    """Settings under `adapters.sonos` in home.yaml."""

    request_timeout: float = 5.0
    """Seconds SoCo waits for one answer from a speaker."""
    events: bool = True
    """Subscribe to UPnP events for push state (polling remains as a fallback)."""
    event_listener_port: int = 1400
    """The port speakers send their events to (the next free one if it is taken)."""
    event_listener_ip: str | None = None
    """The address speakers send events to; unset, the one that routes to each speaker."""


MANIFEST = Manifest(
    name="sonos",
    title="Sonos",
    adapter="devices.adapters.sonos.adapter:SonosAdapter",
    domains=(Domain.MEDIA_PLAYER,),
    mdns_types=("_sonos._tcp.local.",),
    ssdp_targets=("urn:schemas-upnp-org:device:ZonePlayer:1",),
    config_model=SonosConfig,
    emulator="devices.adapters.sonos.demo:start_demo",
)
