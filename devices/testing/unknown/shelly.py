"""A Shelly Plus 1 relay: Shelly's Gen2 RPC over HTTP, announced as `_shelly._tcp`.

From Shelly's Gen2 API documentation: GET `/shelly` answers who the device is (`id`,
`mac`, `model`, `gen: 2`, `app`, `ver`, `auth_en`); every RPC method is also served at
GET `/rpc/<Method>` with its parameters in the query string (`/rpc/Switch.Set?id=0&on=true`)
and at POST `/rpc` as a JSON-RPC frame (`{"id": 1, "method": "Switch.Set", "params": {...}}`).
`Switch.GetStatus` answers `{"id", "source", "output", "temperature": {"tC", "tF"}}`;
`Switch.Set` answers `{"was_on": ...}`; `Switch.Toggle` likewise. Unknown methods are 404.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from devices.testing.mdns import Announcer, service_info
from devices.testing.unknown.base import BODY, HttpDevice

SERVICE = "_shelly._tcp.local."
HTTP_SERVICE = "_http._tcp.local."
MODEL = "SNSW-001X16EU"
VERSION = "1.4.4"
FIRMWARE = "20241011-114455/1.4.4-g6d2a586"


class RpcError(Exception):
    """An RPC error: Shelly's code and message."""

    def __init__(self, code: int, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class ShellyPlus1(HttpDevice):
    """One relay (switch id 0). `faults.stuck` acknowledges Set and changes nothing."""

    def __init__(self, host: str, name: str, mac: str, *, on: bool = False) -> None:
        super().__init__(host)
        self.name = name
        self.mac = mac.upper().replace(":", "")
        self.output = on
        self.source = "init"
        self._announcer: Announcer | None = None

    @property
    def device_id(self) -> str:
        """`shellyplus1-<mac>`, as the device names itself."""
        return f"shellyplus1-{self.mac.lower()}"

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/shelly", self._shelly)
        app.router.add_get("/rpc/{method}", self._rpc_get)
        app.router.add_post("/rpc", self._rpc_post)

    def device_info(self) -> dict[str, Any]:
        """`Shelly.GetDeviceInfo` (and `/shelly`)."""
        return {
            "name": self.name,
            "id": self.device_id,
            "mac": self.mac,
            "slot": 0,
            "model": MODEL,
            "gen": 2,
            "fw_id": FIRMWARE,
            "ver": VERSION,
            "app": "Plus1",
            "auth_en": False,
            "auth_domain": None,
        }

    def switch_status(self) -> dict[str, Any]:
        """`Switch.GetStatus` of switch 0."""
        return {
            "id": 0,
            "source": self.source,
            "output": self.output,
            "temperature": {"tC": 48.3, "tF": 118.9},
        }

    def call(self, method: str, params: dict[str, Any]) -> Any:  # noqa: PLR0911 - one per method
        """Carry out one RPC method; `RpcError` as the device would answer it."""
        match method:
            case "Shelly.GetDeviceInfo":
                return self.device_info()
            case "Shelly.GetStatus":
                return {
                    "switch:0": self.switch_status(),
                    "sys": {"mac": self.mac, "restart_required": False, "uptime": 5123},
                    "wifi": {"sta_ip": self.host, "status": "got ip", "rssi": -58},
                }
            case "Shelly.GetConfig":
                return {"switch:0": self._switch_config(), "sys": {"device": {"name": self.name}}}
            case "Shelly.ListMethods":
                return {"methods": sorted(_METHODS)}
            case "Switch.GetStatus":
                self._switch_id(params)
                return self.switch_status()
            case "Switch.GetConfig":
                self._switch_id(params)
                return self._switch_config()
            case "Switch.Set":
                self._switch_id(params)
                on = params.get("on")
                if not isinstance(on, bool):
                    raise RpcError(-103, "Invalid argument 'on': boolean expected")
                return self._switch(on)
            case "Switch.Toggle":
                self._switch_id(params)
                return self._switch(not self.output)
        raise RpcError(404, f"No handler for {method}", status=404)

    def _switch_config(self) -> dict[str, Any]:
        return {"id": 0, "name": self.name, "in_mode": "follow", "initial_state": "match_input"}

    @staticmethod
    def _switch_id(params: dict[str, Any]) -> None:
        if params.get("id") != 0:
            raise RpcError(-105, "Argument 'id', value " + str(params.get("id")) + " not found!")

    def _switch(self, on: bool) -> dict[str, Any]:
        was_on = self.output
        if not self.faults.stuck:
            self.output, self.source = on, "HTTP_in"
        return {"was_on": was_on}

    async def _shelly(self, request: web.Request) -> web.Response:
        del request
        return web.json_response(self.device_info())

    async def _rpc_get(self, request: web.Request) -> web.Response:
        params = {key: _query_value(value) for key, value in request.query.items()}
        try:
            return web.json_response(self.call(request.match_info["method"], params))
        except RpcError as error:
            body = {"code": error.code, "message": error.message}
            return web.json_response(body, status=error.status)

    async def _rpc_post(self, request: web.Request) -> web.Response:
        try:
            frame = json.loads(request[BODY] or b"null")
        except ValueError:
            frame = None
        if not isinstance(frame, dict) or not isinstance(frame.get("method"), str):
            body = {"id": None, "error": {"code": -32700, "message": "Parse error"}}
            return web.json_response(body, status=400)
        params = frame.get("params") or {}
        reply: dict[str, Any] = {"id": frame.get("id"), "src": self.device_id}
        try:
            reply["result"] = self.call(frame["method"], params if isinstance(params, dict) else {})
        except RpcError as error:
            reply["error"] = {"code": error.code, "message": error.message}
        return web.json_response(reply)

    async def start(self, interface: str) -> None:
        """Serve, then announce `_shelly._tcp` and `_http._tcp` with Shelly's TXT records."""
        await self.server.start()
        server = f"{self.device_id}.local."
        txt = {"gen": "2", "app": "Plus1", "ver": VERSION, "id": self.device_id}
        infos = [
            service_info(
                SERVICE, self.device_id, self.host, self.port, server=server, properties=txt
            ),
            service_info(
                HTTP_SERVICE, self.device_id, self.host, self.port, server=server, properties=txt
            ),
        ]
        self._announcer = Announcer(infos, interface)
        await self._announcer.start()

    async def stop(self) -> None:
        """Withdraw the announcements and stop serving."""
        if self._announcer is not None:
            await self._announcer.stop()
        await self.server.stop()


_METHODS = (
    "Shelly.GetDeviceInfo",
    "Shelly.GetStatus",
    "Shelly.GetConfig",
    "Shelly.ListMethods",
    "Switch.GetStatus",
    "Switch.GetConfig",
    "Switch.Set",
    "Switch.Toggle",
)


def _query_value(text: str) -> Any:
    """A query parameter as the device reads it: JSON when it parses (`true`, `0`)."""
    try:
        return json.loads(text)
    except ValueError:
        return text
