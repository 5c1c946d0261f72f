"""Message ids a channel has taken already, so a delivery that comes again acts once.

Meta retries a WhatsApp delivery until it gets a 200, and Telegram retries a webhook
update; either can arrive again after Dobby restarted. The ids live in the state database
for at least `KEEP` (two days), far longer than either service retries.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from skills.database import connect

KEEP = 2 * 24 * 3600.0
"""Seconds a message id is remembered."""
_PRUNE_EVERY = 1000
"""Forget old ids once every this many new ones."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen_messages (
    channel TEXT NOT NULL,
    message_id TEXT NOT NULL,
    at REAL NOT NULL,
    PRIMARY KEY (channel, message_id)
)
"""


class SeenMessages:
    """The ids of messages taken in the last two days, per channel."""

    def __init__(self, path: Path | str, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._added = 0
        self._db = connect(path)
        with self._lock, self._db:
            self._db.execute(_SCHEMA)
        self._prune()

    def first_time(self, channel: str, message_id: str) -> bool:
        """Whether this is the first time the message comes; it counts as seen from now on."""
        return bool(self.new(channel, [message_id]))

    def new(self, channel: str, message_ids: Iterable[str]) -> set[str]:
        """The ids among these that come for the first time; all count as seen from now on.
        One transaction for them all (a delivery may carry thousands)."""
        fresh: set[str] = set()
        now = self._clock()
        with self._lock, self._db:
            for message_id in message_ids:
                added = self._db.execute(
                    "INSERT OR IGNORE INTO seen_messages (channel, message_id, at)"
                    " VALUES (?, ?, ?)",
                    (channel, message_id, now),
                ).rowcount
                if added == 1:
                    fresh.add(message_id)
        self._added += len(fresh)
        if self._added >= _PRUNE_EVERY:
            self._prune()
        return fresh

    def _prune(self) -> None:
        self._added = 0
        with self._lock, self._db:
            self._db.execute("DELETE FROM seen_messages WHERE at < ?", (self._clock() - KEEP,))

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
