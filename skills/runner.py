"""Running routines: steps in order or together, waits, conditions, and a report of it all.

Every change goes through `House.carry_out` (policy, then executor), like every other
path. Time comes from a `Clock`, so tests move it by hand (`ManualClock`) instead of
sleeping. A step whose targets this house does not have is skipped and the report says so.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Literal, Protocol

from devices.names import resolve
from skills.actions import ActionResult, Directory, Path, Plan, Requester, Unchanged
from skills.confirmations import Request
from skills.house import House
from skills.routines import Condition, Routine, Step, find_routine, format_seconds, step_actions

Status = Literal["done", "failed", "skipped", "waited", "not_met", "held"]


class Clock(Protocol):
    """Where a routine gets the time of day and how it waits."""

    def now(self) -> datetime:
        """The current time, aware, in the house's time zone."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait this many seconds."""
        ...


@dataclass
class SystemClock:
    """The real clock, in the house's time zone."""

    zone: tzinfo = UTC

    def now(self) -> datetime:
        """The current time."""
        return datetime.now(self.zone)

    async def sleep(self, seconds: float) -> None:
        """Really wait."""
        await asyncio.sleep(seconds)


class ManualClock:
    """A clock that moves only when told to: `sleep` returns once `advance` passes its end."""

    def __init__(self, start: datetime) -> None:
        self._now = start
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> datetime:
        """The clock's time."""
        return self._now

    async def sleep(self, seconds: float) -> None:
        """Wait until the clock has been advanced past now + seconds."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        end = self._now + timedelta(seconds=seconds)
        heapq.heappush(self._sleepers, (end, next(self._order), future))
        await future

    @property
    def sleeping(self) -> int:
        """How many waits are open."""
        return sum(1 for *_, f in self._sleepers if not f.done())

    async def until_sleeping(self, count: int = 1, *, rounds: int = 1000) -> None:
        """Let other tasks run until `count` waits are open (or raise after many rounds)."""
        for _ in range(rounds):
            if self.sleeping >= count:
                return
            await asyncio.sleep(0)
        raise AssertionError(f"{self.sleeping} waits open, expected {count}")

    async def advance(self, seconds: float) -> None:
        """Move the clock forward, waking each wait whose end has come, in order."""
        target = self._now + timedelta(seconds=seconds)
        while self._sleepers and self._sleepers[0][0] <= target:
            end, _, future = heapq.heappop(self._sleepers)
            self._now = max(self._now, end)
            if not future.done():
                future.set_result(None)
            for _ in range(20):  # let the woken task reach its next wait
                await asyncio.sleep(0)
        self._now = target


@dataclass
class StepReport:
    """What became of one step."""

    step: str
    status: Status
    results: list[ActionResult] = field(default_factory=list)
    note: str = ""


@dataclass
class RunReport:
    """What a routine run did: each step's fate, in the routine's order."""

    routine: str
    started_at: datetime
    steps: list[StepReport] = field(default_factory=list)
    pending: list[Request] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def results(self) -> list[ActionResult]:
        """Every action's result."""
        return [r for s in self.steps for r in s.results]

    @property
    def failed(self) -> list[ActionResult]:
        """The actions that failed."""
        return [r for r in self.results if not r.ok]

    @property
    def notes(self) -> list[str]:
        """Steps skipped or not run, and why."""
        return [s.note for s in self.steps if s.status in ("skipped", "not_met") and s.note]

    def summary(self) -> str:
        """What ran, what failed and why, what was skipped, in a few lines; a routine with
        nothing to do here says so."""
        done = sum(1 for r in self.results if r.ok)
        if self.results:
            lines = [f"{self.routine}: {done} of {len(self.results)} actions done."]
        elif self.pending:
            lines = [f"{self.routine}: nothing done yet."]
        elif self.refused:
            lines = [f"{self.routine}: nothing done."]
        else:
            lines = [f"{self.routine}: nothing to do here."]
        lines.extend(f"- Failed: {r.error}" for r in self.failed)
        lines.extend(f"- Not done: {reason}." for reason in self.refused)
        lines.extend(f"- {note}" for note in self.notes)
        lines.extend(f"- Waiting for approval: {p.question}" for p in self.pending)
        return "\n".join(lines)


class RoutineError(Exception):
    """A routine cannot run (unknown, or it calls itself); the message says why."""


