"""pyenvisalink's own clients, with the connection's life handed to the adapter.

The released library parses the TPI (logins, zone and partition updates, keypad updates)
and sends its commands; these subclasses add only what an adapter needs to know and the
library keeps to its logs: that the connection came or went, that the module acknowledged
or refused a command, and that it sent something that is not TPI. The library's own
reconnect (a fixed 30 s) is left to the adapter, which reconnects on its own schedule.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any, Protocol

from pyenvisalink import (  # type: ignore[import-untyped]
    DSCClient,
    EnvisalinkAlarmPanel,
    EnvisalinkClient,
    HoneywellClient,
)
from pyenvisalink.honeywell_envisalinkdefs import (  # type: ignore[import-untyped]
    evl_TPI_Response_Codes,
)

DSC_KEEPALIVE = "000"
HONEYWELL_KEEPALIVE = "00"
DSC_ERRORS = {
    "015": "the panel is busy arming or disarming",
    "016": "the panel is locked out",
    "017": "the panel is in installer's mode",
    "018": "the panel is busy",
    "020": "the module did not understand the command",
    "021": "the panel has no such partition",
    "022": "the panel does not support the command",
    "023": "the partition is not armed",
    "024": "the partition is not ready to arm",
}
WRONG_CODE = "670"
DSC_REFUSALS = {
    "672": "the panel could not arm",
}
HONEYWELL_WRONG_CODE_BEEP = "03"
"""A Vista keypad's beep field after a code the panel does not know (three beeps)."""
_KEYPAD = re.compile(r"%00,(\d+),[0-9A-F]{4},(\d+),(\d\d),.*\$")
_DSC_FRAME = re.compile(r"(\d\d:\d\d:\d\d\s)?\d{3}.*[0-9A-F]{2}")
_HONEYWELL_LINE = re.compile(r"[%^].+\$")


class LinkEvents(Protocol):
    """What the adapter hears from a connection besides the library's callbacks."""

    def lost(self, reason: str) -> None:
        """The connection closed, or could not be made."""

    def acknowledged(self, command: str) -> None:
        """The module accepted a command (its code: DSC "000", Honeywell "00")."""

    def refused(self, reason: str) -> None:
        """The module or the panel refused a command; `reason` is for a person."""

    def garbage(self) -> None:
        """The module sent something that is not TPI."""

    def wrong_code(self) -> None:
        """The panel did not accept the user code of the command under way."""


class _Lifecycle(EnvisalinkClient):  # type: ignore[misc]
    """Connection bookkeeping shared by both panel families."""

    events: LinkEvents
    _tasks: list[asyncio.Task[Any]]

    def start(self) -> None:
        """Connect and keep alive, keeping hold of the tasks so stop() can end them."""
        self._shutdown = False
        loop: asyncio.AbstractEventLoop = self._eventLoop
        self._tasks = [loop.create_task(self.connect()), loop.create_task(self.keep_alive())]
        if self._alarmPanel.zone_timer_interval > 0:
            self._tasks.append(loop.create_task(self.periodic_zone_timer_dump()))

    def stop(self) -> None:
        """End every task and close the connection; no event follows."""
        self._loggedin = False
        self._shutdown = True
        for task in getattr(self, "_tasks", []):
            task.cancel()
        self.disconnect()

    def connection_lost(self, exc: Exception | None) -> None:
        """The module hung up: tell the adapter (the library would retry in 30 s)."""
        self._loggedin = False
        if not self._shutdown:
            self.events.lost("the Envisalink closed the connection.")

    def handle_connect_failure(self) -> None:
        """The connection could not be made."""
        self._loggedin = False
        if not self._shutdown:
            self.events.lost("cannot be reached.")

    def schedule_reconnect(self, delay: float) -> None:
        """The adapter reconnects, not the library."""
        del delay

    def data_received(self, data: bytes) -> None:
        """Bytes that are not ASCII are garbage, not TPI."""
        try:
            data.decode("ascii")
        except UnicodeDecodeError:
            self.events.garbage()
            return
        super().data_received(data)

    @property
    def logged_in(self) -> bool:
        """Whether the module accepted the password on this connection."""
        return bool(self._loggedin)

    def poll(self) -> None:
        """Send the keepalive, which the module acknowledges."""
        raise NotImplementedError

    def alarm_zones(self, partition: int) -> list[int]:
        """Zones the panel says are in alarm (DSC 601 Zone Alarm; any partition's)."""
        del partition  # a DSC zone alarm does not say its partition in pyenvisalink's state
        zones = self._alarmPanel.alarm_state["zone"]
        return [number for number, zone in zones.items() if zone["status"].get("alarm")]


