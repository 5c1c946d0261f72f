"""UDP emulators: a datagram responder with faults, and a virtual house's broadcast address.

    responder = UdpServer(host, 1444, answer, faults, garbage=b"\\xde\\xad")
    await responder.start()    # answer(data, sender) -> reply bytes, or None for none

Devices found by broadcast (LIFX, ScreenLogic) hear a datagram sent to the subnet's
broadcast address and answer from their own address. Loopback delivers no broadcast to a
socket bound to one address, so each house has a broadcast address of its own
(`HostAllocator.broadcast`) and `hear_broadcasts` stands in for the network: a datagram
sent there on a port reaches every device listening on that port, and each answer goes
back to the sender from the device's own address, as on a real network.

    hearing = await hear_broadcasts(hosts.broadcast, 56700, (bulb_host, bulb_port))
    await hearing.close()
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from devices.testing.addresses import bind
from devices.testing.faults import Faults

Address = tuple[str, int]
Answer = Callable[[bytes, Address], bytes | None]
CONVERSATIONS = 256
"""Senders a broadcast address remembers (the oldest is forgotten first)."""


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, received: Callable[[bytes, Address], None]) -> None:
        self.received = received

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.received(data, (str(addr[0]), int(addr[1])))


async def _endpoint(
    host: str, port: int, received: Callable[[bytes, Address], None]
) -> asyncio.DatagramTransport:
    sock = bind(host, port, "udp")
    loop = asyncio.get_running_loop()
    try:
        transport, _ = await loop.create_datagram_endpoint(lambda: _Datagrams(received), sock=sock)
    except BaseException:
        sock.close()
        raise
    return transport


class UdpServer:
    """Answers datagrams on host:port with `answer`, misbehaving as `faults` say.

    Latency delays an answer; silent and drop send none; garbage sends `garbage`;
    error sends what `error(data)` makes (nothing, if no `error` is given).
    """

    def __init__(
        self,
        host: str,
        port: int,
        answer: Answer,
        faults: Faults,
        *,
        garbage: bytes,
        error: Callable[[bytes], bytes | None] | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.answer = answer
        self.faults = faults
        self.garbage = garbage
        self.error = error
        self._transport: asyncio.DatagramTransport | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Bind and answer. A taken port is `PortTakenError`."""
        self._transport = await _endpoint(self.host, self.port, self._received)
        self.port = int(self._transport.get_extra_info("sockname")[1])

    async def stop(self) -> None:
        """Stop answering; answers still due are dropped. Idempotent."""
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _received(self, data: bytes, sender: Address) -> None:
        task = asyncio.ensure_future(self._reply(data, sender))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _reply(self, data: bytes, sender: Address) -> None:
        faults = self.faults
        await faults.delay()
        if faults.silent or faults.drop:
            return
        if faults.garbage:
            reply: bytes | None = self.garbage
        elif faults.error:
            reply = self.error(data) if self.error is not None else None
        else:
            reply = self.answer(data, sender)
        if reply is not None and self._transport is not None and not self._transport.is_closing():
            self._transport.sendto(reply, sender)


class _Relay:
    """Everything sent to one broadcast address and port, passed to every listener."""

    def __init__(self, address: Address) -> None:
        self.address = address
        self.port = address[1]
        """The port it listens on (another than asked only when asked for port 0)."""
        self.listeners: list[Address] = []
        self._transport: asyncio.DatagramTransport | None = None
        self._conversations: OrderedDict[tuple[Address, Address], asyncio.Task[Any]] = OrderedDict()

    async def start(self) -> None:
        self._transport = await _endpoint(*self.address, self._received)
        self.port = int(self._transport.get_extra_info("sockname")[1])

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        for opened in self._conversations.values():
            opened.add_done_callback(_close_transport)
            opened.cancel()
        self._conversations.clear()

    def _received(self, data: bytes, sender: Address) -> None:
        for listener in list(self.listeners):
            _spawn(self._forward(data, sender, listener))

    async def _forward(self, data: bytes, sender: Address, listener: Address) -> None:
        """Send from the listener's own address, so its answer returns from there."""
        key = (sender, listener)
        opened = self._conversations.get(key)
        if opened is None:
            opened = asyncio.ensure_future(self._open(sender, listener[0]))
            self._conversations[key] = opened
            while len(self._conversations) > CONVERSATIONS:
                _, oldest = self._conversations.popitem(last=False)
                oldest.add_done_callback(_close_transport)
        try:
            transport: asyncio.DatagramTransport = await asyncio.shield(opened)
        except OSError:
            self._conversations.pop(key, None)
            return
        if not transport.is_closing():
            transport.sendto(data, listener)

    async def _open(self, sender: Address, host: str) -> asyncio.DatagramTransport:
        answers: list[asyncio.DatagramTransport] = []

        def answered(data: bytes, source: Address) -> None:
            del source
            if answers and not answers[0].is_closing():
                answers[0].sendto(data, sender)

        answers.append(await _endpoint(host, 0, answered))
        return answers[0]


_RELAYS: dict[Address, _Relay] = {}
_TASKS: set[asyncio.Task[None]] = set()


def _spawn(coroutine: Coroutine[Any, Any, None]) -> None:
    task = asyncio.ensure_future(coroutine)
    _TASKS.add(task)
    task.add_done_callback(_TASKS.discard)


def _close_transport(opened: asyncio.Task[Any]) -> None:
    if not opened.cancelled() and opened.exception() is None:
        opened.result().close()


class Hearing:
    """One device listening on a broadcast address; `close` when the device stops."""

    def __init__(self, relay: _Relay, listener: Address) -> None:
        self._relay: _Relay | None = relay
        self.listener = listener
        self.port = relay.port
        """The port of the broadcast address that the device hears."""

    async def close(self) -> None:
        """Stop hearing; the broadcast address closes with its last listener. Idempotent."""
        relay, self._relay = self._relay, None
        if relay is None:
            return
        relay.listeners.remove(self.listener)
        if not relay.listeners:
            _RELAYS.pop(relay.address, None)
            relay.close()
        await asyncio.sleep(0)


async def hear_broadcasts(broadcast: str, port: int, listener: Address) -> Hearing:
    """Pass every datagram sent to broadcast:port on to `listener` (a device's host, port).

    The device answers as it would answer any datagram; its answer reaches the sender
    from the device's host. A taken broadcast port is `PortTakenError`.
    """
    relay = _RELAYS.get((broadcast, port))
    if relay is None:
        relay = _RELAYS[(broadcast, port)] = _Relay((broadcast, port))
        try:
            await relay.start()
        except BaseException:
            del _RELAYS[(broadcast, port)]
            raise
    relay.listeners.append(listener)
    return Hearing(relay, listener)
