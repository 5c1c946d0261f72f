"""The screenlogic manifest: Pentair ScreenLogic gateways, through screenlogicpy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from devices.capabilities import Domain
from devices.plugin import AdapterConfig, BroadcastProbe, Manifest


class ScreenLogicConfig(AdapterConfig):
    """Settings under `adapters.screenlogic` in home.yaml. `hosts` may carry `:port`."""

    request_timeout: float = Field(5.0, gt=0)
    """Seconds one exchange with a gateway may take (connecting included)."""
    temperature_unit: Literal["°C", "°F"] = "°C"
    """The household's unit; the controller may speak the other one."""
    area: str = "Pool"
    """The area the pool equipment is proposed in (an alias of a configured area works)."""
    push: bool = True
    """Subscribe to the gateway's pushed updates (polling remains as a fallback)."""
    discovery_interval: float = Field(60.0, gt=0)
    """Seconds between discovery queries."""
    broadcast_address: str | None = None
    """Where the discovery query goes. Unset: each interface's subnet broadcast address,
    and on a loopback interface the interface's own address."""
    reconnect_interval: float = Field(5.0, gt=0)
    """Seconds before the first attempt to reconnect to a gateway that dropped us."""
    keepalive_interval: float = Field(300.0, gt=0)
    """Seconds between pings on an idle push connection (the gateway drops silent ones)."""
    client_id: int | None = Field(None, ge=32767, le=65535)
    """The push client id Dobby registers (unset: a random one)."""


MANIFEST = Manifest(
    name="screenlogic",
    title="Pentair ScreenLogic",
    adapter="devices.adapters.screenlogic.adapter:ScreenLogicAdapter",
    domains=(Domain.SWITCH, Domain.LIGHT, Domain.CLIMATE, Domain.SENSOR, Domain.NUMBER),
    config_model=ScreenLogicConfig,
    emulator="devices.adapters.screenlogic.demo:start_demo",
    broadcast_probes=(BroadcastProbe(port=1444, description="ScreenLogic gateway query"),),
)
