"""Schedules in a temporary SQLite file: they survive restarts, and a missed run runs once
within its grace time (never twice) or is reported as missed.

A "restart" is a new scheduler on the same file (and, in one test, a separate process).
To stand for "Dobby was down while the run came due", the stored next run time is moved
into the past with APScheduler's own public API, exactly what the store would hold.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from typer.testing import CliRunner

from agent.cli import app
from skills.actions import Action, Requester, Role
from skills.jobstore import SqliteJobStore
from skills.notifications import Notice, NoticeKind
from skills.routine_book import RoutineBook, build_book
from skills.routines import Routine, Schedule, Step, Target
from skills.scheduler import SchedulerSettings
from skills.sun import Location, SunTrigger, sun_time

LONDON = Location(latitude=51.5072, longitude=-0.1276, time_zone="Europe/London")
WAKE = Routine(
    name="wake",
    steps=[Step(command="switch.turn_on", target=Target(name="one 1"))],
    schedules=[Schedule(at="06:30")],  # type: ignore[arg-type]
)
REPO = Path(__file__).resolve().parents[2]
ALICE = Requester("telegram:42", Role.ADMIN, "Alice", channel="telegram", chat="42")


class Inbox:
    """Collects notices; `next` waits for one (bounded, so a bug fails instead of hanging)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Notice] = asyncio.Queue()
        self.seen: list[Notice] = []

    async def __call__(self, notice: Notice) -> None:
        self.seen.append(notice)
        self.queue.put_nowait(notice)

    async def next(self) -> Notice:
        return await asyncio.wait_for(self.queue.get(), timeout=20)


def book_on(rig, database: Path, inbox: Inbox, grace: float = 900) -> RoutineBook:
    return build_book(
        rig.house,
        [WAKE],
        routines_file=None,
        database=database,
        notify=inbox,
        settings=SchedulerSettings(grace=grace, settle=0),
        location=LONDON,
    )


async def quiet_start(book: RoutineBook) -> None:
    """Start, and give anything due a chance to run."""
    await book.start()
    for _ in range(50):
        await asyncio.sleep(0)


async def test_schedules_survive_a_restart(rig, tmp_path: Path) -> None:
    database = tmp_path / "dobby.db"
    routine = WAKE.model_copy(
        update={
            "schedules": [
                Schedule(at="06:30", days="weekdays"),  # type: ignore[arg-type]
                Schedule(sun="sunrise", offset=-900),
                Schedule(cron="0 22 * * *"),
            ]
        }
    )
    first = book_on(rig, database, Inbox())
    first.routines[:] = [routine]
    await first.start()
    assert first.scheduler is not None
    fan_off = Action(entity_id="switch.two_1", command="switch.turn_off")
    first.scheduler.once(
        first.scheduler.now() + timedelta(hours=1), Requester.local_admin(), actions=[fan_off]
    )
    before = first.scheduler.jobs()
    await first.stop()

    second = book_on(rig, database, Inbox())
    second.routines[:] = [routine]
    await second.start()
    assert second.scheduler is not None
    after = second.scheduler.jobs()
    await second.stop()
    assert [(j.id, j.next_run) for j in after] == [(j.id, j.next_run) for j in before]
    assert len(after) == 4
    assert sum(j.id.startswith("routine:wake:") for j in after) == 3


async def test_a_missed_run_within_grace_runs_once_and_never_twice(
    rig, tmp_path: Path, rewind
) -> None:
    database = tmp_path / "dobby.db"
    inbox = Inbox()
    first = book_on(rig, database, inbox)
    await first.start()
    assert first.scheduler is not None
    [job] = first.scheduler.jobs()
    await first.stop()
    await rewind(database, job.id, first.scheduler.now() - timedelta(minutes=10))

    second = book_on(rig, database, inbox, grace=3600)
    await second.start()
    notice = await inbox.next()
    assert notice.kind is NoticeKind.SCHEDULE
    assert notice.text.startswith("Scheduled: wake: 1 of 1 actions done.")
    assert second.scheduler is not None
    [stored] = second.scheduler.jobs()
    assert stored.next_run is not None
    assert stored.next_run > second.scheduler.now()
    await second.stop()

    third = book_on(rig, database, inbox, grace=3600)
    await quiet_start(third)
    await third.stop()
    assert len(inbox.seen) == 1
    assert [c for c, _ in rig.adapter.script("switch.one_1").calls] == ["switch.turn_on"]


