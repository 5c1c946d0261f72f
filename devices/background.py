"""Work started from a callback and not awaited there, still owned by whoever started it.

asyncio keeps only a weak reference to a running task: one nobody holds may vanish before
it finishes. `Background` holds them until they are done, and ends them with its owner.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Hashable
from typing import Any


class Background:
    """The tasks an object started in the background."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._by_key: dict[Hashable, asyncio.Task[None]] = {}

    def spawn(self, work: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run `work` in the running loop, held until it is done."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def once(
        self, key: Hashable, work: Callable[[], Coroutine[Any, Any, None]]
    ) -> asyncio.Task[None]:
        """The task doing `work()` for `key`: started now, unless one for `key` still runs
        (a device announced twice is set up once). Await it through `asyncio.shield` so a
        caller that gives up does not cancel it for the others."""
        task = self._by_key.get(key)
        if task is None or task.done():
            task = self.spawn(work())
            self._by_key[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        return task

    def _forget(self, key: Hashable, task: asyncio.Task[None]) -> None:
        if self._by_key.get(key) is task:
            del self._by_key[key]
        if not task.cancelled():
            # Its error is its callers' to report; if every caller gave up waiting (they
            # were stopped), there is nobody left to tell: not "never retrieved" at exit.
            task.exception()

    async def finish(self) -> None:
        """Wait for every task, including those started meanwhile; errors are dropped."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel(self) -> None:
        """Cancel every task and wait until they have ended."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
