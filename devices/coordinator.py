"""One coordinator per device: the lifecycle every adapter needs, written once.

An adapter writes a `DeviceLink` per kind of device: the client library's calls to connect,
read every entity's state, carry out a command, subscribe to pushed changes and close. The
coordinator does the rest, the same way for every adapter:

- set-up: one connection attempt per address at a time; the device is keyed by the unique id
  it reports (never its address), so a device at a new address is the same device; a device
  that cannot be set up is logged in one line and tried again at each poll, and soon
  (`SET_UP_AGAIN`) if it did not answer at all (slow at Dobby's start, a busy machine);
  its entities are published once it is ready and subscribed, never before;
- errors: whatever the library raises leaves as an error of `devices.errors`;
- push first: a link that subscribes gets its changes pushed; every device is polled too
  (`Devices.refresh`), which is all there is for a link that cannot push;
- reconnect with backoff after the connection is lost;
- availability: a device is unavailable after its connection is lost, after it answers
  garbage or refuses Dobby's pairing (the reason says to pair again), or after
  `FAILURES_BEFORE_UNAVAILABLE` failures in a row, and available again the
  moment it answers. A command to an unavailable device is still tried, once, within
  `TRY_UNAVAILABLE_WITHIN` seconds;
- toggles read the device's state first and become `turn_on` or `turn_off`;
- read-back: after a command whose spec says what state confirms it, the device is read
  again until it shows that state, for up to `READ_BACK_WITHIN` seconds (the first look is
  the state a link that waits for the device's report got, `reported_after_command`); a
  device that took the command and did not change raises `DeviceUnconfirmedError`.

Retries are decided in one place, `retry_is_safe`, which the executor asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Generic, TypeVar

import aiohttp

from devices.background import Background
from devices.capabilities import CommandSpec, Params, State, light, switch
from devices.entities import DeviceInfo, Entity, EntitySpec
from devices.errors import (
    DeviceAuthError,
    DeviceConnectionError,
    DeviceError,
    DeviceNotSentError,
    DeviceRefusedError,
    DeviceResponseError,
    DeviceTimeoutError,
    DeviceUnavailableError,
    DeviceUnconfirmedError,
    UnsupportedCommandError,
)

if TYPE_CHECKING:
    from devices.plugin import AdapterContext

_LOGGER = logging.getLogger(__name__)
_T = TypeVar("_T")

SET_UP_AGAIN = (1.0, 2.0, 4.0, 8.0, 15.0)
"""Seconds before each early try to set up a device that did not answer; after them, it is
tried at each poll."""
FAILURES_BEFORE_UNAVAILABLE = 3
"""Failed requests in a row (timeouts, refused connections) that mark a device unavailable."""
TRY_UNAVAILABLE_WITHIN = 2.0
"""Seconds the one try of a command to a device marked unavailable may take."""
READ_BACK_WITHIN = 3.0
"""Seconds a device has to show the state that confirms a command."""
BACKOFF = (1.0, 2.0, 5.0, 15.0, 30.0, 60.0)
"""Seconds between attempts to reach a device again; the last repeats."""

_NOT_SENT = {errno.ECONNREFUSED, errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EADDRNOTAVAIL}
_GARBAGE = (ValueError, KeyError, TypeError, AttributeError, IndexError, LookupError)
_ANSWERED = (DeviceRefusedError, UnsupportedCommandError, DeviceUnconfirmedError)
"""Errors that prove the device is there: it answered, it just said no."""
_UNUSABLE = (DeviceResponseError, DeviceAuthError)
"""Errors that make a device unavailable at once: it answers garbage, or it no longer
knows Dobby (its reason says to pair again)."""

TOGGLES: Mapping[CommandSpec, tuple[CommandSpec, CommandSpec]] = {
    light.TOGGLE: (light.TURN_ON, light.TURN_OFF),
    switch.TOGGLE: (switch.TURN_ON, switch.TURN_OFF),
}
"""Toggles and the (on, off) commands they become once the device's state is read."""


def retry_is_safe(command: CommandSpec, error: DeviceError) -> bool:
    """Whether a command that failed with `error` may be sent again.

    Only after a connection error, and only if sending twice does no harm (the command is
    idempotent) or the request surely never left (the connection was refused).
    """
    if not isinstance(error, DeviceConnectionError):
        return False
    return command.idempotent or isinstance(error, DeviceNotSentError)


UNAVAILABLE_TIMEOUT = TRY_UNAVAILABLE_WITHIN + READ_BACK_WITHIN
"""Seconds a whole command to a device marked unavailable may take: the try, the read-back."""


