"""The misbehaviour every emulator can be told to show: one `Faults` switch per device.

A test flips the switch of one device, and every request that device serves from then on
misbehaves, until `clear()`:

    faults = emulator.all_faults()[0]
    faults.latency = 5.0    # every answer comes five seconds late
    faults.silent = True    # no answer at all: the client's own timeout fires
    faults.drop = True      # the connection is closed instead of an answer
    faults.garbage = True   # bytes that are no valid reply
    faults.error = True     # the protocol's own error (HTTP 500, a SOAP fault, an error frame)
    faults.clear()          # behave again
    faults.requests         # requests sent to it so far (see `requests`)
    faults.stuck = True     # acknowledge commands but change nothing (where supported)

Every emulator checks them in this order for each request: it waits out `latency`, then
swallows the request if `silent`, hangs up if `drop`, answers garbage if `garbage`, and its
protocol's error if `error`. The kit's servers (`devices.testing.http`,
`devices.testing.udp`) do it for you; an emulator with a transport of its own follows the
same order (`await faults.delay()` first).
"""

from __future__ import annotations

import asyncio
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
    """Close the connection without answering (over UDP: no answer)."""
    silent: bool = False
    """Take the request and never answer it; the connection stays open, the client times out."""
    stuck: bool = False
    """Acknowledge every command as done and change nothing (a relay that has welded, a
    controller that lost its bus). Emulators that support it say so; see the contract kit."""
    requests: int = 0
    """Requests this device has been sent so far, counted by `delay()`: how a test tells
    whether a command was tried, and how often. A server that counts connections as it
    accepts them (`accepted()`, the kit's HTTP server given the faults) counts a
    connection's first request then, so that a client that gave up before its request was
    read (a short try of a silent device, on a busy machine) was still heard."""
    _counted: set[int] = field(default_factory=set, repr=False, compare=False)
    """Connections (by id) whose first request was counted as they were accepted."""

    def clear(self) -> None:
        """Behave again."""
        self.latency = 0.0
        self.error = self.garbage = self.drop = self.silent = self.stuck = False

    def accepted(self, connection: object) -> None:
        """A connection was accepted: its first request is counted now, not once read."""
        self.requests += 1
        self._counted.add(id(connection))

    async def delay(self, connection: object = None) -> None:
        """Count the request (unless counted as its `connection` was accepted) and wait out
        the latency (the first thing for every request)."""
        if id(connection) in self._counted:
            self._counted.discard(id(connection))
        else:
            self.requests += 1
        if self.latency > 0:
            await asyncio.sleep(self.latency)
