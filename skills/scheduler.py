"""Schedules that survive restarts: APScheduler 3.x over a SQLite job store in the state dir.

Routine schedules come from routines.yaml and get stable job ids
(`routine:<name>:<n>:<hash>`), so a restart finds the same jobs with their stored next run
times; one-shot jobs ("in 20 minutes ...") get `once:<token>`. Job functions are
importable (`skills.scheduler:fire_routine`, `skills.scheduler:fire_actions`) and their
arguments are plain data; at run time they find the live scheduler of their event loop.

One Dobby runs the schedules of a state directory. `dobby run`, `dobby mcp`, `dobby say`
or a second demo may all open the same job store; the first to take `dobby.db.lock` runs the
jobs, the others keep their scheduler paused (they still add, list and cancel jobs in the
store) and take over when the lock comes free. The one that runs them looks at the store
every `shared_check` seconds, so a job another process added runs on time.

The missed-run rule: jobs coalesce (several missed runs count as one) and have a grace
time. A run missed while Dobby was down runs once on start if it is at most `grace`
late; otherwise it is reported as missed. The job store moves the next run time on
before the run starts, so a run never happens twice, even after a crash mid-run.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import secrets
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import IO, Any

from apscheduler.events import (  # type: ignore[import-untyped]
    EVENT_JOB_ERROR,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.jobstores.base import ConflictingIdError  # type: ignore[import-untyped]
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.date import DateTrigger  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field

from devices.names import normalize
from skills.actions import Action, Directory, Requester, Role, Unchanged
from skills.jobstore import SqliteJobStore
from skills.notifications import Notice, NoticeKind
from skills.routines import WEEKDAYS, Duration, Routine, Schedule, find_routine, format_seconds
from skills.runner import RunReport
from skills.sun import Location, SunTrigger

_LOGGER = logging.getLogger(__name__)


class SchedulerSettings(BaseModel):
    """The `schedules` section of home.yaml."""

    model_config = ConfigDict(extra="forbid")

    grace: Duration = Field(default=900.0, ge=0)
    """How late a run missed while Dobby was down may still run (default 15 min)."""
    settle: Duration = Field(default=5.0, ge=0)
    """Seconds a catch-up run waits after start-up, so discovery can find the devices."""
    shared_check: Duration = Field(default=10.0, gt=0)
    """How often the Dobby that runs the schedules looks for jobs another Dobby on the same
    state directory added, and how often the others check whether it is still there."""


ONCE = "once:"
"""The id prefix of one-shot jobs (a routine's schedules come from the routine)."""


@dataclass(frozen=True)
class ScheduledJob:
    """One stored job, as lists show it."""

    id: str
    title: str
    next_run: datetime | None
    trigger: str

    @property
    def once(self) -> bool:
        """A one-shot command or routine run, rather than a routine's schedule."""
        return self.id.startswith(ONCE)


RunRoutine = Callable[[Routine, Requester, Requester | None], Awaitable[RunReport]]
"""Run a routine as a person, with the approval a person gave when it was scheduled."""
RunActions = Callable[[str, list[Action], Requester, Requester | None], Awaitable[RunReport]]
Notify = Callable[[Notice], Awaitable[None]]


def who_data(who: Requester) -> dict[str, str]:
    """A person as plain data, to store in a job's arguments."""
    return {
        "id": who.id,
        "role": who.role.value,
        "name": who.name,
        "channel": who.channel,
        "chat": who.chat,
    }


def who_from(data: dict[str, str]) -> Requester:
    """A person stored by `who_data` (the role is the one they had then)."""
    return Requester(
        data["id"],
        Role(data["role"]),
        data.get("name", ""),
        data.get("channel", ""),
        data.get("chat", ""),
    )


_LIVE: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, list[RoutineScheduler]] = (
    weakref.WeakKeyDictionary()
)


def _live(job_id: str) -> RoutineScheduler:
    """The running scheduler that owns a job (usually the only one in the loop); a job
    another process added belongs to the one leading scheduler here."""
    running = _LIVE.get(asyncio.get_running_loop(), [])
    for scheduler in running:
        if job_id in scheduler._titles:
            return scheduler
    leading = [s for s in running if s.leading]
    if len(leading) == 1:
        return leading[0]
    raise RuntimeError(f"no routine scheduler in this event loop knows job {job_id}")


