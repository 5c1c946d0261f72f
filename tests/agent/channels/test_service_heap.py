"""The service freezes its start-up heap again once newly found devices settle."""

from __future__ import annotations

import asyncio
import gc
import socket
from pathlib import Path

import pytest

from agent.config import ChannelSettings, load_config
from agent.service import HeapFreezer, PortTakenError, Service
from devices.capabilities import Domain, SwitchState
from devices.entities import DeviceInfo, EntitySpec
from devices.plugin import LoadedAdapters
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


def _service(tmp_path: Path, port: int = 0) -> Service:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "home.yaml").write_text("name: Test House\n", encoding="utf-8")
    settings = ChannelSettings(_env_file=None, http_host="127.0.0.1", http_port=port, web=False)
    return Service(
        load_config(config),
        tmp_path / "state",
        settings,
        interfaces=["127.0.0.1"],
        loaded=LoadedAdapters({}, []),
    )


async def test_start_collects_again_once_ready_and_freezes_the_heap(tmp_path: Path) -> None:
    """Collection is paused for the whole start (awaits included), on again once ready,
    and the heap is frozen just after."""
    service = _service(tmp_path)
    before = gc.get_freeze_count()
    try:
        await service.start()
        assert gc.isenabled()
        await _turns()
        assert gc.get_freeze_count() > before
    finally:
        await service.stop()
        gc.unfreeze()


async def test_a_failed_start_leaves_collection_on(tmp_path: Path) -> None:
    """A start-up that fails inside the pause (the HTTP port is taken) turns it back on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        service = _service(tmp_path, port=int(taken.getsockname()[1]))
        try:
            with pytest.raises(PortTakenError):
                await service.start()
            assert gc.isenabled()
        finally:
            await service.stop()
