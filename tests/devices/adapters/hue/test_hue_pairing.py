"""Pairing with a Hue bridge by its link button, against the emulated bridge."""

from __future__ import annotations

import asyncio
import json
import logging
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohue import create_app_key

from devices.adapters.hue.emulator import HueBridgeEmulator, LightSpec
from devices.adapters.hue.pairing import (
    LinkButtonNotPressedError,
    bridge_scheme,
    find_bridges,
    key_path,
    keys_dir,
    load_key,
    pair,
)
from devices.errors import DeviceConnectionError, DeviceTimeoutError
from devices.testing import fresh_hosts


@pytest.fixture
async def bridge() -> AsyncIterator[HueBridgeEmulator]:
    emulator = HueBridgeEmulator(fresh_hosts().allocate(), [LightSpec("Desk", "Study")])
    await emulator.start()
    yield emulator
    await emulator.stop()


async def test_without_the_button_pairing_says_so_and_stores_nothing(
    bridge: HueBridgeEmulator, tmp_path: Path
) -> None:
    with pytest.raises(LinkButtonNotPressedError, match=r"link button .* not pressed within 0 s"):
        await pair(bridge.address, tmp_path, wait_for_button=0)
    assert not keys_dir(tmp_path).exists()
    assert bridge.keys == set()


async def test_pressing_the_button_stores_a_secret_key(
    bridge: HueBridgeEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bridge.press_link_button()
    bridge_id = await pair(bridge.address, tmp_path, wait_for_button=0)
    assert bridge_id == bridge.bridge_id
    path = key_path(keys_dir(tmp_path), bridge_id)
    assert path == tmp_path / "hue" / f"{bridge.bridge_id}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = load_key(keys_dir(tmp_path), bridge_id)
    assert stored is not None
    assert bridge.keys == {stored.application_key}
    assert stored.client_key is not None
    assert len(stored.client_key) == 32
    assert json.loads(path.read_text())["host"] == bridge.address
    assert bridge.paired[0].startswith("dobby#")
    assert stored.application_key not in caplog.text
    assert stored.application_key not in repr(stored)


async def test_pairing_waits_for_the_button(bridge: HueBridgeEmulator, tmp_path: Path) -> None:
    async def press_soon() -> None:
        await asyncio.sleep(0.3)
        bridge.press_link_button()

    presser = asyncio.create_task(press_soon())
    bridge_id = await pair(bridge.address, tmp_path, wait_for_button=20, poll_every=0.1)
    await presser
    assert load_key(keys_dir(tmp_path), bridge_id) is not None


async def test_aiohue_can_pair_with_the_emulator_too(bridge: HueBridgeEmulator) -> None:
    # Not pressed, aiohue falls back to plain HTTP on port 80, which the emulator does not
    # serve (it speaks HTTPS only), so only the pressed case is aiohue's to check here.
    bridge.press_link_button()
    key = await create_app_key(bridge.address, "aiohue#test")
    assert key in bridge.keys


async def test_an_address_with_no_bridge_cannot_be_reached(tmp_path: Path) -> None:
    nobody = fresh_hosts().allocate()
    with pytest.raises(DeviceConnectionError):
        await pair(f"{nobody}:9", tmp_path, wait_for_button=0)


async def test_bridges_are_found_by_mdns_on_loopback(bridge: HueBridgeEmulator) -> None:
    found = await find_bridges(["127.0.0.1"], seconds=2.0)
    mine = [b for b in found if b.bridge_id == bridge.bridge_id]
    assert [(b.host, b.name) for b in mine] == [
        (bridge.address, f"Hue Bridge - {bridge.bridge_id[-6:].upper()}")
    ]


async def test_a_bridge_without_api_v2_pairs_over_http(tmp_path: Path) -> None:
    old = HueBridgeEmulator(fresh_hosts().allocate(), [LightSpec("Desk", "Study")], api="v1")
    await old.start()
    try:
        old.press_link_button()
        bridge_id = await pair(old.address, tmp_path, wait_for_button=0)
        stored = load_key(keys_dir(tmp_path), bridge_id)
        assert stored is not None
        assert bridge_id == old.bridge_id
        assert old.keys == {stored.application_key}
    finally:
        await old.stop()


async def test_which_api_a_bridge_speaks_and_a_silent_one(bridge: HueBridgeEmulator) -> None:
    assert await bridge_scheme(bridge.address) == "https"
    bridge.faults.latency = 5.0
    with pytest.raises(DeviceTimeoutError, match=r"within 0\.3 s"):
        await bridge_scheme(bridge.address, request_timeout=0.3)
    bridge.faults.clear()
    old = HueBridgeEmulator(fresh_hosts().allocate(), [LightSpec("Desk", "Study")], api="v1")
    await old.start()
    try:
        assert await bridge_scheme(old.address) == "http"
    finally:
        await old.stop()