async def fire_routine(
    routine: str,
    job_id: str,
    requester: dict[str, str] | None = None,
    approved_by: dict[str, str] | None = None,
) -> None:
    """The job function of a routine's schedule, or of a routine run once later
    (importable; arguments are plain data). A one-shot run names who asked for it."""
    who = who_from(requester) if requester else None
    approver = who_from(approved_by) if approved_by else None
    await _live(job_id).fired_routine(routine, job_id, who, approver)


async def fire_actions(
    job_id: str,
    title: str,
    actions: list[dict[str, Any]],
    requester: dict[str, str],
    approved_by: dict[str, str] | None = None,
) -> None:
    """The job function of a one-shot command ("in 20 minutes turn off the fan")."""
    parsed = [Action.model_validate(a) for a in actions]
    approver = who_from(approved_by) if approved_by else None
    await _live(job_id).fired_actions(job_id, title, parsed, who_from(requester), approver)


def job_id_for(routine: Routine, index: int, schedule: Schedule, location: Location | None) -> str:
    """A stable id: the same routine, schedule and location give the same id."""
    digest = hashlib.sha256(
        json.dumps([schedule.model_dump(mode="json"), location and location.model_dump()]).encode()
    ).hexdigest()[:8]
    slug = "_".join(normalize(routine.name).split())
    return f"routine:{slug}:{index}:{digest}"


def trigger_for(schedule: Schedule, location: Location | None, zone: tzinfo) -> Any:
    """The APScheduler trigger of a schedule; ValueError if it needs a location that is unset."""
    if schedule.cron is not None:
        return CronTrigger.from_crontab(schedule.cron, timezone=zone)
    if schedule.at is not None:
        at = schedule.at
        return CronTrigger(
            day_of_week=schedule.weekdays(), hour=at.hour, minute=at.minute, timezone=zone
        )
    if location is None:
        raise ValueError("sunrise and sunset need the house's location in home.yaml")
    days = schedule.days
    if days == "daily":
        weekdays = tuple(range(7))
    elif days == "weekdays":
        weekdays = tuple(range(5))
    elif days == "weekends":
        weekdays = (5, 6)
    else:
        weekdays = tuple(WEEKDAYS.index(d) for d in days)
    assert schedule.sun is not None
    return SunTrigger(schedule.sun, location, schedule.offset, weekdays)


