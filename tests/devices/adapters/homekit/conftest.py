"""Fixtures for the HomeKit tests: HAP-python accessories served by a separate process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path

import pytest

from devices.adapters.homekit.emulator import AccessorySpec, HomeKitEmulator
from devices.testing import fresh_hosts
from devices.testing.addresses import HostAllocator

StartEmulator = Callable[[Sequence[AccessorySpec]], Awaitable[HomeKitEmulator]]


@pytest.fixture
def hosts() -> HostAllocator:
    """Loopback addresses no other test of this run uses."""
    return fresh_hosts()


@pytest.fixture
async def start_emulator(tmp_path: Path) -> AsyncIterator[StartEmulator]:
    """`await start_emulator(specs)`: a running emulator process, stopped after the test."""
    started: list[HomeKitEmulator] = []

    async def start(specs: Sequence[AccessorySpec]) -> HomeKitEmulator:
        emulator = HomeKitEmulator(specs, state_dir=tmp_path / f"accessories-{len(started)}")
        started.append(emulator)
        await emulator.start()
        return emulator

    yield start
    for emulator in started:
        await emulator.stop()
