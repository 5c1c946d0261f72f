"""A generation 3 hub's shade event stream: `GET /home/shades/events?sse=true`.

The hub sends a server-sent event whenever a shade starts moving (`motion-started`, with
`targetPositions`) and whenever it stops (`motion-stopped`, with `currentPositions`), in
the same fractions as `/home/shades`. aiopvapi has no call for the stream, so it is read
here with the HTTP session aiopvapi uses. The stream is kept open, and opened again after
it drops (backoff); `on_change` hears each time it opens (`True` when it opens again
after a drop) or drops, so that the adapter polls while it is down.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

from devices.background import Background

EVENTS_PATH = "/home/shades/events?sse=true"
RETRY_AFTER = (1.0, 2.0, 5.0, 15.0, 30.0)
"""Seconds between attempts to open the stream again; the last repeats."""

ShadeEvent = dict[str, Any]
"""One event as the hub sends it: `evt`, `id` (the shade), and its positions."""


class ShadeEvents:
    """The event stream of the hub at `address` (`host` or `host:port`)."""

    def __init__(
        self,
        address: str,
        session: aiohttp.ClientSession,
        timeout: float,
        on_event: Callable[[ShadeEvent], None],
        on_change: Callable[[bool], Awaitable[None]],
    ) -> None:
        self.url = f"http://{address}{EVENTS_PATH}"
        self._session = session
        self._timeout = timeout
        self._on_event = on_event
        self._on_change = on_change
        self._opened_before = False
        self.streaming = False
        """Whether the stream is open now (events arrive: no need to poll)."""
        self._first: asyncio.Future[bool] | None = None
        self._background = Background()
        self._log = logging.getLogger(f"{__name__}[{address}]")

    async def start(self) -> bool:
        """Open the stream and keep it open; whether the first attempt opened it."""
        self._first = asyncio.get_running_loop().create_future()
        self._background.once("events", self._run)
        return await self._first

    async def close(self) -> None:
        """Close the stream for good."""
        self.streaming = False
        await self._background.cancel()

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                await self._listen()
                self._log.info("The hub's event stream ended; polling until it is back")
            except (aiohttp.ClientError, TimeoutError, ValueError) as error:
                if self._first is None or self._first.done():
                    self._log.debug("No event stream (%r); polling until it is back", error)
                else:
                    self._log.info("The hub offers no event stream (%r): polling it", error)
            if self.streaming:
                self.streaming = False
                await self._on_change(False)
            if self._first is not None and not self._first.done():
                self._first.set_result(False)
            await asyncio.sleep(RETRY_AFTER[min(attempt, len(RETRY_AFTER) - 1)])
            attempt += 1

    async def _listen(self) -> None:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self._timeout)
        headers = {"Accept": "text/event-stream"}
        async with self._session.get(self.url, timeout=timeout, headers=headers) as response:
            response.raise_for_status()
            kind = response.headers.get("Content-Type", "")
            if not kind.startswith("text/event-stream"):
                raise ValueError(f"the hub answered {kind or 'no content type'}, not events")
            self.streaming = True
            self._log.debug("Listening to the hub's event stream")
            if self._first is not None and not self._first.done():
                self._first.set_result(True)
            reopened, self._opened_before = self._opened_before, True
            await self._on_change(reopened)
            data: list[str] = []
            async for raw in response.content:
                line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
                if line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
                elif not line and data:
                    self._dispatch("\n".join(data))
                    data = []

    def _dispatch(self, text: str) -> None:
        try:
            event = json.loads(text)
        except ValueError:
            self._log.debug("An event that is not JSON: %r", text[:200])
            return
        if isinstance(event, dict) and isinstance(event.get("id"), int):
            self._on_event(event)
        else:
            self._log.debug("An event without a shade: %r", text[:200])
