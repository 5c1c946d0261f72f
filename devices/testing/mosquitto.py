"""A real Mosquitto broker on a loopback address of its own, for tests and the virtual house.

    broker = Mosquitto(hosts.allocate())          # any free port on that address
    await broker.start()                          # mosquitto runs with a generated config
    broker.host, broker.port
    await broker.kill(); await broker.start()     # the broker dies and comes back, same port
    await broker.stop()

`users={"dobby": "secret"}` writes a password file and refuses anonymous clients;
`options=[...]` adds configuration lines of your own (Mosquitto refuses to start on one it
does not know, which `start` raises with Mosquitto's words). A port
another process holds is `PortTakenError`, one line naming the address and port; a machine
without Mosquitto is `MosquittoMissingError` (Debian: `apt-get install mosquitto`; the
Makefile installs it).
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from devices.testing.addresses import PortTakenError, bind

_LOGGER = logging.getLogger(__name__)
_SEARCH = (None, "/usr/sbin", "/usr/local/sbin")
READY_WITHIN = 10.0
"""Seconds a starting broker has to accept connections."""


class MosquittoMissingError(RuntimeError):
    """The `mosquitto` program is not installed on this machine."""


def mosquitto_program() -> str | None:
    """Where the `mosquitto` program is (Debian installs it in /usr/sbin), or None."""
    for where in _SEARCH:
        found = shutil.which("mosquitto", path=where)
        if found:
            return found
    return None


class Mosquitto:
    """One Mosquitto process listening on `host:port` (port 0 takes a free one)."""

    def __init__(
        self,
        host: str,
        port: int = 0,
        *,
        users: dict[str, str] | None = None,
        options: Sequence[str] = (),
    ) -> None:
        self.host = host
        self.port = port
        self.users = dict(users or {})
        self.options = list(options)
        self._process: asyncio.subprocess.Process | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def running(self) -> bool:
        """Whether the broker process is alive."""
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        """Start the broker (again, on the same port) and wait until it accepts clients."""
        program = mosquitto_program()
        if program is None:
            raise MosquittoMissingError(
                "mosquitto is not installed (Debian: apt-get install mosquitto)"
            )
        # Mosquitto listens with SO_REUSEPORT, so a second broker would share a taken port
        # silently: the port is tried here first (and a free one chosen for port 0).
        sock = bind(self.host, self.port)
        self.port = int(sock.getsockname()[1])
        sock.close()
        config = await asyncio.to_thread(self._write_config)
        self._process = await asyncio.create_subprocess_exec(
            program,
            "-c",
            str(config),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            await self._ready()
        except BaseException:
            await self.kill()
            raise

    def _write_config(self) -> Path:
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="dobby-mosquitto-")
        folder = Path(self._dir.name)
        lines = [
            f"listener {self.port} {self.host}",
            "persistence false",
            "set_tcp_nodelay true",  # a hundred states after a routine leave at once
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            f"user {getpass.getuser()}",  # as root it would switch to `mosquitto` otherwise
        ]
        if self.users:
            passwords = folder / "passwords"
            passwords.write_text(
                "".join(f"{name}:{secret}\n" for name, secret in self.users.items()),
                encoding="utf-8",
            )
            os.chmod(passwords, 0o600)
            program = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"
            subprocess.run([program, "-U", str(passwords)], check=True, capture_output=True)  # noqa: S603
            lines += ["allow_anonymous false", f"password_file {passwords}"]
        else:
            lines.append("allow_anonymous true")
        lines += self.options
        config = folder / "mosquitto.conf"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return config

    async def _ready(self) -> None:
        process = self._process
        assert process is not None
        async with asyncio.timeout(READY_WITHIN):
            while True:
                if process.returncode is not None:
                    raise self._failure(await self._stderr())
                try:
                    _, writer = await asyncio.open_connection(self.host, self.port)
                except OSError:
                    await asyncio.sleep(0.02)
                    continue
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
                return

    async def _stderr(self) -> str:
        process = self._process
        if process is None or process.stderr is None:
            return ""
        return (await process.stderr.read()).decode(errors="replace")

    def _failure(self, said: str) -> Exception:
        if "Address already in use" in said:
            return PortTakenError(self.host, self.port)
        last = said.strip().splitlines()[-1:] or ["(no output)"]
        return RuntimeError(f"mosquitto on {self.host}:{self.port} did not start: {last[0]}")

    async def kill(self) -> None:
        """End the broker at once (SIGKILL): clients see the connection drop, no goodbye."""
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.kill()
        await process.wait()

    async def stop(self) -> None:
        """Stop the broker and remove its config."""
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                async with asyncio.timeout(5):
                    await process.wait()
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None
