"""An asyncio event loop in a daemon thread, for driving async code from blocking code.

Emulators are async; client libraries such as SoCo block. A test runs the emulator on a
`LoopThread` and calls the blocking client from its own thread:

    with LoopThread() as loop:
        emulator = SonosEmulator(specs)
        loop.run(emulator.start())
        soco.SoCo("127.0.0.10").play()
        loop.run(emulator.stop())
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import Any, Self, TypeVar

_T = TypeVar("_T")


class LoopThread:
    """Runs an event loop in a daemon thread until stopped."""

    def __init__(self, name: str = "loop-thread") -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop; RuntimeError before start or after stop."""
        if self._loop is None:
            raise RuntimeError("the loop thread is not running")
        return self._loop

    def start(self) -> None:
        """Start the loop in its thread and wait until it runs."""
        if self._thread is not None:
            return
        ready = threading.Event()
        loop = asyncio.new_event_loop()

        def main() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            try:
                loop.run_forever()
            finally:
                _shut_down(loop)

        self._loop = loop
        self._thread = threading.Thread(target=main, name=self.name, daemon=True)
        self._thread.start()
        ready.wait()

    def run(self, coroutine: Coroutine[Any, Any, _T], timeout: float | None = None) -> _T:
        """Run a coroutine on the loop and wait for its result (or exception)."""
        if threading.current_thread() is self._thread:
            coroutine.close()
            raise RuntimeError("LoopThread.run() would deadlock on its own thread")
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def call(self, function: Callable[[], _T], timeout: float | None = None) -> _T:
        """Call a plain function on the loop's thread and return its result."""

        async def wrapper() -> _T:
            return function()

        return self.run(wrapper(), timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """Cancel what is still running, stop the loop and join the thread."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._thread = self._loop = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _shut_down(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the loop's remaining tasks, finish async generators and the executor, close."""
    try:
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        if tasks:
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        loop.close()
