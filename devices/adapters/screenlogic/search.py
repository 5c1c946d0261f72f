"""Finding ScreenLogic gateways the way they answer: one UDP datagram to port 1444.

A client sends screenlogicpy's discovery query; every gateway that hears it answers
with its address, TCP port and name, which screenlogicpy's parser reads. screenlogicpy's
own `async_discover` always broadcasts to 255.255.255.255 from every interface, so the
query is sent here from each chosen interface to that interface's broadcast address (or
to a configured one, or on loopback to the interface's own address).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
import struct
from collections.abc import Callable
from typing import Any

from screenlogicpy.const.common import (  # type: ignore[import-untyped]
    SL_GATEWAY_IP,
    SL_GATEWAY_NAME,
    SL_GATEWAY_PORT,
    ScreenLogicError,
)
from screenlogicpy.discovery import (  # type: ignore[import-untyped]
    DISCOVERY_PAYLOAD,
    DISCOVERY_PORT,
    process_discovery_response,
)

from devices.ssdp import ipv4_interfaces

_LOGGER = logging.getLogger(__name__)

Found = Callable[[str, int, str], None]
"""Called with the host, TCP port and name of a gateway that answered."""


def subnet_broadcast(address: str) -> str:
    """The broadcast address of the subnet `address` is on (255.255.255.255 if unknown)."""
    import ifaddr

    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if ip.ip == address:
                prefix = ip.network_prefix
                network = ipaddress.IPv4Network(f"{address}/{prefix}", strict=False)
                return str(network.broadcast_address)
    return "255.255.255.255"


def search_targets(
    interfaces: list[str] | None, broadcast_address: str | None
) -> list[tuple[str, str]]:
    """(address to send from, address the query goes to), one per discovery interface."""
    targets = []
    for address in interfaces if interfaces is not None else ipv4_interfaces():
        if broadcast_address is not None:
            targets.append((address, broadcast_address))
        elif ipaddress.IPv4Address(address).is_loopback:
            targets.append((address, address))
        else:
            targets.append((address, subnet_broadcast(address)))
    return targets


class _Answers(asyncio.DatagramProtocol):
    """Reads every answer to the query with screenlogicpy's parser."""

    def __init__(self, found: Found) -> None:
        self.found = found

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        """A gateway answered (anything unreadable is ignored)."""
        try:
            answer: dict[str, Any] = process_discovery_response(data)
        except (ScreenLogicError, struct.error, ValueError, IndexError) as error:
            _LOGGER.debug("Ignoring an unreadable discovery answer from %s: %s", addr[0], error)
            return
        host, port = str(answer[SL_GATEWAY_IP]), int(answer[SL_GATEWAY_PORT])
        self.found(host, port, str(answer[SL_GATEWAY_NAME]))


class GatewaySearch:
    """Sends the discovery query from every target's interface, now and then again."""

    def __init__(self, targets: list[tuple[str, str]], found: Found) -> None:
        self.targets = targets
        self.found = found
        self._transports: list[tuple[asyncio.DatagramTransport, str]] = []

    async def start(self) -> None:
        """Open one socket per interface (an interface that fails is logged and skipped)."""
        loop = asyncio.get_running_loop()
        for listen, target in self.targets:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
                sock.bind((listen, 0))
                transport, _ = await loop.create_datagram_endpoint(
                    lambda: _Answers(self.found), sock=sock
                )
            except OSError as error:
                sock.close()
                _LOGGER.warning("Cannot search for ScreenLogic gateways from %s: %s", listen, error)
                continue
            self._transports.append((transport, target))

    def probe(self) -> None:
        """Send the discovery query once from every interface."""
        for transport, target in self._transports:
            try:
                transport.sendto(DISCOVERY_PAYLOAD, (target, DISCOVERY_PORT))
            except OSError as error:
                _LOGGER.debug("Cannot send the discovery query to %s: %s", target, error)

    def stop(self) -> None:
        """Close every socket."""
        for transport, _ in self._transports:
            transport.close()
        self._transports.clear()
