"""One PowerView hub through aiopvapi: who it is, its rooms, shades and scenes.

aiopvapi finds out the hub's generation itself (it asks `/api/fwversion`, then
`/gateway/info`) and speaks `/api/...` to a generation 2 hub and `/home/...` to a
generation 3 one. Everything the library raises leaves this module as an error of
`devices.errors`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiopvapi.helpers.aiorequest import (  # type: ignore[import-untyped]
    AioRequest,
    PvApiConnectionError,
    PvApiEmptyData,
    PvApiError,
    PvApiMaintenance,
    PvApiResponseStatusError,
)
from aiopvapi.hub import Hub  # type: ignore[import-untyped]
from aiopvapi.resources.shade import BaseShadeTilt, ShadePosition  # type: ignore[import-untyped]
from aiopvapi.rooms import Rooms  # type: ignore[import-untyped]
from aiopvapi.scenes import Scenes  # type: ignore[import-untyped]
from aiopvapi.shades import Shades  # type: ignore[import-untyped]

from devices.capabilities.cover import CoverDeviceClass, CoverFeature
from devices.coordinator import never_sent
from devices.errors import (
    DeviceConnectionError,
    DeviceNotSentError,
    DeviceRefusedError,
    DeviceResponseError,
    DeviceTimeoutError,
)

_LOGGER = logging.getLogger(__name__)


@asynccontextmanager
async def library_errors(seconds: float) -> AsyncIterator[None]:
    """Turn what aiopvapi (or the bytes under it) raises into `devices.errors`."""
    try:
        yield
    except PvApiConnectionError as error:
        if isinstance(error.__cause__, TimeoutError):
            raise DeviceTimeoutError(f"did not answer within {seconds:g} s.") from error
        if never_sent(error):
            raise DeviceNotSentError("cannot be reached (nothing was sent).") from error
        raise DeviceConnectionError("cannot be reached.") from error
    except PvApiMaintenance as error:
        raise DeviceConnectionError("the hub is busy with maintenance; try again.") from error
    except PvApiResponseStatusError as error:
        raise DeviceRefusedError(f"the hub refused the request (HTTP {error}).") from error
    except PvApiEmptyData as error:
        raise DeviceResponseError("the hub answered with no data.") from error
    except PvApiError as error:
        raise DeviceResponseError(f"the hub answered with an error: {error}") from error
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        # Garbage: undecodable JSON, or JSON of the wrong shape that the library trips on.
        _LOGGER.debug("Invalid answer from a PowerView hub: %r", error)
        raise DeviceResponseError("the hub answered with something that is not valid.") from error


NO_AREA = frozenset({"default room", "repeaters"})
"""Rooms every hub reports that are no place in the house: a shade there proposes none."""


@dataclass(frozen=True)
class Reading:
    """Where a shade is in Dobby's terms: position 100 open, tilt, top rail; None unknown."""

    position: int | None
    tilt: int | None = None
    top: int | None = None


