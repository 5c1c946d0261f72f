"""An example third-party adapter: a smart plug with a tiny HTTP API.

The plug answers `GET /relay` with `{"ison": true, "name": "Desk Plug", "room": ...}`
and `GET /relay?turn=on|off`. It announces itself as `_exampleplug._tcp.local.`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import aiohttp
from aiohttp import web

from devices.capabilities import CommandSpec, Domain, Params, SwitchState
from devices.entities import DeviceInfo, Entity, EntitySpec
from devices.errors import DeviceConnectionError, DeviceResponseError, DeviceTimeoutError
from devices.plugin import Adapter, Discovered, Manifest
from devices.testing.addresses import HostAllocator
from devices.testing.faults import Faults
from devices.testing.house import DemoDevice
from devices.testing.http import HttpServer, fault_middleware
from devices.testing.mdns import Announcer, service_info

SERVICE = "_exampleplug._tcp.local."


class ExamplePlugAdapter(Adapter):
    """Plugs as switch entities."""

    manifest = Manifest(
        name="exampleplug",
        title="Example Plug",
        domains=(Domain.SWITCH,),
        mdns_types=(SERVICE,),
        emulator="dobby_exampleplug:start_demo",
    )

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.plugs: dict[str, str] = {}
        """Base URL by serial."""

    async def discovered(self, found: Discovered) -> None:
        await self._add(f"http://{found.host}:{found.port}")

    async def start(self) -> None:
        for host in self.config.hosts:
            await self._add(f"http://{host}")

    async def _get(self, base: str, **query: str) -> dict[str, Any]:
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.get(
                    f"{base}/relay", params=query, timeout=aiohttp.ClientTimeout(total=2)
                ) as response,
            ):
                data = await response.json(content_type=None)
        except TimeoutError as error:
            raise DeviceTimeoutError("did not answer in time.") from error
        except aiohttp.ClientConnectionError as error:
            raise DeviceConnectionError("cannot be reached.") from error
        except ValueError as error:
            raise DeviceResponseError("answered with something that makes no sense.") from error
        if not isinstance(data, dict) or not isinstance(data.get("ison"), bool):
            raise DeviceResponseError("answered with something that makes no sense.")
        return data

    async def _add(self, base: str) -> None:
        data = await self._get(base)
        serial = str(data["serial"])
        self.plugs[serial] = base
        state = SwitchState(state="on" if data["ison"] else "off")
        self.context.add_device(
            DeviceInfo(
                unique_id=serial,
                name=str(data["name"]),
                host=base,
                suggested_area=data.get("room"),
            ),
            [
                EntitySpec(
                    unique_id=serial, domain=Domain.SWITCH, name=str(data["name"]), state=state
                )
            ],
        )

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        base = self.plugs[entity.adapter_unique_id]
        turn = {"turn_on": "on", "turn_off": "off", "toggle": "toggle"}[command.verb]
        data = await self._get(base, turn=turn)
        self.context.push_state(
            entity.adapter_unique_id, SwitchState(state="on" if data["ison"] else "off")
        )

    async def refresh(self) -> None:
        for serial, base in self.plugs.items():
            data = await self._get(base)
            self.context.push_state(serial, SwitchState(state="on" if data["ison"] else "off"))


class PlugEmulator:
    """One plug on a loopback address, announced over mDNS on loopback (Dobby's emulator kit)."""

    def __init__(self, host: str, name: str, serial: str, *, room: str, on: bool = False) -> None:
        self.host, self.name, self.serial, self.on = host, name, serial, on
        self.room = room
        self.faults = Faults()
        app = web.Application(middlewares=[fault_middleware(self.faults, garbage=b"<<garbage>>")])
        app.router.add_get("/relay", self._relay)
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
