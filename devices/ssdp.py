"""A small SSDP searcher: M-SEARCH on chosen interfaces, answers as `Discovered`.

One searcher serves every adapter: it searches for the union of the manifests' targets.
The interfaces are explicit (loopback in tests and the demo, the LAN's in production).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable, Sequence

from devices.plugin import Discovered

SSDP_GROUP = "239.255.255.250"
SSDP_PORT = 1900

_LOGGER = logging.getLogger(__name__)


def search_request(target: str, mx: int = 1) -> bytes:
    """An M-SEARCH datagram for one search target."""
    return (
        "M-SEARCH * HTTP/1.1\r\n"
        f"HOST: {SSDP_GROUP}:{SSDP_PORT}\r\n"
        'MAN: "ssdp:discover"\r\n'
        f"MX: {mx}\r\n"
        f"ST: {target}\r\n"
        "\r\n"
    ).encode()


def parse_response(data: bytes) -> dict[str, str] | None:
    """The headers of an SSDP answer (keys upper-case), or None if it is not one."""
    try:
        text = data.decode("utf-8", errors="replace")
    except UnicodeDecodeError:  # pragma: no cover - errors="replace" never raises
        return None
    lines = text.split("\r\n")
    if not lines or not (lines[0].startswith("HTTP/1.1 200") or lines[0].startswith("NOTIFY")):
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        key, sep, value = line.partition(":")
        if sep:
            headers[key.strip().upper()] = value.strip()
    return headers


def ipv4_interfaces() -> list[str]:
    """Every IPv4 address of this machine but loopback: production's default."""
    import ifaddr

    return [
        ip.ip
        for adapter in ifaddr.get_adapters()
        for ip in adapter.ips
        if isinstance(ip.ip, str) and not ip.ip.startswith("127.")
    ]


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, on_answer: Callable[[bytes, str], None]) -> None:
        self._on_answer = on_answer

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        self._on_answer(data, str(addr[0]))


class SSDPSearcher:
    """Sends M-SEARCH for some targets on some interfaces and reports every answer."""

    def __init__(
        self,
        targets: Sequence[str],
        on_found: Callable[[Discovered], None],
        *,
        interfaces: Sequence[str],
    ) -> None:
        self.targets = list(targets)
        self.interfaces = list(interfaces)
        self._on_found = on_found
        self._transports: list[asyncio.DatagramTransport] = []

    async def start(self) -> None:
        """Open one socket per interface."""
        loop = asyncio.get_running_loop()
        for interface in self.interfaces:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(interface))
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 2)
            sock.bind((interface, 0))
            sock.setblocking(False)
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _Protocol(self._answer), sock=sock
            )
            self._transports.append(transport)

    def search(self, mx: int = 1) -> None:
        """Send one M-SEARCH per target on every interface."""
        for transport in self._transports:
            for target in self.targets:
                transport.sendto(search_request(target, mx), (SSDP_GROUP, SSDP_PORT))

    def _answer(self, data: bytes, sender: str) -> None:
        headers = parse_response(data)
        if headers is None:
            _LOGGER.debug("Ignored a datagram from %s that is not an SSDP answer", sender)
            return
        target = headers.get("ST") or headers.get("NT") or ""
        self._on_found(
            Discovered(
                source="ssdp",
                type=target,
                host=sender,
                name=headers.get("USN", ""),
                location=headers.get("LOCATION"),
                properties=headers,
            )
        )

    async def stop(self) -> None:
        """Close every socket."""
        for transport in self._transports:
            transport.close()
        self._transports.clear()