@dataclass
class RoutineRunner:
    """Runs routines through the house, keeping time with a clock."""

    house: House
    routines: Callable[[], Sequence[Routine]]
    """The routines that exist now (called routines are looked up here)."""
    clock: Clock = field(default_factory=SystemClock)
    directory: Directory = field(default_factory=Unchanged)
    """Who is who now: a routine's owner stands behind its runs with their current role."""

    async def run(
        self,
        routine: Routine,
        requester: Requester,
        *,
        path: Path = Path.ROUTINE,
        approved_by: Requester | None = None,
    ) -> RunReport:
        """Run a routine as `requester`.

        Its sensitive steps run on the approval of whoever confirmed the routine (see
        `Policy.standing_approval`), or on `approved_by` when a person approved this run.
        """
        report = RunReport(routine.name, self.clock.now())
        run = _Run(self, report, requester, path, approved_by)
        await run.routine(routine, ())
        return report

    def owner(self, routine: Routine) -> Requester | None:
        """Who confirmed a routine, as they are now: routines.yaml's admin, or the member
        who approved it in chat (None once they are no longer a member)."""
        member = routine.approved_by or routine.made_by
        if member is None:
            return Requester.routines_file()
        return self.directory.current(Requester.named(member))

    def holds(self, condition: Condition) -> tuple[bool, str]:
        """Whether a condition holds now, and if not, why."""
        if condition.after is not None or condition.before is not None:
            now = self.clock.now().time()
            after, before = condition.after, condition.before
            if after is not None and before is not None and after > before:
                inside = now >= after or now < before
            else:
                inside = (after is None or now >= after) and (before is None or now < before)
            if not inside:
                return False, f"it is {now.strftime('%H:%M')}, not {condition.describe()}"
        if condition.state:
            registry = self.house.registry
            found = resolve(
                registry,
                condition.name,
                area=condition.area,
                floor=condition.floor,
                domains=[condition.domain] if condition.domain else None,
            )
            if not found.entities:
                return False, f"nothing here to check ({condition.describe()})"
            for entity in found.entities:
                state = entity.state.state if entity.state and entity.available else "unavailable"
                if state not in condition.state:
                    return False, f"{entity.name} is {state}"
        return True, ""


@dataclass
class _Run:
    runner: RoutineRunner
    report: RunReport
    requester: Requester
    path: Path
    approved_by: Requester | None
    """An approval a person gave this run (a schedule approved when it was made)."""

    def approval(self, routine: Routine) -> Requester | None:
        if self.approved_by is not None:
            return self.approved_by
        owner = self.runner.owner(routine)
        policy = self.runner.house.policy
        return policy.standing_approval(self.requester, owner) if owner else None

    async def routine(self, routine: Routine, stack: tuple[str, ...]) -> None:
        if routine.name in stack:
            self.report.steps.append(
                StepReport(f"run routine {routine.name}", "skipped", note="it calls itself")
            )
            return
        if routine.condition is not None:
            ok, why = self.runner.holds(routine.condition)
            if not ok:
                note = f"{routine.name} did not run: {why}."
                self.report.steps.append(StepReport(routine.name, "not_met", note=note))
                return
        inner = (*stack, routine.name)
        if routine.run == "together":
            reports = await asyncio.gather(*(self.step(s, inner, routine) for s in routine.steps))
            for group in reports:
                self.report.steps.extend(group)
        else:
            for step in routine.steps:
                self.report.steps.extend(await self.step(step, inner, routine))

    async def step(self, step: Step, stack: tuple[str, ...], routine: Routine) -> list[StepReport]:
        described = step.describe()
        if step.condition is not None:
            ok, why = self.runner.holds(step.condition)
            if not ok:
                return [StepReport(described, "not_met", note=f"Not done: {described}: {why}.")]
        if step.wait is not None:
            await self.runner.clock.sleep(step.wait)
            return [StepReport(described, "waited", note=f"waited {format_seconds(step.wait)}")]
        if step.routine is not None:
            called = find_routine(self.runner.routines(), step.routine)
            if called is None:
                note = f"Skipped {described}: there is no such routine."
                return [StepReport(described, "skipped", note=note)]
            report = RunReport(called.name, self.report.started_at)
            sub = _Run(self.runner, report, self.requester, self.path, self.approved_by)
            await sub.routine(called, stack)
            self.report.pending.extend(sub.report.pending)
            self.report.refused.extend(sub.report.refused)
            return sub.report.steps
        if step.together is not None:
            groups = await asyncio.gather(*(self.step(s, stack, routine) for s in step.together))
            return [r for g in groups for r in g]
        return [await self.command(step, described, routine)]

    async def command(self, step: Step, described: str, routine: Routine) -> StepReport:
        actions = step_actions(step, self.runner.house.registry)
        if not actions:
            note = f"Skipped {step.command} on {step.target.describe()}: nothing like it here."
            return StepReport(described, "skipped", note=note)
        plan = Plan(
            actions,
            self.requester,
            self.path,
            approved_by=self.approval(routine),
            routine=routine.name,
        )
        outcome = await self.runner.house.carry_out(plan)
        self.report.refused.extend(d.reason for d in outcome.refused)
        if outcome.pending is not None:
            self.report.pending.append(outcome.pending)
        failed = any(not r.ok for r in outcome.results) or bool(outcome.refused)
        status: Status = "failed" if failed else "held" if outcome.pending else "done"
        return StepReport(described, status, outcome.results)
