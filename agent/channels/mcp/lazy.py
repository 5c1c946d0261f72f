"""`/mcp`, with the MCP SDK loaded by its first request.

The SDK and its models take about 20 MB; most households never point an MCP client at
Dobby, so `dobby run` serves `/mcp` through this stand-in and builds the real endpoint
(http.py: the door and the SDK's session manager) when the first request arrives. The
door itself is the real endpoint's: nothing is decided here but "not serving now".
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from agent.channels.mcp.http import McpEndpoint

PATH = "/mcp"
HTTP_MODULE = "agent.channels.mcp.http"


class LazyMcpEndpoint:
    """`/mcp` whose endpoint is built (and its SDK imported, off the event loop) on first use."""

    def __init__(self, build: Callable[[], McpEndpoint]) -> None:
        self._build = build
        self.endpoint: McpEndpoint | None = None
        self._lock = asyncio.Lock()
        self._serving = False

    def add_routes(self, app: web.Application) -> None:
        """Serve `/mcp` (POST, GET and DELETE, as streamable HTTP has them)."""
        app.router.add_route("*", PATH, self.handle)

    async def start(self) -> None:
        """Take requests from now on."""
        self._serving = True

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Build the endpoint if this is the first request, then hand the request to it."""
        endpoint = await self._endpoint()
        if endpoint is None:
            body = {
                "jsonrpc": "2.0",
                "id": None,
                "error": {"code": -32603, "message": "Dobby is not serving MCP now."},
            }
            return web.json_response(body, status=503)
        return await endpoint.handle(request)

    async def _endpoint(self) -> McpEndpoint | None:
        async with self._lock:
            if not self._serving:
                return None
            if self.endpoint is None:
                await asyncio.to_thread(importlib.import_module, HTTP_MODULE)
                endpoint = self._build()
                await endpoint.start()
                self.endpoint = endpoint
            return self.endpoint

    async def stop(self) -> None:
        """End every session and stream; later requests get 503."""
        async with self._lock:
            self._serving = False
            if self.endpoint is not None:
                await self.endpoint.stop()
