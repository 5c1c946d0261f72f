"""The audit log: every executed action, who asked, through which path, and how it went.

It lives in the state dir's SQLite database (`<state>/dobby.db`), which later holds the
schedules, conversations and pairing data too.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from skills.actions import ActionResult, Plan

DATABASE_NAME = "dobby.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    requester TEXT NOT NULL,
    role TEXT NOT NULL,
    path TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    command TEXT NOT NULL,
    params TEXT NOT NULL,
    ok INTEGER NOT NULL,
    error TEXT
)
"""


def database_path(state_dir: Path) -> Path:
    """Where the state database lives, creating the state dir if needed."""
    state_dir.mkdir(parents=True, exist_ok=True)
    return state_dir / DATABASE_NAME


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log."""

    at: datetime
    requester: str
    role: str
    path: str
    entity_id: str
    command: str
    params: dict[str, object]
    ok: bool
    error: str | None


class AuditLog:
    """Appends executed actions to the state database, and reads them back."""

    def __init__(self, path: Path | str) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute(_SCHEMA)

    def record(self, plan: Plan, results: Sequence[ActionResult]) -> None:
        """Write one row per result, in one transaction."""
        at = datetime.now(UTC).isoformat()
        rows = [
            (
                at,
                plan.requester.id,
                plan.requester.role.value,
                plan.path.value,
                r.action.entity_id,
                r.action.command,
                json.dumps(r.action.params, sort_keys=True),
                int(r.ok),
                r.error,
            )
            for r in results
        ]
        with self._lock, self._db:
            self._db.executemany(
                "INSERT INTO audit (at, requester, role, path, entity_id, command, params, ok,"
                " error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def recent(self, limit: int = 50) -> list[AuditEntry]:
        """The newest entries, newest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT at, requester, role, path, entity_id, command, params, ok, error"
                " FROM audit ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            AuditEntry(
                datetime.fromisoformat(at),
                who,
                role,
                path,
                eid,
                cmd,
                json.loads(params),
                bool(ok),
                error,
            )
            for at, who, role, path, eid, cmd, params, ok, error in rows
        ]

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
