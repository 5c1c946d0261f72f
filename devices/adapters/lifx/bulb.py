"""One LIFX bulb through aiolifx, made async: every request is a coroutine.

aiolifx is callback-based: a request is sent, retried `retry_count` times `timeout`
seconds apart, and its callback gets the reply, or None when the bulb never answered.
`Bulb` turns each request into an awaitable with the errors of `devices.errors`; a thin
subclass of aiolifx's `Light` tells the waiting request when the bulb answered garbage
or refused the request (StateUnhandled), which aiolifx itself would drop silently.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiolifx import aiolifx  # type: ignore[import-untyped]
from aiolifx.msgtypes import (  # type: ignore[import-untyped]
    GetGroup,
    GetLabel,
    GetLocation,
    GetVersion,
    StateGroup,
    StateLabel,
    StateLocation,
    StateVersion,
)
from aiolifx.products import products_dict  # type: ignore[import-untyped]
from aiolifx.unpack import unpack_lifx_message  # type: ignore[import-untyped]

from devices.adapters.lifx.color import Hsbk
from devices.errors import (
    DeviceConnectionError,
    DeviceError,
    DeviceRefusedError,
    DeviceResponseError,
    DeviceTimeoutError,
)

STATE_UNHANDLED = 223
"""The LIFX reply that says "I do not handle that kind of message"."""
RELAYS = 4
"""The relays of a LIFX Switch (a product with `relays`): the product list does not say how
many, and aiolifx asks for four (a two-gang switch leaves the last two unanswered)."""
GRACE = 0.5
"""Seconds our own guard waits beyond aiolifx's retries before giving up on a callback."""

Callback = Callable[[Any, Any], None]


def serial_of(mac_addr: str) -> str:
    """aiolifx's `d0:73:d5:01:02:03` → the LIFX serial `d073d5010203`."""
    return mac_addr.replace(":", "").lower()


def _text(label: bytes | str) -> str:
    raw = label if isinstance(label, bytes) else label.encode()
    return raw.split(b"\x00", 1)[0].decode("utf-8", errors="replace").strip()


class LightProtocol(aiolifx.Light):  # type: ignore[misc]
    """aiolifx's Light, reporting garbage and refusals to the request waiting on it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, mac_addr: str, host: str, port: int):
        super().__init__(loop, mac_addr, host, port)
        self.waiting: asyncio.Future[Any] | None = None
        self.log = logging.getLogger(f"{__name__}[{host}]")

    def _fail(self, error: DeviceError) -> None:
        if self.waiting is not None and not self.waiting.done():
            self.waiting.set_exception(error)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        """Check the reply is a LIFX message before aiolifx handles it."""
        try:
            message = unpack_lifx_message(data)
            if message.message_type == STATE_UNHANDLED and message.seq_num in self.message:
                self._fail(DeviceRefusedError("does not support that request."))
            super().datagram_received(data, addr)
        except Exception:  # noqa: BLE001 - any failure to read a reply means garbage
            self.log.debug("Garbage from the bulb: %s", data.hex())
            self._fail(DeviceResponseError("answered with something that is not a LIFX reply."))

    def error_received(self, exc: Exception) -> None:
        """The network says the bulb cannot be reached (ICMP unreachable)."""
        self._fail(DeviceConnectionError("cannot be reached."))
        super().error_received(exc)


@dataclass(frozen=True)
class BulbInfo:
    """Who a bulb is: its serial, its names, and what its product can do."""

    serial: str
    label: str
    group: str
    """The LIFX app's room (a "group"): Dobby proposes it as the area."""
    location: str
    """The LIFX app's home (a "location")."""
    product: int
    model: str | None
    color: bool
    min_kelvin: int | None
    max_kelvin: int | None
    zones: int = 0
    """How many zones a strip or beam (a multizone product) has; 0 for a bulb."""
    relays: int = 0
    """How many relays a LIFX Switch has; 0 for a light."""


@dataclass(frozen=True)
class Reading:
    """What a bulb reported: its power level and its colour."""

    power: int
    hsbk: Hsbk

    @property
    def on(self) -> bool:
        """Whether the light is on."""
        return self.power > 0