@dataclass(frozen=True)
class ShadeKind:
    """What a shade can do, from its type and capabilities as aiopvapi classifies them.

    The rails as Dobby shows them, one cover per shade:
    - bottom-up, vertical, tilting shades: `position` is the rail (top-down: inverted);
    - tilt-only shades: `position` is the vanes' tilt (they have no rail);
    - top-down/bottom-up shades: `position` is the bottom rail, `top_position` how far
      the top rail has come down;
    - dual-overlapped shades (a front sheer and a rear blackout on one motor): one
      position, 0-50 the rear fabric with the front one down, 50-100 the front one.
    """

    features: frozenset[str]
    device_class: CoverDeviceClass
    has_position: bool
    has_tilt: bool
    inverted: bool
    """A top-down shade: the library's 100 is closed."""
    top_rail: bool = False
    overlapped: bool = False
    tilt_only: bool = False

    @classmethod
    def of(cls, shade: Any) -> ShadeKind:
        """Classify one aiopvapi shade."""
        caps = shade.capability.capabilities
        has_tilt = isinstance(shade, BaseShadeTilt) and bool(
            caps.tilt_anywhere or caps.tilt_onclosed or caps.tilt_90 or caps.tilt_180
        )
        tilt_only = has_tilt and not caps.primary
        top_rail = bool(caps.secondary and not caps.secondary_overlapped)
        features = {CoverFeature.OPEN, CoverFeature.CLOSE}
        if caps.primary or tilt_only:
            features.add(CoverFeature.SET_POSITION)
        if has_tilt:
            features.add(CoverFeature.SET_TILT)
        if top_rail:
            features.add(CoverFeature.SET_TOP_POSITION)
        if shade.is_supported("stop"):
            features.add(CoverFeature.STOP)
        if caps.vertical:
            device_class = CoverDeviceClass.CURTAIN
        elif has_tilt:
            device_class = CoverDeviceClass.BLIND
        else:
            device_class = CoverDeviceClass.SHADE
        return cls(
            frozenset(f.value for f in features),
            device_class,
            bool(caps.primary),
            has_tilt,
            bool(caps.primary_inverted),
            top_rail=top_rail,
            overlapped=bool(caps.secondary_overlapped),
            tilt_only=tilt_only,
        )

    @staticmethod
    def known(shade: Any) -> bool:
        """Whether the hub knows where the shade is: a generation 2 hub leaves positions
        out, a generation 3 one reports nulls (which aiopvapi would read as closed)."""
        positions = shade.raw_data.get("positions")
        return isinstance(positions, dict) and any(
            value is not None for key, value in positions.items() if key != "velocity"
        )

    def read(self, shade: Any) -> Reading:
        """Where the shade is, from its last read."""
        if not self.known(shade):
            return Reading(None)
        if self.tilt_only:
            tilt = self._vanes(shade)
            return Reading(tilt, tilt)
        return self.reading(shade.current_position)

    @staticmethod
    def _vanes(shade: Any) -> int | None:
        """A tilt-only shade's vanes, from the hub's own words: a generation 3 hub reports
        `tilt` (and a 0 `primary` that aiopvapi would take for the tilt), a generation 2
        hub its only position, under kind 3 or (a known slip of real hubs) kind 1."""
        positions = shade.raw_data["positions"]
        raw = positions.get("tilt") if "tilt" in positions else positions.get("position1")
        return None if raw is None else int(shade.api_to_percent(float(raw), "tilt"))

    def reading(self, at: ShadePosition) -> Reading:
        """A library position (percentages of each rail) in Dobby's terms."""
        tilt = _percent(at.tilt) if self.has_tilt else None
        if self.tilt_only:
            return Reading(tilt, tilt)
        primary = _percent(at.primary)
        if self.overlapped:
            if primary:
                return Reading(round(50 + primary / 2), tilt)
            rear = _percent(at.secondary)
            return Reading(None if rear is None else round(rear / 2), tilt)
        if primary is None:
            return Reading(None, tilt)
        top = (_percent(at.secondary) or 0) if self.top_rail else None
        return Reading(100 - primary if self.inverted else primary, tilt, top)

    def target(self, position: int, now: ShadePosition) -> ShadePosition:
        """The library position that puts the shade at Dobby's `position`."""
        if self.tilt_only:
            return ShadePosition(tilt=position)
        if self.overlapped:
            if position > 50:
                return ShadePosition(primary=(position - 50) * 2)
            return ShadePosition(secondary=position * 2)
        if self.top_rail:  # the bottom rail stops at the top rail
            return ShadePosition(primary=min(position, 100 - (_percent(now.secondary) or 0)))
        return ShadePosition(primary=100 - position if self.inverted else position)

    def expected(self, sent: ShadePosition, now: ShadePosition) -> Reading:
        """Where a shade at `now` will be once it has carried out `sent`."""
        if self.overlapped:  # one fabric moves at a time: the other is down, or up
            if sent.primary is not None:
                full = ShadePosition(sent.primary, 100 if sent.primary else now.secondary)
            elif sent.secondary is not None:
                full = ShadePosition(0, sent.secondary, sent.tilt)
            else:
                full = ShadePosition(0, 100, sent.tilt)
            return self.reading(full)
        return self.reading(
            ShadePosition(
                primary=now.primary if sent.primary is None else sent.primary,
                secondary=now.secondary if sent.secondary is None else sent.secondary,
                tilt=now.tilt if sent.tilt is None else sent.tilt,
            )
        )


def _percent(value: float | None) -> int | None:
    return None if value is None else round(float(value))