class DscLink(_Lifecycle, DSCClient):  # type: ignore[misc]
    """pyenvisalink's DSC client, reporting acks (500), errors (501, 502) and refusals."""

    def __init__(self, panel: EnvisalinkAlarmPanel, loop: Any, events: LinkEvents) -> None:
        self.events = events
        super().__init__(panel, loop)

    def poll(self) -> None:
        """000: Poll."""
        self.send_command(DSC_KEEPALIVE, "")

    bypass_known = False
    """Whether a bypass list (616) came on this connection: until then the library's
    bypass states are its defaults, not the panel's."""

    def handle_zone_bypass_update(self, code: str, data: str) -> Any:
        """616: the library records the bypass list; from now on it is the panel's."""
        updates = super().handle_zone_bypass_update(code, data)
        self.bypass_known = True
        return updates

    def ask_bypass_list(self) -> None:
        """*1# on partition 1: the panel answers with its bypass list (616)."""
        self.keypresses_to_partition(1, "*1#")

    def parseHandler(self, rawInput: str) -> dict[str, Any]:  # noqa: N802, N803 - the library's names
        """Parse as the library does; check the checksum and report what it ignores."""
        line = rawInput[9:] if re.match(r"\d\d:\d\d:\d\d\s", rawInput) else rawInput
        framed = _DSC_FRAME.fullmatch(rawInput) is not None
        if not framed or self.get_checksum(line[:3], line[3:-2]) != line[-2:]:
            self.events.garbage()
            return {}
        cmd: dict[str, Any] = super().parseHandler(rawInput)
        code, data = cmd.get("code"), cmd.get("data", "")
        if code == "500":
            self.events.acknowledged(data)
        elif code == "501":
            self.events.refused("the module rejected a malformed command")
        elif code == "502":
            self.events.refused(DSC_ERRORS.get(data, f"the panel reported system error {data}"))
        elif code == WRONG_CODE:
            self.events.wrong_code()
        elif code in DSC_REFUSALS:
            self.events.refused(DSC_REFUSALS[code])
        return cmd


class HoneywellLink(_Lifecycle, HoneywellClient):  # type: ignore[misc]
    """pyenvisalink's Honeywell client, reporting command responses and garbage."""

    def __init__(self, panel: EnvisalinkAlarmPanel, loop: Any, events: LinkEvents) -> None:
        self.events = events
        self.keypad_zone: dict[int, int] = {}
        """The zone number each partition's keypad shows (in an alarm: the zone that set
        it off)."""
        super().__init__(panel, loop)

    def alarm_zones(self, partition: int) -> list[int]:
        """What the keypad names while the partition is in alarm (the TPI sends no zone
        alarm event for a Vista: the keypad shows "ALARM 03 ...")."""
        zone = self.keypad_zone.get(partition)
        return [zone] if zone else []

    def poll(self) -> None:
        """^00: Poll."""
        self.send_command(HONEYWELL_KEEPALIVE, "")

    def parseHandler(self, rawInput: str) -> dict[str, Any] | None:  # noqa: N802, N803 - the library's names
        """Parse as the library does; report responses, refusals and garbage."""
        if self._loggedin and not _HONEYWELL_LINE.fullmatch(rawInput):
            self.events.garbage()
            return {}
        keypad = _KEYPAD.fullmatch(rawInput)
        if keypad is not None:  # before the library's update, which pushes the new state
            self.keypad_zone[int(keypad[1])] = int(keypad[2])
        cmd: dict[str, Any] | None = super().parseHandler(rawInput)
        if keypad is not None and keypad[3] == HONEYWELL_WRONG_CODE_BEEP:
            self.events.wrong_code()
        code = str(cmd.get("code", "")) if cmd else ""
        if cmd and code.startswith("^"):
            result = cmd.get("data", "")
            if result == "00":
                self.events.acknowledged(code[1:])
            else:
                reason = evl_TPI_Response_Codes.get(result, "Unknown Command")
                self.events.refused(f"the module refused the command ({reason.lower()})")
        return cmd


class Panel(EnvisalinkAlarmPanel):  # type: ignore[misc]
    """pyenvisalink's alarm panel, built on the links above."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        panel_type: str,
        version: int,
        password: str,
        events: LinkEvents,
        loop: asyncio.AbstractEventLoop,
        keepalive: float,
        zone_dump: float,
        timeout: float,
        zone_bypass: bool = False,
    ) -> None:
        super().__init__(
            host,
            port,
            panelType=panel_type.upper(),
            envisalinkVersion=version,
            password=password,
            zoneTimerInterval=zone_dump,
            keepAliveInterval=keepalive,
            eventLoop=loop,
            connectionTimeout=timeout,
            zoneBypassEnabled=zone_bypass,
        )
        self.events = events
        self.link: _Lifecycle | None = None

    def start(self) -> None:
        """Connect through the link for the panel family."""
        family = DscLink if self.panel_type == "DSC" else HoneywellLink
        self.link = family(self, self._eventLoop, self.events)
        self._client = self.link
        self.link.start()

    def stop(self) -> None:
        """Close the connection for good."""
        if self.link is not None:
            self.link.stop()

    def poll(self) -> None:
        """Send a keepalive."""
        if self.link is not None:
            self.link.poll()

    @property
    def bypass_known(self) -> bool:
        """Whether the panel's bypass list came on this connection (DSC only)."""
        return isinstance(self.link, DscLink) and self.link.bypass_known

    def ask_bypass_list(self) -> None:
        """Ask for the bypass list (DSC)."""
        if isinstance(self.link, DscLink):
            self.link.ask_bypass_list()

    def alarm_zones(self, partition: int) -> list[int]:
        """Zones the panel names as having set off an alarm (see the links)."""
        return self.link.alarm_zones(partition) if self.link is not None else []
