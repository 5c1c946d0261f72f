"""The plug's emulator, on a loopback address of its own (Dobby's emulator kit)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from aiohttp import web

from devices.testing.addresses import HostAllocator
from devices.testing.faults import Faults
from devices.testing.house import DemoDevice
from devices.testing.http import HttpServer, fault_middleware
from devices.testing.mdns import Announcer, service_info
from dobby_exampleplug.manifest import SERVICE


class PlugEmulator:
    """One plug on a loopback address, announced over mDNS on loopback (Dobby's emulator kit)."""

    def __init__(self, host: str, name: str, serial: str, *, room: str, on: bool = False) -> None:
        self.host, self.name, self.serial, self.on = host, name, serial, on
        self.room = room
        self.token: str | None = None
        """The token the last pairing handed out."""
        self.faults = Faults()
        app = web.Application(middlewares=[fault_middleware(self.faults, garbage=b"<<garbage>>")])
        app.router.add_get("/relay", self._relay)
        app.router.add_get("/pair", self._pair)
        self._server = HttpServer(app, host)
        self._announcer: Announcer | None = None

    @property
    def port(self) -> int:
        return self._server.port

    async def _relay(self, request: web.Request) -> web.Response:
        turn = request.query.get("turn")
        if turn == "toggle":
            self.on = not self.on
        elif turn in ("on", "off"):
            self.on = turn == "on"
        return web.json_response(
            {"ison": self.on, "name": self.name, "serial": self.serial, "room": self.room}
        )

    async def _pair(self, _: web.Request) -> web.Response:
        self.token = secrets.token_hex(8)
        return web.json_response({"serial": self.serial, "token": self.token})

    async def start(self, interface: str) -> None:
        await self._server.start()
        info = service_info(
            SERVICE, self.serial, self.host, self.port, properties={"name": self.name}
        )
        self._announcer = Announcer([info], interface)
        await self._announcer.start()

    async def stop(self) -> None:
        if self._announcer is not None:
            await self._announcer.stop()
        await self._server.stop()


class _Plugs:
    def __init__(self, plugs: list[PlugEmulator]) -> None:
        self.plugs = plugs

    async def stop(self) -> None:
        for plug in self.plugs:
            await plug.stop()


async def start_demo(
    devices: Sequence[DemoDevice], hosts: HostAllocator, *, interface: str
) -> _Plugs:
    """The virtual-house hook: one emulated plug per device."""
    plugs = []
    for number, device in enumerate(devices):
        plug = PlugEmulator(
            hosts.allocate(),
            device.name,
            f"PLUG{number:04d}",
            room=device.area,
            on=device.state.get("state") == "on",
        )
        await plug.start(interface)
        plugs.append(plug)
    return _Plugs(plugs)
