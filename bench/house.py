"""A virtual house in a process of its own, so its emulators and Dobby do not share a GIL.

The house is any list of house-file devices; every emulated device answers with an
injected latency. The parent learns the addresses the house uses, so Dobby takes those
devices only, through normal discovery.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from multiprocessing.connection import Connection
from pathlib import Path
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


def _stat_fields(path: Path) -> list[str]:
    """/proc/<pid>/stat after the command name (state, ppid, ...); [] if it is gone."""
    try:
        text = path.read_text()
    except OSError:
        return []
    return text[text.rindex(")") + 2 :].split()


def tree_cpu_seconds(pid: int, *, itself: bool = True) -> float:
    """The CPU time (user and system) a process and all its descendants have used so far,
    from /proc (Linux; 0.0 elsewhere); without the process's own when not `itself`."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat_fields(stat)
        if fields:
            parents[int(stat.parent.name)] = int(fields[1])
    tree, grew = {pid}, True
    while grew:
        more = {child for child, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    if not itself:
        tree.discard(pid)
    ticks = 0
    for member in tree:
        fields = _stat_fields(Path(f"/proc/{member}/stat"))
        if fields:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


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

    def cpu_seconds(self) -> float:
        """The CPU time the house has used so far, its children (a broker) included, from
        /proc (Linux; 0.0 elsewhere)."""
        pid = self._process.pid
        return 0.0 if pid is None else tree_cpu_seconds(pid)

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
