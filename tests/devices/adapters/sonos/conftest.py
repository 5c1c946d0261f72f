"""Fixtures for driving the Sonos emulator with the released, blocking SoCo library."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
import soco
import soco.config

from devices.adapters.sonos.emulator import SonosEmulator, SpeakerSpec
from devices.testing import fresh_hosts
from devices.testing.addresses import HostAllocator
from devices.testing.loop_thread import LoopThread


@pytest.fixture(scope="module")
def loop_thread() -> Iterator[LoopThread]:
    """The event loop the emulators run on; SoCo never runs on it."""
    with LoopThread(name="sonos-emulator") as thread:
        yield thread


@pytest.fixture
def hosts() -> HostAllocator:
    """Loopback addresses no other test of this run uses."""
    return fresh_hosts()


@pytest.fixture(autouse=True)
def fresh_soco() -> Iterator[None]:
    """Forget SoCo's players and cached group states after each test."""
    yield
    soco.SoCo._instances.clear()
    soco.SoCo.zone_group_states.clear()


@pytest.fixture
def start_emulator(loop_thread: LoopThread) -> Iterator[Callable[..., SonosEmulator]]:
    """`start_emulator(specs, **options)`: a running emulator, stopped after the test."""
    started: list[SonosEmulator] = []

    def start(specs: Sequence[SpeakerSpec], **options: Any) -> SonosEmulator:
        emulator = SonosEmulator(specs, **options)
        loop_thread.run(emulator.start(), timeout=10)
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        loop_thread.run(emulator.stop(), timeout=10)


@pytest.fixture
def listener_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """SoCo's event listener listens on 127.0.0.1, where the emulator may call back."""
    monkeypatch.setattr(soco.config, "EVENT_LISTENER_IP", "127.0.0.1")
