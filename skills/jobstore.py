"""An APScheduler 3.x job store over the standard library's sqlite3.

APScheduler's own `SQLAlchemyJobStore` needs SQLAlchemy, which Dobby does not otherwise
use; this store keeps the same table layout (`id`, `next_run_time` as a UTC timestamp,
the pickled `job_state`) in the state database (`<state>/dobby.db`), so moving to
SQLAlchemyJobStore later reads the same rows. Jobs hold only importable references and
plain arguments, never live objects.
"""

from __future__ import annotations

import logging
import pickle
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.job import Job  # type: ignore[import-untyped]
from apscheduler.jobstores.base import (  # type: ignore[import-untyped]
    BaseJobStore,
    ConflictingIdError,
    JobLookupError,
)
from apscheduler.util import (  # type: ignore[import-untyped]
    datetime_to_utc_timestamp,
    utc_timestamp_to_datetime,
)

from skills.database import connect

_LOGGER = logging.getLogger(__name__)

TABLE = "apscheduler_jobs"
_SCHEMA = (
    f"CREATE TABLE IF NOT EXISTS {TABLE} ("
    " id TEXT PRIMARY KEY, next_run_time REAL, job_state BLOB NOT NULL)"
)
_INDEX = f"CREATE INDEX IF NOT EXISTS ix_{TABLE}_next_run_time ON {TABLE} (next_run_time)"


class SqliteJobStore(BaseJobStore):  # type: ignore[misc]
    """Stores APScheduler jobs in one table of a SQLite file."""

    def __init__(self, path: Path | str) -> None:
        super().__init__()
        self.path = str(path)
        self._db = connect(self.path)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute(_SCHEMA)
            self._db.execute(_INDEX)

    def lookup_job(self, job_id: str) -> Job | None:
        """The job with this id, or None."""
        with self._lock:
            row = self._db.execute(
                f"SELECT job_state FROM {TABLE} WHERE id = ?", (job_id,)
            ).fetchone()
        return self._reconstitute(row[0]) if row else None

    def get_due_jobs(self, now: datetime) -> list[Job]:
        """Jobs whose next run time is at or before `now`."""
        return self._jobs("WHERE next_run_time <= ?", (datetime_to_utc_timestamp(now),))

    def get_next_run_time(self) -> datetime | None:
        """The earliest next run time of any job."""
        with self._lock:
            row = self._db.execute(
                f"SELECT next_run_time FROM {TABLE} WHERE next_run_time IS NOT NULL"
                " ORDER BY next_run_time LIMIT 1"
            ).fetchone()
        return utc_timestamp_to_datetime(row[0]) if row else None

    def get_all_jobs(self) -> list[Job]:
        """Every job, soonest first, paused ones last."""
        jobs = self._jobs("", ())
        self._fix_paused_jobs_sorting(jobs)
        return jobs

    def add_job(self, job: Job) -> None:
        """Store a new job; ConflictingIdError if the id is taken."""
        try:
            with self._lock, self._db:
                self._db.execute(
                    f"INSERT INTO {TABLE} (id, next_run_time, job_state) VALUES (?, ?, ?)",
                    (job.id, datetime_to_utc_timestamp(job.next_run_time), self._dump(job)),
                )
        except sqlite3.IntegrityError:
            raise ConflictingIdError(job.id) from None

    def update_job(self, job: Job) -> None:
        """Replace a stored job; JobLookupError if there is none."""
        with self._lock, self._db:
            changed = self._db.execute(
                f"UPDATE {TABLE} SET next_run_time = ?, job_state = ? WHERE id = ?",
                (datetime_to_utc_timestamp(job.next_run_time), self._dump(job), job.id),
            ).rowcount
        if not changed:
            raise JobLookupError(job.id)

    def remove_job(self, job_id: str) -> None:
        """Delete a job; JobLookupError if there is none."""
        with self._lock, self._db:
            changed = self._db.execute(f"DELETE FROM {TABLE} WHERE id = ?", (job_id,)).rowcount
        if not changed:
            raise JobLookupError(job_id)

    def remove_all_jobs(self) -> None:
        """Delete every job."""
        with self._lock, self._db:
            self._db.execute(f"DELETE FROM {TABLE}")

    def shutdown(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _dump(self, job: Job) -> bytes:
        return pickle.dumps(job.__getstate__(), pickle.HIGHEST_PROTOCOL)

    def _reconstitute(self, blob: bytes) -> Job:
        state: dict[str, Any] = pickle.loads(blob)  # noqa: S301 (our own database)
        state["jobstore"] = self
        job = Job.__new__(Job)
        job.__setstate__(state)
        job._scheduler = self._scheduler
        job._jobstore_alias = self._alias
        return job

    def _jobs(self, where: str, args: tuple[Any, ...]) -> list[Job]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT id, job_state FROM {TABLE} {where} ORDER BY next_run_time", args
            ).fetchall()
        jobs, broken = [], []
        for job_id, blob in rows:
            try:
                jobs.append(self._reconstitute(blob))
            except Exception:
                _LOGGER.exception("Cannot restore scheduled job %s; removing it", job_id)
                broken.append(job_id)
        if broken:
            with self._lock, self._db:
                self._db.executemany(f"DELETE FROM {TABLE} WHERE id = ?", [(b,) for b in broken])
        return jobs

    def __repr__(self) -> str:
        return f"<SqliteJobStore {self.path}>"


@dataclass(frozen=True)
class StoredJob:
    """One job as the store holds it, read without a scheduler."""

    id: str
    title: str
    next_run: datetime | None
    trigger: str
    asked_by: str
    """Who asked for it ("Ann (telegram:7)"), or the routine's schedule's own words."""


def stored_jobs(path: Path) -> list[StoredJob]:
    """Every job in the state database at `path`, soonest first, read-only.

    Opens the file read-only and never starts a scheduler (one may be running in
    `dobby run` at the same time: nothing here fires, moves or removes a job). A row that
    cannot be read is listed as such rather than dropped."""
    if not path.exists():
        return []
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
    try:
        try:
            rows = db.execute(
                f"SELECT id, next_run_time, job_state FROM {TABLE} ORDER BY next_run_time"
            ).fetchall()
        except sqlite3.OperationalError:  # no job was ever stored: no table yet
            return []
    finally:
        db.close()
    jobs = []
    for job_id, next_run, blob in rows:
        when = utc_timestamp_to_datetime(next_run) if next_run is not None else None
        try:
            state: dict[str, Any] = pickle.loads(blob)  # noqa: S301 (our own database)
        except Exception:  # noqa: BLE001 - an unreadable row is shown, not fatal
            jobs.append(StoredJob(job_id, "(cannot be read)", when, "?", "?"))
            continue
        kwargs: dict[str, Any] = state.get("kwargs") or {}
        jobs.append(
            StoredJob(
                id=job_id,
                title=str(state.get("name") or job_id),
                next_run=when,
                trigger=str(state.get("trigger", "")),
                asked_by=_asker(kwargs.get("requester"), kwargs.get("approved_by")),
            )
        )
    return sorted(jobs, key=lambda j: (j.next_run is None, j.next_run or datetime.min))


def _asker(requester: Any, approved_by: Any) -> str:
    if not isinstance(requester, dict):
        return "the routine's schedule"
    who = requester.get("name") or requester.get("id", "?")
    text = f"{who} ({requester.get('id', '?')})" if requester.get("name") else str(who)
    if isinstance(approved_by, dict):
        text += f", approved by {approved_by.get('name') or approved_by.get('id', '?')}"
    return text
