"""The audit log: every executed action, who asked, who approved, through which path, and
how it went, so "who unlocked the front door?" has one true answer.

Beside it, the changes made outside Dobby (a wall switch, the vendor's app): state changes
with no requester (`DeviceChange`, written by `skills.device_changes`), so "why did the
light go off?" can answer "it was changed at the device at 22:40, not through Dobby".

It lives in the state dir's SQLite database (`<state>/dobby.db`), which later holds the
schedules, conversations and pairing data too.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from skills.actions import ActionResult, Plan, Requester
from skills.database import connect

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


_INDEXES = (
    "CREATE INDEX IF NOT EXISTS ix_audit_entity ON audit (entity_id, at)",
    "CREATE INDEX IF NOT EXISTS ix_audit_at ON audit (at)",
)
_CHANGES = """
CREATE TABLE IF NOT EXISTS device_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name TEXT NOT NULL,
    old_state TEXT,
    new_state TEXT NOT NULL,
    attributes TEXT NOT NULL
)
"""
KEEP_CHANGES = timedelta(days=90)
"""How long changes made at the devices are kept (the audit log itself is kept)."""

_FIELDS = (
    "at, requester, role, path, entity_id, command, params, ok, error,"
    " name, channel, approved_by, approver_name, routine"
)


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


@dataclass(frozen=True)
class DeviceChange:
    """A state change made outside Dobby: at the device, a wall switch, the vendor's app."""

    at: datetime
    entity_id: str
    name: str
    """The entity's name when it changed."""
    old_state: str | None
    new_state: str
    attributes: dict[str, object]
    """The settings it changed to (brightness, volume, position, ...)."""


def stamp(at: datetime) -> str:
    """A time as the database keeps it: UTC, to the microsecond, so text order is time order."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


class AuditLog:
    """Appends executed actions to the state database, and reads them back."""

    def __init__(self, path: Path | str) -> None:
        self._db = connect(path)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute(_SCHEMA)
            have = {row[1] for row in self._db.execute("PRAGMA table_info(audit)")}
            for column, kind in _COLUMNS.items():
                if column not in have:
                    self._db.execute(f"ALTER TABLE audit ADD COLUMN {column} {kind}")
            for statement in (*_INDEXES, _CHANGES):
                self._db.execute(statement)
            self._db.execute(
                "CREATE INDEX IF NOT EXISTS ix_changes_entity ON device_changes (entity_id, at)"
            )
            old = stamp(datetime.now(UTC) - KEEP_CHANGES)
            self._db.execute("DELETE FROM device_changes WHERE at < ?", (old,))

    def record(self, plan: Plan, results: Sequence[ActionResult]) -> None:
        """Write one row per result, in one transaction."""
        at = stamp(datetime.now(UTC))
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

    def record_probe(
        self,
        requester: Requester,
        host: str,
        method: str,
        target: str,
        status: int | None,
        note: str | None,
    ) -> None:
        """One request `dobby explore` sent to a device: path `explore`, entity
        `host:<address>`, command `GET /json/info` (or `POST <control>#GetPower` for SOAP)."""
        ok = note is None and status is not None and 200 <= status < 400
        row = (
            stamp(datetime.now(UTC)),
            requester.id,
            requester.role.value,
            "explore",
            f"host:{host}",
            f"{method} {target}",
            json.dumps({"status": status}),
            int(ok),
            note,
            requester.name,
            requester.channel,
            None,
            None,
            None,
        )
        with self._lock, self._db:
            self._db.execute(
                f"INSERT INTO audit ({_FIELDS}) VALUES ({', '.join('?' * len(row))})", row
            )

    def recent(
        self, limit: int = 50, *, entity_id: str | None = None, who: str | None = None
    ) -> list[AuditEntry]:
        """The newest entries, newest first; only those on `entity_id`, and only those
        asked for by `who` (a member id, or a name in any case), when given."""
        entity_ids = [entity_id] if entity_id is not None else None
        return self.query(entity_ids=entity_ids, person=who, limit=limit)

    def query(
        self,
        *,
        entity_ids: Sequence[str] | None = None,
        person: str | None = None,
        routine: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 200,
    ) -> list[AuditEntry]:
        """Entries newest first, filtered by entity, person (member id or name, any case),
        routine (any case) and time (`since` inclusive, `until` exclusive)."""
        where, values = _filters(entity_ids, since, until)
        if person:
            where.append("(requester = ? OR lower(name) = lower(?))")
            values += [person, person]
        if routine:
            where.append("lower(routine) = lower(?)")
            values.append(routine)
        sql = f"SELECT {_FIELDS} FROM audit"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._lock:
            rows = self._db.execute(f"{sql} ORDER BY id DESC LIMIT ?", (*values, limit)).fetchall()
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

    def people(self) -> list[tuple[str, str]]:
        """Everyone the log names as having asked: (member id, name), by name."""
        with self._lock:
            rows = self._db.execute(
                "SELECT requester, max(name) FROM audit GROUP BY requester ORDER BY 2, 1"
            ).fetchall()
        return [(who, name or who) for who, name in rows]

    # -- changes made outside Dobby ------------------------------------------------------

    def record_change(self, change: DeviceChange) -> int:
        """Keep a change made at a device; returns its row (`amend_change` updates it)."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO device_changes"
                " (at, entity_id, name, old_state, new_state, attributes)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    stamp(change.at),
                    change.entity_id,
                    change.name,
                    change.old_state,
                    change.new_state,
                    json.dumps(change.attributes, sort_keys=True),
                ),
            )
        return int(cursor.lastrowid or 0)

    def amend_change(self, row: int, change: DeviceChange) -> None:
        """Fold a further change into a kept one (a dimmer turned in small steps): the new
        state and time, the old state of the first."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE device_changes SET at = ?, new_state = ?, attributes = ? WHERE id = ?",
                (
                    stamp(change.at),
                    change.new_state,
                    json.dumps(change.attributes, sort_keys=True),
                    row,
                ),
            )

    def changes(
        self,
        *,
        entity_ids: Sequence[str] | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 200,
    ) -> list[DeviceChange]:
        """Changes made at the devices, newest first (filters as in `query`)."""
        where, values = _filters(entity_ids, since, until)
        sql = "SELECT at, entity_id, name, old_state, new_state, attributes FROM device_changes"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._lock:
            rows = self._db.execute(
                f"{sql} ORDER BY at DESC, id DESC LIMIT ?", (*values, limit)
            ).fetchall()
        return [
            DeviceChange(datetime.fromisoformat(at), eid, name, old, new, json.loads(attributes))
            for at, eid, name, old, new, attributes in rows
        ]

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


def _filters(
    entity_ids: Sequence[str] | None, since: datetime | None, until: datetime | None
) -> tuple[list[str], list[object]]:
    """SQL conditions (and their values) on entity ids and a time range."""
    where: list[str] = []
    values: list[object] = []
    if entity_ids is not None:
        where.append(f"entity_id IN ({', '.join('?' * len(entity_ids)) or 'NULL'})")
        values.extend(entity_ids)
    if since is not None:
        where.append("at >= ?")
        values.append(stamp(since))
    if until is not None:
        where.append("at < ?")
        values.append(stamp(until))
    return where, values
