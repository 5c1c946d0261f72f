"""One thread pool for every blocking client library (SoCo and friends).

asyncio's default pool has min(32, cores + 4) threads: six on a two-core machine, which
would make a routine over thirty speakers wait in line. Blocking device calls spend their
time waiting on the network, not on the CPU, so the pool is sized for waiting.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

DEFAULT_WORKERS = 64

_P = ParamSpec("_P")
_T = TypeVar("_T")


class BlockingRunner:
    """Runs blocking calls in a thread pool sized for network waits."""

    def __init__(self, max_workers: int = DEFAULT_WORKERS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="dobby-io")

    async def run(self, func: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """Run `func` in the pool and wait for it without blocking the event loop."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        call = functools.partial(context.run, func, *args, **kwargs)
        return await loop.run_in_executor(self._pool, call)

    def shutdown(self) -> None:
        """Stop the pool; calls already running finish first."""
        self._pool.shutdown(wait=True, cancel_futures=True)
