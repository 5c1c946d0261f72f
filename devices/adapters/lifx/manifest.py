"""The lifx manifest: LIFX bulbs over their LAN protocol, through aiolifx."""

from __future__ import annotations

from pydantic import Field

from devices.capabilities import Domain
from devices.plugin import AdapterConfig, BroadcastProbe, Manifest


class LifxConfig(AdapterConfig):
    """Settings under `adapters.lifx` in home.yaml. `hosts` get a unicast GetService."""

    request_timeout: float = Field(2.0, gt=0)
    """Seconds one request may take, all of aiolifx's attempts included."""
    attempts: int = Field(3, ge=1, le=10)
    """How often aiolifx sends a request before it gives up."""
    discovery_interval: float = Field(60.0, gt=0)
    """Seconds between discovery broadcasts."""
    broadcast_address: str | None = None
    """Where GetService goes. Unset: each interface's subnet broadcast address, and on a
    loopback interface the interface's own address (loopback delivers no broadcasts to
    sockets bound to one address)."""


MANIFEST = Manifest(
    name="lifx",
    title="LIFX",
    adapter="devices.adapters.lifx.adapter:LifxAdapter",
    domains=(Domain.LIGHT, Domain.SWITCH),
    config_model=LifxConfig,
    emulator="devices.adapters.lifx.demo:start_demo",
    broadcast_probes=(BroadcastProbe(port=56700, description="LIFX GetService"),),
)
