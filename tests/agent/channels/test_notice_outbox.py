"""Notices survive a kill -9: `dobby run` is killed while Telegram refuses to take its news,
and once it runs again each notice is delivered exactly once.

The notices are the household's "Missed: ..." reports of three schedules that came due
while Dobby was down, published at start-up before the chat channels listen.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from datetime import timedelta
from pathlib import Path

import yaml

from agent.channels.testing import FakeBotAPI
from devices.plugin import load_adapters
from devices.registry import Registry
from skills.actions import Action, Requester, Role
from skills.database import database_path
from skills.executor import Executor
from skills.house import House
from skills.policy import Policy, PolicyConfig
from skills.routine_book import build_book

ADMIN = 1001


async def schedule_three_missed(state: Path, rewind) -> None:
    """Three one-shot commands stored in the state database, due two hours ago."""
    registry = Registry()
    house = House(registry, Policy(registry, PolicyConfig()), Executor(registry, {}))
    book = build_book(house, [], routines_file=None, database=database_path(state))
    await book.start()
    assert book.scheduler is not None
    alice = Requester(f"telegram:{ADMIN}", Role.ADMIN, "Alice", channel="telegram")
    off = Action(entity_id="light.kitchen_pendant", command="light.turn_off")
    later = book.scheduler.now() + timedelta(hours=1)
    jobs = [book.scheduler.once(later, alice, actions=[off], title=f"job {n}") for n in range(3)]
    await book.stop()
    for job in jobs:
        await rewind(database_path(state), job.id, book.scheduler.now() - timedelta(hours=2))


def pending(state: Path) -> list[str]:
    with sqlite3.connect(database_path(state)) as db:
        try:
            rows = db.execute(
                "SELECT text FROM outbox WHERE channel = 'telegram' AND delivered_at IS NULL"
            ).fetchall()
        except sqlite3.OperationalError:  # the service has not made its outbox yet
            return []
    return sorted(text for (text,) in rows)


async def until(check, within: float = 60.0) -> None:
    """Poll another process's doings (its database, what reached the fake API)."""
    async with asyncio.timeout(within):
        while not check():  # noqa: ASYNC110 - the other side is a process, not a task here
            await asyncio.sleep(0.05)


async def test_pending_notices_are_delivered_once_after_a_kill(
    tmp_path: Path, rewind, dobby_run
) -> None:
    config, state = tmp_path / "config", tmp_path / "state"
    config.mkdir()
    state.mkdir()
    home = {
        "members": [{"id": f"telegram:{ADMIN}", "name": "Alice", "role": "admin"}],
        "schedules": {"grace": "1m"},
        "discovery": {"interfaces": ["127.0.0.1"]},
        "adapters": {name: {"enabled": False} for name in load_adapters().manifests},
    }
    (config / "home.yaml").write_text(yaml.safe_dump(home))
    await schedule_three_missed(state, rewind)
    telegram = FakeBotAPI(failing={"sendMessage"})
    await telegram.start()
    bot = {
        "telegram_token": telegram.token,
        "telegram_base_url": telegram.base_url,
        "telegram_poll_timeout": "1",
    }
    try:
        first = await dobby_run(config, state, **bot)
        try:
            await until(lambda: len(pending(state)) == 3 and telegram.refused)
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        assert first.returncode == -signal.SIGKILL
        assert [t.split(" was due")[0] for t in pending(state)] == [
            "Missed: job 0",
            "Missed: job 1",
            "Missed: job 2",
        ]
        assert telegram.called("sendMessage") == []  # nothing got through before the kill

        telegram.failing.clear()
        second = await dobby_run(config, state, **bot)
        try:
            await until(lambda: len(telegram.called("sendMessage")) >= 3)
            await until(lambda: not pending(state))
            await asyncio.sleep(1.0)  # time for a second, wrong delivery to show
        finally:
            second.send_signal(signal.SIGTERM)
            _, raw = await asyncio.wait_for(second.communicate(), 30)
        assert second.returncode == 0, raw.decode()
    finally:
        await telegram.stop()
    sent = sorted(
        str(c.params["text"]).split(" was due")[0] for c in telegram.called("sendMessage")
    )
    assert sent == ["Missed: job 0", "Missed: job 1", "Missed: job 2"]
    assert {c.params["chat_id"] for c in telegram.called("sendMessage")} == {ADMIN}
    assert pending(state) == []
