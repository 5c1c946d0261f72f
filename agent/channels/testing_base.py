"""What the fakes of the chat services share: a loopback aiohttp server recording calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Call:
    """One request a client made."""

    method: str
    params: dict[str, Any]


@dataclass
class FakeServer:
    host: str = "127.0.0.1"
    port: int = 0
    calls: list[Call] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def _app(self) -> web.Application:
        raise NotImplementedError

    async def start(self) -> None:
        """Listen on loopback (a free port unless one was given)."""
        self._runner = web.AppRunner(self._app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def called(self, method: str) -> list[Call]:
        """The calls of one method so far."""
        return [c for c in self.calls if c.method == method]

    async def wait_for(
        self, method: str, where: Callable[[Call], bool] = lambda _: True, within: float = 10.0
    ) -> Call:
        """The first call of `method` that matches, waiting for it if needed."""
        async with asyncio.timeout(within), self._changed:
            while True:
                for call in self.called(method):
                    if where(call):
                        return call
                await self._changed.wait()
