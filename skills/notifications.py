"""The household notification hook: one place where news for the household chat goes.

Whatever has news (a scheduled routine ran, a device went offline, the alarm tripped)
publishes a `Notice`. The chat channels (Telegram, WhatsApp) deliver it through an outbox
in the state database: a notice published before a channel is up (a missed schedule
reported at start-up) waits there, and one that a channel could not send is tried again,
so none is lost across a restart and none is sent twice. Live views (the terminal) just
listen. Nothing here knows about channels beyond their names.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from devices.background import Background
from skills.database import connect

_LOGGER = logging.getLogger(__name__)

RETRY_AFTER = 30.0
"""Seconds before a channel that failed to send is tried again."""
KEEP_FOR = timedelta(days=7)
"""How long delivered notices are kept (and undeliverable ones tried)."""
LATE_AFTER = timedelta(minutes=1)
"""A notice delivered later than this says when it happened."""


class NoticeKind(StrEnum):
    """What a notice is about."""

    SCHEDULE = "schedule"
    """A scheduled routine ran (or was missed)."""
    DEVICE = "device"
    """A device went offline or came back."""
    ALARM = "alarm"
    """The alarm tripped, or a zone faulted while armed."""
    APPROVAL = "approval"
    """Someone who may not approve asked for something sensitive: who may, please answer."""
    INFO = "info"


@dataclass(frozen=True)
class Notice:
    """One piece of news for the household."""

    kind: NoticeKind
    text: str
    """Plain words, ready to send."""
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    to: str | None = None
    """`<channel>:<chat>` for news about one person's request (their scheduled command
    ran or was refused); None for the whole household."""
    ask: str | None = None
    """The token of a confirmation request: the channel shows Approve and Deny with it."""

    @property
    def channel(self) -> str | None:
        """The one channel this notice is for, or None for every channel."""
        return self.to.partition(":")[0] if self.to else None

    @property
    def chat(self) -> str | None:
        """The one chat this notice is for on its channel, or None for the household."""
        return self.to.partition(":")[2] if self.to else None


Subscriber = Callable[[Notice], Awaitable[None]]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    at TEXT NOT NULL,
    recipient TEXT,
    ask TEXT,
    delivered_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT
)
"""


class Outbox:
    """Notices waiting for a channel, one row per notice and channel, in the state database."""

    def __init__(self, path: Path | str) -> None:
        self._db = connect(path)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute(_SCHEMA)
            self._db.execute(
                "CREATE INDEX IF NOT EXISTS ix_outbox_pending ON outbox (channel, delivered_at)"
            )
            self._db.execute("DELETE FROM outbox WHERE at < ?", (_stamp(_now() - KEEP_FOR),))

    def add(self, notice: Notice, channels: Iterable[str]) -> None:
        """Keep a notice for each of these channels until it is delivered."""
        rows = [
            (channel, notice.kind.value, notice.text, _stamp(notice.at), notice.to, notice.ask)
            for channel in channels
        ]
        with self._lock, self._db:
            self._db.executemany(
                "INSERT INTO outbox (channel, kind, text, at, recipient, ask)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )

    def pending(self, channel: str) -> list[tuple[int, Notice]]:
        """The notices a channel has not delivered yet, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, text, at, recipient, ask FROM outbox"
                " WHERE channel = ? AND delivered_at IS NULL ORDER BY id",
                (channel,),
            ).fetchall()
        return [
            (row_id, Notice(NoticeKind(kind), text, datetime.fromisoformat(at), to, ask))
            for row_id, kind, text, at, to, ask in rows
        ]

    def delivered(self, row_id: int) -> None:
        """A notice went out."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE outbox SET delivered_at = ? WHERE id = ?", (_stamp(_now()), row_id)
            )

    def failed(self, row_id: int, error: str) -> None:
        """A notice could not be sent this time."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?",
                (error[:500], row_id),
            )

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


@dataclass
class Notifications:
    """Hands notices to the chat channels through the outbox, and to live listeners."""

    database: Path | None = None
    """The state database; without it notices are only handed to whoever is up."""
    retry_after: float = RETRY_AFTER
    history: list[Notice] = field(default_factory=list)
    """The notices published so far (the newest last), for /status and tests."""
    keep: int = 100
    _listeners: list[Subscriber] = field(default_factory=list)
    _expected: set[str] = field(default_factory=set)
    _attached: dict[str, Subscriber] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    _outbox: Outbox | None = None
    _retries: Background = field(default_factory=Background)

    def __post_init__(self) -> None:
        if self.database is not None:
            self._outbox = Outbox(self.database)

    def expect(self, channels: Iterable[str]) -> None:
        """The chat channels that will deliver notices: from now on each notice is kept for
        them until they do, even if they are not up yet."""
        self._expected.update(channels)

    def attach(self, channel: str, deliver: Subscriber) -> Callable[[], None]:
        """A chat channel is up: hand it what waits for it, then every later notice.

        Returns a function that detaches it (what it has not delivered keeps waiting).
        """
        self._expected.add(channel)
        self._attached[channel] = deliver
        self._retries.spawn(self._flush(channel))

        def detach() -> None:
            if self._attached.get(channel) is deliver:
                del self._attached[channel]

        return detach

    def subscribe(self, listener: Subscriber) -> Callable[[], None]:
        """Show every later notice to a live view (the terminal); nothing is kept for it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def publish(self, notice: Notice) -> None:
        """Keep a notice for the chat channels it is for, and deliver it where one is up."""
        self.history = [*self.history[-(self.keep - 1) :], notice]
        channels = sorted(
            c for c in self._expected if notice.channel is None or c == notice.channel
        )
        if self._outbox is not None:
            self._outbox.add(notice, channels)
        results = await asyncio.gather(
            *(listener(notice) for listener in list(self._listeners)),
            *(self._flush(c) if self._outbox else self._send(c, notice) for c in channels),
            return_exceptions=True,
        )
        for result in results:
            if isinstance(result, BaseException):
                _LOGGER.error("A channel failed to deliver a notice: %s", result)

    async def _send(self, channel: str, notice: Notice) -> None:
        deliver = self._attached.get(channel)
        if deliver is not None:
            await deliver(notice)

    async def _flush(self, channel: str) -> None:
        """Deliver what waits for a channel, oldest first, each once."""
        if self._outbox is None:
            return
        lock = self._locks.setdefault(channel, asyncio.Lock())
        async with lock:
            for row_id, notice in self._outbox.pending(channel):
                deliver = self._attached.get(channel)
                if deliver is None:
                    return
                try:
                    await deliver(_dated(notice))
                except Exception as error:  # noqa: BLE001 - kept, and tried again later
                    _LOGGER.warning(
                        "The %s channel could not deliver a notice (%s); trying again in %g s",
                        channel,
                        type(error).__name__,
                        self.retry_after,
                    )
                    self._outbox.failed(row_id, f"{type(error).__name__}: {error}")
                    self._retries.spawn(self._retry(channel))
                    return
                self._outbox.delivered(row_id)

    async def _retry(self, channel: str) -> None:
        await asyncio.sleep(self.retry_after)
        await self._flush(channel)

    async def close(self) -> None:
        """Stop retrying; what is not delivered stays in the outbox for the next start."""
        self._attached.clear()
        await self._retries.cancel()
        if self._outbox is not None:
            self._outbox.close()
            self._outbox = None


def _dated(notice: Notice) -> Notice:
    """A notice that waited says when it happened."""
    if _now() - notice.at <= LATE_AFTER:
        return notice
    local = notice.at.astimezone()
    return replace(notice, text=f"(From {local:%a %d %b %H:%M}) {notice.text}")


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()