class HubLink:
    """A connection to one hub at `address` (`host` or `host:port`)."""

    def __init__(self, address: str, session: aiohttp.ClientSession, timeout: float) -> None:
        self.address = address
        self.timeout = timeout
        self.request = AioRequest(
            address, loop=asyncio.get_running_loop(), websession=session, timeout=timeout
        )
        self.hub = Hub(self.request)
        self.serial = ""
        self.name = ""
        self.model = ""
        self.firmware = ""
        self.rooms: dict[int, str] = {}
        self.shades: dict[int, Any] = {}
        """aiopvapi shades by hub id, as last read."""
        self.scenes: dict[int, Any] = {}
        """aiopvapi scenes by hub id."""
        self.primary = True
        """False for the secondary gateway of a home with two: the primary has the shades."""
        self._log = logging.getLogger(f"{__name__}[{address}]")

    @property
    def generation(self) -> int:
        """The hub's API generation as aiopvapi detected it (1, 2 or 3)."""
        version = self.request.api_version
        return int(version) if version else 0

    def errors(self) -> Any:
        """The context that maps this hub's library errors."""
        return library_errors(self.timeout)

    async def connect(self) -> None:
        """Ask the hub who it is, then read its rooms, shades and scenes."""
        async with self.errors():
            await self.hub.query_firmware()
            self.serial = str(self.hub.serial_number or self.hub.mac_address or self.address)
            self.name = str(self.hub.name or "PowerView Hub")
            self.model = str(self.hub.model or "PowerView Hub")
            self.firmware = str(self.hub.firmware or "")
            rooms = await Rooms(self.request).get_rooms()
            self.rooms = {room_id: room.name for room_id, room in rooms.processed.items()}
        self._log.debug("Generation %d hub %s (%s)", self.generation, self.name, self.serial)
        self.primary = self.hub.role != "Secondary"
        if not self.primary:
            self._log.info(
                "%s is a secondary gateway: its shades are reached through the primary one",
                self.name,
            )
            return
        await self.read_shades()
        await self.read_scenes()

    async def read_shades(self) -> dict[int, Any]:
        """Read every shade's state from the hub (one request)."""
        if not self.primary:
            return self.shades
        async with self.errors():
            shades = await Shades(self.request).get_shades()
            self.shades = dict(shades.processed)
        return self.shades

    async def read_scenes(self) -> dict[int, Any]:
        """Read the hub's scenes."""
        if not self.primary:
            return self.scenes
        async with self.errors():
            scenes = await Scenes(self.request).get_scenes()
            self.scenes = dict(scenes.processed)
        return self.scenes

    async def read_shade(self, shade_id: int) -> Any:
        """Read one shade again."""
        shade = self.shades[shade_id]
        async with self.errors():
            await shade.refresh()
        return shade

    async def move(self, shade_id: int, position: ShadePosition) -> None:
        """Send a shade's rails and vanes where `position` says (library percentages)."""
        shade = self.shades[shade_id]
        async with self.errors():
            await shade.move(position)

    async def stop(self, shade_id: int) -> None:
        """Stop a shade where it is."""
        async with self.errors():
            await self.shades[shade_id].stop()

    async def activate(self, scene_id: int) -> list[int]:
        """Activate a scene; the ids of the shades it moves."""
        async with self.errors():
            moved = await self.scenes[scene_id].activate()
        return [int(i) for i in moved or []]

    def room_of(self, shade: Any) -> str | None:
        """The name of the hub room a shade is in."""
        name = self.rooms.get(shade.room_id) if shade.room_id is not None else None
        return None if name is None or name.casefold() in NO_AREA else name

    def room_of_scene(self, scene: Any) -> str | None:
        """The name of the (first) hub room a scene belongs to."""
        for room_id in scene.room_id or []:
            name = self.rooms.get(room_id)
            if name is not None and name.casefold() not in NO_AREA:
                return name
        return None

    def battery(self, shade: Any) -> int | None:
        """A battery-powered shade's level in percent (None: hardwired, or not reported)."""
        try:
            if not shade.is_battery_powered() or not shade.has_battery_info():
                return None
            level = int(shade.get_battery_strength())
        except (KeyError, TypeError, ValueError):
            return None
        return min(max(level, 0), 100)
