"""What the unknown-device emulators share: an HTTP server with faults and a request log."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from devices.testing.faults import Faults
from devices.testing.http import HttpServer, fault_middleware

MAX_LOGGED_BODY = 4096
BODY = web.RequestKey("body", bytes)
"""Where the logging middleware leaves the request's body for the handler."""


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the device received it."""

    method: str
    path: str
    """The path with its query string, as sent (`/rpc/Switch.GetStatus?id=0`)."""
    body: bytes = b""
    soap_action: str = ""

    @property
    def changes_state(self) -> bool:
        """Whether this request could have changed the device (anything but a read)."""
        return self.method not in ("GET", "HEAD") and not self.soap_action.rsplit("#", 1)[-1].strip(
            '"'
        ).startswith("Get")


class HttpDevice:
    """One emulated HTTP device: `requests` logs every request before faults apply."""

    garbage = b"{\x00not json"

    def __init__(self, host: str, port: int = 80) -> None:
        self.host = host
        self.faults = Faults()
        self.requests: list[LoggedRequest] = []
        self.server = HttpServer(self._application, host, ports=(port, 0))

    @property
    def port(self) -> int:
        """The port it serves on (80 when it could bind it, else any free port)."""
        return self.server.port

    @property
    def base_url(self) -> str:
        """`http://host:port`."""
        return f"http://{self.host}:{self.port}"

    def routes(self, app: web.Application) -> None:
        """Add the device's routes."""
        raise NotImplementedError

    def _application(self) -> web.Application:
        app = web.Application(
            middlewares=[self._logging(), fault_middleware(self.faults, garbage=self.garbage)]
        )
        self.routes(app)
        return app

    def _logging(self) -> Middleware:
        @web.middleware
        async def log(request: web.Request, handler: Handler) -> web.StreamResponse:
            body = await request.content.read(MAX_LOGGED_BODY) if request.can_read_body else b""
            self.requests.append(
                LoggedRequest(
                    request.method,
                    request.path_qs,
                    body,
                    request.headers.get("SOAPACTION", ""),
                )
            )
            request[BODY] = body
            return await handler(request)

        return log

    def changing_requests(self) -> list[LoggedRequest]:
        """Every request that could have changed the device."""
        return [r for r in self.requests if r.changes_state]
