"""One emulated Hue bridge: its home, its HTTPS server, its events and its announcement.

bridge = HueBridgeEmulator("127.0.0.10", [LightSpec("Desk", "Study", on=True)])
await bridge.start()
bridge.press_link_button()          # someone at the bridge: pairing works for 30 s
bridge.set_light("Desk", on=False)  # someone at the wall switch: an event goes out
await bridge.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import uuid4

from zeroconf import ServiceInfo

from devices.adapters.hue.emulator.certificate import server_context
from devices.adapters.hue.emulator.http import BridgeHTTP, sse
from devices.adapters.hue.emulator.model import BridgeModel, LightSpec, SceneSpec
from devices.testing.faults import Faults
from devices.testing.http import HttpServer
from devices.testing.mdns import Announcer, service_info

SERVICE_TYPE = "_hue._tcp.local."

LINK_BUTTON_WINDOW = 30.0
"""Seconds a real bridge accepts pairing after its button was pressed."""


def bridge_id_for(seed: str) -> str:
    """A bridge id as Signify makes them: MAC ec:b5:fa:xx:xx:xx with fffe in the middle."""
    tail = hashlib.sha256(seed.encode()).hexdigest()[:6]
    return f"ecb5fafffe{tail}"


def bridge_service(bridge_id: str, host: str, port: int) -> ServiceInfo:
    """The `_hue._tcp` record a bridge publishes: "Hue Bridge - XXXXXX" (the last six
    digits of its id) on a host named after its MAC, bridge id and model in the TXT."""
    mac = bridge_id[:6] + bridge_id[10:]
    return service_info(
        SERVICE_TYPE,
        f"Hue Bridge - {bridge_id[-6:].upper()}",
        host,
        port,
        properties={"bridgeid": bridge_id, "modelid": "BSB002"},
        server=f"{mac}.local.",
    )


class HueBridgeEmulator:
    """A Hue bridge on a loopback address that the released aiohue drives unchanged."""

    def __init__(
        self,
        host: str,
        lights: Sequence[LightSpec],
        *,
        scenes: Sequence[SceneSpec] = (),
        zones: dict[str, Sequence[str]] | None = None,
        bridge_id: str | None = None,
        port: int | None = None,
        mdns_interface: str | None = "127.0.0.1",
        keys: Sequence[str] = (),
        api: Literal["v2", "v1"] = "v2",
    ) -> None:
        self.host = host
        self.api = api
        """"v1": a bridge from before API v2: plain HTTP, `/api/<key>` only, no mDNS."""
        self.bridge_id = (bridge_id or bridge_id_for(host)).lower()
        self.model = BridgeModel(self.bridge_id, lights, scenes, zones)
        self.faults = Faults()
        self.keys: set[str] = set(keys)
        """Application keys the bridge accepts (its whitelist)."""
        self.paired: list[str] = []
        """The devicetype of every application that paired."""
        self.requests: list[tuple[str, str, dict[str, Any]]] = []
        """Every PUT: (method, "<type>/<id>", body)."""
        self.port = 0
        self._wanted_port = port
        self._mdns_interface = mdns_interface
        self._button_until = 0.0
        self._http = BridgeHTTP(self)
        self._server: HttpServer | None = None
        self._announcer: Announcer | None = None
        self._history: deque[tuple[str, bytes]] = deque(maxlen=100)
        self._sequence = itertools.count(1)
        self.logger = logging.getLogger(f"{__name__}[{host}]")

    @property
    def address(self) -> str:
        """How aiohue reaches it: the host, with the port when it is not the default."""
        default = 443 if self.api == "v2" else 80
        return self.host if self.port == default else f"{self.host}:{self.port}"

    def public_config(self) -> dict[str, Any]:
        """The config every bridge answers without a key (`GET /api/config`)."""
        bridge_id = self.bridge_id
        mac = ":".join(bridge_id[i : i + 2] for i in (0, 2, 4, 10, 12, 14))
        return {
            "name": "Hue Bridge",
            "datastoreversion": "166",
            "swversion": "1966060010",
            "apiversion": "1.66.0",
            "mac": mac,
            "bridgeid": bridge_id.upper(),
            "factorynew": False,
            "replacesbridgeid": None,
            "modelid": "BSB002",
            "starterkitid": "",
        }

    async def start(self) -> None:
        """Serve HTTPS with a fresh self-signed certificate, and announce the bridge (a v1
        bridge: plain HTTP, no announcement)."""
        context = server_context(self.bridge_id, self.host) if self.api == "v2" else None
        # A real bridge serves 443 (v1: 80); a user who may not bind it gets a free port.
        default = 443 if self.api == "v2" else 80
        ports = (default, 0) if self._wanted_port is None else (self._wanted_port,)
        self._server = HttpServer(self._http.app, self.host, ports, ssl_context=context)
        await self._server.start()
        self.port = self._server.port
        if self._mdns_interface is not None and self.api == "v2":
            info = bridge_service(self.bridge_id, self.host, self.port)
            self._announcer = Announcer([info], self._mdns_interface)
            await self._announcer.start()
        self.logger.debug("Hue bridge %s serving on %s", self.bridge_id, self.address)

    async def stop(self) -> None:
        """Withdraw the announcement, end the event streams and stop serving."""
        if self._announcer is not None:
            await self._announcer.stop()
            self._announcer = None
        self._http.close_streams()
        if self._server is not None:
            await self._server.stop()
            self._server = None

    def all_faults(self) -> list[Faults]:
        """The faults switch of this bridge (the contract kit sets them all)."""
        return [self.faults]

    # -- the person at the bridge -------------------------------------------------------

    def press_link_button(self, window: float = LINK_BUTTON_WINDOW) -> None:
        """Press the round button: pairing is allowed for the next `window` seconds."""
        self._button_until = time.monotonic() + window

    @property
    def link_button_pressed(self) -> bool:
        """Whether pairing is allowed right now."""
        return time.monotonic() < self._button_until

    def set_light(
        self,
        name: str,
        *,
        on: bool | None = None,
        brightness: float | None = None,
        mirek: int | None = None,
        xy: tuple[float, float] | None = None,
    ) -> None:
        """Change a light at the bridge's side (a wall switch, the Hue app); events go out."""
        body: dict[str, Any] = {}
        if on is not None:
            body["on"] = {"on": on}
        if brightness is not None:
            body["dimming"] = {"brightness": brightness}
        if mirek is not None:
            body["color_temperature"] = {"mirek": mirek}
        if xy is not None:
            body["color"] = {"xy": {"x": xy[0], "y": xy[1]}}
        with self.changing():
            self.model.light(name).apply(body)

    # -- events -------------------------------------------------------------------------

    @contextlib.contextmanager
    def changing(self, later: list[tuple[str, bytes]] | None = None) -> Iterator[None]:
        """Compare every resource before and after; publish what changed as one event.

        With `later`, the event is put there instead, to `publish` once the request that
        made the change is answered: a real bridge sends its events after its reply.
        """
        before = {(r["type"], r["id"]): r for r in self.model.resources()}
        yield
        added, updated = [], []
        for item in self.model.resources():
            old = before.get((item["type"], item["id"]))
            if old is None:
                added.append(item)
                continue
            changed = {key: value for key, value in item.items() if old.get(key) != value}
            if changed:
                keep = ("id", "id_v1", "owner", "type")
                updated.append({**{k: item[k] for k in keep if k in item}, **changed})
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        events = [
            {"creationtime": now, "data": data, "id": str(uuid4()), "type": kind}
            for kind, data in (("add", added), ("update", updated))
            if data
        ]
        if events:
            event_id = f"{int(time.time())}:{next(self._sequence)}"
            event = (event_id, sse(event_id, events))
            if later is None:
                self.publish(*event)
            else:
                later.append(event)

    def publish(self, event_id: str, message: bytes) -> None:
        """Send one event to every event stream, and keep it for listeners who missed it."""
        self._history.append((event_id, message))
        self._http.publish(message)

    @property
    def event_ids(self) -> list[str]:
        """The ids of the last hundred events, oldest first (what `Last-Event-ID` names)."""
        return [event_id for event_id, _ in self._history]

    def events_after(self, last_event_id: str) -> list[bytes]:
        """The events a listener missed since `last_event_id` (none if it is unknown)."""
        ids = [event_id for event_id, _ in self._history]
        if last_event_id not in ids:
            return []
        return [message for _, message in list(self._history)[ids.index(last_event_id) + 1 :]]

    async def wait_for_listener(self, within: float = 10.0) -> None:
        """Wait until someone listens on the event stream (aiohue connects in the background)."""
        async with asyncio.timeout(within):
            await self._http.listening.wait()
