"""Background tasks: held until done, finished or cancelled with their owner."""

from __future__ import annotations

import asyncio
import gc
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


async def test_a_set_up_whose_callers_all_gave_up_fails_quietly() -> None:
    """Its caller was stopped (cancelled) before the set-up failed: nobody is left to tell,
    and asyncio must not say "Task exception was never retrieved" when it is collected."""
    background = Background()
    complaints: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(lambda _, context: complaints.append(context))
    release = asyncio.Event()

    async def set_up() -> None:
        await release.wait()
        raise ConnectionError("the device went away")

    task = background.once("hub", set_up)

    async def caller(held: asyncio.Task[None]) -> None:
        await asyncio.shield(held)

    waiting = asyncio.create_task(caller(task))
    await asyncio.sleep(0)
    waiting.cancel()  # the caller is stopped first
    await asyncio.gather(waiting, return_exceptions=True)
    release.set()  # then the set-up fails
    await asyncio.wait([task])  # (waits without looking at its outcome)
    del waiting, task
    gc.collect()
    await asyncio.sleep(0)
    loop.set_exception_handler(None)
    assert complaints == []
