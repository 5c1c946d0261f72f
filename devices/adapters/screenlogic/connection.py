"""One connection to a ScreenLogic gateway, through screenlogicpy's request layer.

screenlogicpy's `ScreenLogicGateway` wraps the same request functions used here, but it
retries with fixed one-second pauses and two-second timeouts of its own, swallows the
cancellation of a request, and forgets its connection-lost callback when it reconnects
by itself. Dobby needs each request bounded by its own timeout, failures reported as
they happen, and to hear every time the gateway drops the connection, so this class owns
the connection and calls the library's own connect, login, request and decode functions
on it (`screenlogicpy.requests`), keeping the library's decoded data dict.
"""

from __future__ import annotations

import asyncio
import logging
import random
import struct
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from screenlogicpy.const.common import (  # type: ignore[import-untyped]
    ScreenLogicConnectionError,
    ScreenLogicException,
    ScreenLogicLoginError,
    ScreenLogicRequestError,
)
from screenlogicpy.const.data import ATTR, DEVICE, GROUP, VALUE  # type: ignore[import-untyped]
from screenlogicpy.const.msg import CODE  # type: ignore[import-untyped]
from screenlogicpy.device_const.system import EQUIPMENT_FLAG  # type: ignore[import-untyped]
from screenlogicpy.requests import (  # type: ignore[import-untyped]
    async_request_add_client,
    async_request_chemistry,
    async_request_gateway_version,
    async_request_ping,
    async_request_pool_button_press,
    async_request_pool_config,
    async_request_pool_lights_command,
    async_request_pool_status,
    async_request_pump_status,
    async_request_scg_config,
    async_request_set_heat_mode,
    async_request_set_heat_setpoint,
    async_request_set_scg_config,
)
from screenlogicpy.requests.chemistry import decode_chemistry  # type: ignore[import-untyped]
from screenlogicpy.requests.lights import decode_color_update  # type: ignore[import-untyped]
from screenlogicpy.requests.login import (  # type: ignore[import-untyped]
    async_create_connection,
    async_gateway_connect,
    async_gateway_login,
)
from screenlogicpy.requests.protocol import ScreenLogicProtocol  # type: ignore[import-untyped]
from screenlogicpy.requests.request import async_make_request  # type: ignore[import-untyped]
from screenlogicpy.requests.status import decode_pool_status  # type: ignore[import-untyped]

from devices.adapters.screenlogic.mapping import pump_indexes
from devices.errors import (
    DeviceAuthError,
    DeviceConnectionError,
    DeviceError,
    DeviceRefusedError,
    DeviceResponseError,
    DeviceTimeoutError,
)

_T = TypeVar("_T")
NO_RETRIES = 0
"""The library's own retries are off: the executor retries a connection error once."""
SET_PUMP_FLOW = 12586
"""The message that sets the speed of one preset of one pump: screenlogicpy reads pump
presets but has no call for it. Payload: controller index, pump index, preset index,
setpoint, 1 for RPM (0 for GPM), each a little-endian u32; the answer (code + 1) is empty."""
PUSH_DECODERS: dict[int, Callable[[bytes, dict[str, Any]], None]] = {
    CODE.STATUS_CHANGED: decode_pool_status,
    CODE.CHEMISTRY_CHANGED: decode_chemistry,
    CODE.COLOR_UPDATE: decode_color_update,
}
"""The messages a push client receives, and the library's decoder of each."""
GARBLED = (struct.error, ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError)
"""What the library's decoders raise on a payload that is no valid answer."""


def mapped(error: BaseException) -> DeviceError:
    """A screenlogicpy (or decoding) error as the device error a person reads."""
    if isinstance(error, DeviceError):
        return error
    if isinstance(error, ScreenLogicLoginError):
        return DeviceAuthError("refused the login.")
    if isinstance(error, ScreenLogicRequestError):
        return DeviceRefusedError("refused the request.")
    if isinstance(error, ScreenLogicConnectionError | OSError | ConnectionError):
        return DeviceConnectionError("cannot be reached.")
    return DeviceResponseError("answered with something that makes no sense.")