@dataclass(eq=False)
class RoutineScheduler:
    """Keeps the household's schedules in `<state>/dobby.db` and runs them when due."""

    database: Path
    run_routine: RunRoutine
    run_actions: RunActions
    routines: Callable[[], Sequence[Routine]]
    notify: Notify
    directory: Directory = field(default_factory=Unchanged)
    """Who is who when a job fires: it acts as its person with the role they have then."""
    settings: SchedulerSettings = field(default_factory=SchedulerSettings)
    location: Location | None = None
    zone: tzinfo | None = None
    """The time zone of schedules; the location's, else this machine's."""
    _scheduler: Any = None
    _catch_up: set[str] = field(default_factory=set)
    _titles: dict[str, str] = field(default_factory=dict)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _lock: IO[bytes] | None = None
    """The open lock file while this scheduler runs the state directory's jobs."""
    _watch: asyncio.Task[None] | None = None
    problems: list[str] = field(default_factory=list)
    """Schedules that could not be set up (a sunrise with no location), in words."""

    @property
    def running(self) -> bool:
        """Whether the scheduler has started and not stopped."""
        return self._scheduler is not None

    @property
    def leading(self) -> bool:
        """Whether this scheduler runs the jobs (no other Dobby on the state directory does)."""
        return self._lock is not None

    @property
    def time_zone(self) -> tzinfo:
        """The time zone schedules are read in."""
        if self.zone is not None:
            return self.zone
        if self.location is not None:
            return self.location.zone
        from tzlocal import get_localzone

        return get_localzone()

    def now(self) -> datetime:
        """The current time in the schedules' time zone."""
        return datetime.now(self.time_zone)

    async def start(self) -> None:
        """Open the job store, set up routine schedules, and run whatever is due."""
        loop = asyncio.get_running_loop()
        self._scheduler = AsyncIOScheduler(
            jobstores={"default": SqliteJobStore(self.database)},
            job_defaults={
                "coalesce": True,
                "misfire_grace_time": max(1, round(self.settings.grace)),  # whole seconds
                "max_instances": 1,
            },
            timezone=self.time_zone,
        )
        self._scheduler.add_listener(self._on_event, EVENT_JOB_MISSED | EVENT_JOB_ERROR)
        _LIVE.setdefault(loop, []).append(self)
        self._scheduler.start(paused=True)
        self.sync()
        if self._take_lead():
            self._lead()
        else:
            for job in self._scheduler.get_jobs():
                self._titles[job.id] = job.name
            _LOGGER.info(
                "Another Dobby runs the schedules in %s; this one adds and lists jobs only.",
                self.database.parent,
            )
        self._watch = loop.create_task(self._keep_watch())

    def _take_lead(self) -> bool:
        """Take the state directory's scheduler lock, if no other Dobby holds it."""
        lock = self.database.with_name(self.database.name + ".lock").open("ab")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            return False
        self._lock = lock
        return True

    def _lead(self) -> None:
        """Start running jobs: whatever came due while nobody ran them runs now, within
        its grace time."""
        now = self.now()
        grace = max(1, round(self.settings.grace))
        for job in self._scheduler.get_jobs():
            self._titles[job.id] = job.name
            if job.misfire_grace_time != grace:  # the grace time configured now applies
                job.modify(misfire_grace_time=grace)
            if job.next_run_time is not None and job.next_run_time <= now:
                self._catch_up.add(job.id)
        self._scheduler.resume()

    async def _keep_watch(self) -> None:
        """Leading: look at the store for jobs others added. Following: take over when the
        Dobby that ran the schedules has gone."""
        while True:
            await asyncio.sleep(self.settings.shared_check)
            if self.leading:
                self._scheduler.wakeup()
            elif self._take_lead():
                _LOGGER.info("This Dobby now runs the schedules in %s.", self.database.parent)
                self._lead()

    async def stop(self) -> None:
        """Stop running jobs and close the job store; stored jobs stay for the next start."""
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
            self._watch = None
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)  # runs on the loop soon; closes the store
            for _ in range(100):
                if not self._scheduler.running:
                    break
                await asyncio.sleep(0)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        running = _LIVE.get(asyncio.get_running_loop(), [])
        running[:] = [s for s in running if s is not self]
        self._scheduler = None
        if self._lock is not None:  # another Dobby on this state directory may take over
            self._lock.close()
            self._lock = None

    def sync(self) -> None:
        """Make the stored routine jobs match the routines' schedules, keeping unchanged ones.

        An unchanged schedule keeps its stored next run time, so a run missed while Dobby
        was down is still seen as missed (and run once within its grace time).
        """
        wanted: dict[str, tuple[Routine, Any]] = {}
        self.problems = []
        for routine in self.routines():
            for index, schedule in enumerate(routine.schedules):
                try:
                    trigger = trigger_for(schedule, self.location, self.time_zone)
                except ValueError as error:
                    self.problems.append(f"{routine.name} ({schedule.describe()}): {error}")
                    continue
                wanted[job_id_for(routine, index, schedule, self.location)] = (routine, trigger)
        for job in self._scheduler.get_jobs():
            if job.id.startswith("routine:") and job.id not in wanted:
                job.remove()
        for job_id, (routine, trigger) in wanted.items():
            if self._scheduler.get_job(job_id) is None:
                with contextlib.suppress(ConflictingIdError):  # another Dobby just added it
                    self._scheduler.add_job(
                        fire_routine,
                        trigger,
                        kwargs={"routine": routine.name, "job_id": job_id},
                        id=job_id,
                        name=routine.name,
                    )
                self._titles[job_id] = routine.name
        for problem in self.problems:
            _LOGGER.warning("Schedule not set up: %s", problem)

    def once(
        self,
        at: datetime,
        requester: Requester,
        *,
        routine: Routine | None = None,
        actions: Sequence[Action] = (),
        title: str = "",
        approved_by: Requester | None = None,
    ) -> ScheduledJob:
        """Run a routine or some actions once at `at`, as `requester`; ValueError if `at`
        is past. `approved_by` is who approved its sensitive actions when it was made."""
        if at <= self.now():
            raise ValueError("That time has already passed; say a time in the future.")
        job_id = f"{ONCE}{secrets.token_hex(4)}"
        who = who_data(requester)
        approval = who_data(approved_by) if approved_by is not None else None
        if routine is not None:
            title = title or routine.name
            func: Any = fire_routine
            kwargs: dict[str, Any] = {
                "routine": routine.name,
                "job_id": job_id,
                "requester": who,
                "approved_by": approval,
            }
        else:
            title = title or "; ".join(a.describe() for a in actions) or "one-shot"
            func = fire_actions
            kwargs = {
                "job_id": job_id,
                "title": title,
                "actions": [a.model_dump(mode="json") for a in actions],
                "requester": who,
                "approved_by": approval,
            }
        job = self._scheduler.add_job(
            func, DateTrigger(at, timezone=self.time_zone), kwargs=kwargs, id=job_id, name=title
        )
        self._titles[job_id] = title
        return ScheduledJob(job_id, title, job.next_run_time, "once")

    def jobs(self) -> list[ScheduledJob]:
        """Every stored job, soonest first."""
        return [
            ScheduledJob(j.id, j.name, j.next_run_time, str(j.trigger))
            for j in self._scheduler.get_jobs()
        ]

    def cancel(self, job_id: str) -> bool:
        """Remove a stored job; False if there was none."""
        if self._scheduler.get_job(job_id) is None:
            return False
        self._scheduler.remove_job(job_id)
        return True

    async def _settle(self, job_id: str) -> None:
        if job_id in self._catch_up:
            self._catch_up.discard(job_id)
            await asyncio.sleep(self.settings.settle)

    async def fired_routine(
        self,
        name: str,
        job_id: str,
        requester: Requester | None = None,
        approved_by: Requester | None = None,
    ) -> None:
        """Run a scheduled routine as the person behind it, and report it.

        A one-shot run acts as who asked for it; a routine's own schedule as the member
        who made the routine in chat, or routines.yaml's admin.
        """
        await self._settle(job_id)
        routine = find_routine(self.routines(), name)
        if requester is None and routine is not None:
            requester = routine_owner(routine)
        if routine is None:
            text = f"Scheduled routine {name!r} did not run: it no longer exists."
            await self._publish(text, requester)
            return
        assert requester is not None
        who = self._now_as(requester, routine.name)
        if isinstance(who, str):
            await self._publish(who, requester)
            return
        report = await self.run_routine(routine, who, self._approval(approved_by))
        await self._publish(f"Scheduled: {report.summary()}", who)

    async def fired_actions(
        self,
        job_id: str,
        title: str,
        actions: list[Action],
        requester: Requester,
        approved_by: Requester | None,
    ) -> None:
        """Carry out a one-shot command as who asked for it, and report it."""
        await self._settle(job_id)
        who = self._now_as(requester, title)
        if isinstance(who, str):
            await self._publish(who, requester)
            return
        report = await self.run_actions(title, actions, who, self._approval(approved_by))
        await self._publish(f"Scheduled: {report.summary()}", who)

    def _now_as(self, requester: Requester, title: str) -> Requester | str:
        """The person a job acts as, with the role they have now; or why it cannot run."""
        current = self.directory.current(requester)
        if current is None:
            name = requester.name or requester.id
            return (
                f"Scheduled: {title} did not run: {name} is no longer a member of this "
                "household, so nothing was done."
            )
        return replace(current, channel=requester.channel, chat=requester.chat)

    def _approval(self, approved_by: Requester | None) -> Requester | None:
        """An approval given when a job was made, if the person who gave it still may."""
        return self.directory.current(approved_by) if approved_by is not None else None

    async def _publish(self, text: str, to: Requester | None = None) -> None:
        await self.notify(Notice(NoticeKind.SCHEDULE, text, to=to.address if to else None))

    def _on_event(self, event: JobExecutionEvent) -> None:
        title = self._titles.get(event.job_id, event.job_id)
        due = event.scheduled_run_time.astimezone(self.time_zone)
        if event.code == EVENT_JOB_MISSED:
            late = format_seconds((self.now() - due).total_seconds())
            text = (
                f"Missed: {title} was due at {due:%H:%M} on {due:%a %d %b} while Dobby was not "
                f"running; {late} late is past the grace time of "
                f"{format_seconds(self.settings.grace)}, so it did not run."
            )
        else:
            text = f"Scheduled: {title} failed: {event.exception}"
        task = asyncio.get_running_loop().create_task(self._publish(text))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


def routine_owner(routine: Routine) -> Requester:
    """Who a routine's own schedule acts as: the member who made it (their role is looked
    up when it fires, and news goes to their own chat), or routines.yaml's admin."""
    if routine.made_by is None:
        return Requester.routines_file()
    return Requester.named(routine.made_by)


def next_runs(trigger: Any, now: datetime, count: int = 3) -> list[datetime]:
    """The next few times a trigger fires after `now` (for previews)."""
    times: list[datetime] = []
    previous = None
    for _ in range(count):
        upcoming = trigger.get_next_fire_time(previous, now)
        if upcoming is None:
            break
        times.append(upcoming)
        previous = upcoming
        now = upcoming + timedelta(microseconds=1)
    return times