async def deliver(
    send: Callable[[], Awaitable[None]],
    command: CommandSpec,
    *,
    available: bool,
    within: float,
    label: str = "",
) -> None:
    """Send a command the way Dobby does, the one place that decides about retries.

    `send()` is one attempt (the adapter's `execute`), given `within` seconds (or what the
    command says it takes, if longer: an announcement lasts as long as its text). It is made
    again, once, only where `retry_is_safe`. A device marked unavailable is tried all the
    same, once, within `UNAVAILABLE_TIMEOUT`: it may well be back. Raises the last
    attempt's `DeviceError`.
    """
    attempts = 2 if available else 1
    within = max(within, command.takes or 0.0)
    limit = within if available else min(within, UNAVAILABLE_TIMEOUT)
    for attempt in range(1, attempts + 1):
        try:
            async with asyncio.timeout(limit):
                await send()
        except TimeoutError:
            failure: DeviceError = DeviceTimeoutError(f"did not answer within {limit:g} s.")
        except DeviceError as raised:
            failure = raised
        else:
            return
        _LOGGER.info("Attempt %d of %s failed: %s", attempt, label or command.name, failure)
        if attempt == attempts or not retry_is_safe(command, failure):
            raise failure


def never_sent(error: BaseException) -> bool:
    """Whether `error` (or what caused it) says the request surely never left: the
    connection was refused, or no route leads to the device."""
    seen: BaseException | None = error
    for _ in range(5):
        if seen is None:
            return False
        code = getattr(seen, "errno", None)
        if isinstance(seen, ConnectionRefusedError) or code in _NOT_SENT:
            return True
        inner = getattr(seen, "os_error", None)  # aiohttp's ClientConnectorError
        seen = inner if isinstance(inner, BaseException) else seen.__cause__ or seen.__context__
    return False


_MAPPED: tuple[
    tuple[type[BaseException] | tuple[type[BaseException], ...], str, type[DeviceError]], ...
] = (
    ((OSError, aiohttp.ClientConnectionError), "cannot be reached.", DeviceConnectionError),
    (aiohttp.ClientPayloadError, "answered with something that is not valid.", DeviceResponseError),
    ((UnicodeError, *_GARBAGE), "answered with something that is not valid.", DeviceResponseError),
)
"""Error types (after timeouts and refusals) and what they become."""


def translate(error: BaseException, timeout: float) -> DeviceError:
    """A library's (or the socket's) error as an error of `devices.errors`."""
    if isinstance(error, DeviceError):
        return error
    if isinstance(error, TimeoutError):
        return DeviceTimeoutError(f"did not answer within {timeout:g} s.")
    if never_sent(error):
        return DeviceNotSentError("cannot be reached (nothing was sent).")
    if isinstance(error, aiohttp.ClientResponseError):
        return DeviceRefusedError(f"refused the request (HTTP {error.status}).")
    for types, message, kind in _MAPPED:
        if isinstance(error, types):
            return kind(message)
    return DeviceResponseError(f"answered with an error: {error}")


class Sink(ABC):
    """What a link tells its coordinator when the device pushes something."""

    @abstractmethod
    def pushed(self, unique_id: str, state: State, *, heard: bool = True) -> None:
        """An entity of the device changed (the adapter's unique id of the entity).

        `heard=False` for a state worked out from what other devices said (a speaker's
        group, from another speaker's topology event): it proves nothing about this device,
        so it never makes it available, and is not recorded while it is unavailable."""

    @abstractmethod
    def connection_lost(self, reason: str) -> None:
        """The device's connection (or its event stream) dropped."""

    @abstractmethod
    def unavailable(self, reason: str) -> None:
        """The connection holds, but the device cannot act now (its hub says it is offline,
        it sent garbage unasked): unavailable until it answers again."""

    @abstractmethod
    def answered(self) -> None:
        """The device said something that proves it is there (its hub says it is back)."""


