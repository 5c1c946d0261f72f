"""A WLED light strip: WLED's JSON API over HTTP, announced as `_wled._tcp` by mDNS.

From WLED's JSON API documentation: GET `/json` answers `state`, `info`, `effects` and
`palettes`; `/json/state`, `/json/info`, `/json/eff` and `/json/pal` each one of them. A
POST of (part of) a state object to `/json/state` or `/json` changes it: `on` (a boolean,
or "t" to toggle), `bri` (0-255), `seg[0].col` (colours as [r, g, b]); with `"v": true`
the answer is the full new state, else `{"success": true}`. `/` serves the web page.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from devices.testing.mdns import Announcer, service_info
from devices.testing.unknown.base import BODY, HttpDevice

SERVICE = "_wled._tcp.local."
HTTP_SERVICE = "_http._tcp.local."
VERSION = "0.14.4"
EFFECTS = ["Solid", "Blink", "Breathe", "Wipe", "Wipe Random", "Random Colors", "Sweep"]
PALETTES = ["Default", "* Random Cycle", "* Color 1", "* Colors 1&2", "Party", "Cloud"]


class WledStrip(HttpDevice):
    """One strip. `faults.stuck` acknowledges every change and makes none."""

    def __init__(
        self, host: str, name: str, mac: str, *, on: bool = False, brightness: int = 128
    ) -> None:
        super().__init__(host)
        self.name, self.mac = name, mac.lower().replace(":", "")
        self.on, self.bri = on, brightness
        self.color = [255, 160, 0]
        self.leds = 30
        self._announcer: Announcer | None = None

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/", self._page)
        app.router.add_get("/json", self._all)
        app.router.add_get("/json/state", self._state)
        app.router.add_get("/json/info", self._info)
        app.router.add_get("/json/eff", self._effects)
        app.router.add_get("/json/pal", self._palettes)
        app.router.add_post("/json/state", self._change)
        app.router.add_post("/json", self._change)

    def state(self) -> dict[str, Any]:
        """The `state` object, as WLED answers it."""
        return {
            "on": self.on,
            "bri": self.bri,
            "transition": 7,
            "ps": -1,
            "pl": -1,
            "nl": {"on": False, "dur": 60, "mode": 1, "tbri": 0, "rem": -1},
            "udpn": {"send": False, "recv": True},
            "lor": 0,
            "mainseg": 0,
            "seg": [
                {
                    "id": 0,
                    "start": 0,
                    "stop": self.leds,
                    "len": self.leds,
                    "col": [self.color, [0, 0, 0], [0, 0, 0]],
                    "fx": 0,
                    "sx": 128,
                    "ix": 128,
                    "pal": 0,
                    "sel": True,
                    "rev": False,
                    "on": True,
                    "bri": 255,
                }
            ],
        }

    def info(self) -> dict[str, Any]:
        """The `info` object, as WLED answers it."""
        return {
            "ver": VERSION,
            "vid": 2405180,
            "leds": {"count": self.leds, "rgbw": False, "pwr": 0, "fps": 42, "maxpwr": 850},
            "str": False,
            "name": self.name,
            "udpport": 21324,
            "live": False,
            "fxcount": len(EFFECTS),
            "palcount": len(PALETTES),
            "arch": "esp32",
            "core": "v3.3.6-16-gcc5440f6a2",
            "freeheap": 198432,
            "uptime": 8123,
            "brand": "WLED",
            "product": "FOSS",
            "mac": self.mac,
            "ip": self.host,
        }

    async def _page(self, request: web.Request) -> web.Response:
        del request
        # WLED's page: its title is WLED until its script names it after the device
        page = "<!DOCTYPE html><html><head><title>WLED</title></head><body></body></html>"
        return web.Response(text=page, content_type="text/html")

    async def _all(self, request: web.Request) -> web.Response:
        del request
        return web.json_response(
            {"state": self.state(), "info": self.info(), "effects": EFFECTS, "palettes": PALETTES}
        )

    async def _state(self, request: web.Request) -> web.Response:
        del request
        return web.json_response(self.state())

    async def _info(self, request: web.Request) -> web.Response:
        del request
        return web.json_response(self.info())

    async def _effects(self, request: web.Request) -> web.Response:
        del request
        return web.json_response(EFFECTS)

    async def _palettes(self, request: web.Request) -> web.Response:
        del request
        return web.json_response(PALETTES)

    async def _change(self, request: web.Request) -> web.Response:
        try:
            body = json.loads(request[BODY] or b"null")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return web.json_response({"error": 9}, status=400)
        if not self.faults.stuck:
            self._apply(body)
        if body.get("v") is True:
            return web.json_response(self.state())
        return web.json_response({"success": True})

    def _apply(self, body: dict[str, Any]) -> None:
        on = body.get("on")
        if on == "t":
            self.on = not self.on
        elif isinstance(on, bool):
            self.on = on
        bri = body.get("bri")
        if isinstance(bri, int) and not isinstance(bri, bool):
            self.bri = max(0, min(255, bri))
        segments = body.get("seg")
        if isinstance(segments, dict):
            segments = [segments]
        if isinstance(segments, list) and segments and isinstance(segments[0], dict):
            colours = segments[0].get("col")
            if isinstance(colours, list) and colours and _is_rgb(colours[0]):
                self.color = [max(0, min(255, c)) for c in colours[0][:3]]

    async def start(self, interface: str) -> None:
        """Serve, then announce `_wled._tcp` (TXT `mac`) and `_http._tcp`, as WLED does: both
        named after its mDNS host name, `wled-` and the end of its MAC (the ESP's mDNS
        responder names its services after the host), not after the strip's own name."""
        await self.server.start()
        hostname = f"wled-{self.mac[-6:]}"
        server = f"{hostname}.local."
        infos = [
            service_info(
                SERVICE, hostname, self.host, self.port, server=server, properties={"mac": self.mac}
            ),
            service_info(HTTP_SERVICE, hostname, self.host, self.port, server=server),
        ]
        self._announcer = Announcer(infos, interface)
        await self._announcer.start()

    async def stop(self) -> None:
        """Withdraw the announcements and stop serving."""
        if self._announcer is not None:
            await self._announcer.stop()
        await self.server.stop()


def _is_rgb(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) >= 3
        and all(isinstance(c, int) and not isinstance(c, bool) for c in value[:3])
    )
