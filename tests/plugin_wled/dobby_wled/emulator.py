"""An emulated WLED-like strip: its HTTP JSON API on a loopback address, announced by mDNS."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiohttp import web

from devices.testing.addresses import HostAllocator
from devices.testing.faults import Faults
from devices.testing.house import DemoDevice
from devices.testing.http import HttpServer, fault_middleware
from devices.testing.mdns import Announcer, service_info

SERVICE = "_wled._tcp.local."


class StripEmulator:
    """One strip. `faults.stuck` acknowledges every change and makes none."""

    def __init__(self, host: str, name: str, mac: str, *, room: str, on: bool = False) -> None:
        self.host, self.name, self.mac, self.room = host, name, mac, room
        self.on, self.bri = on, 128
        self.faults = Faults()
        app = web.Application(middlewares=[fault_middleware(self.faults, garbage=b"{oops")])
        app.router.add_get("/json/info", self._info)
        app.router.add_get("/json/state", self._state)
        app.router.add_post("/json/state", self._change)
        self._server = HttpServer(app, host, faults=self.faults)
        self._announcer: Announcer | None = None

    @property
    def address(self) -> str:
        """`host:port`, as the adapter's `hosts` setting takes it."""
        return f"{self.host}:{self._server.port}"

    def state(self) -> dict[str, Any]:
        return {"on": self.on, "bri": self.bri}

    async def _info(self, request: web.Request) -> web.Response:
        del request
        info = {"name": self.name, "mac": self.mac, "ver": "0.14.4", "room": self.room}
        return web.json_response(info)

    async def _state(self, request: web.Request) -> web.Response:
        del request
        return web.json_response(self.state())

    async def _change(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not isinstance(body, dict):
            raise web.HTTPBadRequest
        if not self.faults.stuck:
            if body.get("on") == "t":
                self.on = not self.on
            elif isinstance(body.get("on"), bool):
                self.on = body["on"]
            if isinstance(body.get("bri"), int):
                self.bri = max(0, min(255, body["bri"]))
        return web.json_response({"success": True})

    async def start(self, interface: str) -> None:
        await self._server.start()
        info = service_info(SERVICE, self.name, self.host, self._server.port)
        self._announcer = Announcer([info], interface)
        await self._announcer.start()

    async def stop(self) -> None:
        if self._announcer is not None:
            await self._announcer.stop()
        await self._server.stop()


class Strips:
    """Every emulated strip of one house."""

    def __init__(self, strips: list[StripEmulator]) -> None:
        self.strips = strips

    def all_faults(self) -> list[Faults]:
        return [strip.faults for strip in self.strips]

    async def stop(self) -> None:
        for strip in self.strips:
            await strip.stop()


async def start_strips(
    hosts: HostAllocator, names: Sequence[tuple[str, str]], *, interface: str
) -> Strips:
    """One strip per (name, room), each on an address of its own."""
    strips = []
    for number, (name, room) in enumerate(names):
        host = hosts.allocate()
        strip = StripEmulator(host, name, f"a4cf12{number:06x}", room=room)
        await strip.start(interface)
        strips.append(strip)
    return Strips(strips)


async def start_demo(
    devices: Sequence[DemoDevice], hosts: HostAllocator, *, interface: str
) -> Strips:
    """The virtual-house hook: one emulated strip per device."""
    return await start_strips(hosts, [(d.name, d.area) for d in devices], interface=interface)
