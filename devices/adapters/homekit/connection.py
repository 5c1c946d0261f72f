"""One paired accessory over HomeKit IP: read, write, events, and aiohomekit's errors mapped.

aiohomekit keeps the encrypted session and reconnects by itself after the accessory comes
back; this wrapper bounds every call by the request timeout and speaks `devices.errors`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, TypeVar

from aiohomekit.controller.ip.controller import IpController
from aiohomekit.controller.ip.pairing import IpPairing
from aiohomekit.exceptions import (
    AccessoryDisconnectedError,
    AuthenticationError,
    HomeKitException,
    IncorrectPairingIdError,
    InvalidAuthTagError,
    InvalidError,
    UnpairedError,
)
from aiohomekit.model import Accessories
from aiohomekit.model.characteristics import CharacteristicPermissions

from devices.adapters.homekit.mapping import Write
from devices.errors import (
    DeviceAuthError,
    DeviceConnectionError,
    DeviceRefusedError,
    DeviceResponseError,
    DeviceTimeoutError,
)

_T = TypeVar("_T")
Changes = dict[tuple[int, int], dict[str, Any]]
AUTH_ERRORS = (AuthenticationError, InvalidAuthTagError, IncorrectPairingIdError, UnpairedError)
GARBLED = ("malformed", "non-utf8", "decrypt")


def pair_again(name: str) -> str:
    """What to tell a person whose pairing the accessory no longer knows."""
    return (
        "no longer knows Dobby (was it reset?); pair again: "
        f'dobby pair homekit "{name}" <setup code>.'
    )


class PairedAccessory:
    """A paired HomeKit accessory and the model of its services and values."""

    def __init__(
        self,
        controller: IpController,
        device_id: str,
        name: str,
        pairing_data: dict[str, Any],
        *,
        timeout: float,
    ) -> None:
        self.device_id = device_id
        self.name = name
        self.timeout = timeout
        self.pairing: IpPairing = controller.load_pairing(device_id, pairing_data)  # type: ignore[assignment]
        self.accessories: Accessories | None = None
        self._log = logging.getLogger(f"{__name__}[{pairing_data.get('AccessoryIP')}]")

    @property
    def host(self) -> str | None:
        """The address it was last reached at."""
        hosts: list[str] = self.pairing.connection.hosts
        return hosts[0] if hosts else None

    def move(self, host: str, port: int | None) -> None:
        """The accessory answered at a new address: connect there next time, at once."""
        connection = self.pairing.connection
        connection.hosts = [host]
        if port:
            connection.port = port
        self.reconnect_soon()

    def reconnect_soon(self) -> None:
        """Skip aiohomekit's back-off and try to connect now."""
        if not self.pairing.is_connected:
            self.pairing.connection.reconnect_soon()

    async def _call(self, call: Callable[[], Awaitable[_T]]) -> _T:
        try:
            async with asyncio.timeout(self.timeout):
                return await call()
        except TimeoutError:
            connection = self.pairing.connection
            if connection.is_connected and connection.transport is not None:
                # Connected, and the request went unanswered. HAP answers a session's
                # requests in order, so this one is wedged: drop it, and aiohomekit opens
                # a new one (at once, at the next call).
                connection.transport.close()
                raise DeviceTimeoutError(f"did not answer within {self.timeout:g} s.") from None
            failure = connection.last_connector_error
            if isinstance(failure, (*AUTH_ERRORS, InvalidError)):
                # pair-verify refused: a reset accessory answers it without its keys
                raise DeviceAuthError(pair_again(self.name)) from None
            if failure is not None:
                raise DeviceConnectionError("cannot be reached.") from None
            raise DeviceTimeoutError(f"did not answer within {self.timeout:g} s.") from None
        except AUTH_ERRORS:
            raise DeviceAuthError(pair_again(self.name)) from None
        except AccessoryDisconnectedError as error:
            if any(word in str(error).lower() for word in GARBLED):
                raise DeviceResponseError("answered with something that is not HomeKit.") from error
            raise DeviceConnectionError("cannot be reached.") from error
        except (HomeKitException, ValueError, KeyError, TypeError, AttributeError) as error:
            self._log.debug("Unexpected answer: %r", error)
            raise DeviceResponseError("answered with something that is not HomeKit.") from error
        except OSError as error:
            raise DeviceConnectionError("cannot be reached.") from error

    async def load(self) -> Accessories:
        """Read the accessory's services and characteristics (with their values)."""
        listed = await self._call(self.pairing.list_accessories_and_characteristics)
        self.accessories = Accessories.from_list(listed)  # type: ignore[arg-type]
        first = next(iter(self.accessories), None)
        if first is not None and first.name:
            self.name = first.name
        return self.accessories

    def readable(self) -> list[tuple[int, int]]:
        """Every characteristic that can be read."""
        assert self.accessories is not None
        return [
            (accessory.aid, char.iid)
            for accessory in self.accessories
            for service in accessory.services
            for char in service.characteristics
            if CharacteristicPermissions.paired_read in char.perms
        ]

    def evented(self) -> list[tuple[int, int]]:
        """Every characteristic that sends events."""
        assert self.accessories is not None
        return [
            (accessory.aid, char.iid)
            for accessory in self.accessories
            for service in accessory.services
            for char in service.characteristics
            if CharacteristicPermissions.events in char.perms
        ]

    async def read(self, characteristics: Iterable[tuple[int, int]] | None = None) -> Changes:
        """Read values (all readable ones by default) into the model; returns what was read."""
        wanted = list(characteristics) if characteristics is not None else self.readable()
        values: Changes = await self._call(lambda: self.pairing.get_characteristics(wanted))
        if any(not isinstance(v, dict) for v in values.values()):
            raise DeviceResponseError("answered with something that is not HomeKit.")
        failed = [v for v in values.values() if v.get("status", 0) != 0]
        if failed:
            raise DeviceRefusedError(f"could not be read: {failed[0].get('description')}.")
        self.apply(values)
        return values

    def apply(self, changes: Changes) -> None:
        """Take values the accessory sent (an event, or a read) into the model."""
        if self.accessories is not None:
            self.accessories.process_changes(changes)

    async def write(self, writes: list[Write]) -> None:
        """Write characteristics; a status other than success is the accessory saying no."""
        statuses: Changes = await self._call(lambda: self.pairing.put_characteristics(writes))
        failed = [s for s in statuses.values() if s.get("status", 0) != 0]
        if failed:
            raise DeviceRefusedError(f"refused: {str(failed[0].get('description')).lower()}.")
        self.apply({(aid, iid): {"value": value} for aid, iid, value in writes})

    async def subscribe(self, listener: Callable[[Changes], None]) -> None:
        """Hear every change the accessory pushes (aiohomekit re-subscribes on reconnect)."""
        self.pairing.dispatcher_connect(listener)
        await self._call(lambda: self.pairing.subscribe(self.evented()))  # type: ignore[no-untyped-call]

    async def close(self) -> None:
        """End the session for good.

        Shielded: aiohomekit's close cancels its reconnect task and awaits it, catching
        CancelledError, which also swallows a cancellation of whoever is closing. A stop
        that came while a set-up was closing a session would be lost, and Dobby would wait
        for that set-up forever.
        """
        await asyncio.shield(self.pairing.shutdown())
