"""The 24-hour customer service window of each member, kept in the state database.

The Cloud API takes free text and interactive messages only within 24 hours of the last
message the person sent; after that, only an approved template. The time of each person's
last message is kept across restarts, so a notice after a restart knows which to send.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from skills.database import connect

WINDOW = 24 * 3600.0
"""Seconds the window stays open after a person's message."""
MARGIN = 60.0
"""Seconds before the end at which Dobby already counts the window closed (clocks differ,
and a message takes a moment to arrive)."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS whatsapp_windows (
    phone TEXT PRIMARY KEY,
    last_inbound REAL NOT NULL
)
"""


class Windows:
    """When each phone number last wrote to the business number."""

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._db = connect(path)
        with self._lock, self._db:
            self._db.execute(_SCHEMA)

    def wrote(self, phone: str, at: float | None = None) -> None:
        """A person's message arrived (sent at `at`, now if unknown or in the future). A
        message that comes late or again never moves the time back."""
        self.wrote_many([(phone, at)])

    def wrote_many(self, messages: Iterable[tuple[str, float | None]]) -> None:
        """The messages of one delivery, (phone, sent at) each, in one transaction."""
        now = self.clock()
        latest: dict[str, float] = {}
        for phone, at in messages:
            when = now if at is None or at > now else at
            latest[_key(phone)] = max(when, latest.get(_key(phone), when))
        if not latest:
            return
        with self._lock, self._db:
            self._db.executemany(
                "INSERT INTO whatsapp_windows (phone, last_inbound) VALUES (?, ?)"
                " ON CONFLICT (phone) DO UPDATE SET"
                " last_inbound = MAX(last_inbound, excluded.last_inbound)",
                latest.items(),
            )

    def last(self, phone: str) -> float | None:
        """When the person last wrote, if ever."""
        with self._lock:
            row = self._db.execute(
                "SELECT last_inbound FROM whatsapp_windows WHERE phone = ?", (_key(phone),)
            ).fetchone()
        return None if row is None else float(row[0])

    def is_open(self, phone: str) -> bool:
        """Whether free text may go to this person now."""
        last = self.last(phone)
        return last is not None and self.clock() < last + WINDOW - MARGIN

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def _key(phone: str) -> str:
    return phone.lstrip("+")