class Bulb:
    """One LIFX bulb: async requests with timeouts, one at a time."""

    def __init__(self, light: LightProtocol, *, timeout: float, attempts: int) -> None:
        self.light = light
        self.timeout = timeout
        light.retry_count = attempts
        light.timeout = timeout / attempts
        light.unregister_timeout = timeout
        self._lock = asyncio.Lock()

    @property
    def host(self) -> str:
        """The bulb's address."""
        return str(self.light.ip_addr)

    @property
    def serial(self) -> str:
        """The bulb's serial, its unique id."""
        return serial_of(self.light.mac_addr)

    async def _request(self, send: Callable[[Callback], object]) -> Any:
        """Send one request through aiolifx and wait for its reply or acknowledgement."""
        async with self._lock:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

            def answered(_light: object, response: object) -> None:
                if not future.done():
                    future.set_result(response)

            self.light.waiting = future
            try:
                send(answered)
                async with asyncio.timeout(self.timeout + GRACE):
                    response = await future
            except TimeoutError:
                response = None
            finally:
                self.light.waiting = None
        if response is None:
            raise DeviceTimeoutError(f"did not answer within {self.timeout:g} s.")
        return response

    async def read(self) -> Reading:
        """Ask for power and colour (LightGet → LightState)."""
        state = await self._request(lambda answered: self.light.get_color(callb=answered))
        return self._reading(state)

    @staticmethod
    def _reading(state: Any) -> Reading:
        try:
            hue, saturation, brightness, kelvin = (int(v) for v in state.color)
            power = int(state.power_level)
        except (AttributeError, TypeError, ValueError):
            raise DeviceResponseError("sent a state that makes no sense.") from None
        return Reading(power, Hsbk(hue, saturation, brightness, kelvin))

    async def describe(self) -> tuple[BulbInfo, Reading | None]:
        """Ask who the bulb is (product, label, group, location) and how it is; a LIFX
        Switch (a product with relays, which refuses light messages) has no Reading."""
        version = await self._request(
            lambda answered: self.light.req_with_resp(GetVersion, StateVersion, callb=answered)
        )
        try:
            product_id = int(version.product)
            product = products_dict.get(product_id)
        except (AttributeError, TypeError, ValueError):
            raise DeviceResponseError("described itself in a way that makes no sense.") from None
        relays = RELAYS if product is not None and product.relays else 0
        if relays:
            state = await self._request(
                lambda answered: self.light.req_with_resp(GetLabel, StateLabel, callb=answered)
            )
        else:
            state = await self._request(lambda answered: self.light.get_color(callb=answered))
        group = await self._request(
            lambda answered: self.light.req_with_resp(GetGroup, StateGroup, callb=answered)
        )
        location = await self._request(
            lambda answered: self.light.req_with_resp(GetLocation, StateLocation, callb=answered)
        )
        zones = await self.zone_count() if product is not None and product.multizone else 0
        try:
            info = BulbInfo(
                serial=self.serial,
                label=_text(state.label) or self.serial,
                group=_text(group.label),
                location=_text(location.label),
                product=product_id,
                model=product.name if product else None,
                color=bool(product.color) if product else not relays,
                min_kelvin=product.min_kelvin if product else None,
                max_kelvin=product.max_kelvin if product else None,
                zones=zones,
                relays=relays,
            )
        except (AttributeError, TypeError, ValueError):
            raise DeviceResponseError("described itself in a way that makes no sense.") from None
        return info, None if relays else self._reading(state)

    async def relay(self, index: int) -> bool:
        """Whether relay `index` (from 0) is on (GetRPower → StateRPower)."""
        state = await self._request(lambda answered: self.light.get_rpower(index, callb=answered))
        try:
            if int(state.relay_index) != index:
                raise DeviceResponseError(f"answered for relay {state.relay_index + 1}.")
            return int(state.level) > 0
        except (AttributeError, TypeError, ValueError):
            raise DeviceResponseError("sent a relay state that makes no sense.") from None

    async def set_relay(self, index: int, on: bool) -> None:
        """Switch relay `index` (from 0) on or off (SetRPower, answered by StateRPower)."""
        await self._request(lambda answered: self.light.set_rpower(index, on, callb=answered))

    async def zone_count(self) -> int:
        """How many zones a strip has (MultiZoneGetColorZones for its first eight: one
        StateMultiZone, which says the count; one zone alone would answer StateZone)."""
        state = await self._request(lambda answered: self.light.get_color_zones(0, 7, answered))
        try:
            count = int(state.count)
        except (AttributeError, TypeError, ValueError):
            raise DeviceResponseError("sent zones that make no sense.") from None
        if not 0 < count <= 1024:
            raise DeviceResponseError(f"says it has {count} zones.")
        return count

    async def set_zones(self, first: int, last: int, hsbk: Hsbk, duration_ms: int = 0) -> None:
        """Colour zones `first` to `last` (from 0), fading over `duration_ms`
        (MultiZoneSetColorZones, applied at once, acknowledged)."""
        await self._request(
            lambda answered: self.light.set_color_zones(
                first, last, list(hsbk), duration=duration_ms, apply=1, callb=answered
            )
        )

    async def set_power(self, on: bool, duration_ms: int = 0) -> None:
        """Switch on or off, fading over `duration_ms` (LightSetPower, acknowledged)."""
        await self._request(
            lambda answered: self.light.set_power(on, callb=answered, duration=duration_ms)
        )

    async def set_waveform(
        self, hsbk: Hsbk, waveform: int, *, period_ms: int, cycles: float, skew_ratio: int = 0
    ) -> None:
        """Run a waveform from the bulb's colour to `hsbk` and back, `cycles` times
        (LightSetWaveform, transient: the bulb ends where it began; acknowledged)."""
        value = {
            "transient": 1,
            "color": list(hsbk),
            "period": period_ms,
            "cycles": cycles,
            "skew_ratio": skew_ratio,
            "waveform": waveform,
        }
        await self._request(lambda answered: self.light.set_waveform(value, callb=answered))

    async def set_move(self, on: bool, speed_s: float = 3.0) -> None:
        """Start (or stop) a strip's Move firmware effect (MultiZoneSetEffect)."""
        await self._request(
            lambda answered: self.light.set_multizone_effect(
                effect=1 if on else 0, speed=speed_s, callb=answered
            )
        )

    async def set_color(self, hsbk: Hsbk, duration_ms: int = 0) -> None:
        """Change colour, fading over `duration_ms` (LightSetColor, acknowledged)."""
        await self._request(
            lambda answered: self.light.set_color(list(hsbk), callb=answered, duration=duration_ms)
        )

    def close(self) -> None:
        """Close the bulb's socket."""
        self.light.cleanup()