class GatewayConnection:
    """A ScreenLogic gateway at one address: connect, read, command, and pushed updates."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        timeout: float,
        push: bool = True,
        keepalive: float = 300.0,
        client_id: int | None = None,
        on_update: Callable[[GatewayConnection], None] | None = None,
        on_lost: Callable[[GatewayConnection], None] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.push = push
        self.keepalive = keepalive
        self.client_id = client_id if client_id is not None else random.randint(32767, 65535)
        self.on_update = on_update
        self.on_lost = on_lost
        self.mac = ""
        self.data: dict[str, Any] = {}
        """screenlogicpy's decoded data: configuration, status, chemistry, chlorinator."""
        self._protocol: ScreenLogicProtocol | None = None
        self._lock = asyncio.Lock()
        self._closing = False
        self._dropped = False
        self._log = logging.getLogger(f"{__name__}[{host}]")

    @property
    def connected(self) -> bool:
        """Whether a logged-in connection is open."""
        return self._protocol is not None and bool(self._protocol.is_connected)

    @property
    def flags(self) -> int:
        """The controller's equipment flags."""
        equipment = self.data.get(DEVICE.CONTROLLER, {}).get(GROUP.EQUIPMENT, {})
        return int(equipment.get(VALUE.FLAGS, 0))

    # -- the one way in -----------------------------------------------------------------

    async def run(self, work: Callable[[ScreenLogicProtocol], Awaitable[_T]]) -> _T:
        """Connect if needed and run `work`, within the timeout, errors mapped."""
        async with self._lock:
            deadline = asyncio.timeout(self.timeout)
            try:
                async with deadline:
                    protocol = await self._connect()
                    result = await work(protocol)
            except TimeoutError:
                await self._drop()
                raise DeviceTimeoutError(f"did not answer within {self.timeout:g} s.") from None
            except (ScreenLogicException, DeviceError, *GARBLED, OSError) as error:
                failure = mapped(error)
                if deadline.expired():
                    failure = DeviceTimeoutError(f"did not answer within {self.timeout:g} s.")
                if not isinstance(failure, DeviceRefusedError):
                    await self._drop()
                raise failure from error
            if deadline.expired():  # the library swallowed the cancellation
                await self._drop()
                raise DeviceTimeoutError(f"did not answer within {self.timeout:g} s.")
            return result

    async def refresh(self) -> None:
        """Read the pool status, and the pumps, chemistry and chlorinator there are."""
        await self.run(self._read)

    async def _read(self, protocol: ScreenLogicProtocol) -> None:
        await self._must(async_request_pool_status(protocol, self.data, NO_RETRIES))
        if self.flags & EQUIPMENT_FLAG.INTELLICHEM:
            await self._must(async_request_chemistry(protocol, self.data, NO_RETRIES))
        if self.flags & EQUIPMENT_FLAG.CHLORINATOR:
            await self._must(async_request_scg_config(protocol, self.data, NO_RETRIES))
        for index in pump_indexes(self.flags):
            await self._must(async_request_pump_status(protocol, self.data, index, NO_RETRIES))

    @staticmethod
    async def _must(request: Awaitable[bytes | None]) -> bytes:
        answer = await request
        if answer is None:
            raise DeviceConnectionError("cannot be reached.")
        return answer

    # -- commands -----------------------------------------------------------------------

    async def set_circuit(self, circuit_id: int, on: bool) -> None:
        """Switch a circuit on or off (a button press)."""
        await self.run(
            lambda p: async_request_pool_button_press(p, circuit_id, int(on), NO_RETRIES)
        )

    async def set_heat_mode(self, body: int, mode: int) -> None:
        """Set a body's heat mode (screenlogicpy's HEAT_MODE)."""
        await self.run(lambda p: async_request_set_heat_mode(p, body, mode, NO_RETRIES))

    async def set_heat_setpoint(self, body: int, temperature: int) -> None:
        """Set a body's heat setpoint, in the controller's unit."""
        await self.run(lambda p: async_request_set_heat_setpoint(p, body, temperature, NO_RETRIES))

    async def light_command(self, mode: int) -> None:
        """Send a light command (screenlogicpy's COLOR_MODE) to every colour light."""
        await self.run(lambda p: async_request_pool_lights_command(p, mode, NO_RETRIES))
        lights = self.data.setdefault(DEVICE.CONTROLLER, {}).setdefault(GROUP.COLOR_LIGHTS, {})
        lights[ATTR.COLOR_MODE] = mode

    async def set_chlorinator(self, *, pool: int | None = None, spa: int | None = None) -> None:
        """Set the chlorinator's output for the pool and/or the spa, in percent (the other
        as it is, and super-chlorination left as it is), as screenlogicpy's
        `async_set_scg_config` does."""
        scg = self.data.get(DEVICE.SCG, {})
        config = scg.get(GROUP.CONFIGURATION, {})

        def now(node: Any) -> int:
            if not isinstance(node, dict) or not isinstance(node.get(ATTR.VALUE), int):
                raise DeviceResponseError("has not reported its chlorinator settings yet.")
            return int(node[ATTR.VALUE])

        pool_output = pool if pool is not None else now(config.get(VALUE.POOL_SETPOINT))
        spa_output = spa if spa is not None else now(config.get(VALUE.SPA_SETPOINT))
        super_on = now(scg.get(VALUE.SUPER_CHLORINATE))
        super_hours = now(config.get(VALUE.SUPER_CHLOR_TIMER))
        await self.run(
            lambda p: async_request_set_scg_config(
                p, pool_output, spa_output, super_on, super_hours, NO_RETRIES
            )
        )

    async def set_pump_speed(self, pump: int, preset: int, speed: int, *, rpm: bool) -> None:
        """Set the speed one pump runs at for one of its presets (a circuit), in RPM or GPM
        as the preset is."""
        payload = struct.pack("<5I", 0, pump, preset, speed, int(rpm))

        async def send(protocol: ScreenLogicProtocol) -> None:
            answer = await async_make_request(protocol, SET_PUMP_FLOW, payload, NO_RETRIES)
            if answer is None:
                raise DeviceConnectionError("cannot be reached.")
            if answer != b"":
                raise DeviceResponseError("answered with something that makes no sense.")

        await self.run(send)

    # -- the connection -----------------------------------------------------------------

    async def _connect(self) -> ScreenLogicProtocol:
        if self._protocol is not None and self._protocol.is_connected:
            return self._protocol
        self._closing = False
        opened: list[ScreenLogicProtocol] = []
        transport, protocol = await async_create_connection(
            self.host, self.port, lambda: self._closed(opened)
        )
        opened.append(protocol)
        try:
            self.mac = await async_gateway_connect(transport, protocol, NO_RETRIES)
            if not await async_gateway_login(protocol, NO_RETRIES):
                raise DeviceConnectionError("cannot be reached.")
            await self._must(async_request_gateway_version(protocol, self.data, NO_RETRIES))
            await self._must(async_request_pool_config(protocol, self.data, NO_RETRIES))
            if self.push:
                for code in PUSH_DECODERS:
                    protocol.register_async_message_callback(code, self._pushed, code)
                await async_request_add_client(protocol, self.client_id, NO_RETRIES)
                protocol.enable_keepalive(lambda: self._ping(protocol), self.keepalive)
        except BaseException:
            transport.close()
            raise
        self._protocol = protocol
        self._log.debug("Connected to %s", self.mac)
        return protocol

    def _closed(self, opened: list[ScreenLogicProtocol]) -> None:
        """The library's connection-lost callback, for every connection this class opens."""
        if not opened or opened[0] is not self._protocol:
            return
        self._protocol = None
        dropped, self._dropped = self._dropped, False
        if not self._closing and not dropped:
            self._log.info("The gateway closed the connection")
            if self.on_lost is not None:
                self.on_lost(self)

    async def _pushed(self, payload: bytes, code: int) -> None:
        """A pushed message: decode it into the data, then tell the adapter."""
        try:
            PUSH_DECODERS[code](payload, self.data)
        except GARBLED:
            self._log.warning("The gateway pushed a message that makes no sense (code %d)", code)
            return
        if self.on_update is not None:
            self.on_update(self)

    async def _ping(self, protocol: ScreenLogicProtocol) -> None:
        """Keep the connection open (the gateway closes one it has not heard from)."""
        try:
            await asyncio.wait_for(async_request_ping(protocol, NO_RETRIES), self.timeout)
        except (ScreenLogicException, TimeoutError):
            self._log.debug("The gateway did not answer a ping")

    async def _drop(self) -> None:
        """Close a connection that can no longer be trusted (the next request reconnects)."""
        protocol = self._protocol
        if protocol is not None and protocol.transport is not None:
            self._dropped = True  # ours, not the gateway's: no connection-lost report
            protocol.transport.close()

    async def close(self) -> None:
        """Close the connection for good (no connection-lost report)."""
        self._closing = True
        async with self._lock:
            protocol, self._protocol = self._protocol, None
            if protocol is not None and protocol.transport is not None:
                protocol.disable_keepalive()
                protocol.transport.close()
