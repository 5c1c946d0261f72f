"""The household notification hook: one place where news for the household chat goes.

Whatever has news (a scheduled routine ran, a device went offline, the alarm tripped)
publishes a `Notice`. The chat channels (Telegram, WhatsApp) deliver it through an outbox
in the state database: a notice published before a channel is up (a missed schedule
reported at start-up) waits there, and one that a channel could not send is tried again,
so none is lost across a restart and none is sent twice. Live views (the terminal) just
listen. Nothing here knows about channels beyond their names.

A channel that hears what became of a message (WhatsApp's delivery statuses) records it
beside the notice (`Notifications.sent`, `Notifications.status`), so "did anyone see the
alarm?" has an answer (`Notifications.receipts`). A send the service refuses for good
(`RefusedError`: a closed 24-hour window, a template not approved, a number not on WhatsApp)
marks the notice refused with the service's error, keeps it in the outbox, and hands it
to the chat channels that did not have it, so it is never silently dropped.
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
    id: int | None = field(default=None, compare=False)
    """Its row in the outbox, once kept there (for the channels' delivery receipts)."""

    @property
    def channel(self) -> str | None:
        """The one channel this notice is for, or None for every channel."""
        return self.to.partition(":")[0] if self.to else None

    @property
    def chat(self) -> str | None:
        """The one chat this notice is for on its channel, or None for the household."""
        return self.to.partition(":")[2] if self.to else None


class RefusedError(Exception):
    """A chat service refused a notice for good; the message has its error code.

    Raised by a channel's deliver function for a notice none of its recipients can get:
    the notice is kept as refused (not tried again) and offered to the other channels.
    """


@dataclass(frozen=True)
class Receipt:
    """What became of one message a notice was sent as."""

    channel: str
    recipient: str
    message_id: str
    status: str
    """`sent`, `delivered`, `read`, `failed` or `refused`."""
    error: str | None
    at: datetime
    """When the status was last updated."""


CHANNEL_NAMES = {"whatsapp": "WhatsApp", "telegram": "Telegram"}
"""How a notice that stands in for a refused one names the channel that refused it."""

STATUS_ORDER = {"sent": 1, "delivered": 2, "read": 3}
"""A later status never goes back to an earlier one (webhooks may arrive out of order)."""


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
);
CREATE TABLE IF NOT EXISTS outbox_sends (
    message_id TEXT NOT NULL,
    notice_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (channel, message_id)
);
CREATE INDEX IF NOT EXISTS ix_outbox_sends_notice ON outbox_sends (notice_id);
"""


class Outbox:
    """Notices waiting for a channel, one row per notice and channel, in the state database."""

    def __init__(self, path: Path | str) -> None:
        self._db = connect(path)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
            for column in ("refused_at TEXT", "origin INTEGER"):  # older state databases
                if column.split()[0] not in columns:
                    self._db.execute(f"ALTER TABLE outbox ADD COLUMN {column}")
            self._db.execute(
                "CREATE INDEX IF NOT EXISTS ix_outbox_pending ON outbox (channel, delivered_at)"
            )
            old = _stamp(_now() - KEEP_FOR)
            self._db.execute(
                "DELETE FROM outbox_sends WHERE notice_id IN (SELECT id FROM outbox WHERE at < ?)",
                (old,),
            )
            self._db.execute("DELETE FROM outbox WHERE at < ?", (old,))

    def add(self, notice: Notice, channels: Iterable[str], *, origin: int | None = None) -> None:
        """Keep a notice for each of these channels until it is delivered (or refused).

        The rows of one notice are linked: each names the first (`origin`), and so do the
        rows of a notice that stands in for a refused one (`origin` given), so a refusal
        knows which channels already had it."""
        at = _stamp(notice.at)
        row = (notice.kind.value, notice.text, at, notice.to, notice.ask)
        with self._lock, self._db:
            for channel in channels:
                cursor = self._db.execute(
                    "INSERT INTO outbox (channel, kind, text, at, recipient, ask, origin)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (channel, *row, origin),
                )
                origin = origin if origin is not None else cursor.lastrowid

    def pending(self, channel: str) -> list[tuple[int, Notice]]:
        """The notices a channel has not delivered yet, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, kind, text, at, recipient, ask FROM outbox"
                " WHERE channel = ? AND delivered_at IS NULL AND refused_at IS NULL ORDER BY id",
                (channel,),
            ).fetchall()
        return [(row[0], _notice(row)) for row in rows]

    def get(self, row_id: int) -> tuple[str, Notice] | None:
        """The channel and notice of a row."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, kind, text, at, recipient, ask, channel FROM outbox WHERE id = ?",
                (row_id,),
            ).fetchone()
        return None if row is None else (row[6], _notice(row[:6]))

    def channels_of(self, row_id: int) -> tuple[int, set[str]]:
        """The first row of a notice (itself, or the one it stands in for), and the channels
        it and its stand-ins were kept for."""
        with self._lock:
            row = self._db.execute("SELECT origin FROM outbox WHERE id = ?", (row_id,)).fetchone()
            first = int(row[0]) if row is not None and row[0] is not None else row_id
            rows = self._db.execute(
                "SELECT channel FROM outbox WHERE id = ? OR origin = ?", (first, first)
            ).fetchall()
        return first, {channel for (channel,) in rows}

    def refused(self, row_id: int, error: str) -> None:
        """A notice was refused for good: kept, with the error, and not tried again."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE outbox SET refused_at = ?, last_error = ?, attempts = attempts + 1"
                " WHERE id = ?",
                (_stamp(_now()), error[:500], row_id),
            )

    def state(self, row_id: int) -> tuple[str, str | None]:
        """`pending`, `delivered` or `refused`, and the last error."""
        with self._lock:
            row = self._db.execute(
                "SELECT delivered_at, refused_at, last_error FROM outbox WHERE id = ?", (row_id,)
            ).fetchone()
        if row is None:
            return "unknown", None
        delivered, refused, error = row
        return ("refused" if refused else "delivered" if delivered else "pending"), error

    def record_send(
        self, row_id: int, channel: str, recipient: str, message_id: str, status: str = "sent"
    ) -> None:
        """A message a notice went out as (its id, to reconcile the service's statuses)."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO outbox_sends"
                " (message_id, notice_id, channel, recipient, status, at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (message_id, row_id, channel, recipient, status, _stamp(_now())),
            )

    def update_send(
        self, channel: str, message_id: str, status: str, error: str | None
    ) -> Receipt | None:
        """A status for a message sent; None when no notice went out as it. A status never
        goes back (a late `delivered` after `read` is ignored); `failed` always counts."""
        with self._lock, self._db:
            row = self._db.execute(
                "SELECT status FROM outbox_sends WHERE channel = ? AND message_id = ?",
                (channel, message_id),
            ).fetchone()
            if row is None:
                return None
            if status == "failed" or STATUS_ORDER.get(status, 0) > STATUS_ORDER.get(row[0], 0):
                self._db.execute(
                    "UPDATE outbox_sends SET status = ?, error = ?, at = ?"
                    " WHERE channel = ? AND message_id = ?",
                    (status, error, _stamp(_now()), channel, message_id),
                )
        return self.receipt(channel, message_id)

    def receipt(self, channel: str, message_id: str) -> Receipt | None:
        """One send's receipt."""
        with self._lock:
            row = self._db.execute(
                "SELECT channel, recipient, message_id, status, error, at, notice_id"
                " FROM outbox_sends WHERE channel = ? AND message_id = ?",
                (channel, message_id),
            ).fetchone()
        return None if row is None else _receipt(row)

    def notice_of(self, channel: str, message_id: str) -> int | None:
        """The outbox row a message was sent for."""
        with self._lock:
            row = self._db.execute(
                "SELECT notice_id FROM outbox_sends WHERE channel = ? AND message_id = ?",
                (channel, message_id),
            ).fetchone()
        return None if row is None else int(row[0])

    def latest_received(self, kind: NoticeKind) -> tuple[Notice, list[Receipt]] | None:
        """The newest notice of a kind that went out as messages, and their receipts."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, kind, text, at, recipient, ask FROM outbox o WHERE kind = ?"
                " AND EXISTS (SELECT 1 FROM outbox_sends s WHERE s.notice_id = o.id)"
                " ORDER BY id DESC LIMIT 1",
                (kind.value,),
            ).fetchone()
        if row is None:
            return None
        return _notice(row), self.receipts(int(row[0]))

    def receipts(self, row_id: int) -> list[Receipt]:
        """What became of each message a notice went out as, in the order they were sent."""
        with self._lock:
            rows = self._db.execute(
                "SELECT channel, recipient, message_id, status, error, at FROM outbox_sends"
                " WHERE notice_id = ? ORDER BY rowid",
                (row_id,),
            ).fetchall()
        return [_receipt(row) for row in rows]

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
                except RefusedError as error:
                    await self._refused(row_id, channel, notice, str(error))
                    continue
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

    # -- what became of a notice -----------------------------------------------------------

    def sent(self, notice: Notice, channel: str, recipient: str, message_id: str) -> None:
        """A channel sent a notice as this message (to match the service's statuses)."""
        if self._outbox is not None and notice.id is not None:
            self._outbox.record_send(notice.id, channel, recipient, message_id)

    def status(
        self, channel: str, message_id: str, status: str, error: str | None = None
    ) -> Receipt | None:
        """The service says what became of a message; None if it was not a notice's."""
        if self._outbox is None:
            return None
        return self._outbox.update_send(channel, message_id, status, error)

    def notice_of(self, channel: str, message_id: str) -> Notice | None:
        """The notice a message was sent for."""
        if self._outbox is None:
            return None
        row_id = self._outbox.notice_of(channel, message_id)
        found = self._outbox.get(row_id) if row_id is not None else None
        return None if found is None else found[1]

    def receipts(self, notice: Notice) -> list[Receipt]:
        """What became of each message a notice went out as."""
        if self._outbox is None or notice.id is None:
            return []
        return self._outbox.receipts(notice.id)

    def latest_received(self, kind: NoticeKind) -> tuple[Notice, list[Receipt]] | None:
        """The newest notice of a kind with receipts ("did anyone see the alarm?")."""
        return None if self._outbox is None else self._outbox.latest_received(kind)

    def state(self, notice: Notice) -> tuple[str, str | None]:
        """`pending`, `delivered` (handed to its channel) or `refused`, and the last error."""
        if self._outbox is None or notice.id is None:
            return "unknown", None
        return self._outbox.state(notice.id)

    async def refused(self, notice: Notice, channel: str, error: str) -> None:
        """A channel learnt later (a failed status) that a notice it sent was refused."""
        if notice.id is not None:
            await self._refused(notice.id, channel, notice, error)

    async def _refused(self, row_id: int, channel: str, notice: Notice, error: str) -> None:
        """Keep the notice as refused, with its error; offer it to the other channels that
        did not have it (a notice for one person goes to the household's other chats)."""
        _LOGGER.error("The %s channel could not deliver a notice: %s", channel, error)
        if self._outbox is None:
            return
        self._outbox.refused(row_id, f"{channel}: {error}")
        first, had = self._outbox.channels_of(row_id)
        others = sorted(c for c in self._expected if c not in had)
        if not others:
            _LOGGER.warning("No other channel can take it; it stays in the outbox as refused")
            return
        who = f" to {notice.chat}" if notice.chat else ""
        name = CHANNEL_NAMES.get(channel, channel)
        text = f"({name} could not deliver this{who}: {error}) {notice.text}"
        again = Notice(notice.kind, text, notice.at, None, notice.ask)
        self._outbox.add(again, others, origin=first)
        for other in others:
            self._retries.spawn(self._flush(other))

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


def _notice(row: tuple[object, ...]) -> Notice:
    row_id, kind, text, at, to, ask = row
    return Notice(
        NoticeKind(str(kind)),
        str(text),
        datetime.fromisoformat(str(at)),
        None if to is None else str(to),
        None if ask is None else str(ask),
        id=int(str(row_id)),
    )


def _receipt(row: tuple[object, ...]) -> Receipt:
    channel, recipient, message_id, status, error, at = row[:6]
    return Receipt(
        str(channel),
        str(recipient),
        str(message_id),
        str(status),
        None if error is None else str(error),
        datetime.fromisoformat(str(at)),
    )


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
