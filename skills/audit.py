"""The audit log: every executed action, who asked, who approved, through which path, and
how it went, so "who unlocked the front door?" has one true answer.

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
_COLUMNS = {
    "name": "TEXT NOT NULL DEFAULT ''",
    "channel": "TEXT NOT NULL DEFAULT ''",
    "approved_by": "TEXT",
    "approver_name": "TEXT",
    "routine": "TEXT",
}
"""Columns added since the first release; older databases gain them on open."""


_FIELDS = (
    "at, requester, role, path, entity_id, command, params, ok, error,"
    " name, channel, approved_by, approver_name, routine"
)


def database_path(state_dir: Path) -> Path:
    """Where the state database lives, creating the state dir if needed."""
    state_dir.mkdir(parents=True, exist_ok=True)
    return state_dir / DATABASE_NAME


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log."""

    at: datetime
    requester: str
    """The member id of who asked (`telegram:1001`, `terminal`, `routines.yaml`)."""
    role: str
    """Their role when it ran."""
    path: str
    """The way in: phrase, routine, intent, llm, schedule, web, mcp."""
    entity_id: str
    command: str
    params: dict[str, object]
    ok: bool
    error: str | None
    name: str = ""
    """Who asked, by name."""
    channel: str = ""
    approved_by: str | None = None
    """The member id of who approved a sensitive action, if one was."""
    approver_name: str | None = None
    routine: str | None = None
    """The routine the action was a step of."""


class AuditLog:
    """Appends executed actions to the state database, and reads them back."""

    def __init__(self, path: Path | str) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute(_SCHEMA)
            have = {row[1] for row in self._db.execute("PRAGMA table_info(audit)")}
            for column, kind in _COLUMNS.items():
                if column not in have:
                    self._db.execute(f"ALTER TABLE audit ADD COLUMN {column} {kind}")

    def record(self, plan: Plan, results: Sequence[ActionResult]) -> None:
        """Write one row per result, in one transaction."""
        at = datetime.now(UTC).isoformat()
        who, approver = plan.requester, plan.approved_by
        rows = [
            (
                at,
                who.id,
                who.role.value,
                plan.path.value,
                r.action.entity_id,
                r.action.command,
                json.dumps(r.action.params, sort_keys=True),
                int(r.ok),
                r.error,
                who.name,
                who.channel,
                approver.id if approver else None,
                approver.name if approver else None,
                plan.routine,
            )
            for r in results
        ]
        with self._lock, self._db:
            self._db.executemany(
                f"INSERT INTO audit ({_FIELDS}) VALUES ({', '.join('?' * len(rows[0]))})",
                rows,
            )

    def recent(
        self, limit: int = 50, *, entity_id: str | None = None, who: str | None = None
    ) -> list[AuditEntry]:
        """The newest entries, newest first; only those on `entity_id`, and only those
        asked for by `who` (a member id, or a name in any case), when given."""
        where, values = [], []
        if entity_id is not None:
            where.append("entity_id = ?")
            values.append(entity_id)
        if who is not None:
            where.append("(requester = ? OR name = ? COLLATE NOCASE)")
            values.extend((who, who))
        condition = f"WHERE {' AND '.join(where)}" if where else ""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_FIELDS} FROM audit {condition} ORDER BY id DESC LIMIT ?",
                (*values, limit),
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
                *rest,
            )
            for at, who, role, path, eid, cmd, params, ok, error, *rest in rows
        ]

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
