"""Emulated speakers in a process of their own, so the emulator and Dobby do not share a GIL."""

from __future__ import annotations

import asyncio
import multiprocessing
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Self

from devices.adapters.sonos.demo import DEMO_QUEUE
from devices.adapters.sonos.emulator import SonosEmulator, SpeakerSpec
from devices.emulator import HostAllocator


def _serve(hosts: list[str], latency: float, pipe: Connection) -> None:
    async def main() -> None:
        specs = [
            SpeakerSpec(f"Speaker {n}", host, transport_state="PLAYING", queue=DEMO_QUEUE)
            for n, host in enumerate(hosts, start=1)
        ]
        for spec in specs:
            spec.faults.latency = latency
        emulator = SonosEmulator(specs, ssdp_interface="127.0.0.1")
        await emulator.start()
        loop = asyncio.get_running_loop()
        pipe.send("ready")
        while True:
            command = await loop.run_in_executor(None, pipe.recv)
            if command == "stop":
                break
            if command == "play":
                for speaker in emulator.speakers:
                    speaker.transport_state = "PLAYING"
                emulator.changed()
                pipe.send("ok")
        await emulator.stop()
        pipe.send("stopped")

    asyncio.run(main())


class SpeakerProcess:
    """N emulated speakers with an injected latency, in a child process."""

    def __init__(self, count: int, latency: float, hosts: HostAllocator) -> None:
        self.hosts = [hosts.allocate() for _ in range(count)]
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(self.hosts, latency, child), daemon=True
        )

    def __enter__(self) -> Self:
        self._process.start()
        if self._pipe.recv() != "ready":  # pragma: no cover - the child says ready or dies
            raise RuntimeError("the speaker emulator did not start")
        return self

    def play_all(self) -> None:
        """Set every speaker playing again (outside the timed part)."""
        self._pipe.send("play")
        self._pipe.recv()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pipe.send("stop")
        self._pipe.recv()
        self._process.join(timeout=10)
