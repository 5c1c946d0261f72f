"""Tools for later: schedule a routine or commands once, list what is scheduled, cancel it.

A schedule is decided by the policy now, as the same request would be if made now
(`RoutineBook.schedule`): what the rules refuse is not scheduled, and anything sensitive
waits for a person's Approve before anything is scheduled (`HouseDeps.pending`). When it
fires it acts as the member who asked, with the role they have then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic_ai import FilteredToolset, FunctionToolset, RunContext, ToolDefinition

from skills.actions import Action
from skills.routine_book import RoutineBook, book_for, when_words
from skills.routines import find_routine
from skills.runner import RoutineError
from skills.toolsets.deps import HouseDeps, checked
from skills.when import WhenError, parse_timed

NO_SCHEDULER = "Nothing can be scheduled here: the scheduler is not running."


def _book(ctx: RunContext[HouseDeps]) -> RoutineBook | None:
    book = book_for(ctx.deps.house)
    return book if book is not None and book.scheduler is not None else None


def _time(when: str, now: datetime) -> datetime | str:
    """The one-shot time `when` says, or why it says none."""
    try:
        timed = parse_timed(f"{when.strip()} then", now)
    except WhenError as error:
        return str(error)
    if timed is None or timed.what != "then":
        return f"{when!r} is not a time I can read: say 'in 20 minutes' or 'at 22:30'."
    if timed.at is None:
        return "Repeating schedules belong to a routine: save one with `schedules`."
    return timed.at


async def schedule(
    ctx: RunContext[HouseDeps], when: str, routine: str = "", actions: list[Action] | None = None
) -> str:
    """Do something once, later: run a routine, or carry out commands, at a time.

    Anything sensitive waits for a person's Approve before it is scheduled; what the house
    rules refuse is not scheduled. Repeating schedules belong to routines.

    Args:
        when: "in 20 minutes", "at 22:30", "at 7 tomorrow".
        routine: A routine's name, to run it then.
        actions: Or commands, e.g.
            [{"entity_id": "light.kitchen_pendant", "command": "light.turn_off"}].
    """
    book = _book(ctx)
    if book is None:
        return NO_SCHEDULER
    assert book.scheduler is not None
    now = book.scheduler.now()
    at = _time(when, now)
    if isinstance(at, str):
        return at
    found = find_routine(book.routines, routine) if routine else None
    if routine and found is None:
        return f"There is no routine called {routine!r}."
    ready, problems = checked(ctx.deps, actions or [])
    if found is None and not ready:
        return " ".join(problems) or "Say what to do then: a routine or commands."
    what = found.name if found else "; ".join(book.say(a) for a in ready)
    if ctx.deps.dry_run:
        return f"Would schedule {when_words(at, now).lower()}: {what}."
    later = book.schedule(
        at, ctx.deps.requester, routine=found, actions=[] if found else ready, what=what
    )
    if later.request is not None:
        ctx.deps.pending.append(later.request)
    return " ".join([*problems, later.reply])


async def list_scheduled(ctx: RunContext[HouseDeps]) -> list[dict[str, Any]]:
    """What will run later, soonest first: one-shot commands and routines' schedules."""
    book = _book(ctx)
    jobs = book.scheduled() if book is not None else []
    return [
        {
            "id": job.id,
            "what": job.title,
            "next_run": job.next_run.isoformat() if job.next_run else None,
            "once": job.once,
        }
        for job in jobs
    ]


async def cancel_scheduled(ctx: RunContext[HouseDeps], job_id: str) -> str:
    """Cancel something scheduled once (a routine's schedule changes with the routine).

    Args:
        job_id: Its id, from list_scheduled.
    """
    book = _book(ctx)
    if book is None:
        return NO_SCHEDULER
    if ctx.deps.dry_run:
        return f"Would cancel {job_id}."
    try:
        return book.cancel_scheduled(job_id, ctx.deps.requester)
    except RoutineError as error:
        return str(error)


LATER_TOOLS = frozenset(t.__name__ for t in (schedule, list_scheduled, cancel_scheduled))


def _shown(ctx: RunContext[HouseDeps], tool: ToolDefinition) -> bool:
    return ctx.deps.focus.later


def later_toolset() -> FilteredToolset[HouseDeps]:
    """The tools for later, shown when the turn is about time (`HouseDeps.focus`)."""
    return FunctionToolset[HouseDeps](
        [schedule, list_scheduled, cancel_scheduled], id="house_later"
    ).filtered(_shown)
