"""The emulated Envisalink module: a TPI server on TCP port 4025 of a loopback address.

It asks for the module password, answers the commands pyenvisalink sends in the panel's
own dialect (DSC or Honeywell), pushes every zone and partition change to each logged-in
client, and obeys `Faults` on every command after the login.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Iterable, Sequence
from typing import Literal

from devices.adapters.envisalink.emulator.dsc import DscDialect
from devices.adapters.envisalink.emulator.honeywell import HoneywellDialect
from devices.adapters.envisalink.emulator.panel import (
    Mode,
    Panel,
    PanelEvent,
    PartitionSpec,
    ZoneSpec,
)
from devices.adapters.envisalink.emulator.wire import Dialect
from devices.testing.faults import Faults
from devices.testing.tcp import serve_streams

PanelType = Literal["dsc", "honeywell"]
TPI_PORT = 4025
LOGIN_TIMEOUT = 10.0
GARBAGE = b"\xfe\xff\x00\x13\x8d#~garbage\x7f\r\n"


class _Session:
    """One logged-in (or logging-in) client connection."""

    def __init__(self, writer: asyncio.StreamWriter, dialect: Dialect) -> None:
        self.writer = writer
        self.dialect = dialect
        self.logged_in = False

    def send(self, lines: Iterable[str]) -> None:
        if self.writer.is_closing():
            return
        for line in lines:
            self.writer.write(line.encode("ascii") + b"\r\n")

    def close(self) -> None:
        self.writer.close()


class EnvisalinkEmulator:
    """An Envisalink with a DSC or Honeywell panel behind it, on `host:port`."""

    def __init__(
        self,
        host: str,
        *,
        panel_type: PanelType = "honeywell",
        password: str,
        codes: dict[int, str],
        partitions: Sequence[PartitionSpec] = (),
        zones: Sequence[ZoneSpec] = (),
        port: int = TPI_PORT,
        exit_delay: float = 0.0,
        entry_delay: float = 0.0,
        code_to_arm: bool = True,
        envisalink_version: int = 4,
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"emulators live on loopback only, not {host}")
        self.host, self.port = host, port
        self.panel_type: PanelType = panel_type
        self.password = password
        self.code_to_arm = code_to_arm
        """DSC only: ask for the user code (900) before arming."""
        self.version = envisalink_version
        self.faults = Faults()
        self.panel = Panel(
            {p.number: p for p in partitions or [PartitionSpec()]},
            {z.number: z for z in zones},
            dict(codes),
            exit_delay=exit_delay,
            entry_delay=entry_delay,
        )
        self.panel.observers.append(self._announce)
        self.commands: list[str] = []
        """Every command line received after a login, in order (the test's view)."""
        self._log = logging.getLogger(f"{__name__}[{host}]")
        self._server: asyncio.Server | None = None
        self._sessions: set[_Session] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- running ------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen for TPI clients."""
        self._server = await serve_streams(self.host, self.port, self._accept)

    async def stop(self) -> None:
        """Stop listening, hang up on every client, forget pending delays."""
        self.panel.cancel_timers()
        await self.go_offline()

    async def go_offline(self) -> None:
        """The module loses power: it stops listening and every connection drops."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self.drop_connections()

    async def come_back(self) -> None:
        """The module is back on the network, listening on the same address."""
        if self._server is None:
            await self.start()

    async def drop_connections(self) -> None:
        """Hang up on every client (the module rebooted its TPI); it still listens."""
        for session in list(self._sessions):
            session.close()
        tasks = list(self._tasks)
        if tasks:  # each ends at the EOF of its closed socket, or after a fault's wait
            _, late = await asyncio.wait(tasks, timeout=1.0)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)

    def all_faults(self) -> list[Faults]:
        """The one faults switch of the module."""
        return [self.faults]

    @property
    def clients(self) -> int:
        """How many clients are logged in now."""
        return sum(1 for s in self._sessions if s.logged_in)

    # -- a person at the panel ----------------------------------------------------------

    def fault_zone(self, number: int) -> None:
        """Open a zone (a door opens, motion is seen, smoke is sensed)."""
        self.panel.set_zone(number, is_open=True)

    def restore_zone(self, number: int) -> None:
        """Close a zone again."""
        self.panel.set_zone(number, is_open=False)

    def bypassed(self) -> list[int]:
        """The zones bypassed now."""
        return sorted(z.number for z in self.panel.zones.values() if z.bypassed)

    def lose_ac_power(self) -> None:
        """Mains power goes: the panel reports a trouble."""
        self.panel.set_ac_power(present=False)

    def restore_ac_power(self) -> None:
        """Mains power is back: the trouble clears."""
        self.panel.set_ac_power(present=True)

    def trip(self, partition: int = 1) -> None:
        """Set the alarm off on a partition."""
        self.panel.trip(partition)

    def arm(self, mode: Mode, partition: int = 1) -> bool:
        """Arm at the keypad with the first user's code."""
        user = min(self.panel.codes)
        return self.panel.arm(partition, mode, user)

    def disarm(self, partition: int = 1) -> bool:
        """Disarm at the keypad with the first user's code."""
        return self.panel.disarm(partition, self.panel.codes[min(self.panel.codes)])

    # -- the wire -----------------------------------------------------------------------

    def _dialect(self) -> Dialect:
        if self.panel_type == "dsc":
            return DscDialect(self.panel, self.version, code_to_arm=self.code_to_arm)
        return HoneywellDialect(self.panel, self.version)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        session = _Session(writer, self._dialect())
        self._sessions.add(session)
        try:
            await self._serve(reader, session)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:  # stopping: end quietly, as a closed socket would
            pass
        finally:
            self._sessions.discard(session)
            self._tasks.discard(task)
            session.close()

    async def _read(self, reader: asyncio.StreamReader) -> str | None:
        raw = await reader.readline()
        if not raw:
            return None
        return raw.rstrip(b"\r\n").decode("ascii", errors="replace")

    async def _serve(self, reader: asyncio.StreamReader, session: _Session) -> None:
        dialect = session.dialect
        session.send(dialect.login_prompt())
        try:
            async with asyncio.timeout(LOGIN_TIMEOUT):
                line = await self._read(reader)
        except TimeoutError:
            session.send(["Timed Out!"] if dialect.name == "honeywell" else [])
            return
        if line is None:
            return
        ok = dialect.password_of(line) == self.password
        session.send(dialect.login_result(ok=ok))
        if not ok:
            self._log.info("Refused a login with a wrong password")
            await session.writer.drain()
            return
        session.logged_in = True
        session.send(dialect.snapshot())
        while (line := await self._read(reader)) is not None:
            if not line:
                continue
            self.commands.append(line)
            if not await self._obey_faults(session, line):
                return
            if self.faults.silent:
                continue
            if self.faults.garbage:
                session.writer.write(GARBAGE)
                continue
            if self.faults.error:
                session.send(dialect.error(line))
                continue
            answer = dialect.handle(line)
            session.send(answer.lines)
            if self.faults.stuck:  # acknowledged, and nothing happens on the panel
                await session.writer.drain()
                continue
            if answer.then is not None:
                answer.then()
            await session.writer.drain()

    async def _obey_faults(self, session: _Session, line: str) -> bool:
        """Wait or hang up as the faults say; False when the connection is to end."""
        del line
        await self.faults.delay()
        return not self.faults.drop and not session.writer.is_closing()

    def _announce(self, event: PanelEvent) -> None:
        for session in list(self._sessions):
            if session.logged_in:
                session.send(session.dialect.announce(event))