class DeviceLink(ABC):
    """The client library's calls for one device; an adapter writes one per kind.

    `connect` learns who the device is and sets `unique_id` (from the device: a serial, a
    MAC, a UDN). Every method may raise the library's own errors: the coordinator maps them
    (override `translate` for the library's error types).
    """

    device_word = "device"
    """What the device is to a person, in the read-back message ("the controller ...")."""
    backoff: tuple[float, ...] = BACKOFF
    """Seconds between attempts to reconnect after the connection was lost; the last repeats."""
    setup_timeout: float | None = None
    """Seconds `connect` and `ready` may each take; None for three request timeouts. A link
    whose set-up is more than a few requests says so (HomeKit's pair-setup and pair-verify
    are key exchanges whose arithmetic the accessory does too, slowly on a busy host)."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.unique_id = ""

    @abstractmethod
    async def connect(self) -> None:
        """Open the connection and learn who the device is (set `unique_id`)."""

    async def ready(self) -> None:  # noqa: B027 - optional hook
        """Read what `describe` needs. Called once the device is new (or back), not for
        every answer to discovery: keep `connect` to learning who the device is."""

    @abstractmethod
    def describe(self) -> Sequence[tuple[DeviceInfo, Sequence[EntitySpec]]]:
        """The devices behind this link (a hub has several) and their entities, as read."""

    @abstractmethod
    async def read(self) -> Mapping[str, State]:
        """Read every entity's state from the device, by the entity's unique id.

        An optional part (track info, one sensor) that fails is left out or left as it
        was; it must not fail the whole read, or the device would be dropped for it.
        """

    @abstractmethod
    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """Carry out a validated command on the entity `unique_id` (no toggles: they arrive
        as turn_on or turn_off). Dispatch with `match command:` on the domain's constants."""

    async def subscribe(self, sink: Sink) -> bool:
        """Subscribe to the device's pushed changes; False where it has none (polled)."""
        del sink
        return False

    def reported_after_command(self, unique_id: str) -> State | None:
        """The entity's state as the device pushed it in answer to the last command, where
        `command` waited for that report (Zigbee2MQTT's): the read-back's first look, with
        no read of its own. None (the default): the read-back reads the device."""
        del unique_id
        return None

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Close the connection; `connect` may be called again afterwards."""

    def translate(self, error: Exception) -> DeviceError | None:
        """The library's own error types as `devices.errors`; None for the generic mapping."""
        del error
        return None


_L = TypeVar("_L", bound=DeviceLink)


