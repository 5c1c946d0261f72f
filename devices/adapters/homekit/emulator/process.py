"""The parent's handle on the emulator process: start, stop, restart, faults, device changes."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from devices.adapters.homekit.emulator.faults import FaultBoard, SharedFaults
from devices.adapters.homekit.emulator.spec import AccessorySpec
from devices.testing.addresses import PortTakenError
from devices.testing.faults import Faults

RUNNER = "devices.adapters.homekit.emulator.runner"
START_TIMEOUT = 20.0


class EmulatorError(RuntimeError):
    """The emulator process did not start or did not answer an order."""


class HomeKitEmulator:
    """HAP-python accessories served by a separate process, announced on loopback.

    The accessories keep their pairings in `state_dir` across restarts, as a real
    accessory keeps them across a power cut.
    """

    def __init__(
        self,
        specs: Sequence[AccessorySpec],
        *,
        interface: str = "127.0.0.1",
        state_dir: Path | None = None,
    ) -> None:
        self.specs = list(specs)
        self.interface = interface
        self._tmp = (
            tempfile.TemporaryDirectory(prefix="dobby-homekit-") if state_dir is None else None
        )
        self.state_dir = state_dir if state_dir is not None else Path(self._tmp.name)  # type: ignore[union-attr]
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.board = FaultBoard(self.state_dir / "faults.bin", len(self.specs), create=True)
        self.faults = [SharedFaults(self.board, slot) for slot in range(len(self.specs))]
        self._process: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()

    def spec(self, name: str) -> AccessorySpec:
        """The accessory called `name` (or the bridge an accessory of that name is behind)."""
        return next(s for s in self.specs if name in (s.name, *(b.name for b in s.bridged)))

    def all_faults(self) -> Sequence[Faults]:
        """The faults switch of every accessory."""
        return self.faults

    @property
    def running(self) -> bool:
        """Whether the process is serving."""
        return self._process is not None and self._process.returncode is None

    async def start(self) -> None:
        """Start the process and wait until every accessory is served and announced."""
        config = {
            "accessories": [s.as_json() for s in self.specs],
            "state_dir": str(self.state_dir),
            "interface": self.interface,
            "faults_file": str(self.board.path),
        }
        config_file = self.state_dir / "emulator.json"
        config_file.write_text(json.dumps(config), encoding="utf-8")
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            RUNNER,
            str(config_file),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            ready = await asyncio.wait_for(self._read(), START_TIMEOUT)
        except (TimeoutError, EmulatorError):
            await self.kill()
            raise
        if "taken" in ready:
            await self.kill()
            raise PortTakenError(ready["taken"]["host"], ready["taken"]["port"])
        if not ready.get("ready"):
            raise EmulatorError(f"the emulator said {ready!r} instead of ready")

    async def _read(self) -> dict[str, Any]:
        assert self._process is not None
        assert self._process.stdout is not None
        while True:
            line = await self._process.stdout.readline()
            if not line:
                raise EmulatorError("the emulator process ended")
            if line.startswith(b"{"):
                answer: dict[str, Any] = json.loads(line)
                return answer

    async def order(self, **request: Any) -> dict[str, Any]:
        """Send one order to the process and return its answer."""
        async with self._lock:
            process = self._process
            if process is None or process.stdin is None:
                raise EmulatorError("the emulator is not running")
            process.stdin.write(json.dumps(request).encode() + b"\n")
            await process.stdin.drain()
            answer = await asyncio.wait_for(self._read(), 10)
        if not answer.get("ok"):
            raise EmulatorError(str(answer.get("error")))
        return answer

    async def set(self, name: str, **values: Any) -> None:
        """Change characteristics at the device, as a person at the device would."""
        await self.order(op="set", name=name, values=values)

    async def values(self, name: str) -> dict[str, Any]:
        """Every characteristic of the accessory's main service, read at the device."""
        values: dict[str, Any] = (await self.order(op="get", name=name))["values"]
        return values

    async def unique_id(self, name: str) -> str:
        """The HomeKit adapter's unique id of the accessory's main service entity."""
        answer = await self.order(op="get", name=name)
        return f"{self.spec(name).device_id.lower()}:{answer['aid']}:{answer['iid']}"

    async def power_off(self) -> None:
        """End the process politely (announcements withdrawn); the pairings stay on disk."""
        process = self._process
        if process is None:
            return
        if process.returncode is None and process.stdin is not None:
            try:
                process.stdin.write(b'{"op": "stop"}\n')
                await process.stdin.drain()
                process.stdin.close()
                await asyncio.wait_for(process.wait(), 10)
            except (TimeoutError, ConnectionError):
                process.kill()
        await process.wait()
        self._process = None

    async def kill(self) -> None:
        """End the process at once, without goodbye: an accessory whose power is cut."""
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            process.kill()
        await process.wait()
        self._process = None

    async def restart(self) -> None:
        """Power off and on again, keeping the pairings."""
        await self.power_off()
        await self.start()

    async def stop(self) -> None:
        """Power off for good and remove the files if they were temporary."""
        await self.power_off()
        self.board.close()
        if self._tmp is not None:
            self._tmp.cleanup()
