"""The state directory's one SQLite database, opened the same way by everything that keeps
something in it (the audit log, schedules, members, the outbox, conversations).

Write-ahead logging with `synchronous=NORMAL`: a commit appends to the log without waiting
for the disk to flush, so recording an action costs microseconds on the event loop rather
than an fsync (milliseconds, more on a busy disk). A commit survives the process being
killed; only a power cut may lose the last ones, and never corrupts the file.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

DATABASE_NAME = "dobby.db"


def database_path(state_dir: Path) -> Path:
    """Where the state database lives, creating the state dir if needed."""
    state_dir.mkdir(parents=True, exist_ok=True)
    return state_dir / DATABASE_NAME


def connect(path: Path | str) -> sqlite3.Connection:
    """A connection to the state database (or ":memory:"), usable from any thread that
    holds its owner's lock."""
    db = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db
