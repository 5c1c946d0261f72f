"""The service freezes its start-up heap again once newly found devices settle."""

from __future__ import annotations

import asyncio
import gc

from agent.service import HeapFreezer
from devices.capabilities import Domain, SwitchState
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry


def _add(registry: Registry, uid: str) -> None:
    spec = EntitySpec(unique_id=uid, domain=Domain.SWITCH, name=uid, state=SwitchState(state="on"))
    registry.upsert_device("test", DeviceInfo(unique_id=uid, name=uid), [spec])


async def _turns(count: int = 5) -> None:
    for _ in range(count):
        await asyncio.sleep(0)


async def test_new_devices_are_frozen_once_they_settle() -> None:
    """A new device schedules one freeze; a state change of a known one does not."""
    registry = Registry()
    _add(registry, "pump")
    freezer = HeapFreezer(registry, settle=0)
    try:
        before = gc.get_freeze_count()
        registry.update_state("switch.pump", SwitchState(state="off"))
        await _turns()
        assert gc.get_freeze_count() == before  # nothing new was found

        _add(registry, "heater")
        _add(registry, "light")
        await _turns()
        assert gc.get_freeze_count() > before
    finally:
        freezer.close()
        gc.unfreeze()


async def test_closing_cancels_a_pending_freeze() -> None:
    """After close, a device found later schedules nothing."""
    registry = Registry()
    freezer = HeapFreezer(registry, settle=0)
    freezer.close()
    before = gc.get_freeze_count()
    _add(registry, "pump")
    await _turns()
    assert gc.get_freeze_count() == before
