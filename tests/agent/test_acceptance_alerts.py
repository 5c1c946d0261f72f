"""Issue 19's acceptance: the alarm panel's and the pool's own alarms reach the household's
Telegram chat (the released python-telegram-bot against a fake Bot API on loopback).

The demo house runs with its wired Envisalink panel (DSC dialect over the TPI) and its
ScreenLogic gateway with IntelliChem; each alarm is made at the emulated device and must
arrive in the chat. The wait is generous (the event must come, not come fast); the time
it took is printed for the record (`pytest -s`).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TypeVar

import pytest
from pydantic import SecretStr

from agent.channels.telegram import render
from agent.channels.testing import Call, FakeBotAPI
from agent.config import ChannelSettings, MemberConfig, load_config
from agent.demo import ServingDemo, serving_demo
from devices.adapters.envisalink.demo import EnvisalinkDemo
from devices.adapters.screenlogic.emulator import ScreenLogicEmulator
from skills.actions import Role

_T = TypeVar("_T")
CONFIG = Path(__file__).resolve().parents[2] / "config"
ADMIN, HOUSEHOLD_CHAT = 1001, -100190
WAIT = 30.0
"""Seconds an alert may take before the test gives up (generous: the machine is shared)."""


@pytest.fixture
async def alerting(tmp_path: Path) -> AsyncIterator[tuple[ServingDemo, FakeBotAPI]]:
    config = load_config(CONFIG)
    config.home.members = [MemberConfig(id=f"telegram:{ADMIN}", name="Alice", role=Role.ADMIN)]
    telegram = FakeBotAPI()
    await telegram.start()
    settings = ChannelSettings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_token=SecretStr(telegram.token),
        telegram_base_url=telegram.base_url,
        telegram_poll_timeout=1,
        telegram_chat_id=HOUSEHOLD_CHAT,
        http_host="127.0.0.1",
        http_port=0,
    )
    try:
        async with serving_demo(config, tmp_path, settings, alarm="envisalink") as demo:
            assert demo.missing == []
            yield demo, telegram
    finally:
        await telegram.stop()


def emulation(demo: ServingDemo, kind: type[_T]) -> _T:
    return next(e for e in demo.house.running if isinstance(e, kind))


async def arrives(telegram: FakeBotAPI, text: str) -> tuple[Call, float]:
    """The household chat's message with `text`, and the seconds it took to come."""
    started = time.monotonic()
    call = await telegram.wait_for(
        "sendMessage",
        lambda c: c.params["chat_id"] == HOUSEHOLD_CHAT and c.params["text"] == render(text),
        within=WAIT,
    )
    return call, time.monotonic() - started


async def test_a_panel_alarm_and_a_pool_ph_alarm_reach_the_household_chat(
    alerting: tuple[ServingDemo, FakeBotAPI],
) -> None:
    demo, telegram = alerting
    dobby = demo.service.dobby
    assert dobby is not None
    panel = emulation(demo, EnvisalinkDemo).emulator
    patio = next(z.number for z in panel.panel.zones.values() if z.name == "Patio Door")
    panel.arm("away")
    armed = await dobby.registry.wait_until(
        lambda: (
            getattr(dobby.registry.entity("alarm_panel.house_alarm").state, "state", "")
            == "armed_away"
        ),
        WAIT,
    )
    assert armed
    panel.fault_zone(patio)
    _, alarm_after = await arrives(telegram, f"ALARM: Patio Door, zone {patio}")

    pool = emulation(demo, ScreenLogicEmulator)
    pool.set_ph(8.1)
    _, ph_after = await arrives(telegram, "Pool pH 8.1 is out of range.")
    print(f"alarm in the chat after {alarm_after:.3f} s, pool pH alarm after {ph_after:.3f} s")
    pool.set_ph(7.4)
    await arrives(telegram, "Pool pH is back to normal (7.4).")