async def test_a_run_missed_beyond_grace_is_reported_not_run(rig, tmp_path: Path, rewind) -> None:
    database = tmp_path / "dobby.db"
    inbox = Inbox()
    first = book_on(rig, database, inbox)
    await first.start()
    assert first.scheduler is not None
    [job] = first.scheduler.jobs()
    await first.stop()
    await rewind(database, job.id, first.scheduler.now() - timedelta(hours=2))

    second = book_on(rig, database, inbox, grace=60)
    await second.start()
    notice = await inbox.next()
    assert notice.kind is NoticeKind.SCHEDULE
    assert notice.text.startswith("Missed: wake was due at")
    assert "past the grace time of 1 min, so it did not run" in notice.text
    await second.stop()

    third = book_on(rig, database, inbox, grace=60)
    await quiet_start(third)
    await third.stop()
    assert len(inbox.seen) == 1
    assert rig.adapter.script("switch.one_1").calls == []


async def test_a_one_shot_fires_once_and_reports(rig, tmp_path: Path) -> None:
    inbox = Inbox()
    book = book_on(rig, tmp_path / "dobby.db", inbox)
    book.routines[:] = []
    await book.start()
    assert book.scheduler is not None
    fan_off = Action(entity_id="switch.two_1", command="switch.turn_off")
    at = book.scheduler.now() + timedelta(seconds=1)
    later = book.schedule(at, ALICE, actions=[fan_off], what="turn off switch two")
    assert later.request is None
    assert later.job is not None
    assert later.reply == f"Scheduled 'turn off switch two' at {at:%H:%M:%S} today."
    notice = await inbox.next()
    await book.stop()
    assert notice.text == "Scheduled: turn off switch two: 1 of 1 actions done."
    assert notice.to == "telegram:42"  # news of Alice's command goes to her chat
    assert [c for c, _ in rig.adapter.script("switch.two_1").calls] == ["switch.turn_off"]


async def test_a_one_shot_acts_as_who_asked_with_the_role_they_have_when_it_fires(
    rig, tmp_path: Path
) -> None:
    inbox = Inbox()
    roles = {ALICE.id: Role.MEMBER}

    class Household:
        def current(self, who: Requester) -> Requester | None:
            role = roles.get(who.id)
            return Requester(who.id, role, who.name) if role else None

    book = build_book(
        rig.house,
        [],
        routines_file=None,
        database=tmp_path / "dobby.db",
        notify=inbox,
        settings=SchedulerSettings(settle=0),
        directory=Household(),
    )
    await book.start()
    assert book.scheduler is not None
    lock = Action(entity_id="lock.front_door", command="lock.lock")
    soon = book.scheduler.now() + timedelta(seconds=1)
    assert book.schedule(soon, ALICE, actions=[lock], what="lock up").job is not None
    roles[ALICE.id] = Role.GUEST  # demoted before it fires: guests may not touch locks
    notice = await inbox.next()
    assert notice.text == (
        "Scheduled: lock up: nothing done.\n- Not done: a guest may not control Front Door."
    )
    assert notice.to == "telegram:42"
    soon = book.scheduler.now() + timedelta(seconds=1)
    roles[ALICE.id] = Role.ADMIN
    assert book.schedule(soon, ALICE, actions=[lock], what="lock up").job is not None
    del roles[ALICE.id]  # removed before it fires
    notice = await inbox.next()
    await book.stop()
    assert notice.text == (
        "Scheduled: lock up did not run: Alice is no longer a member of this household, "
        "so nothing was done."
    )
    assert rig.adapter.script("lock.front_door").calls == []


async def test_a_sensitive_one_shot_waits_for_an_approve_before_anything_is_scheduled(
    rig, tmp_path: Path
) -> None:
    inbox = Inbox()
    book = book_on(rig, tmp_path / "dobby.db", inbox)
    book.routines[:] = []
    await book.start()
    assert book.scheduler is not None
    unlock = Action(entity_id="lock.front_door", command="lock.unlock")
    at = book.scheduler.now() + timedelta(seconds=1)
    later = book.schedule(at, ALICE, actions=[unlock], what="unlock the door")
    assert later.job is None
    assert later.request is not None
    assert later.reply == f"At {at:%H:%M:%S} today: unlock Front Door. Approve?"
    assert book.scheduler.jobs() == []
    request = book.house.confirmations.take(later.request.token, ALICE)
    approved = book.answer(request.subject, ALICE, approve=True)  # type: ignore[arg-type]
    assert approved.job is not None
    notice = await inbox.next()
    await book.stop()
    assert notice.text == "Scheduled: unlock the door: 1 of 1 actions done."
    assert [c for c, _ in rig.adapter.script("lock.front_door").calls] == ["lock.unlock"]


