"""The emulator kit's servers obey `Faults`: HTTP, TCP and UDP, each over real sockets."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from devices.testing.addresses import HostAllocator, PortTakenError
from devices.testing.faults import Faults
from devices.testing.http import HttpServer, fault_middleware
from devices.testing.tcp import port_of, serve_streams
from devices.testing.udp import UdpServer, hear_broadcasts

GARBAGE = b"\x00not json{"


async def hello(request: web.Request) -> web.Response:
    del request
    return web.json_response({"hello": "world"})


@pytest.fixture
async def http() -> AsyncIterator[tuple[HttpServer, Faults]]:
    faults = Faults()
    app = web.Application(
        middlewares=[
            fault_middleware(
                faults, garbage=GARBAGE, error=lambda _: web.json_response({"e": 1}, status=503)
            )
        ]
    )
    app.router.add_get("/", hello)
    server = HttpServer(app, HostAllocator().allocate())
    await server.start()
    yield server, faults
    await server.stop()


async def get(server: HttpServer, within: float = 5.0) -> tuple[int, bytes]:
    client_timeout = aiohttp.ClientTimeout(total=within)
    async with (
        aiohttp.ClientSession(timeout=client_timeout) as session,
        session.get(f"http://{server.host}:{server.port}/") as response,
    ):
        return response.status, await response.read()


async def test_http_answers_while_no_fault_is_set(http) -> None:
    server, _ = http
    assert await get(server) == (200, b'{"hello": "world"}')


async def test_http_garbage_error_and_latency(http) -> None:
    server, faults = http
    faults.garbage = True
    assert await get(server) == (200, GARBAGE)
    faults.clear()
    faults.error = True
    assert await get(server) == (503, b'{"e": 1}')
    faults.clear()
    faults.latency = 0.3
    started = time.monotonic()
    assert (await get(server))[0] == 200
    assert time.monotonic() - started >= 0.3


async def test_http_drop_closes_the_connection(http) -> None:
    server, faults = http
    faults.drop = True
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await get(server)


async def test_http_silent_never_answers_and_recovers(http) -> None:
    server, faults = http
    faults.silent = True
    with pytest.raises(TimeoutError):
        await get(server, within=0.5)
    faults.clear()
    assert (await get(server))[0] == 200


async def test_http_restart_keeps_its_port_and_a_taken_port_is_one_line(http) -> None:
    server, _ = http
    port = server.port
    await server.stop()
    await server.start()
    assert server.port == port
    other = HttpServer(web.Application(), server.host, ports=[port])
    with pytest.raises(PortTakenError, match=rf"^{server.host}:{port} \(TCP\) is taken"):
        await other.start()


async def test_tcp_streams_on_a_port_of_its_own_with_no_delay() -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # Small answers leave at once, as from asyncio's own servers (no Nagle delay).
        assert writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
        writer.write(await reader.readline())
        await writer.drain()
        writer.close()

    host = HostAllocator().allocate()
    server = await serve_streams(host, 0, echo)
    try:
        reader, writer = await asyncio.open_connection(host, port_of(server))
        writer.write(b"ping\n")
        assert await reader.readline() == b"ping\n"
        writer.close()
        with pytest.raises(PortTakenError):
            await serve_streams(host, port_of(server), echo)
    finally:
        server.close()
        await server.wait_closed()


class _Asker(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answers: asyncio.Queue[tuple[bytes, tuple[str, int]]] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:  # type: ignore[override]
        self.answers.put_nowait((data, (addr[0], addr[1])))


async def asker() -> tuple[asyncio.DatagramTransport, _Asker]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(_Asker, local_addr=("127.0.0.1", 0))
    return transport, protocol


async def test_udp_answers_and_misbehaves() -> None:
    faults = Faults()
    server = UdpServer(
        HostAllocator().allocate(),
        0,
        lambda data, _: data.upper(),
        faults,
        garbage=GARBAGE,
        error=lambda _: b"ERR",
    )
    await server.start()
    transport, protocol = await asker()
    try:
        transport.sendto(b"hi", (server.host, server.port))
        assert await asyncio.wait_for(protocol.answers.get(), 5) == (
            b"HI",
            (server.host, server.port),
        )
        faults.garbage = True
        transport.sendto(b"hi", (server.host, server.port))
        assert (await asyncio.wait_for(protocol.answers.get(), 5))[0] == GARBAGE
        faults.clear()
        faults.error = True
        transport.sendto(b"hi", (server.host, server.port))
        assert (await asyncio.wait_for(protocol.answers.get(), 5))[0] == b"ERR"
        for fault in ("drop", "silent"):
            faults.clear()
            setattr(faults, fault, True)
            transport.sendto(b"hi", (server.host, server.port))
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(protocol.answers.get(), 0.3)
    finally:
        transport.close()
        await server.stop()


async def test_a_broadcast_reaches_every_listener_and_answers_come_from_each_device() -> None:
    hosts = HostAllocator()
    devices = []
    for name in (b"lamp", b"pool"):
        device = UdpServer(hosts.allocate(), 0, lambda _d, _s, n=name: n, Faults(), garbage=b"")
        await device.start()
        devices.append(device)
    hearings = [await hear_broadcasts(hosts.broadcast, 0, (d.host, d.port)) for d in devices]
    transport, protocol = await asker()
    relay_port = hearings[0].port
    try:
        transport.sendto(b"who is there?", (hosts.broadcast, relay_port))
        answers = {await asyncio.wait_for(protocol.answers.get(), 5) for _ in devices}
        assert {(data, source[0]) for data, source in answers} == {
            (b"lamp", devices[0].host),
            (b"pool", devices[1].host),
        }
        await hearings[0].close()
        transport.sendto(b"who is there?", (hosts.broadcast, relay_port))
        data, source = await asyncio.wait_for(protocol.answers.get(), 5)
        assert (data, source[0]) == (b"pool", devices[1].host)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(protocol.answers.get(), 0.3)
    finally:
        transport.close()
        for hearing in hearings:
            await hearing.close()
        for device in devices:
            await device.stop()
