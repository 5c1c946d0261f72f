"""TCP emulators: listen on an emulator's own address; a taken port is `PortTakenError`.

    server = await serve_streams(host, 4025, session)        # session(reader, writer)
    server = await serve_protocol(host, 0, lambda: MyProtocol(device))
    server.close(); await server.wait_closed()

A protocol of its own frames its answers itself, so it applies the device's `Faults`
itself, in the kit's order for each request: `await faults.delay()`; if `faults.silent`,
answer nothing (the connection stays open); if `faults.drop`, close the connection; if
`faults.garbage`, write bytes that are no valid answer; if `faults.error`, the protocol's
own error reply.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from devices.testing.addresses import bind

Session = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def serve_streams(host: str, port: int, session: Session) -> asyncio.Server:
    """Listen on host:port; each connection runs `session(reader, writer)`."""
    sock = bind(host, port)
    try:
        return await asyncio.start_server(session, sock=sock)
    except BaseException:
        sock.close()
        raise


async def serve_protocol(
    host: str, port: int, factory: Callable[[], asyncio.Protocol]
) -> asyncio.Server:
    """Listen on host:port; each connection gets a protocol from `factory`."""
    sock = bind(host, port)
    try:
        return await asyncio.get_running_loop().create_server(factory, sock=sock)
    except BaseException:
        sock.close()
        raise


def port_of(server: asyncio.Server) -> int:
    """The port a server listens on (for one started on port 0)."""
    return int(server.sockets[0].getsockname()[1])
