"""A WLED-like LED strip adapter, written from devices/README.md alone.

A strip answers `GET /json/info` (`{"name", "mac", "ver", "room"}`), `GET /json/state`
(`{"on": bool, "bri": 0-255}`) and `POST /json/state` with the fields to change. It
announces itself as `_wled._tcp.local.`. Its emulator is `dobby_wled.emulator`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from devices.capabilities import CommandSpec, Domain, LightState, Params, State, light
from devices.capabilities.light import LightFeature, LightTurnOn
from devices.entities import DeviceInfo, EntitySpec
from devices.errors import DeviceResponseError, UnsupportedCommandError
from devices.plugin import AdapterConfig, CoordinatedAdapter, DeviceLink, Manifest

SERVICE = "_wled._tcp.local."


class WledConfig(AdapterConfig):
    """Settings under `adapters.wled` in home.yaml (`hosts`, `request_timeout`: the base's)."""


def to_percent(bri: int) -> int:
    """WLED's 0-255 brightness in percent."""
    return round(bri * 100 / 255)


class Strip(DeviceLink):
    """One strip: the HTTP calls its coordinator makes."""

    def __init__(self, address: str, session: aiohttp.ClientSession, timeout: float) -> None:
        super().__init__(address)
        self.session, self.timeout = session, timeout
        self.info: dict[str, Any] = {}
        self.state = LightState(state="off")

    async def _json(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        method = "GET" if body is None else "POST"
        async with self.session.request(
            method,
            f"http://{self.address}{path}",
            json=body,
            timeout=aiohttp.ClientTimeout(total=self.timeout),
            raise_for_status=True,
        ) as response:
            data = await response.json(content_type=None)
        if not isinstance(data, dict):
            raise DeviceResponseError("answered with something that is not valid.")
        return data

    async def connect(self) -> None:
        self.info = await self._json("/json/info")
        self.unique_id = str(self.info["mac"])
        await self.read()

    def describe(self) -> Sequence[tuple[DeviceInfo, Sequence[EntitySpec]]]:
        name, room = str(self.info.get("name", "WLED")), self.info.get("room")
        device = DeviceInfo(
            unique_id=self.unique_id,
            name=name,
            host=self.address,
            manufacturer="WLED",
            sw_version=str(self.info.get("ver", "")),
            suggested_area=room,
        )
        entity = EntitySpec(
            unique_id=self.unique_id,
            domain=Domain.LIGHT,
            name=name,
            features=frozenset({LightFeature.BRIGHTNESS.value}),
            state=self.state,
            suggested_area=room,
        )
        return [(device, [entity])]

    async def read(self) -> Mapping[str, State]:
        data = await self._json("/json/state")
        on, bri = data["on"], data["bri"]
        if not isinstance(on, bool) or not isinstance(bri, int):
            raise DeviceResponseError("answered with a state that is not valid.")
        self.state = LightState(state="on" if on else "off", brightness=to_percent(bri))
        return {self.unique_id: self.state}

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        match command, params:
            case light.TURN_ON, LightTurnOn(brightness=percent):
                body: dict[str, Any] = {"on": True}
                if percent is not None:
                    body["bri"] = round(percent * 255 / 100)
            case light.TURN_OFF, _:
                body = {"on": False}
            case _:
                raise UnsupportedCommandError(f"a WLED strip cannot do {command.name}.")
        await self._json("/json/state", body)


MANIFEST = Manifest(
    name="wled",
    title="WLED",
    adapter="dobby_wled:WledAdapter",
    domains=(Domain.LIGHT,),
    mdns_types=(SERVICE,),
    config_model=WledConfig,
    emulator="dobby_wled.emulator:start_demo",
)


class WledAdapter(CoordinatedAdapter[Strip]):
    """WLED-like strips as dimmable lights."""

    manifest = MANIFEST
    poll_interval = 10.0
    _session: aiohttp.ClientSession | None = None

    def new_link(self, address: str) -> Strip:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return Strip(address, self._session, self.config.request_timeout)

    async def stop(self) -> None:
        await super().stop()
        if self._session is not None:
            await self._session.close()
