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


@dataclass(frozen=True)
class ShadeKind:
    """What a shade can do, from its type and capabilities as aiopvapi classifies them."""

    features: frozenset[str]
    device_class: CoverDeviceClass
    has_position: bool
    has_tilt: bool
    inverted: bool
    """A top-down shade: the library's 100 is closed."""

    @classmethod
    def of(cls, shade: Any) -> ShadeKind:
        """Classify one aiopvapi shade."""
        caps = shade.capability.capabilities
        has_tilt = isinstance(shade, BaseShadeTilt) and bool(
            caps.tilt_anywhere or caps.tilt_onclosed or caps.tilt_90 or caps.tilt_180
        )
        features = {CoverFeature.OPEN, CoverFeature.CLOSE}
        if caps.primary:
            features.add(CoverFeature.SET_POSITION)
        if has_tilt:
            features.add(CoverFeature.SET_TILT)
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
        )

    def position(self, shade: Any) -> int | None:
        """The position in Dobby's terms (100 open), from the shade's last read."""
        primary = shade.current_position.primary if self.has_position else None
        if primary is None:
            return None
        percent = round(float(primary))
        return 100 - percent if self.inverted else percent

    def tilt(self, shade: Any) -> int | None:
        """The tilt in percent, if the vanes tilt."""
        tilt = shade.current_position.tilt if self.has_tilt else None
        return None if tilt is None else round(float(tilt))

    def to_primary(self, position: int) -> int:
        """Dobby's position (100 open) as the library's primary percentage."""
        return 100 - position if self.inverted else position


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
        await self.read_shades()
        await self.read_scenes()

    async def read_shades(self) -> dict[int, Any]:
        """Read every shade's state from the hub (one request)."""
        async with self.errors():
            shades = await Shades(self.request).get_shades()
            self.shades = dict(shades.processed)
        return self.shades

    async def read_scenes(self) -> dict[int, Any]:
        """Read the hub's scenes."""
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

    async def move(self, shade_id: int, *, primary: int | None, tilt: int | None) -> None:
        """Send a shade to a position and/or a tilt (library percentages)."""
        shade = self.shades[shade_id]
        async with self.errors():
            if primary is not None:
                await shade.move(ShadePosition(primary=primary, tilt=tilt))
            elif tilt is not None:
                await shade.tilt(ShadePosition(tilt=tilt))

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
        room_id = shade.room_id
        return self.rooms.get(room_id) if room_id is not None else None
