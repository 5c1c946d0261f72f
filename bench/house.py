"""A virtual house in a process of its own, so its emulators and Dobby do not share a GIL.

The house is any list of house-file devices; every emulated device answers with an
injected latency. The parent learns the addresses the house uses, so Dobby takes those
devices only, through normal discovery.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, Self

from devices.plugin import load_adapters
from devices.virtual_house import HouseDevice, HouseFile, VirtualHouse


def _serve(devices: list[dict[str, Any]], latency: float, pipe: Connection) -> None:
    async def main() -> None:
        house = VirtualHouse(
            HouseFile(devices=[HouseDevice.model_validate(d) for d in devices]),
            load_adapters().manifests,
        )
        await house.start()
        for emulation in house.running:
            for faults in emulation.all_faults():  # type: ignore[attr-defined]
                faults.latency = latency
        pipe.send(
            (
                sorted(house.hosts.allocated),
                sorted(house.addresses),
                house.entity_ids,
                house.settings,
            )
        )
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, pipe.recv)  # "stop"
        await house.stop()
        pipe.send("stopped")

    asyncio.run(main())


class HouseProcess:
    """The emulators of some house-file devices, in a child process."""

    def __init__(self, devices: list[HouseDevice], latency: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        payload = [d.model_dump() for d in devices]
        self._process = context.Process(target=_serve, args=(payload, latency, child), daemon=True)
        self.hosts: list[str] = []
        """The devices' own addresses."""
        self.addresses: list[str] = []
        """Every address the house answers from (its devices' and its interface's)."""
        self.entity_ids: list[str] = []
        self.settings: dict[str, dict[str, Any]] = {}

    def __enter__(self) -> Self:
        self._process.start()
        self.hosts, self.addresses, self.entity_ids, self.settings = self._pipe.recv()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pipe.send("stop")
        self._pipe.recv()
        self._process.join(timeout=10)
