"""Background tasks: held until done, finished or cancelled with their owner."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from devices.background import Background


async def test_finish_waits_for_work_started_meanwhile_and_drops_errors() -> None:
    background = Background()
    done: list[str] = []

    async def second() -> None:
        await asyncio.sleep(0.01)
        done.append("second")

    async def first() -> None:
        await asyncio.sleep(0.01)
        done.append("first")
        background.spawn(second())
        raise RuntimeError("a failure is the task's own business")

    background.spawn(first())
    await background.finish()
    assert done == ["first", "second"]


async def test_cancel_ends_what_is_still_running() -> None:
    background = Background()
    never = background.spawn(asyncio.sleep(60))
    quick = background.spawn(asyncio.sleep(0))
    await asyncio.sleep(0.01)
    await background.cancel()
    assert never.cancelled()
    assert quick.done()
    assert not quick.cancelled()


async def test_once_per_key_while_it_runs_and_again_after() -> None:
    background = Background()
    started: list[str] = []

    def work(key: str) -> Callable[[], Coroutine[Any, Any, None]]:
        async def run() -> None:
            started.append(key)
            await asyncio.sleep(0.01)

        return run

    first = background.once("a", work("a"))
    assert background.once("a", work("a")) is first
    other = background.once("b", work("b"))
    await asyncio.gather(first, other)
    assert started == ["a", "b"]
    again = background.once("a", work("a"))
    assert again is not first
    await again
    assert started == ["a", "b", "a"]
