"""HTTP(S) emulators: an aiohttp application on an emulator's own address, with faults.

    app = web.Application(middlewares=[fault_middleware(faults, garbage=b"<oops")])
    app.router.add_get("/relay", relay)
    server = HttpServer(app, hosts.allocate(), ports=(80, 0))  # 80, or any free port
    await server.start()       # server.port says which
    await server.stop()

`fault_middleware` applies the device's `Faults` to every request, in the kit's order:
latency, silent (the request is held unanswered until the client hangs up), drop (the
connection closes), garbage (the given bytes with a 200), error (the protocol's own error
answer, an HTTP 500 by default).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Callable, Sequence

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from devices.testing.addresses import bind_first
from devices.testing.faults import Faults

ErrorReply = Callable[[web.Request], web.StreamResponse]


def _server_error(request: web.Request) -> web.StreamResponse:
    del request
    return web.Response(status=500, text="internal error")


async def _hold(request: web.Request) -> None:
    """Wait, answering nothing, until the client hangs up."""
    while request.transport is not None and not request.transport.is_closing():  # noqa: ASYNC110 - aiohttp tells no hang-up
        await asyncio.sleep(0.1)


def fault_middleware(
    faults: Faults,
    *,
    garbage: bytes,
    content_type: str = "application/json",
    error: ErrorReply = _server_error,
) -> Middleware:
    """An aiohttp middleware that makes every request misbehave as `faults` say now."""

    @web.middleware
    async def misbehave(request: web.Request, handler: Handler) -> web.StreamResponse:
        await faults.delay(request.protocol)
        if faults.silent:
            await _hold(request)
            raise web.HTTPServiceUnavailable  # nobody is left to read it
        if faults.drop:
            if request.transport is not None:
                request.transport.close()
            raise web.HTTPServiceUnavailable  # nobody is left to read it
        if faults.garbage:
            return web.Response(body=garbage, headers={"Content-Type": content_type})
        if faults.error:
            return error(request)
        return await handler(request)

    return misbehave


class HttpServer:
    """Serves one aiohttp application on host and the first port of `ports` it may bind.

    `app` is an application, or a function making one (for a server started again after
    `stop`, since an application serves once). A taken port is `PortTakenError`. Given the
    device's `faults`, it counts each connection's first request as it accepts the
    connection (`Faults.accepted`), so that a request is counted even when its client gave
    up before it was read; `fault_middleware` counts the ones after it.
    """

    def __init__(
        self,
        app: web.Application | Callable[[], web.Application],
        host: str,
        ports: Sequence[int] = (0,),
        *,
        ssl_context: ssl.SSLContext | None = None,
        shutdown_timeout: float = 0.5,
        faults: Faults | None = None,
    ) -> None:
        self.host = host
        self.ports = tuple(ports)
        self.port = 0
        """The port it serves on (0 until started)."""
        self._app = app
        self._ssl_context = ssl_context
        self._shutdown_timeout = shutdown_timeout
        self._runner: web.AppRunner | None = None
        self._faults = faults
        self._listener: asyncio.Server | None = None

    @property
    def running(self) -> bool:
        """Whether it serves."""
        return self._runner is not None

    async def start(self) -> None:
        """Bind and serve. Idempotent."""
        if self._runner is not None:
            return
        sock, self.port = bind_first(self.host, self.ports)
        app = self._app if isinstance(self._app, web.Application) else self._app()
        runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=self._shutdown_timeout
        )
        try:
            await runner.setup()
            if self._faults is None:
                await web.SockSite(runner, sock, ssl_context=self._ssl_context).start()
            else:
                self._listener = await self._counting(runner, sock, self._faults)
        except BaseException:
            sock.close()
            await runner.cleanup()
            raise
        self._runner = runner
        self.ports = (self.port,)  # a device started again comes back on its port

    async def _counting(
        self, runner: web.AppRunner, sock: socket.socket, faults: Faults
    ) -> asyncio.Server:
        """Serve `runner`'s application on `sock`, counting connections as accepted."""
        server = runner.server
        assert server is not None

        def accept() -> asyncio.BaseProtocol:
            connection = server()
            faults.accepted(connection)
            return connection

        loop = asyncio.get_running_loop()
        return await loop.create_server(accept, sock=sock, ssl=self._ssl_context)

    async def stop(self) -> None:
        """Stop listening and close open connections. Idempotent."""
        runner, self._runner = self._runner, None
        listener, self._listener = self._listener, None
        if listener is not None:
            listener.close()
        if runner is not None:
            await runner.cleanup()
        if listener is not None:
            await listener.wait_closed()
