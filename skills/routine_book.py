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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from skills.actions import Action, Plan, Requester
from skills.actions import Path as ActionPath
from skills.house import House
from skills.notifications import Notice
from skills.policy import Verdict
from skills.routine_store import RoutineStore, RoutineStoreError
from skills.routines import Routine, Step, find_problems, find_routine, step_actions
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
from skills.when import Timed, WhenError, parse_timed, parse_wait

_BOOKS: weakref.WeakValueDictionary[int, RoutineBook] = weakref.WeakValueDictionary()
"""Books by `id(house)`: a House is a mutable dataclass, so it cannot be a weak key."""


def book_for(house: House) -> RoutineBook | None:
    """The routine book attached to a house (the LLM's routine tools find it this way)."""
    book = _BOOKS.get(id(house))
    return book if book is not None and book.house is house else None


class Understood(Protocol):
    """What local understanding made of a sentence (agent.understanding.Understanding)."""

    actions: list[Action]
    routine: str | None


@dataclass
class Draft:
    """A routine not saved yet, and what a person sees before confirming it."""

    routine: Routine
    preview: str
    sensitive: list[str] = field(default_factory=list)


@dataclass
class TimedReply:
    """What came of a sentence with a time in it: a wait, or a one-shot schedule."""

    reply: str
    actions: list[Action] = field(default_factory=list)
    job: ScheduledJob | None = None


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
        """Start the scheduler, if there is one."""
        if self.scheduler is not None:
            await self.scheduler.start()

    async def stop(self) -> None:
        """Stop the scheduler; stored schedules stay for the next start."""
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

    async def run(self, name: str, requester: Requester) -> RunReport:
        """Run a routine by name, preapproved (it is the household's own)."""
        return await self.runner.run(self.get(name), requester)

    async def run_actions(
        self, title: str, actions: list[Action], requester: Requester, confirmed: bool
    ) -> RunReport:
        """Carry out a one-shot command's actions as a scheduled plan."""
        report = RunReport(title, self.runner.clock.now())
        plan = Plan(actions, requester, ActionPath.SCHEDULE, preapproved=confirmed)
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

    def save(self, routine: Routine, requester: Requester, *, replace: bool = False) -> Draft:
        """Check and save a routine to routines.yaml; RoutineError and nothing saved if bad."""
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

    async def timed(
        self,
        text: str,
        requester: Requester,
        understand: Callable[[str], Awaitable[Understood | None]],
    ) -> TimedReply | None:
        """Handle "wait 3 seconds" and "in 20 minutes <command>"; None if no time is said."""
        seconds = parse_wait(text)
        if seconds is not None:
            seen = len(self.notices)
            await self.runner.clock.sleep(seconds)
            news = [n.text for n in self.notices[seen:]]
            meanwhile = "".join(f"\n{text}" for text in news)
            return TimedReply(f"Waited {seconds:g} seconds.{meanwhile}")
        scheduler = self.scheduler
        if scheduler is None or not scheduler.running:
            return None
        try:
            timed = parse_timed(text, scheduler.now())
        except WhenError as error:
            return TimedReply(str(error))
        if timed is None:
            return None
        understood = await understand(timed.what)
        if understood is None or not (understood.actions or understood.routine):
            return None
        return self._schedule_once(timed, understood, requester, scheduler)

    def _schedule_once(
        self,
        timed: Timed,
        understood: Understood,
        requester: Requester,
        scheduler: RoutineScheduler,
    ) -> TimedReply:
        if timed.at is None:
            return TimedReply(
                f"To run this {timed.describe()}, make it a routine with that schedule "
                '(for example: "every weekday at 6:30 run good morning").'
            )
        routine = self.find(understood.routine) if understood.routine else None
        actions = [] if routine else list(understood.actions)
        try:
            sensitive = self._sensitive(actions, requester) if actions else []
        except RoutineError as error:
            return TimedReply(str(error))
        job = scheduler.once(
            timed.at,
            requester,
            routine=routine,
            actions=actions,
            title=timed.what,
            confirmed=bool(sensitive) or self.house.policy.may_confirm(requester.role),
        )
        reply = f"Scheduled {timed.what!r} {timed.describe()}."
        if sensitive:
            reply += f" This counts as your confirmation for: {'; '.join(sensitive)}."
        return TimedReply(reply, actions, job)


def build_book(
    house: House,
    routines: Sequence[Routine],
    *,
    routines_file: Path | None,
    database: Path | None,
    notify: Notify | None = None,
    settings: SchedulerSettings | None = None,
    location: Location | None = None,
) -> RoutineBook:
    """The app's routine book: routines.yaml for changes, and schedules in `database`."""
    book = RoutineBook(
        house,
        routines,
        store=RoutineStore(routines_file) if routines_file is not None else None,
    )
    book.notify = notify
    if database is not None:
        book.scheduler = RoutineScheduler(
            database,
            run_routine=lambda routine, who, ok: book.runner.run(
                routine, who, path=ActionPath.SCHEDULE, preapproved=ok
            ),
            run_actions=book.run_actions,
            routines=lambda: book.routines,
            notify=book.publish,
            settings=settings or SchedulerSettings(),
            location=location,
        )
        book.runner.clock = SystemClock(book.scheduler.time_zone)
    return book
