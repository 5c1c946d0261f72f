"""The HAP-python emulator itself: the drifting room, and faults shared across processes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from devices.adapters.homekit.emulator import AccessorySpec, EmulatorError
from devices.adapters.homekit.emulator.faults import FaultBoard, SharedFaults
from devices.testing.addresses import HostAllocator
from devices.testing.faults import Faults


async def test_the_room_drifts_toward_the_setpoint_and_the_heating_stops(
    start_emulator: Any, hosts: HostAllocator
) -> None:
    spec = AccessorySpec("Hallway Thermostat", "thermostat", hosts.allocate(), drift_seconds=0.05)
    emulator = await start_emulator([spec])
    seen: list[float] = []
    async with asyncio.timeout(20):
        while True:
            values = await emulator.values("Hallway Thermostat")
            seen.append(values["CurrentTemperature"])
            if values["CurrentTemperature"] == 21.0 and values["CurrentHeatingCoolingState"] == 0:
                break
            await asyncio.sleep(0.05)
    assert seen == sorted(seen), "the room only warms toward 21 °C"
    assert seen[0] == 20.5


async def test_an_order_for_an_unknown_accessory_is_refused(
    start_emulator: Any, hosts: HostAllocator
) -> None:
    emulator = await start_emulator([AccessorySpec("Front Door", "lock", hosts.allocate())])
    answer = await emulator.order(op="get", name="Front Door")
    assert answer["values"] == {"LockCurrentState": 0, "LockTargetState": 0}
    with pytest.raises(EmulatorError, match="no accessory 'Back Door'"):
        await emulator.order(op="get", name="Back Door")


def test_faults_set_here_are_read_there(tmp_path: Path) -> None:
    board = FaultBoard(tmp_path / "faults.bin", 2, create=True)
    other_side = FaultBoard(tmp_path / "faults.bin", 2, create=False)
    try:
        switch = SharedFaults(board, 1)
        switch.latency, switch.drop = 2.5, True
        assert other_side.read(1) == Faults(latency=2.5, drop=True)
        assert other_side.read(0) == Faults()
        switch.clear()
        assert other_side.read(1) == Faults()
    finally:
        board.close()
        other_side.close()