async def test_past_times_are_refused(rig, tmp_path: Path) -> None:
    book = book_on(rig, tmp_path / "dobby.db", Inbox())
    await book.start()
    assert book.scheduler is not None
    fan_off = Action(entity_id="switch.two_1", command="switch.turn_off")
    later = book.schedule(book.scheduler.now(), ALICE, actions=[fan_off])
    assert later.reply == "That time has already passed; say a time in the future."
    assert later.job is None
    with pytest.raises(ValueError, match="already passed"):
        book.scheduler.once(book.scheduler.now(), Requester.local_admin(), actions=[])
    assert [j.title for j in book.scheduler.jobs()] == ["wake"]
    await book.stop()


async def test_in_so_many_seconds_counts_from_the_moment_it_is_scheduled(
    rig, tmp_path: Path
) -> None:
    """ "in 2 seconds ..." read on a busy machine: the two seconds start when the job is
    made, not when the sentence was read, so a slow reading never makes it "past"."""
    book = book_on(rig, tmp_path / "dobby.db", Inbox())
    await book.start()
    assert book.scheduler is not None
    fan_off = Action(entity_id="switch.two_1", command="switch.turn_off")
    before = book.scheduler.now()
    later = book.schedule(timedelta(seconds=30), ALICE, actions=[fan_off], what="fan off")
    after = book.scheduler.now()
    await book.stop()
    assert later.job is not None
    assert later.job.next_run is not None
    assert before + timedelta(seconds=30) <= later.job.next_run <= after + timedelta(seconds=30)


