"""`/mcp` on `dobby run`'s aiohttp server: the SDK's streamable-HTTP transport behind
Dobby's own door.

The SDK serves streamable HTTP as an ASGI app (`StreamableHTTPSessionManager`); this module
hands it each request that got past the door, translated to ASGI and back, streaming (SSE)
included. The door, in order, before a byte of the body is read:

1. Origin: a browser page from anywhere but this machine (or an origin the household
   allows, `DOBBY_MCP_ALLOWED_ORIGINS`) is refused (403), as the MCP specification asks of
   local servers against DNS rebinding.
2. Identity: `Authorization: Bearer <token>` issued to a member (`dobby members token`);
   missing, unknown or revoked → 401, nothing read.
3. Size: a body over `MAX_BODY` is refused (413), by its declared length or as it arrives.

The SDK then checks the Host header, parses JSON-RPC (malformed → a JSON-RPC error, never
a 500) and binds a session to the token that opened it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from multidict import CIMultiDict
from starlette.authentication import AuthCredentials

from agent.channels.mcp.server import MEMBER_KEY, HouseServer
from agent.channels.members import Members, token_hash

_LOGGER = logging.getLogger(__name__)

PATH = "/mcp"
MAX_BODY = 1024 * 1024
"""Bytes one request body may have: a tool call is a few hundred."""
LOCAL_ORIGINS = ("http://127.0.0.1", "http://localhost", "http://[::1]")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]")
DISCONNECT_POLL = 0.25
"""Seconds between looks at whether a client of a long-lived stream went away."""


def jsonrpc_error(status: int, code: int, message: str, **headers: str) -> web.Response:
    """A JSON-RPC error (no request id: nothing was parsed) with an HTTP status."""
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}
    return web.json_response(body, status=status, headers=headers)


class McpEndpoint:
    """`/mcp` for one service: the door, and the SDK's session manager behind it."""

    def __init__(
        self,
        server: HouseServer,
        members: Members,
        *,
        allowed_origins: list[str] | None = None,
        max_body: int = MAX_BODY,
    ) -> None:
        self.server, self.members, self.max_body = server, members, max_body
        self.allowed_origins = [o.rstrip("/") for o in allowed_origins or []]
        hosts = [f"{h}:*" for h in LOCAL_HOSTS] + list(LOCAL_HOSTS)
        hosts += [urlsplit(o).netloc for o in self.allowed_origins]
        self.manager = StreamableHTTPSessionManager(
            app=server.server,
            security_settings=TransportSecuritySettings(
                enable_dns_rebinding_protection=True,
                allowed_hosts=hosts,
                allowed_origins=[f"{o}:*" for o in LOCAL_ORIGINS]
                + list(LOCAL_ORIGINS)
                + self.allowed_origins,
            ),
            max_request_body_size=max_body,
        )
        self._stopping = asyncio.Event()
        self._running: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    def add_routes(self, app: web.Application) -> None:
        """Serve `/mcp` (POST, GET and DELETE, as streamable HTTP has them)."""
        app.router.add_route("*", PATH, self.handle)

    async def start(self) -> None:
        """Run the session manager (in a task of its own: it holds an anyio task group)."""
        self._running = asyncio.create_task(self._run(), name="mcp-sessions")
        await self._ready.wait()

    async def _run(self) -> None:
        async with self.manager.run():
            self._ready.set()
            await self._stopping.wait()

    async def stop(self) -> None:
        """End every session and stream; later requests get 503."""
        self._stopping.set()
        await self.server.close()
        if self._running is not None:
            await self._running

    # -- the door -----------------------------------------------------------------------

    def origin_allowed(self, origin: str | None) -> bool:
        """No Origin (not a browser), this machine's, or one the household allows."""
        if not origin:
            return True
        origin = origin.rstrip("/")
        if origin in self.allowed_origins:
            return True
        return any(origin == o or origin.startswith(f"{o}:") for o in LOCAL_ORIGINS)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Check the door, then hand the request to the SDK."""
        if not self.origin_allowed(request.headers.get("Origin")):
            _LOGGER.warning("Refused an MCP request from origin %s", request.headers["Origin"])
            return jsonrpc_error(403, -32600, "Origin not allowed.")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        member = self.members.token_member(token.strip()) if scheme.lower() == "bearer" else None
        if member is None:
            return jsonrpc_error(
                401, -32600, "A member's bearer token is needed.", **{"WWW-Authenticate": "Bearer"}
            )
        if (request.content_length or 0) > self.max_body:
            return jsonrpc_error(413, -32600, "Request body too large.")
        if self._running is None or self._stopping.is_set():
            return jsonrpc_error(503, -32603, "Dobby is not serving MCP now.")
        body = b""
        if request.can_read_body:
            body = await request.content.read(self.max_body + 1)
            if len(body) > self.max_body:
                return jsonrpc_error(413, -32600, "Request body too large.")
        access = AccessToken(
            token=token_hash(token)[:12], client_id=member.id, scopes=[], subject=token_hash(token)
        )
        scope = asgi_scope(request)
        scope["user"] = AuthenticatedUser(access)
        scope["auth"] = AuthCredentials([])
        scope[MEMBER_KEY] = member
        return await Bridge(request, body).serve(self.manager.handle_request, scope)


def asgi_scope(request: web.Request) -> dict[str, Any]:
    """The ASGI HTTP scope of an aiohttp request."""
    peer = request.transport.get_extra_info("peername") if request.transport else None
    sock = request.transport.get_extra_info("sockname") if request.transport else None
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": f"{request.version.major}.{request.version.minor}",
        "method": request.method,
        "scheme": request.scheme,
        "path": request.path,
        "raw_path": request.raw_path.split("?", 1)[0].encode("latin-1"),
        "query_string": request.query_string.encode("latin-1"),
        "root_path": "",
        "headers": [(k.lower(), v) for k, v in request.raw_headers],
        "client": tuple(peer[:2]) if peer else None,
        "server": tuple(sock[:2]) if sock else None,
        "state": {},
    }


class Bridge:
    """One request run through an ASGI app, its answer streamed back through aiohttp."""

    def __init__(self, request: web.Request, body: bytes) -> None:
        self.request, self.body = request, body
        self.response: web.StreamResponse | None = None
        self._status = 500
        self._headers: CIMultiDict[str] = CIMultiDict()
        self._sent_body = False
        self._finished = False

    async def serve(self, app: Any, scope: dict[str, Any]) -> web.StreamResponse:
        """Run `app` for the request; what it answered (a JSON-RPC error if it crashed)."""
        try:
            await app(scope, self.receive, self.send)
        except (ConnectionResetError, asyncio.CancelledError):
            raise
        except Exception:
            _LOGGER.exception("The MCP transport failed on a request")
            if self.response is None:
                return jsonrpc_error(500, -32603, "Internal error.")
        if self.response is None:  # the app answered nothing: say so, do not hang
            return jsonrpc_error(500, -32603, "No response.")
        if not self._finished:
            with contextlib.suppress(ConnectionResetError):
                await self.response.write_eof()
        return self.response

    async def receive(self) -> dict[str, Any]:
        """The body (already read past the door), then, once the client is gone, a
        disconnect."""
        if not self._sent_body:
            self._sent_body = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        while not self._gone():  # noqa: ASYNC110 - aiohttp tells a handler of no disconnect
            await asyncio.sleep(DISCONNECT_POLL)
        return {"type": "http.disconnect"}

    def _gone(self) -> bool:
        transport = self.request.transport
        return self._finished or transport is None or transport.is_closing()

    async def send(self, message: dict[str, Any]) -> None:
        """Start the answer, stream its body."""
        if message["type"] == "http.response.start":
            self._status = int(message["status"])
            for key, value in message.get("headers", []):
                self._headers.add(key.decode("latin-1"), value.decode("latin-1"))
            return
        if message["type"] != "http.response.body":
            return
        chunk: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        if self._finished:
            return  # the client went away: what the app still says goes nowhere
        try:
            if self.response is None:
                self.response = web.StreamResponse(status=self._status, headers=self._headers)
                if not more and "Content-Length" not in self._headers:
                    self.response.content_length = len(chunk)
                await self.response.prepare(self.request)
            if chunk:
                await self.response.write(chunk)
            if not more:
                self._finished = True
                await self.response.write_eof()
        except ConnectionResetError:
            self._finished = True
