"""Faults shared between a test and the emulator process, through a memory-mapped file.

The test flips a `SharedFaults` switch; the accessory process reads the same bytes when a
request arrives, so a fault set before a command is sent is always in force for it.
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path
from typing import Any

from devices.testing.faults import Faults

_SLOT = struct.Struct("<d????")
"""latency (seconds), error, garbage, drop, silent."""
_FIELDS = ("latency", "error", "garbage", "drop", "silent")


class FaultBoard:
    """One slot of faults per accessory in a small file both processes map."""

    def __init__(self, path: Path, slots: int, *, create: bool) -> None:
        self.path = path
        self.slots = slots
        if create:
            path.write_bytes(bytes(_SLOT.size * slots))
        self._file = path.open("r+b")
        self._map = mmap.mmap(self._file.fileno(), _SLOT.size * slots)

    def read(self, slot: int) -> Faults:
        """The faults in force for one accessory now."""
        latency, error, garbage, drop, silent = _SLOT.unpack_from(self._map, slot * _SLOT.size)
        return Faults(latency=latency, error=error, garbage=garbage, drop=drop, silent=silent)

    def write(self, slot: int, faults: Faults) -> None:
        """Set the faults of one accessory."""
        _SLOT.pack_into(
            self._map,
            slot * _SLOT.size,
            float(faults.latency),
            bool(faults.error),
            bool(faults.garbage),
            bool(faults.drop),
            bool(faults.silent),
        )

    def close(self) -> None:
        """Unmap the file."""
        self._map.close()
        self._file.close()


class SharedFaults(Faults):
    """A `Faults` switch whose every change lands in the emulator process at once."""

    def __init__(self, board: FaultBoard, slot: int) -> None:
        object.__setattr__(self, "_board", board)
        object.__setattr__(self, "_slot", slot)
        super().__init__()

    _board: FaultBoard
    _slot: int

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name in _FIELDS:
            snapshot = Faults(**{f: getattr(self, f, getattr(Faults, f)) for f in _FIELDS})
            self._board.write(self._slot, snapshot)
