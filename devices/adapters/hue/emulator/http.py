"""The emulated bridge's HTTPS API: pairing, CLIP v2 resources and the event stream.

    GET  /api/config                        bridge id and versions (no key needed)
    POST /api                               pairing: error 101 until the link button is pressed
    GET  /clip/v2/resource[/<type>[/<id>]]  resources (header `hue-application-key`)
    PUT  /clip/v2/resource/<type>/<id>      light, grouped_light, scene, geofence_client
    POST /clip/v2/resource/geofence_client  aiohue's keep-alive
    GET  /eventstream/clip/v2               server-sent events of every change

Every request first passes the bridge's `Faults` (the kit's `fault_middleware`): latency,
no answer, a connection closed without an answer, garbage instead of JSON, or a CLIP
error (HTTP 500). A change made by a request goes out on the event stream after the
reply to that request, as a real bridge sends it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from devices.adapters.hue.emulator.model import Bridge, ClipError
from devices.adapters.hue.emulator.v1 import BridgeV1
from devices.testing.http import fault_middleware

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
GARBAGE = b"<html>not what a bridge says{"
"""Not JSON, yet text: aiohue 4.9 kills its event reader on bytes that are not UTF-8."""


def clip_error(status: int, description: str) -> web.Response:
    """A CLIP v2 error answer."""
    return web.json_response({"errors": [{"description": description}], "data": []}, status=status)


class BridgeHTTP:
    """The aiohttp application of one emulated bridge."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self.logger = logging.getLogger(f"{__name__}[{bridge.host}]")
        faults = fault_middleware(
            bridge.faults,
            garbage=GARBAGE,
            error=lambda _: clip_error(500, "internal error, 500"),
        )
        self.app = web.Application(middlewares=[faults, self._clip_errors])
        self.app.router.add_get("/api/config", self.config)
        self.app.router.add_post("/api", self.create_user)
        if bridge.api == "v2":
            self.app.router.add_get("/clip/v2/resource", self.get_all)
            self.app.router.add_get("/clip/v2/resource/{rtype}", self.get_type)
            self.app.router.add_get("/clip/v2/resource/{rtype}/{rid}", self.get_one)
            self.app.router.add_put("/clip/v2/resource/{rtype}/{rid}", self.put)
            self.app.router.add_post("/clip/v2/resource/{rtype}", self.post)
            self.app.router.add_get("/eventstream/clip/v2", self.eventstream)
        BridgeV1(bridge).add_routes(self.app)  # real v2 bridges answer v1 too (here: on HTTPS)
        self.streams: set[asyncio.Queue[bytes | None]] = set()
        self.listening = asyncio.Event()
        """Set while at least one event stream is open."""

    # -- middlewares --------------------------------------------------------------------

    @web.middleware
    async def _clip_errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ClipError as error:
            return clip_error(error.status, error.description)

    def _authorise(self, request: web.Request) -> None:
        key = request.headers.get("hue-application-key", "")
        if key not in self.bridge.keys:
            raise ClipError(403, "unauthorized user")

    # -- pairing and config -------------------------------------------------------------

    async def config(self, request: web.Request) -> web.Response:
        """The public bridge config every bridge answers without a key."""
        del request
        config = self.bridge.public_config()
        if self.bridge.api == "v1":
            config.update(modelid="BSB001", apiversion="1.16.0", swversion="01041302")
        return web.json_response(config)

    async def create_user(self, request: web.Request) -> web.Response:
        """POST /api: a new application key, if the link button was pressed lately."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("devicetype"), str):
            error = {"type": 5, "address": "/", "description": "invalid/missing parameters in body"}
            return web.json_response([{"error": error}])
        if not self.bridge.link_button_pressed:
            error = {"type": 101, "address": "", "description": "link button not pressed"}
            return web.json_response([{"error": error}])
        username = secrets.token_urlsafe(30)[:40]
        self.bridge.keys.add(username)
        success: dict[str, Any] = {"username": username}
        if body.get("generateclientkey") is True:
            success["clientkey"] = secrets.token_hex(16).upper()
        self.bridge.paired.append(body["devicetype"])
        return web.json_response([{"success": success}])

    # -- resources ----------------------------------------------------------------------

    async def get_all(self, request: web.Request) -> web.Response:
        """Every resource."""
        self._authorise(request)
        return web.json_response({"errors": [], "data": self.bridge.model.resources()})

    async def get_type(self, request: web.Request) -> web.Response:
        """Every resource of one type."""
        self._authorise(request)
        rtype = request.match_info["rtype"]
        items = [r for r in self.bridge.model.resources() if r["type"] == rtype]
        return web.json_response({"errors": [], "data": items})

    async def get_one(self, request: web.Request) -> web.Response:
        """One resource."""
        self._authorise(request)
        item = self.bridge.model.find(request.match_info["rtype"], request.match_info["rid"])
        return web.json_response({"errors": [], "data": [item]})

    async def put(self, request: web.Request) -> web.Response:
        """Change a resource; the change goes out on the event stream."""
        self._authorise(request)
        rtype, rid = request.match_info["rtype"], request.match_info["rid"]
        try:
            body = await request.json()
        except ValueError:
            raise ClipError(400, "body contains invalid JSON") from None
        if not isinstance(body, dict):
            raise ClipError(400, "body must be an object")
        self.bridge.requests.append(("PUT", f"{rtype}/{rid}", body))
        events: list[tuple[str, bytes]] = []
        with self.bridge.changing(events):
            self.bridge.model.apply_put(rtype, rid, body)
        reply = web.json_response({"errors": [], "data": [{"rid": rid, "rtype": rtype}]})
        return await self._reply_then_publish(request, reply, events)

    async def post(self, request: web.Request) -> web.Response:
        """Create a resource: only geofence clients (aiohue's keep-alive) are emulated."""
        self._authorise(request)
        rtype = request.match_info["rtype"]
        if rtype != "geofence_client":
            raise ClipError(405, f"method POST not available for resource type {rtype}")
        body = await request.json()
        events: list[tuple[str, bytes]] = []
        with self.bridge.changing(events):
            rid = self.bridge.model.add_geofence_client(str(body.get("name", "")))
        reply = web.json_response({"errors": [], "data": [{"rid": rid, "rtype": rtype}]})
        return await self._reply_then_publish(request, reply, events)

    async def _reply_then_publish(
        self, request: web.Request, reply: web.Response, events: list[tuple[str, bytes]]
    ) -> web.Response:
        """Send the whole reply, then the events of the change (a bridge's order)."""
        await reply.prepare(request)
        await reply.write_eof()
        for event in events:
            self.bridge.publish(*event)
        return reply

    # -- events -------------------------------------------------------------------------

    def publish(self, message: bytes) -> None:
        """Send one server-sent event to every open event stream."""
        for queue in self.streams:
            queue.put_nowait(message)

    def close_streams(self) -> None:
        """End every open event stream (at stop)."""
        for queue in self.streams:
            queue.put_nowait(None)

    async def eventstream(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: a hello, missed events after Last-Event-ID, then changes."""
        self._authorise(request)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()
        for missed in self.bridge.events_after(request.headers.get("Last-Event-ID", "")):
            queue.put_nowait(missed)
        self.streams.add(queue)
        self.listening.set()
        try:
            await response.write(b": hi\n\n")
            while (message := await queue.get()) is not None:
                await response.write(message)
        except (ConnectionError, RuntimeError):
            self.logger.debug("An event stream listener went away")
        finally:
            self.streams.discard(queue)
            if not self.streams:
                self.listening.clear()
        return response


def sse(event_id: str, events: list[dict[str, Any]]) -> bytes:
    """One server-sent event as the bridge frames it."""
    return f"id: {event_id}\ndata: {json.dumps(events, separators=(',', ':'))}\n\n".encode()
