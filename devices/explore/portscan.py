"""The optional TCP connect scan: a short list of well-known ports on the configured subnets.

Off unless home.yaml turns it on (`explore: {tcp_scan: {enabled: true, subnets: [...]}}`).
A subnet is scanned only when it lies wholly inside the local ranges (RFC 1918, ULA,
link-local, loopback), whatever the config says, and only when it is small (at most
`MAX_ADDRESSES` addresses); connects are started at most `rate` a second, each given up
after `connect_within` seconds, and a connection that opens is closed at once: nothing is sent.

    found = await tcp_scan(["192.168.1.0/24"], rate=50)   # {"192.168.1.40": {80}, ...}
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
from collections.abc import Callable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from devices.explore.probe import ProbeRecord
from devices.explore.ranges import LOCAL_RANGES, OutsideLocalNetworkError

WELL_KNOWN_PORTS = (80, 443, 554, 631, 1400, 1883, 5000, 6053, 8008, 8009, 8080, 8081, 8123)
"""HTTP(S), RTSP cameras, IPP printers, Sonos, MQTT, NAS pages, ESPHome's native API,
Chromecast, the usual alternative HTTP ports, Home Assistant."""
MAX_ADDRESSES = 1024
"""The largest subnet scanned (a /22 of IPv4): a bigger one is refused, not cut short."""


class TcpScanConfig(BaseModel):
    """`explore.tcp_scan` in home.yaml: off unless enabled."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    subnets: list[str] = []
    """Networks to scan, such as `192.168.1.0/24` (local ranges only)."""
    ports: list[int] = Field(default=list(WELL_KNOWN_PORTS), max_length=32)
    rate: float = Field(default=50.0, gt=0, le=500)
    """Connects started per second, at most."""
    timeout: float = Field(default=0.5, gt=0, le=5)
    """Seconds a connect may take before the port counts as closed."""


def local_network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The subnet `text` names, if it lies wholly in the local ranges and is small enough;
    OutsideLocalNetworkError otherwise."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise OutsideLocalNetworkError(f"{text!r} is not a network (192.168.1.0/24)") from None
    inside = any(
        network.version == local.version and network.subnet_of(local)  # type: ignore[arg-type]
        for local in LOCAL_RANGES
    )
    if not inside:
        raise OutsideLocalNetworkError(
            f"{network} is not inside the local networks (RFC 1918, ULA, link-local, loopback)"
        )
    if network.num_addresses > MAX_ADDRESSES:
        raise OutsideLocalNetworkError(
            f"{network} has {network.num_addresses} addresses, more than {MAX_ADDRESSES}"
        )
    return network


def _addresses(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[str]:
    hosts = list(network.hosts())
    return [str(a) for a in hosts] if hosts else [str(network.network_address)]


async def _open(host: str, port: int, within: float) -> bool:
    try:
        async with asyncio.timeout(within):
            _, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


async def tcp_scan(
    subnets: Sequence[str],
    *,
    ports: Sequence[int] = WELL_KNOWN_PORTS,
    rate: float = 50.0,
    connect_within: float = 0.5,
    record: Callable[[ProbeRecord], None] | None = None,
) -> dict[str, set[int]]:
    """The open ports of every address of `subnets` (every subnet checked before the first
    connect: one outside the local ranges refuses the whole scan)."""
    networks = [local_network(s) for s in subnets]
    targets = [(host, port) for n in networks for host in _addresses(n) for port in ports]
    found: dict[str, set[int]] = {}

    async def one(host: str, port: int) -> None:
        if await _open(host, port, connect_within):
            found.setdefault(host, set()).add(port)
            if record is not None:
                record(ProbeRecord(host, "CONNECT", f"tcp/{port}", None, None))

    tasks: list[asyncio.Task[None]] = []
    try:
        for index, (host, port) in enumerate(targets):
            if index:
                await asyncio.sleep(1 / rate)
            tasks.append(asyncio.create_task(one(host, port)))
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
    return found
