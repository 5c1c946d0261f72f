"""The HTTP side of an emulated PowerView hub: the endpoints aiopvapi uses, per generation.

A generation 3 hub also serves its shade event stream, `GET /home/shades/events`: a
server-sent event each time a shade starts moving (`motion-started`, with where it is
going) and each time it stops (`motion-stopped`, with where it is).

Every request passes through the hub's `Faults` first (the kit's `fault_middleware`):
latency, no answer, a dropped connection, garbage (a body that claims to be JSON and is
not), or an error (HTTP 500).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Literal

from aiohttp import web
from aiohttp.typedefs import Handler

from devices.adapters.powerview.emulator import wire
from devices.adapters.powerview.emulator.state import (
    EmulatedShade,
    Gateway,
    HubState,
    MotionEvent,
)
from devices.testing.faults import Faults
from devices.testing.http import HttpServer, fault_middleware

Generation = Literal[2, 3]
GARBAGE = b'\x00\x9f{"shadeData": [oops \xde\xad\xbe\xef'
JSON_TYPE = "application/json"


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


def _id(request: web.Request, key: str = "id") -> int:
    try:
        return int(request.match_info[key])
    except ValueError:
        raise web.HTTPBadRequest(text='{"errMsg": "bad id"}', content_type=JSON_TYPE) from None


class HubServer:
    """Serves one hub's REST API on host:port, as generation 2 or 3."""

    def __init__(
        self,
        state: HubState,
        host: str,
        ports: tuple[int, ...],
        generation: Generation,
        faults: Faults,
        *,
        gateway: Gateway | None = None,
        on_request: Callable[[str, str], None] | None = None,
    ) -> None:
        self.state = state
        self.host = host
        self.generation = generation
        self.faults = faults
        self.gateway = gateway or state.gateways[0]
        self.gateway.host = host
        self._on_request = on_request
        self.events_offered = True
        """Whether `/home/shades/events` answers (a hub whose stream is off: 404)."""
        self._streams: set[asyncio.Queue[bytes | None]] = set()
        self._server = HttpServer(self.app, host, ports, faults=faults)
        self._log = logging.getLogger(f"{__name__}[{host}]")

    def app(self) -> web.Application:
        """The aiohttp application with this generation's routes."""
        faults = fault_middleware(
            self.faults,
            garbage=GARBAGE,
            content_type=JSON_TYPE,
            error=lambda _: _json({"errMsg": "Internal hub error"}, status=500),
        )
        app = web.Application(middlewares=[self._record, faults])
        if self.generation == 2:
            app.router.add_get("/api/fwversion", self._v2_fwversion)
            app.router.add_get("/api/userdata", self._v2_userdata)
            app.router.add_get("/api/rooms", self._v2_rooms)
            app.router.add_get("/api/shades", self._v2_shades)
            app.router.add_get("/api/shades/{id}", self._v2_shade)
            app.router.add_put("/api/shades/{id}", self._v2_put_shade)
            app.router.add_get("/api/scenes", self._v2_scenes)
            app.router.add_get("/api/scenemembers", self._v2_scene_members)
        else:
            app.router.add_get("/gateway/info", self._v3_info)
            app.router.add_get("/gateway", self._v3_gateway)
            app.router.add_get("/home", self._v3_home)
            app.router.add_get("/home/rooms", self._v3_rooms)
            app.router.add_get("/home/shades", self._v3_shades)
            app.router.add_get("/home/shades/events", self._v3_events)
            app.router.add_put("/home/shades/positions", self._v3_positions)
            app.router.add_put("/home/shades/stop", self._v3_stop)
            app.router.add_get("/home/shades/{id}", self._v3_shade)
            app.router.add_put("/home/shades/{id}/motion", self._v3_motion)
            app.router.add_get("/home/scenes", self._v3_scenes)
            app.router.add_put("/home/scenes/{id}/activate", self._v3_activate)
        return app

    @property
    def port(self) -> int:
        """The port it serves on."""
        return self._server.port

    async def start(self) -> None:
        """Listen on host and the first of its ports it may bind."""
        await self._server.start()
        self._log.debug("Generation %d hub on port %s", self.generation, self.port)

    async def stop(self) -> None:
        """Stop listening and close open connections (event streams end first)."""
        self.drop_event_streams()
        await self._server.stop()

    @property
    def event_listeners(self) -> int:
        """How many event streams are open."""
        return len(self._streams)

    def drop_event_streams(self) -> None:
        """End every open event stream (the hub keeps answering requests)."""
        for queue in self._streams:
            queue.put_nowait(None)

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self._on_request is not None:
            self._on_request(request.method, request.path_qs)
        return await handler(request)

    async def _body(self, request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text='{"errMsg": "expected JSON"}', content_type=JSON_TYPE)
        return body

    def _shade(self, shade_id: int) -> EmulatedShade:
        shade = self.state.shades.get(shade_id)
        if shade is None:
            raise web.HTTPNotFound(text='{"errMsg": "no such shade"}', content_type=JSON_TYPE)
        return shade

    # -- generation 2 -------------------------------------------------------------------

    async def _v2_fwversion(self, request: web.Request) -> web.Response:
        return _json({"firmware": {"mainProcessor": wire.GEN2_FIRMWARE}})

    async def _v2_userdata(self, request: web.Request) -> web.Response:
        return _json(wire.v2_userdata(self.state, self.host))

    async def _v2_rooms(self, request: web.Request) -> web.Response:
        rooms = [wire.v2_room(r, n) for n, r in enumerate(self.state.rooms.values())]
        return _json(wire.v2_listing("room", rooms))

    async def _v2_shades(self, request: web.Request) -> web.Response:
        shades = [wire.v2_shade(s) for s in self.state.shades.values()]
        return _json(wire.v2_listing("shade", shades))

    async def _v2_shade(self, request: web.Request) -> web.Response:
        return _json({"shade": wire.v2_shade(self._shade(_id(request)))})

    async def _v2_put_shade(self, request: web.Request) -> web.Response:
        shade = self._shade(_id(request))
        body = (await self._body(request)).get("shade")
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text='{"errMsg": "expected shade"}', content_type=JSON_TYPE)
        if body.get("motion") == "stop":
            shade.stop()
        elif isinstance(body.get("positions"), dict):
            shade.move(**wire.v2_targets(shade, body["positions"]))
        return _json({"shade": wire.v2_shade(shade)})

    async def _v2_scenes(self, request: web.Request) -> web.Response:
        wanted = request.query.get("sceneId")
        if wanted is not None:
            if not wanted.isdigit() or int(wanted) not in self.state.scenes:
                raise web.HTTPNotFound(text='{"errMsg": "no such scene"}', content_type=JSON_TYPE)
            return _json({"shadeIds": self.state.activate(int(wanted))})
        scenes = [wire.v2_scene(s, n) for n, s in enumerate(self.state.scenes.values())]
        return _json(wire.v2_listing("scene", scenes))

    async def _v2_scene_members(self, request: web.Request) -> web.Response:
        return _json(wire.v2_scene_members(self.state))

    # -- generation 3 -------------------------------------------------------------------

    async def _v3_info(self, request: web.Request) -> web.Response:
        version = "{revision}.{subRevision}.{build}".format(**wire.GEN3_FIRMWARE)
        return _json({"fwVersion": version, "serialNumber": self.gateway.serial})

    async def _v3_gateway(self, request: web.Request) -> web.Response:
        return _json(wire.v3_gateway(self.state, self.gateway))

    async def _v3_home(self, request: web.Request) -> web.Response:
        return _json(wire.v3_home(self.state))

    async def _v3_rooms(self, request: web.Request) -> web.Response:
        shades = list(self.state.shades.values())
        return _json([wire.v3_room(r, shades) for r in self.state.rooms.values()])

    async def _v3_shades(self, request: web.Request) -> web.Response:
        return _json([wire.v3_shade(s) for s in self.state.shades.values()])

    async def _v3_shade(self, request: web.Request) -> web.Response:
        return _json(wire.v3_shade(self._shade(_id(request))))

    def _ids(self, request: web.Request) -> list[int]:
        raw = request.query.get("ids", "")
        try:
            ids = [int(part) for part in raw.split(",") if part]
        except ValueError:
            ids = []
        if not ids:
            raise web.HTTPBadRequest(text='{"errMsg": "ids required"}', content_type=JSON_TYPE)
        return ids

    async def _v3_positions(self, request: web.Request) -> web.Response:
        ids = self._ids(request)
        positions = (await self._body(request)).get("positions")
        if not isinstance(positions, dict):
            raise web.HTTPBadRequest(text='{"errMsg": "positions"}', content_type=JSON_TYPE)
        targets = wire.v3_targets(positions)
        for shade_id in ids:
            self._shade(shade_id).move(**targets)
        return _json({"responses": [{"id": i, "errorCode": 0} for i in ids]})

    async def _v3_stop(self, request: web.Request) -> web.Response:
        ids = self._ids(request)
        for shade_id in ids:
            self._shade(shade_id).stop()
        return _json({"responses": [{"id": i, "errorCode": 0} for i in ids]})

    async def _v3_motion(self, request: web.Request) -> web.Response:
        shade = self._shade(_id(request))
        if (await self._body(request)).get("motion") == "stop":
            shade.stop()
        return _json({"responses": [{"id": shade.id, "errorCode": 0}]})

    async def _v3_events(self, request: web.Request) -> web.StreamResponse:
        if not self.events_offered:
            raise web.HTTPNotFound(text='{"errMsg": "no events"}', content_type=JSON_TYPE)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        queue: asyncio.Queue[bytes | None] = asyncio.Queue()

        def heard(shade: EmulatedShade, event: MotionEvent) -> None:
            queue.put_nowait(wire.v3_shade_event(shade, event))

        self._streams.add(queue)
        self.state.motion_listeners.append(heard)
        try:
            await response.write(b": hello\n\n")
            while (message := await queue.get()) is not None:
                await response.write(message)
        except (ConnectionError, RuntimeError):
            self._log.debug("An event stream listener went away")
        finally:
            self._streams.discard(queue)
            self.state.motion_listeners.remove(heard)
        return response

    async def _v3_scenes(self, request: web.Request) -> web.Response:
        return _json([wire.v3_scene(s) for s in self.state.scenes.values()])

    async def _v3_activate(self, request: web.Request) -> web.Response:
        scene_id = _id(request)
        if scene_id not in self.state.scenes:
            raise web.HTTPNotFound(text='{"errMsg": "no such scene"}', content_type=JSON_TYPE)
        return _json(self.state.activate(scene_id))