def test_a_new_process_finds_the_schedules(tmp_path: Path) -> None:
    database = tmp_path / "dobby.db"
    script = textwrap.dedent(
        f"""
        import asyncio
        from datetime import timedelta
        from pathlib import Path
        from devices.registry import Registry
        from skills.actions import Requester
        from skills.executor import Executor
        from skills.house import House
        from skills.policy import Policy, PolicyConfig
        from skills.routine_book import build_book
        from skills.routines import Routine, Schedule, Step
        from skills.sun import Location

        async def main():
            registry = Registry()
            house = House(registry, Policy(registry, PolicyConfig()), Executor(registry, {{}}))
            routine = Routine(name="dusk", steps=[Step(command="light.turn_on")],
                              schedules=[Schedule(sun="sunset", offset=-1800)])
            book = build_book(house, [routine], routines_file=None,
                              database=Path({str(database)!r}), notify=None,
                              location=Location(latitude=51.5, longitude=0, time_zone="UTC"))
            await book.start()
            book.scheduler.once(book.scheduler.now() + timedelta(days=1),
                                Requester.local_admin(), routine=routine)
            for job in book.scheduler.jobs():
                print(job.id, job.next_run.isoformat())
            await book.stop()

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    written = [line.split() for line in done.stdout.strip().splitlines()]

    async def read() -> list[list[str]]:
        scheduler = AsyncIOScheduler(jobstores={"default": SqliteJobStore(database)})
        scheduler.start(paused=True)
        jobs = [[j.id, j.next_run_time.isoformat()] for j in scheduler.get_jobs()]
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)
        return jobs

    assert asyncio.run(read()) == written
    assert len(written) == 2
    assert written[0][0].startswith("routine:dusk:0:")
    assert written[1][0].startswith("once:")


def test_sunrise_for_a_known_place_and_date() -> None:
    rise = sun_time(LONDON, "sunrise", date(2024, 6, 21))
    assert rise is not None
    assert (rise.hour, rise.minute) == (4, 43)  # published: 04:43 BST
    assert rise.utcoffset() == timedelta(hours=1)
    sunset = sun_time(LONDON, "sunset", date(2024, 12, 21))
    assert sunset is not None
    assert (sunset.hour, sunset.minute) == (15, 53)  # published: 15:53 GMT


def test_sunset_trigger_with_an_offset_on_weekends() -> None:
    trigger = SunTrigger("sunset", LONDON, offset=-1800, weekdays=(5, 6))
    wednesday = datetime(2024, 6, 19, 12, 0, tzinfo=LONDON.zone)
    fire = trigger.get_next_fire_time(None, wednesday)
    sunset = sun_time(LONDON, "sunset", date(2024, 6, 22))
    assert sunset is not None
    assert fire == sunset - timedelta(minutes=30)
    assert fire.weekday() == 5


def test_no_sunrise_in_polar_night_moves_to_the_first_one() -> None:
    tromso = Location(latitude=69.65, longitude=18.96, time_zone="Europe/Oslo")
    fire = SunTrigger("sunrise", tromso).get_next_fire_time(
        None, datetime(2024, 12, 1, tzinfo=tromso.zone)
    )
    assert fire is not None
    assert fire.date() == date(2025, 1, 15)


async def test_dobby_scheduled_lists_what_will_run_without_a_second_scheduler(
    rig, tmp_path: Path
) -> None:
    """`dobby scheduled` reads the store while Dobby's own scheduler runs on it: who asked,
    when, what; the running scheduler's jobs are left exactly as they were."""
    database = tmp_path / "dobby.db"
    book = book_on(rig, database, Inbox())
    await book.start()
    assert book.scheduler is not None
    try:
        fan_off = Action(entity_id="switch.two_1", command="switch.turn_off")
        approver = Requester("telegram:43", Role.ADMIN, "Bo")
        later = book.scheduler.once(
            book.scheduler.now() + timedelta(hours=2),
            ALICE,
            actions=[fan_off],
            approved_by=approver,
        )
        before = [(j.id, j.next_run) for j in book.scheduler.jobs()]
        result = await asyncio.to_thread(
            CliRunner().invoke, app, ["scheduled", "--json", "--state", str(tmp_path)]
        )
        assert result.exit_code == 0, result.output
        rows = json.loads(result.output)
        assert [r["id"] for r in rows] == [j for j, _ in before]  # soonest first, as stored
        [once] = [r for r in rows if r["id"] == later.id]
        assert once["what"] == later.title
        assert once["asked_by"] == "Alice (telegram:42), approved by Bo"
        assert later.next_run is not None
        assert datetime.fromisoformat(once["when"]) == later.next_run.replace(
            second=0, microsecond=0
        )
        [wake] = [r for r in rows if r["id"].startswith("routine:wake:")]
        assert wake["what"] == "wake"
        assert wake["asked_by"] == "the routine's schedule"
        table = await asyncio.to_thread(
            CliRunner().invoke, app, ["scheduled", "--state", str(tmp_path)]
        )
        assert "Alice" in table.output
        assert "wake" in table.output
        assert [(j.id, j.next_run) for j in book.scheduler.jobs()] == before
    finally:
        await book.stop()


def test_dobby_scheduled_with_nothing_stored(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["scheduled", "--state", str(tmp_path / "none")])
    assert result.exit_code == 0
    assert result.output.strip() == "Nothing is scheduled."
    assert not (tmp_path / "none").exists(), "reading creates nothing"


async def test_two_dobbys_on_one_state_directory_run_a_schedule_once(
    rig, tmp_path: Path, rewind
) -> None:
    """`dobby run` and, say, `dobby mcp` on the same state directory: only one runs the
    jobs; the other adds jobs the first one runs, and takes over when the first one stops."""
    database = tmp_path / "dobby.db"
    inbox = Inbox()
    fast = SchedulerSettings(grace=3600, settle=0, shared_check=0.2)

    def book() -> RoutineBook:
        made = book_on(rig, database, inbox)
        assert made.scheduler is not None
        made.scheduler.settings = fast
        return made

    first = book()
    await first.start()
    assert first.scheduler is not None
    [job] = first.scheduler.jobs()
    await first.stop()
    await rewind(database, job.id, first.scheduler.now() - timedelta(minutes=10))

    # Both start while the wake-up run is due: it runs once, in the one that leads.
    running, other = book(), book()
    await running.start()
    await other.start()
    assert running.scheduler is not None
    assert other.scheduler is not None
    assert running.scheduler.leading
    assert not other.scheduler.leading
    notice = await inbox.next()
    assert notice.text.startswith("Scheduled: wake: 1 of 1 actions done.")

    # A one-shot made in the other process runs, once, in the one that leads.
    fan_off = Action(entity_id="switch.two_1", command="switch.turn_off")
    at = other.scheduler.now() + timedelta(seconds=1)
    other.schedule(at, ALICE, actions=[fan_off], what="turn off switch two")
    notice = await inbox.next()
    assert notice.text == "Scheduled: turn off switch two: 1 of 1 actions done."

    # The leader stops; the other one takes over and runs what comes due next.
    await running.stop()
    fan_on = Action(entity_id="switch.two_1", command="switch.turn_on")
    at = other.scheduler.now() + timedelta(seconds=1)
    other.schedule(at, ALICE, actions=[fan_on], what="turn on switch two")
    notice = await inbox.next()
    assert notice.text == "Scheduled: turn on switch two: 1 of 1 actions done."
    assert other.scheduler.leading
    await other.stop()

    assert len(inbox.seen) == 3
    assert [c for c, _ in rig.adapter.script("switch.one_1").calls] == ["switch.turn_on"]
    assert [c for c, _ in rig.adapter.script("switch.two_1").calls] == [
        "switch.turn_off",
        "switch.turn_on",
    ]
