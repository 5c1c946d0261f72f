"""The household's routines in one place: run, draft, preview, save, rename, delete, schedule.

`RoutineBook` ties together the routines, routines.yaml (`RoutineStore`), the runner and
the scheduler, for the app, the CLI and the LLM's routine tools alike. A new routine is a
draft first: its preview lists each step with the devices it resolves to, its schedules
with their next runs, and anything sensitive; it is saved only when a person confirms.
Bad input (a step that targets nothing, an unknown routine, a routine that calls itself,
an impossible time) is refused with a clear message, and nothing is saved.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from skills.actions import Action, Directory, Plan, Requester
from skills.actions import Path as ActionPath
from skills.confirmations import Request
from skills.house import House
from skills.notifications import Notice
from skills.policy import Decision, Verdict
from skills.routine_store import RoutineStore, RoutineStoreError
from skills.routines import Routine, Step, expand, find_problems, find_routine, step_actions
from skills.runner import Clock, RoutineError, RoutineRunner, RunReport, StepReport, SystemClock
from skills.scheduler import (
    Notify,
    RoutineScheduler,
    ScheduledJob,
    SchedulerSettings,
    next_runs,
    trigger_for,
)
from skills.sun import Location
from skills.triggers import RoutineTriggers

_BOOKS: weakref.WeakValueDictionary[int, RoutineBook] = weakref.WeakValueDictionary()
"""Books by `id(house)`: a House is a mutable dataclass, so it cannot be a weak key."""


def book_for(house: House) -> RoutineBook | None:
    """The routine book attached to a house (the LLM's routine tools find it this way)."""
    book = _BOOKS.get(id(house))
    return book if book is not None and book.house is house else None


@dataclass
class Draft:
    """A routine not saved yet, and what a person sees before confirming it."""

    routine: Routine
    preview: str
    sensitive: list[str] = field(default_factory=list)


class RoutineBook:
    """The routines of a house, and everything that can be done with them."""

    def __init__(
        self,
        house: House,
        routines: Sequence[Routine],
        *,
        store: RoutineStore | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.house = house
        self.routines: list[Routine] = list(routines)
        self.store = store
        self.runner = RoutineRunner(house, lambda: self.routines, clock or SystemClock())
        self.scheduler: RoutineScheduler | None = None
        self.triggers = RoutineTriggers(
            house.registry,
            lambda: self.routines,
            lambda routine, who, approver: self.runner.run(
                routine, who, path=ActionPath.TRIGGER, approved_by=approver
            ),
            self.publish,
        )
        """Device events (a button press) that run routines."""
        self.notices: list[Notice] = []
        """Notices this book published (scheduled runs, missed runs), the newest last."""
        self.notify: Notify | None = None
        """Where notices go (the household notification hook)."""
        self._listeners: list[Callable[[list[Routine]], None]] = []
        _BOOKS[id(house)] = self

    async def publish(self, notice: Notice) -> None:
        """Send a notice to the household, and remember it."""
        self.notices = [*self.notices[-49:], notice]
        if self.notify is not None:
            await self.notify(notice)

    async def start(self) -> None:
        """Listen for device events that run routines; start the scheduler, if there is one."""
        self.triggers.start()
        if self.scheduler is not None:
            await self.scheduler.start()

    async def stop(self) -> None:
        """Stop the scheduler (stored schedules stay for the next start) and the triggers."""
        await self.triggers.stop()
        if self.scheduler is not None:
            await self.scheduler.stop()

    def on_change(self, listener: Callable[[list[Routine]], None]) -> None:
        """Call `listener` with the new routines whenever they change."""
        self._listeners.append(listener)

    def find(self, name: str) -> Routine | None:
        """A routine by name or phrase."""
        return find_routine(self.routines, name)

    def get(self, name: str) -> Routine:
        """A routine by name or phrase; RoutineError naming the known ones if there is none."""
        routine = self.find(name)
        if routine is None:
            known = ", ".join(r.name for r in self.routines) or "none"
            raise RoutineError(f"There is no routine called {name!r}. Routines: {known}.")
        return routine

    def scheduled(self) -> list[ScheduledJob]:
        """What will run later, soonest first: one-shot commands and routines' schedules."""
        scheduler = self.scheduler
        return scheduler.jobs() if scheduler is not None and scheduler.running else []

    def cancel_scheduled(self, job_id: str, requester: Requester) -> str:
        """Cancel a one-shot job, in words for the person; RoutineError when it cannot be.

        Only a person who may confirm actions (not a guest, by default) cancels; a
        routine's schedule is changed by changing the routine.
        """
        if not self.house.policy.may_confirm(requester.role):
            raise RoutineError(f"A {requester.role.value} may not cancel what is scheduled.")
        job = next((j for j in self.scheduled() if j.id == job_id), None)
        if job is None:
            raise RoutineError("That is no longer scheduled.")
        if not job.once:
            raise RoutineError(f"{job.title!r} runs on its routine's schedule: change the routine.")
        assert self.scheduler is not None
        self.scheduler.cancel(job_id)
        return f"Cancelled {job.title!r}."

    async def run(
        self, name: str, requester: Requester, *, path: ActionPath = ActionPath.ROUTINE
    ) -> RunReport:
        """Run a routine by name or phrase as `requester`."""
        return await self.runner.run(self.get(name), requester, path=path)

    async def run_actions(
        self, title: str, actions: list[Action], requester: Requester, approved_by: Requester | None
    ) -> RunReport:
        """Carry out a one-shot command's actions as a scheduled plan."""
        report = RunReport(title, self.runner.clock.now())
        plan = Plan(actions, requester, ActionPath.SCHEDULE, approved_by=approved_by)
        outcome = await self.house.carry_out(plan)
        failed = any(not r.ok for r in outcome.results)
        report.steps.append(StepReport(title, "failed" if failed else "done", outcome.results))
        report.refused.extend(d.reason for d in outcome.refused)
        if outcome.pending is not None:
            report.pending.append(outcome.pending)
        return report

    def draft(self, routine: Routine, requester: Requester, *, replace: bool = False) -> Draft:
        """Check a new routine against this house and preview it; RoutineError if it is bad."""
        others = [r for r in self.routines if not (replace and r.name == routine.name)]
        if not replace and self.find(routine.name) is not None:
            raise RoutineError(f"There is already a routine called {routine.name!r}.")
        problems = find_problems([*others, routine])
        if problems:
            raise RoutineError(problems[0].message)
        lines = [
            f"Routine {routine.name!r}"
            + (f" ({routine.description})" if routine.description else "")
        ]
        if routine.phrases:
            lines.append("Runs when someone says: " + ", ".join(repr(p) for p in routine.phrases))
        lines.append("Steps (all together):" if routine.run == "together" else "Steps, in order:")
        actions = self._preview_steps(routine.steps, lines, "  ")
        sensitive = self._sensitive(actions, requester)
        lines.extend(self._preview_schedules(routine))
        if sensitive:
            lines.append(
                "Sensitive: " + "; ".join(sensitive) + ". Saving confirms them: the routine "
                "(and any schedule of it) will do this without asking again."
            )
        return Draft(routine, "\n".join(lines), sensitive)

    def _preview_steps(self, steps: Sequence[Step], lines: list[str], indent: str) -> list[Action]:
        actions: list[Action] = []
        for number, step in enumerate(steps, 1):
            when = f" (only {step.condition.describe()})" if step.condition else ""
            if step.together is not None:
                lines.append(f"{indent}{number}. together{when}:")
                actions.extend(self._preview_steps(step.together, lines, indent + "   "))
                continue
            if step.command is None:
                lines.append(f"{indent}{number}. {step.describe()}{when}")
                continue
            found = step_actions(step, self.house.registry)
            if not found:
                raise RoutineError(
                    f"Step {number} ({step.describe()}) targets nothing in this house; "
                    "name a device, an area or a floor that exists."
                )
            names = ", ".join(self.house.registry.entities[a.entity_id].name for a in found)
            lines.append(f"{indent}{number}. {step.describe()}{when} → {names}")
            actions.extend(found)
        return actions

    def _sensitive(self, actions: list[Action], requester: Requester) -> list[str]:
        review = self.house.policy.review(Plan(actions, requester, ActionPath.ROUTINE))
        refused = review.with_verdict(Verdict.REFUSE)
        if refused:
            raise RoutineError(f"The house rules refuse this: {refused[0].reason}.")
        held = review.with_verdict(Verdict.CONFIRM)
        if held and not self.house.policy.may_confirm(requester.role):
            raise RoutineError(
                f"A {requester.role.value} may not make a routine that includes "
                f"{held[0].reason.removesuffix(' needs a confirmation')}."
            )
        return sorted({d.reason.removesuffix(" needs a confirmation") for d in held})

    def _preview_schedules(self, routine: Routine) -> list[str]:
        lines: list[str] = []
        scheduler = self.scheduler
        for schedule in routine.schedules:
            if scheduler is None:
                lines.append(f"Schedule: {schedule.describe()}")
                continue
            try:
                trigger = trigger_for(schedule, scheduler.location, scheduler.time_zone)
            except ValueError as error:
                raise RoutineError(f"Schedule {schedule.describe()}: {error}.") from None
            upcoming = ", ".join(f"{t:%a %d %b %H:%M}" for t in next_runs(trigger, scheduler.now()))
            lines.append(f"Schedule: {schedule.describe()} (next: {upcoming or 'never'})")
        return lines

    def save(
        self,
        routine: Routine,
        requester: Requester,
        *,
        replace: bool = False,
        approved_by: Requester | None = None,
    ) -> Draft:
        """Check and save a routine to routines.yaml; RoutineError and nothing saved if bad.

        The routine remembers who made it and who approved it: its schedules act as the
        one, its sensitive steps run on the approval of the other.
        """
        routine = routine.model_copy(
            update={
                "made_by": requester.id,
                "approved_by": (approved_by or requester).id,
            }
        )
        checked = self.draft(routine, requester, replace=replace)
        if self.store is None:
            kept = [r for r in self.routines if not (replace and r.name == routine.name)]
            self._changed([*kept, routine])
            return checked
        try:
            self._changed(self.store.save(routine, replace=replace))
        except RoutineStoreError as error:
            raise RoutineError(str(error)) from None
        return checked

    def rename(self, old: str, new: str) -> Routine:
        """Rename a routine (and the steps that call it)."""
        routine = self.get(old)
        if self.store is None:
            renamed = routine.model_copy(update={"name": new})
            self._changed([renamed if r is routine else r for r in self.routines])
            return renamed
        try:
            self._changed(self.store.rename(routine.name, new))
        except RoutineStoreError as error:
            raise RoutineError(str(error)) from None
        return self.get(new)

    def delete(self, name: str) -> Routine:
        """Delete a routine; refused while another routine calls it."""
        routine = self.get(name)
        if self.store is None:
            self._changed([r for r in self.routines if r is not routine])
            return routine
        try:
            self._changed(self.store.delete(routine.name))
        except RoutineStoreError as error:
            raise RoutineError(str(error)) from None
        return routine

    def _changed(self, routines: list[Routine]) -> None:
        self.routines[:] = routines
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.sync()
        for listener in self._listeners:
            listener(self.routines)

    async def wait(self, seconds: float) -> str:
        """ "wait 3 seconds": wait, then say what the household heard meanwhile."""
        seen = len(self.notices)
        await self.runner.clock.sleep(seconds)
        news = "".join(f"\n{n.text}" for n in self.notices[seen:])
        return f"Waited {seconds:g} seconds.{news}"

    def schedule(
        self,
        at: datetime | timedelta,
        requester: Requester,
        *,
        routine: Routine | None = None,
        actions: Sequence[Action] = (),
        what: str = "",
    ) -> Scheduling:
        """Run a routine or actions once at `at`, as `requester`, decided by the policy now
        as it would be if asked now: what it refuses is not scheduled; anything sensitive
        waits for an authorised person's Approve before anything is scheduled. A
        `timedelta` ("in 2 seconds") counts from now, however long reading it took."""
        scheduler = self.scheduler
        if scheduler is None or not scheduler.running:
            return Scheduling("Nothing can be scheduled here: the scheduler is not running.")
        if isinstance(at, timedelta):
            at = scheduler.now() + at
        if at <= scheduler.now():
            return Scheduling("That time has already passed; say a time in the future.")
        what = what or (routine.name if routine else "")
        planned, approval = list(actions), None
        if routine is not None:
            planned = expand(routine, self.house.registry, self.routines)[0]
            owner = self.runner.owner(routine)
            if owner is not None:
                approval = self.house.policy.standing_approval(requester, owner)
        path = ActionPath.PHRASE if routine is not None else ActionPath.INTENT
        review = self.house.policy.review(Plan(planned, requester, path, approved_by=approval))
        refused = [d.reason for d in review.with_verdict(Verdict.REFUSE)]
        held = review.with_verdict(Verdict.CONFIRM)
        kept = [d.action for d in review.decisions if d.verdict is not Verdict.REFUSE]
        if not kept:
            return Scheduling(_not_done(f"Nothing scheduled: {what}", refused))
        if routine is None:
            actions = kept
        waiting = HeldSchedule(at, requester, what, routine, list(actions), refused)
        if held:
            when = when_words(at, scheduler.now())
            doing = (
                f"run {routine.name}, which includes {_reasons(held)}"
                if routine is not None
                else "; ".join(self.say(d.action) for d in held)
            )
            question = f"{when}: {doing}. Approve?"
            request = self.house.confirmations.open(question, requester, waiting)
            return Scheduling(_not_done(question, refused), request=request)
        return self._schedule(waiting, approved_by=None)

    def answer(self, waiting: HeldSchedule, approver: Requester, *, approve: bool) -> Scheduling:
        """Schedule what waited for an approval, approved by `approver`; or drop it."""
        if not approve:
            return Scheduling(f"Not scheduled: {waiting.what}.")
        scheduler = self.scheduler
        if scheduler is None or not scheduler.running or waiting.at <= scheduler.now():
            return Scheduling(f"Not scheduled: {waiting.what} was due already.")
        return self._schedule(waiting, approved_by=approver)

    def _schedule(self, waiting: HeldSchedule, approved_by: Requester | None) -> Scheduling:
        assert self.scheduler is not None
        job = self.scheduler.once(
            waiting.at,
            waiting.requester,
            routine=waiting.routine,
            actions=waiting.actions,
            title=waiting.what,
            approved_by=approved_by,
        )
        when = when_words(waiting.at, self.scheduler.now())
        reply = f"Scheduled {waiting.what!r} {when[0].lower()}{when[1:]}."
        return Scheduling(_not_done(reply, waiting.refused), job=job)

    def say(self, action: Action) -> str:
        """An action in words: "unlock Front Door", "set temperature of Pool Heater to 30"."""
        entity = self.house.registry.entities.get(action.entity_id)
        name = entity.name if entity else action.entity_id
        verb = action.command.split(".", 1)[-1].replace("_", " ")
        values = " ".join(str(v) for v in action.params.values())
        return f"{verb} of {name} to {values}" if values else f"{verb} {name}"


@dataclass(frozen=True)
class HeldSchedule:
    """Something to run once later that waits for an authorised person's Approve."""

    at: datetime
    requester: Requester
    what: str
    routine: Routine | None
    actions: list[Action]
    refused: list[str]
    """What the policy refused when it was asked for: not scheduled, named in the reply."""


@dataclass
class Scheduling:
    """What came of asking for something later: a reply, and a job or a question."""

    reply: str
    job: ScheduledJob | None = None
    request: Request | None = None
    """The Approve/Deny question when something sensitive waits for a person."""


def when_words(at: datetime, now: datetime) -> str:
    """ "At 22:00 today", "At 07:30 tomorrow", "At 09:00 on Fri 05 Dec"."""
    exact = at.second or at.microsecond  # "in 2 seconds" says the second; "at 10 pm" does not
    clock = at.strftime("%H:%M:%S") if exact else at.strftime("%H:%M")
    days = (at.date() - now.date()).days
    day = {0: "today", 1: "tomorrow"}.get(days, f"on {at:%a %d %b}")
    return f"At {clock} {day}"


def _reasons(decisions: Sequence[Decision]) -> str:
    return "; ".join(sorted({d.reason.removesuffix(" needs a confirmation") for d in decisions}))


def _not_done(reply: str, refused: Sequence[str]) -> str:
    return "\n".join([reply, *(f"- Not done: {reason}." for reason in refused)])


def build_book(
    house: House,
    routines: Sequence[Routine],
    *,
    routines_file: Path | None,
    database: Path | None,
    notify: Notify | None = None,
    settings: SchedulerSettings | None = None,
    location: Location | None = None,
    directory: Directory | None = None,
) -> RoutineBook:
    """The app's routine book: routines.yaml for changes, and schedules in `database`."""
    book = RoutineBook(
        house,
        routines,
        store=RoutineStore(routines_file) if routines_file is not None else None,
    )
    book.notify = notify
    if directory is not None:
        book.runner.directory = directory
        book.triggers.directory = directory
    if database is not None:
        book.scheduler = RoutineScheduler(
            database,
            run_routine=lambda routine, who, approver: book.runner.run(
                routine, who, path=ActionPath.SCHEDULE, approved_by=approver
            ),
            run_actions=book.run_actions,
            routines=lambda: book.routines,
            notify=book.publish,
            directory=book.runner.directory,
            settings=settings or SchedulerSettings(),
            location=location,
        )
        book.runner.clock = SystemClock(book.scheduler.time_zone)
    return book
