"""Loopback addresses for emulators: each device its own 127.x.y.z, each house its broadcast.

Every virtual house (a `dobby demo`, a test) takes a `HostAllocator` of its own. Its
addresses are drawn at random from 127.1.0.1 to 127.254.255.254 and tried before they are
handed out, so two houses and the test suite run side by side on one machine without
meeting on an address:

    hosts = HostAllocator()
    speaker = hosts.allocate(tcp=[1400])  # an address where port 1400 is free
    hosts.broadcast                       # where this house's broadcast discovery goes

A port that another process holds is `PortTakenError`: one line naming the address and port.

`DOBBY_EMULATOR_ADDRESSES` narrows where addresses are drawn from to one loopback network
(`127.42.0.0/16`), for a machine where part of 127.0.0.0/8 is someone else's.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import random
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

Protocol = Literal["tcp", "udp"]
TRIES = 64
"""Addresses tried before `allocate` gives up on a port that is taken everywhere."""
_RANDOM = random.SystemRandom()
"""Not the global generator: a test that seeds it would make two processes draw alike."""


POOL_VARIABLE = "DOBBY_EMULATOR_ADDRESSES"
_EVERYWHERE = ipaddress.IPv4Network("127.0.0.0/8")


class AddressPoolError(ValueError):
    """`DOBBY_EMULATOR_ADDRESSES` is not a loopback network."""


def address_pool() -> ipaddress.IPv4Network:
    """The loopback network emulators draw addresses from (all of 127.0.0.0/8 unless
    `DOBBY_EMULATOR_ADDRESSES` says otherwise)."""
    text = os.environ.get(POOL_VARIABLE, "").strip()
    if not text:
        return _EVERYWHERE
    try:
        pool = ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        pool = None
    if pool is None or not pool.subnet_of(_EVERYWHERE) or pool.num_addresses < 4:
        raise AddressPoolError(
            f"{POOL_VARIABLE}={text!r} is not a loopback network such as 127.42.0.0/16"
        )
    return pool


class PortTakenError(OSError):
    """An emulator cannot bind an address and port because another socket holds them."""

    def __init__(self, host: str | None, port: int, protocol: Protocol = "tcp") -> None:
        where = (
            f"{host}:{port} ({protocol.upper()})"
            if host is not None
            else f"{protocol.upper()} port {port} on every loopback address tried"
        )
        super().__init__(errno.EADDRINUSE, f"{where} is taken by another process")
        self.host, self.port, self.protocol = host, port, protocol

    def __str__(self) -> str:
        return str(self.strerror)


def is_loopback(address: str) -> bool:
    """Whether `address` is an IPv4 loopback address."""
    try:
        return ipaddress.IPv4Address(address).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int, protocol: Protocol = "tcp") -> socket.socket:
    """A socket bound to host:port (non-blocking); `PortTakenError` when another holds it.

    TCP sockets reuse an address that lingers from a closed connection (as aiohttp's
    servers do), never one that listens; UDP sockets share nothing.
    """
    # The protocol number is spelled out: asyncio sets TCP_NODELAY only on sockets that
    # carry it, and without it Nagle's algorithm holds small answers back.
    if protocol == "tcp":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        if protocol == "tcp":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setblocking(False)
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PortTakenError(host, port, protocol) from None
        raise
    return sock


def bind_first(
    host: str, ports: Iterable[int], protocol: Protocol = "tcp"
) -> tuple[socket.socket, int]:
    """A socket bound to the first of `ports` that may be bound, and its port.

    A port that needs privileges we lack, or that another process holds, is skipped (0
    is any free port); when none is left, the first port's error is raised.
    """
    first: OSError | None = None
    for port in ports:
        try:
            sock = bind(host, port, protocol)
        except (PermissionError, PortTakenError) as error:
            first = first or error
            continue
        return sock, int(sock.getsockname()[1])
    raise first or ValueError("no port to bind")


def _free(host: str, ports: Iterable[int], protocol: Protocol) -> bool:
    for port in ports:
        try:
            bind(host, port, protocol).close()
        except PortTakenError:
            return False
        except PermissionError:
            continue  # a privileged port: the emulator picks another itself
    return True


@dataclass
class HostAllocator:
    """Hands out loopback addresses, one per emulated device, for one virtual house."""

    _used: set[str] = field(default_factory=set)
    _broadcast: str | None = None
    pool: ipaddress.IPv4Network = field(default_factory=address_pool)

    @property
    def allocated(self) -> frozenset[str]:
        """Every address handed out so far (the broadcast address included)."""
        return frozenset(self._used)

    def allocate(self, *, tcp: Iterable[int] = (), udp: Iterable[int] = ()) -> str:
        """A loopback address of its own, where the `tcp` and `udp` ports are free now.

        Raises `PortTakenError` when a port is taken on every address tried (a program
        holds it on all addresses).
        """
        tcp, udp = tuple(tcp), tuple(udp)
        taken: PortTakenError | None = None
        for _ in range(TRIES):
            host = _draw(self.pool)
            if host in self._used:
                continue
            if not _free(host, (*tcp, 0), "tcp"):
                taken = PortTakenError(None, _first_taken(host, tcp, "tcp"), "tcp")
                continue
            if not _free(host, (*udp, 0), "udp"):
                taken = PortTakenError(None, _first_taken(host, udp, "udp"), "udp")
                continue
            self._used.add(host)
            return host
        raise taken or RuntimeError("no loopback address left")  # pragma: no cover

    @property
    def broadcast(self) -> str:
        """This house's broadcast address: where its adapters send broadcast discovery.

        Loopback delivers no broadcast to a socket bound to one address, so the house
        stands in for the network: `devices.testing.udp.hear_broadcasts` passes what
        arrives here to every emulator listening for it.
        """
        if self._broadcast is None:
            self._broadcast = self.allocate()
        return self._broadcast


def _draw(pool: ipaddress.IPv4Network) -> str:
    if pool == _EVERYWHERE:  # 127.0.x.x is left to everything else on the machine
        return (
            f"127.{_RANDOM.randrange(1, 255)}.{_RANDOM.randrange(256)}.{_RANDOM.randrange(1, 255)}"
        )
    # Neither the network's own address nor its broadcast address.
    return str(pool[_RANDOM.randrange(1, pool.num_addresses - 1)])


def _first_taken(host: str, ports: tuple[int, ...], protocol: Protocol) -> int:
    return next((p for p in ports if not _free(host, (p,), protocol)), 0)
