"""Live states for open pages: Server-Sent Events, pushed as the registry changes.

Each open page holds one `/events` stream. A registry change marks the entity for every
stream; the stream wakes, renders the entity's card for its own person (whose role decides
which controls are live) and sends it. Several changes before a stream wakes go out once.
Notices (a device offline, a schedule ran, someone asks for an approval) go out as they
come. The browser only listens: there is no polling.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field

from aiohttp import web

from agent.channels.members import WebSession
from devices.registry import Change, Registry
from skills.notifications import Notice

_LOGGER = logging.getLogger(__name__)

KEEPALIVE = 20.0
"""Seconds between keep-alive comments; the session is checked again at each."""


@dataclass
class Stream:
    """One open page."""

    session: WebSession
    cookie: str
    entities: set[str] = field(default_factory=set)
    """Entities changed since the last send."""
    events: list[tuple[str, str]] = field(default_factory=list)
    """Other events to send: (name, data)."""
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False


Render = Callable[[str, WebSession], str | None]
"""An entity's card for a person, or None when it is gone."""
StillValid = Callable[[str], WebSession | None]


class Live:
    """Every open page's event stream."""

    def __init__(self, registry: Registry, render: Render, still_valid: StillValid) -> None:
        self.registry, self.render, self.still_valid = registry, render, still_valid
        self.streams: list[Stream] = []
        self._stop: Callable[[], None] | None = None

    def start(self) -> None:
        """Listen to the registry."""
        self._stop = self.registry.listen(self._changed)

    def stop(self) -> None:
        """Stop listening; end every stream."""
        if self._stop is not None:
            self._stop()
            self._stop = None
        for stream in self.streams:
            stream.closed = True
            stream.wake.set()

    def _changed(self, change: Change) -> None:
        for stream in self.streams:
            stream.entities.add(change.entity.entity_id)
            stream.wake.set()

    def send(
        self,
        name: str,
        data: str | Callable[[WebSession], str],
        *,
        to: Callable[[WebSession], bool] | None = None,
    ) -> None:
        """Send an event to every open page (or those whose person `to` picks); `data` may
        be made for each person."""
        for stream in self.streams:
            if to is None or to(stream.session):
                text = data if isinstance(data, str) else data(stream.session)
                stream.events.append((name, text))
                stream.wake.set()

    def notice(self, notice: Notice) -> None:
        """A notice for the household (or for one member) goes to their open pages."""
        wanted = notice.chat if notice.channel == "web" else None
        if notice.channel not in (None, "web"):
            return
        self.send(
            "notice",
            json.dumps({"kind": notice.kind.value, "text": notice.text}),
            to=(lambda s: s.member_id == wanted) if wanted else None,
        )

    def end(self, session_id: str) -> None:
        """End the streams of a session (revoked, signed out)."""
        for stream in self.streams:
            if stream.session.id == session_id:
                stream.closed = True
                stream.wake.set()

    async def serve(
        self, request: web.Request, session: WebSession, cookie: str, headers: dict[str, str]
    ) -> web.StreamResponse:
        """The `/events` stream of one page, until it closes or the session ends."""
        response = web.StreamResponse(
            headers={**headers, "Content-Type": "text/event-stream", "X-Accel-Buffering": "no"}
        )
        stream = Stream(session, cookie)
        self.streams.append(stream)
        try:
            await response.prepare(request)
            await response.write(b"retry: 2000\n\n")
            while not stream.closed:
                with suppress(TimeoutError):
                    async with asyncio.timeout(KEEPALIVE):
                        await stream.wake.wait()
                if not stream.wake.is_set():  # quiet: is the session still good?
                    if self.still_valid(cookie) is None:
                        break
                    await response.write(b": keep-alive\n\n")
                    continue
                stream.wake.clear()
                await response.write(self._pending(stream))
        except ConnectionResetError:
            pass  # the page was closed (or went elsewhere before its stream began)
        finally:
            self.streams.remove(stream)
        return response

    def _pending(self, stream: Stream) -> bytes:
        chunks: list[str] = []
        entities, stream.entities = stream.entities, set()
        for entity_id in sorted(entities):
            card = self.render(entity_id, stream.session)
            if card is not None:
                chunks.append(_event("entity", json.dumps({"id": entity_id, "html": card})))
        events, stream.events = stream.events, []
        chunks.extend(_event(name, data) for name, data in events)
        return "".join(chunks).encode()


def _event(name: str, data: str) -> str:
    lines = "".join(f"data: {line}\n" for line in data.split("\n"))
    return f"event: {name}\n{lines}\n"
