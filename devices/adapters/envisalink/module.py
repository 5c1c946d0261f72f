"""One Envisalink module: its connection, its login, and commands confirmed by the panel.

A command is done when the panel says so: the link sends it through pyenvisalink and
waits until the partition state it asked for arrives (pushed by the module), the module
refuses it, the connection drops, garbage comes back, or the wait is over. A command the
module acknowledged whose state never arrives is reported as unconfirmed, never as a
timeout: it was received, and must not be sent again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devices.adapters.envisalink.config import EnvisalinkConfig
from devices.adapters.envisalink.link import DSC_KEEPALIVE, HONEYWELL_KEEPALIVE, Panel
from devices.adapters.envisalink.redact import protect
from devices.errors import (
    DeviceAuthError,
    DeviceConnectionError,
    DeviceError,
    DeviceRefusedError,
    DeviceResponseError,
    DeviceTimeoutError,
    DeviceUnconfirmedError,
)

GARBAGE = "answered with something that is not the Envisalink protocol."


@dataclass
class _Waiter:
    future: asyncio.Future[None]
    ack: str | None = None
    check: Callable[[], bool] | None = None
    acked: bool = False
    """A command's waiter: the module acknowledged a command while it waited."""


class EnvisalinkModule:
    """The connection to one module, and what it last told about the panel."""

    def __init__(
        self,
        host: str,
        port: int,
        config: EnvisalinkConfig,
        on_news: Callable[[], None],
        on_lost: Callable[[str], None],
    ) -> None:
        self.host, self.port = host, port
        self.config = config
        self.on_news = on_news
        """Called whenever the panel's state may have changed."""
        self.on_lost = on_lost
        """Called with the reason when the connection drops (not when we close it)."""
        self.panel: Panel | None = None
        self._waiters: list[_Waiter] = []
        self._lock = asyncio.Lock()
        self._log = logging.getLogger(f"{__name__}[{host}]")

    @property
    def keepalive(self) -> str:
        """The keepalive command's code in this panel's dialect."""
        return DSC_KEEPALIVE if self.config.panel_type == "dsc" else HONEYWELL_KEEPALIVE

    @property
    def connected(self) -> bool:
        """Whether a logged-in connection is open."""
        return self.panel is not None and self.panel.link is not None and self.panel.link.logged_in

    @property
    def alarm_state(self) -> dict[str, Any]:
        """pyenvisalink's view of every partition and zone."""
        if self.panel is None:
            return {"partition": {}, "zone": {}}
        state: dict[str, Any] = self.panel.alarm_state
        return state

    # -- connecting ---------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect and log in (unless connected); then every pushed state has been read."""
        async with self._lock:
            if self.connected:
                return
            password = self.config.secret(self.config.password_env, "module password")
            protect(password, os_code(self.config))
            self.close()
            loop = asyncio.get_running_loop()
            login: asyncio.Future[None] = loop.create_future()
            panel = Panel(
                self.host,
                self.port,
                panel_type=self.config.panel_type,
                version=self.config.envisalink_version,
                password=password,
                events=self,
                loop=loop,
                keepalive=self.config.keepalive_interval,
                zone_dump=self.config.zone_dump_interval,
                timeout=self.config.request_timeout,
                zone_bypass=self.config.zone_bypass,
            )
            panel.callback_login_success = lambda _: _settle(login, None)
            panel.callback_login_failure = lambda _: _settle(
                login, DeviceAuthError(f"refused the password in {self.config.password_env}.")
            )
            for name in ("zone_state_change", "partition_state_change", "keypad_update"):
                setattr(panel, f"callback_{name}", self._news)
            panel.callback_zone_timer_dump = self._news
            panel.callback_zone_bypass_update = self._news
            panel.callback_realtime_cid_event = self._news
            self.panel = panel
            waiter = _Waiter(login)
            self._waiters.append(waiter)
            panel.start()
            try:
                async with asyncio.timeout(self.config.request_timeout):
                    await login
            except TimeoutError:
                self.close()
                raise DeviceTimeoutError("did not answer the login in time.") from None
            except DeviceError:
                self.close()
                raise
            finally:
                self._waiters.remove(waiter)
            self._log.info("Logged in to the %s panel", self.config.panel_type)
        await self.poll()

    def close(self) -> None:
        """Hang up (quietly: no `lost` news follows)."""
        if self.panel is not None:
            self.panel.stop()
            self.panel = None

    async def poll(self) -> None:
        """Send a keepalive and wait for its acknowledgement: the module answers."""
        if not self.connected:
            raise DeviceConnectionError("cannot be reached.")
        assert self.panel is not None
        await self._wait(self.panel.poll, ack=self.keepalive, within=self.config.request_timeout)

    async def command(
        self, send: Callable[[Panel], None], done: Callable[[], bool], *, within: float
    ) -> None:
        """Send a command once; return once `done()` holds on the panel's pushed state.

        Waits `within` seconds: a command the module acknowledged in that time whose state
        did not arrive raises DeviceUnconfirmedError (it was received), one it did not
        acknowledge DeviceTimeoutError.
        """
        if not self.connected:
            raise DeviceConnectionError("cannot be reached.")
        if done():
            return
        panel = self.panel
        assert panel is not None
        await self._wait(lambda: send(panel), check=done, within=within)

    async def _wait(
        self,
        send: Callable[[], None],
        *,
        within: float,
        ack: str | None = None,
        check: Callable[[], bool] | None = None,
    ) -> None:
        waiter = _Waiter(asyncio.get_running_loop().create_future(), ack, check)
        self._waiters.append(waiter)
        try:
            send()
            async with asyncio.timeout(within):
                await waiter.future
        except TimeoutError:
            if waiter.acked:
                raise DeviceUnconfirmedError(
                    "the panel accepted the command but did not show the change"
                    f" within {within:g} s."
                ) from None
            raise DeviceTimeoutError(f"did not confirm within {within:g} s.") from None
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)

    # -- what the link reports (LinkEvents and the library's callbacks) ------------------

    def _news(self, _: object = None) -> None:
        for waiter in list(self._waiters):
            if waiter.check is not None and waiter.check():
                _settle(waiter.future, None)
        self.on_news()

    def acknowledged(self, command: str) -> None:
        """The module accepted a command (a keepalive's answers a poll)."""
        for waiter in list(self._waiters):
            if waiter.ack == command:
                _settle(waiter.future, None)
            elif waiter.check is not None and command != self.keepalive:
                waiter.acked = True

    def refused(self, reason: str) -> None:
        """The module or panel said no."""
        self._log.info("The panel refused a command: %s", reason)
        self._fail(DeviceRefusedError(f"{reason}."))

    def wrong_code(self) -> None:
        """The panel did not take the user code: the command under way is refused."""
        self._log.info("The panel did not accept the user code")
        error = DeviceRefusedError("the panel did not accept the user code.")
        for waiter in list(self._waiters):
            if waiter.check is not None:
                _settle(waiter.future, error)

    def garbage(self) -> None:
        """The module sent bytes that are not TPI: what waits fails with a response error."""
        self._log.warning("The module sent something that is not TPI")
        self._fail(DeviceResponseError(GARBAGE))

    def lost(self, reason: str) -> None:
        """The connection dropped or could not be made."""
        self._log.warning("Connection: %s", reason.rstrip("."))
        self._fail(DeviceConnectionError(reason))
        self.on_lost(reason)

    def _fail(self, error: DeviceError) -> None:
        for waiter in list(self._waiters):
            _settle(waiter.future, error)


def os_code(config: EnvisalinkConfig) -> str:
    """The user code if the environment has one (for masking), else ""."""
    try:
        return config.secret(config.code_env, "user code")
    except DeviceAuthError:
        return ""


def _settle(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
