"""The optional TCP connect scan: open ports found on loopback, nothing sent, and nothing
outside the local ranges (or too big) scanned, whatever the config says."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.config import ConfigError, load_config
from devices.explore.portscan import TcpScanConfig, local_network, tcp_scan
from devices.explore.ranges import LOCAL_RANGES, OutsideLocalNetworkError
from devices.explore.scan import explore
from devices.testing.addresses import HostAllocator


def closed_port(host: str) -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port


async def test_open_ports_are_found_and_nothing_is_sent() -> None:
    host = HostAllocator().allocate()
    received: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.read(100))
        writer.close()

    server = await asyncio.start_server(serve, host, 0)
    port = server.sockets[0].getsockname()[1]
    shut = closed_port(host)
    try:
        found = await tcp_scan([f"{host}/32"], ports=[port, shut], rate=100)
        await asyncio.sleep(0.1)
    finally:
        server.close()
        await server.wait_closed()
    assert found == {host: {port}}
    assert received == [b""]  # the connection opened and closed, not a byte sent


@pytest.mark.parametrize(
    "subnet",
    ["8.8.8.0/30", "0.0.0.0/0", "172.32.0.0/24", "192.168.0.0/16", "10.0.0.0/8", "2001:db8::/126"],
)
async def test_outside_or_too_big_is_refused_before_any_connect(subnet: str) -> None:
    with pytest.raises(OutsideLocalNetworkError):
        await tcp_scan(["127.0.0.1/32", subnet], ports=[1])


@given(st.integers(0, 2**32 - 1), st.integers(22, 32))
def test_only_networks_inside_the_local_ranges_pass(address: int, prefix: int) -> None:
    network = ipaddress.ip_network((address, prefix), strict=False)
    inside = any(network.version == r.version and network.subnet_of(r) for r in LOCAL_RANGES)  # type: ignore[arg-type]
    if inside:
        assert local_network(str(network)) == network
    else:
        with pytest.raises(OutsideLocalNetworkError):
            local_network(str(network))


def test_home_yaml_may_not_name_a_network_outside(tmp_path: Path) -> None:
    (tmp_path / "home.yaml").write_text(
        "explore:\n  tcp_scan: {enabled: true, subnets: [8.8.8.0/24]}\n"
    )
    with pytest.raises(ConfigError, match=r"home\.yaml:2: explore\.tcp_scan.*8\.8\.8\.0/24"):
        load_config(tmp_path)


@pytest.mark.timeout(60)
async def test_explore_lists_what_the_scan_found() -> None:
    host = HostAllocator().allocate()
    server = await asyncio.start_server(lambda r, w: w.close(), host, 0)
    port = server.sockets[0].getsockname()[1]
    scan = TcpScanConfig(enabled=True, subnets=[f"{host}/32"], ports=[port])
    try:
        hosts = await explore(
            {}, seconds=0.5, interfaces=["127.0.0.1"], only_hosts={host}, tcp=scan
        )
    finally:
        server.close()
        await server.wait_closed()
    assert [(h.address, h.ports) for h in hosts] == [(host, {port})]
    assert hosts[0].notes == [f"open TCP ports: {port}"]
