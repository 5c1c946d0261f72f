"""What every device emulator shares: loopback addresses and injectable misbehaviour.

An emulator speaks its device's real wire protocol on a loopback address, so the real
client library can drive it. Tests and benchmarks make it misbehave through `Faults`.
"""

from __future__ import annotations

import ipaddress
import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Faults:
    """Misbehaviour an emulator injects into every request it serves, while set."""

    latency: float = 0.0
    """Seconds to wait before answering."""
    error: bool = False
    """Answer with the protocol's own error (a SOAP fault, an HTTP 500, an error frame)."""
    garbage: bool = False
    """Answer with bytes that are not a valid reply."""
    drop: bool = False
    """Close the connection without answering."""

    def clear(self) -> None:
        """Behave again."""
        self.latency = 0.0
        self.error = self.garbage = self.drop = False


_BLOCKS = itertools.count(1)
_OCTET = 40 + random.randrange(200)


@dataclass
class HostAllocator:
    """Hands out loopback addresses, one per emulated device (127.0.0.0/8 only)."""

    first: str = "127.0.0.10"
    _used: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not ipaddress.IPv4Address(self.first).is_loopback:
            raise ValueError(f"emulators live on loopback only, not {self.first}")

    def _candidates(self) -> Iterator[str]:
        start = int(ipaddress.IPv4Address(self.first))
        end = int(ipaddress.IPv4Address("127.255.255.254"))
        for value in range(start, end + 1):
            yield str(ipaddress.IPv4Address(value))

    @classmethod
    def fresh(cls) -> HostAllocator:
        """Addresses from a block no earlier call of this process handed out.

        The second octet is drawn once per process, so two processes running emulators at
        once (two test runs, a demo next to the tests) rarely meet on an address.
        """
        block = next(_BLOCKS) % 250 + 1
        return cls(first=f"127.{_OCTET}.{block}.10")

    @property
    def allocated(self) -> frozenset[str]:
        """Every address handed out so far."""
        return frozenset(self._used)

    def allocate(self) -> str:
        """The next free loopback address."""
        for host in self._candidates():
            if host not in self._used:
                self._used.add(host)
                return host
        raise RuntimeError("no loopback address left")  # pragma: no cover - 16M addresses


@dataclass
class DemoDevice:
    """One device of the virtual house, as `config/demo/house.yaml` lists it."""

    name: str
    area: str
    kind: str
    """What the adapter emulates (e.g. "speaker", "light"); adapters define their kinds."""
    state: dict[str, object] = field(default_factory=dict)
    """The start state, in the capability model's words (state, volume, brightness, ...)."""