class Coordinator(Sink, Generic[_L]):
    """The lifecycle of one device: availability, reconnects, commands, read-back."""

    def __init__(self, context: AdapterContext, link: _L, *, timeout: float) -> None:
        self.context = context
        self.link = link
        self.timeout = timeout
        """Seconds one request may take."""
        self.failures = 0
        """Failed requests in a row."""
        self.available = True
        self.connected = True
        self.pushing = False
        self.device_ids: set[str] = set()
        """The adapter's unique ids of the devices behind the link."""
        self._background = Background()
        self._open_read: asyncio.Task[Mapping[str, State]] | None = None
        self._commands_sent = 0
        """Commands sent so far: a read that a command overtook says nothing new."""
        self._early: dict[str, State] | None = None
        """While starting, what the device pushed before its entities were published."""
        self._reason = ""
        """Why it was last marked unavailable."""
        self._log = logging.getLogger(f"{__name__}[{link.address}]")

    @property
    def unique_id(self) -> str:
        """The device's unique id (its key)."""
        return self.link.unique_id

    # -- life -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Make a freshly connected link ready, subscribe to its events, then publish its
        devices: nothing is in the registry (so nothing is asked of the device) before it
        is ready and subscribed. What it pushes meanwhile is recorded once published."""
        early: dict[str, State] = {}
        self._early = early
        try:
            async with asyncio.timeout(self.link.setup_timeout or self.timeout * 3):
                await self._call(self.link.ready())
            self.connected = True
            try:
                async with asyncio.timeout(self.timeout):
                    self.pushing = await self._call(self.link.subscribe(self))
            except (DeviceError, TimeoutError) as error:
                self._log.info("No events from %s, polling it: %s", self.unique_id, error)
                self.pushing = False
            self.publish()
            if not self.available:  # the connection dropped while it was starting
                self._mark_unavailable(self._reason)
        finally:
            self._early = None
        for unique_id, state in early.items():
            self.context.push_state(unique_id, state)

    def publish(self) -> None:
        """Add (or update) the link's devices and entities in the registry."""
        for info, entities in self.link.describe():
            self.device_ids.add(info.unique_id)
            self.context.add_device(info, entities)

    async def replace(self, link: _L) -> None:
        """The same device answered at another address (or again): use the new link."""
        old, self.link = self.link, link
        self.connected = False
        if old is not link:
            await _close_quietly(old)
        self._log = logging.getLogger(f"{__name__}[{link.address}]")
        await self.start()
        self.answered()

    async def close(self) -> None:
        """Stop reconnecting and close the link."""
        await self._background.cancel()
        await _close_quietly(self.link)

    # -- what the device pushes -------------------------------------------------------

    def pushed(self, unique_id: str, state: State, *, heard: bool = True) -> None:
        """A pushed state: the device is evidently there (if it was `heard` from it)."""
        if not heard and not self.available:
            return
        if self._early is not None:  # still starting: recorded once published
            self._early[unique_id] = state
        else:
            self.context.push_state(unique_id, state)
        if heard:
            self.answered()

    def connection_lost(self, reason: str) -> None:
        """The connection dropped: unavailable at once, and reconnect with backoff."""
        self.connected = False
        self.pushing = False
        self._mark_unavailable(reason or "the connection was lost.")
        self._background.once("reconnect", self._reconnect)

    async def _reconnect(self) -> None:
        attempt, backoff = 0, self.link.backoff
        while not self.connected:
            await asyncio.sleep(backoff[min(attempt, len(backoff) - 1)])
            attempt += 1
            try:
                await self._connect(self.timeout)
            except DeviceError as error:
                self._log.debug("Still cannot reach %s: %s", self.unique_id, error)

    async def _connect(self, limit: float) -> None:
        try:
            async with asyncio.timeout(limit):
                await self._call(self.link.connect())
            await self.start()
        except TimeoutError:
            raise self._failed(DeviceTimeoutError(f"did not answer within {limit:g} s.")) from None
        except DeviceError as error:
            raise self._failed(error) from None
        self.answered()

    # -- polling --------------------------------------------------------------------------

    async def refresh(self) -> None:
        """The poll: read every entity (reconnecting first if the connection is down)."""
        try:
            if not self.connected:
                await self._connect(self.timeout)
            await self.read(self.timeout)
        except DeviceError as error:
            self._log.debug("Poll of %s failed: %s", self.unique_id, error)

    async def read(self, limit: float) -> Mapping[str, State]:
        """Read every entity now, record the states, and return them.

        Reads asked for in the same loop turn share one request: a routine that moves ten
        shades of one hub reads the hub once, not ten times. A read already sent is never
        shared (it may predate a command just sent).
        """
        task = self._open_read
        if task is None:
            task = self._open_read = asyncio.get_running_loop().create_task(self._read(limit))
            task.add_done_callback(_retrieve)
        return await asyncio.shield(task)

    async def _read(self, limit: float) -> Mapping[str, State]:
        await asyncio.sleep(0)  # the reads asked for in this same turn join this one
        self._open_read = None
        sent_before = self._commands_sent
        try:
            async with asyncio.timeout(limit):
                states = await self._call(self.link.read())
        except TimeoutError:
            raise self._failed(DeviceTimeoutError(f"did not answer within {limit:g} s.")) from None
        except DeviceError as error:
            raise self._failed(error) from None
        self.answered()
        known = self.context.registry
        if any(known.by_unique_id(f"{self.context.name}:{uid}") is None for uid in states):
            self.publish()  # an entity added on the device since it was set up
        if self._commands_sent != sent_before:
            # A command went out while this read was on its way: what it says may predate
            # the command (a poll answering "open" after the read-back said "closed").
            return states
        for unique_id, state in states.items():
            self.context.push_state(unique_id, state)
        return states

    # -- commands -------------------------------------------------------------------------

    async def execute(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """Carry out one command on entity `unique_id` and confirm it (see the module)."""
        limit = self.timeout if self.available else min(self.timeout, TRY_UNAVAILABLE_WITHIN)
        if not self.connected:
            await self._connect(limit)
        if command in TOGGLES:
            command, params = await self._untoggle(unique_id, command, limit)
        self._commands_sent += 1
        try:
            async with asyncio.timeout(limit):
                await self._call(self.link.command(unique_id, command, params))
        except TimeoutError:
            raise self._failed(DeviceTimeoutError(f"did not answer within {limit:g} s.")) from None
        except DeviceError as error:
            raise self._failed(error) from None
        except asyncio.CancelledError:
            # Whoever sent it gave up waiting (the executor's own timeout): a failure too.
            self._failed(DeviceTimeoutError("did not answer in time."))
            raise
        self.answered()
        if command.expect is not None:
            await self._confirm(unique_id, command, params)

    async def _untoggle(
        self, unique_id: str, command: CommandSpec, limit: float
    ) -> tuple[CommandSpec, Params]:
        on, off = TOGGLES[command]
        state = (await self.read(limit)).get(unique_id)
        if state is None:
            raise DeviceResponseError("did not say whether it is on or off.")
        chosen = off if state.state == "on" else on
        return chosen, chosen.params()

    async def _confirm(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        assert command.expect is not None
        want = command.expect(params)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READ_BACK_WITHIN
        pause = 0.05
        state: State | None = None
        reported = self.link.reported_after_command(unique_id)
        while True:
            if reported is not None:
                state, reported = reported, None
            else:
                try:
                    state = (await self.read(self.timeout)).get(unique_id)
                except DeviceError as error:
                    raise DeviceUnconfirmedError(
                        f"the {self.link.device_word} took the command, then did not answer"
                        f" when asked whether it worked ({str(error).rstrip('.')})."
                    ) from None
            if state is None:
                return  # the link cannot read this entity back: nothing to check against
            fields = {"state": state.state, **state.model_dump(exclude={"state"})}
            if all(fields.get(name) in allowed for name, allowed in want.items()):
                return
            if loop.time() + pause > deadline:
                break
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.5)
        noun = command.domain.value.replace("_", " ")
        raise DeviceUnconfirmedError(
            f"the {self.link.device_word} accepted the command but the {noun} is still"
            f" {state.state.replace('_', ' ')}."
        )

    # -- availability ---------------------------------------------------------------------

    async def _call(self, work: Awaitable[_T]) -> _T:
        """Await a library call; whatever it raises leaves as a `devices.errors` error."""
        try:
            return await work
        except DeviceError:
            raise
        except Exception as error:
            mapped = self.link.translate(error) or translate(error, self.timeout)
            self._log.debug("%s: %r", self.unique_id, error)
            raise mapped from error

    def _failed(self, error: DeviceError) -> DeviceError:
        """Count a failure; returns the error to raise."""
        if isinstance(error, _ANSWERED):
            self.answered()
            return error
        if isinstance(error, _UNUSABLE):
            self._mark_unavailable(str(error))  # garbage, or wants pairing again
            return error
        self.failures += 1
        if self.failures >= FAILURES_BEFORE_UNAVAILABLE and self.available:
            self._mark_unavailable(str(error))  # later failures keep the first reason
        return error

    def answered(self) -> None:
        """The device answered: failures forgotten, available again if it was not."""
        self.failures = 0
        if not self.available:
            self.available = True
            for device_id in self.device_ids:
                self.context.set_available(device_id, available=True)

    def unavailable(self, reason: str) -> None:
        """Unavailable (the connection holds) until the device answers again."""
        self._mark_unavailable(reason)

    def _mark_unavailable(self, reason: str) -> None:
        self.available = False
        self._reason = reason
        for device_id in self.device_ids:
            self.context.set_available(device_id, available=False, reason=reason)


def _retrieve(task: asyncio.Task[Mapping[str, State]]) -> None:
    """A shared read's error is its askers' to handle; asyncio need not report it."""
    if not task.cancelled():
        task.exception()


async def _close_quietly(link: DeviceLink) -> None:
    try:
        await link.close()
    except Exception as error:  # noqa: BLE001 - closing a dead connection may fail; it is gone
        _LOGGER.debug("Closing %s: %r", link.address, error)


class Devices(Generic[_L]):
    """The coordinators of one adapter, keyed by each device's unique id."""

    def __init__(self, context: AdapterContext, *, timeout: float) -> None:
        self.context = context
        self.timeout = timeout
        self.coordinators: dict[str, Coordinator[_L]] = {}
        """By the device's unique id."""
        self._by_device: dict[str, Coordinator[_L]] = {}
        """By the unique id of every registry device behind a coordinator."""
        self._setting_up = Background()
        self._unreached: dict[str, Callable[[str], _L]] = {}
        """Addresses whose device could not be set up yet; tried again soon, then at every
        poll."""

    def links(self) -> list[_L]:
        """The link of every device set up."""
        return [c.link for c in self.coordinators.values()]

    async def set_up(self, address: str, make: Callable[[str], _L]) -> None:
        """Connect to the device at `address` and publish it; idempotent.

        One attempt per address at a time (a device announced twice is set up once). A
        device that cannot be set up is logged in one line and tried again, soon and then
        at each poll; nothing is raised to discovery.
        """
        work = self._setting_up.once(address, lambda: self._first_set_up(address, make))
        await asyncio.shield(work)

    async def _first_set_up(self, address: str, make: Callable[[str], _L]) -> None:
        with contextlib.suppress(DeviceConnectionError):  # logged, and tried again later
            await self._set_up(address, make, retry=True)

    async def _soon(self, address: str) -> None:
        """Try a device that could not be set up again soon, until it is (or the polls)."""
        for pause in SET_UP_AGAIN:
            await asyncio.sleep(pause)
            make = self._unreached.get(address)
            if make is None:  # set up at a poll meanwhile, or found elsewhere
                return
            await self._again(address, make)

    async def _set_up(self, address: str, make: Callable[[str], _L], *, retry: bool) -> None:
        link = make(address)
        limit = link.setup_timeout or self.timeout * 3
        try:
            async with asyncio.timeout(limit):
                await self._connect(link)
            await self._adopt(link, address)
        except asyncio.CancelledError:
            # Stopped in the middle (Dobby is stopping): the link may hold a session, an
            # event stream or a reconnect loop; none of it may outlive the set-up.
            await _close_quietly(link)
            raise
        except (DeviceError, TimeoutError) as error:
            await _close_quietly(link)
            reason = str(error) or f"did not answer within {limit:g} s."
            if retry:
                _LOGGER.warning(
                    "%s device at %s: %s Trying again later.", self.context.name, address, reason
                )
                self._unreached[address] = make
                if isinstance(error, TimeoutError | DeviceConnectionError):
                    # Nothing answered (yet): soon it may. One that answered wrongly waits
                    # for the polls.
                    self._setting_up.spawn(self._soon(address))
            else:
                _LOGGER.debug("%s at %s still unreachable: %s", self.context.name, address, reason)
            raise DeviceConnectionError(reason) from None
        self._unreached.pop(address, None)

    async def _adopt(self, link: _L, address: str) -> None:
        """A connected link: the known device's again, or a new device's."""
        known = self.coordinators.get(link.unique_id)
        if known is not None and known.link.address == address and known.pushing:
            await _close_quietly(link)  # answered again where it is, events flowing: no news
            known.answered()
            return
        if known is not None:
            if known.link.address != address:
                _LOGGER.info("%s moved from %s to %s", link.unique_id, known.link.address, address)
            await known.replace(link)
        else:
            known = Coordinator(self.context, link, timeout=self.timeout)
            self.coordinators[link.unique_id] = known  # found by `of` while it subscribes
            try:
                await known.start()
            except BaseException:
                del self.coordinators[link.unique_id]
                raise
        for device_id in known.device_ids:
            self._by_device[device_id] = known

    async def _connect(self, link: _L) -> None:
        try:
            await link.connect()
        except DeviceError:
            raise
        except Exception as error:
            raise (link.translate(error) or translate(error, self.timeout)) from error

    async def _try_again(self, address: str, make: Callable[[str], _L]) -> None:
        with contextlib.suppress(DeviceConnectionError):
            await self._set_up(address, make, retry=False)
            _LOGGER.info("%s device at %s answered at last", self.context.name, address)

    def forget(self, address: str) -> None:
        """Stop trying to set up a device at `address` (it was found elsewhere)."""
        self._unreached.pop(address, None)

    def of(self, entity: Entity) -> Coordinator[_L]:
        """The coordinator of an entity's device."""
        device_unique_id = entity.device_id.partition(":")[2]
        coordinator = self._by_device.get(device_unique_id)
        if coordinator is None:  # published a moment ago, still subscribing
            coordinator = next(
                (c for c in self.coordinators.values() if device_unique_id in c.device_ids), None
            )
        if coordinator is None:
            raise DeviceUnavailableError("it has not been found on the network yet.")
        return coordinator

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        """Carry out a command through the entity's coordinator."""
        await self.of(entity).execute(entity.adapter_unique_id, command, params)

    async def refresh(self) -> None:
        """Poll every device at once, and try the addresses that did not answer yet."""
        await asyncio.gather(
            self.try_unreached(), *(c.refresh() for c in list(self.coordinators.values()))
        )

    async def try_unreached(self) -> None:
        """Try again to set up the devices that could not be set up yet (part of the poll)."""
        await asyncio.gather(
            *(self._again(address, make) for address, make in list(self._unreached.items()))
        )

    async def _again(self, address: str, make: Callable[[str], _L]) -> None:
        """One more try at an address, shared with a try already under way there."""
        await asyncio.shield(self._setting_up.once(address, lambda: self._try_again(address, make)))

    async def close(self) -> None:
        """Stop set-ups and retries, close every link."""
        self._unreached.clear()
        await self._setting_up.cancel()
        await asyncio.gather(*(c.close() for c in self.coordinators.values()))
        self.coordinators.clear()
        self._by_device.clear()
