"""Routine tools: list, show, preview, save, rename, delete and run the household's routines.

Saving and deleting change routines.yaml, so they pause for a person's approval
(`ApprovalRequired`, the same deferred-call flow as unlocking a door): the approval
question is the routine's preview (its steps with the devices they resolve to, its
schedules, anything sensitive). Nothing is written until the person approves. The checks
(a step that targets nothing, an unknown or self-calling routine) are code in
`skills.routine_book`, not words in a prompt.
"""

from __future__ import annotations

from typing import Any

from pydantic_ai import (
    ApprovalRequired,
    FilteredToolset,
    FunctionToolset,
    RunContext,
    ToolDefinition,
)

from skills.actions import Requester
from skills.routine_book import RoutineBook, book_for
from skills.routines import Routine, expand, find_routine
from skills.runner import RoutineError
from skills.toolsets.deps import HouseDeps, act

NO_BOOK = "Routines cannot be changed here."


def _book(ctx: RunContext[HouseDeps]) -> RoutineBook | None:
    return book_for(ctx.deps.house)


def _routines(ctx: RunContext[HouseDeps]) -> list[Routine]:
    book = _book(ctx)
    return list(book.routines) if book is not None else list(ctx.deps.routines)


async def list_routines(ctx: RunContext[HouseDeps]) -> list[dict[str, Any]]:
    """List the household's routines: names, what they do, phrases and schedules."""
    return [
        {
            "name": r.name,
            "description": r.description,
            "phrases": r.phrases,
            "schedules": [s.describe() for s in r.schedules],
        }
        for r in _routines(ctx)
    ]


async def show_routine(ctx: RunContext[HouseDeps], name: str) -> str:
    """Show one routine: its steps with the devices they act on here, and its schedules.

    Args:
        name: The routine's name or one of its phrases.
    """
    book = _book(ctx)
    if book is None:
        routine = find_routine(_routines(ctx), name)
        return routine.model_dump_json(exclude_defaults=True) if routine else f"No {name!r}."
    try:
        return book.draft(book.get(name), ctx.deps.requester, replace=True).preview
    except RoutineError as error:
        return str(error)


async def preview_routine(ctx: RunContext[HouseDeps], routine: Routine) -> str:
    """Check a new routine against this house and preview it, without saving anything.

    Use this to show the person what a routine would do before saving it. Steps target
    entities by name, area, floor or just the command's domain, e.g.
    {"command": "light.turn_on", "target": {"area": "Living Room"}, "params": {"brightness": 20}}.
    Other steps: {"wait": 300} (seconds), {"together": [...steps]}, {"routine": "other name"}.
    Schedules: {"at": "06:30", "days": "weekdays"}, {"sun": "sunset", "offset": -1800}.

    Args:
        routine: The routine: name, phrases (what people will say), steps, schedules.
    """
    book = _book(ctx)
    if book is None:
        return NO_BOOK
    try:
        return book.draft(routine, ctx.deps.requester).preview
    except RoutineError as error:
        return f"Cannot make this routine: {error}"


SAVE_QUESTION = "Save this routine?"
"""How the question to save a previewed routine begins (a chat shows Save and Cancel)."""


def _approval(question: str, what: list[str]) -> ApprovalRequired:
    return ApprovalRequired(metadata={"question": question, "actions": what})


async def save_routine(ctx: RunContext[HouseDeps], routine: Routine, replace: bool = False) -> str:
    """Save a routine to the household's routines. The person is asked to confirm first.

    Args:
        routine: The routine, as for preview_routine.
        replace: Change the existing routine of the same name instead of adding one.
    """
    book = _book(ctx)
    if book is None:
        return NO_BOOK
    requester: Requester = ctx.deps.requester
    try:
        draft = book.draft(routine, requester, replace=replace)
    except RoutineError as error:
        return f"Not saved: {error}"
    if ctx.deps.dry_run:
        return f"Would ask to save:\n{draft.preview}"
    if not ctx.tool_call_approved:
        if not book.house.policy.may_confirm(requester.role):
            return f"Not saved: a {requester.role.value} may not change routines."
        raise _approval(f"{SAVE_QUESTION}\n{draft.preview}", [f"save routine {routine.name}"])
    try:
        book.save(routine, requester, replace=replace, approved_by=ctx.deps.approver)
    except RoutineError as error:
        return f"Not saved: {error}"
    return (
        f"Saved routine {routine.name!r}. Say {(routine.phrases or [routine.name])[0]!r} to run it."
    )


async def rename_routine(ctx: RunContext[HouseDeps], name: str, new_name: str) -> str:
    """Rename a routine (steps of other routines that call it follow).

    Args:
        name: The routine's current name.
        new_name: The new name.
    """
    book = _book(ctx)
    if book is None:
        return NO_BOOK
    if ctx.deps.dry_run:
        return f"Would rename {name!r} to {new_name!r}."
    if not book.house.policy.may_confirm(ctx.deps.requester.role):
        return f"Not renamed: a {ctx.deps.requester.role.value} may not change routines."
    try:
        book.rename(name, new_name)
    except RoutineError as error:
        return f"Not renamed: {error}"
    return f"Renamed {name!r} to {new_name!r}."


async def delete_routine(ctx: RunContext[HouseDeps], name: str) -> str:
    """Delete a routine and its schedules. The person is asked to confirm first.

    Args:
        name: The routine's name.
    """
    book = _book(ctx)
    if book is None:
        return NO_BOOK
    try:
        routine = book.get(name)
    except RoutineError as error:
        return str(error)
    if ctx.deps.dry_run:
        return f"Would ask to delete {routine.name!r}."
    if not ctx.tool_call_approved:
        if not book.house.policy.may_confirm(ctx.deps.requester.role):
            return f"Not deleted: a {ctx.deps.requester.role.value} may not change routines."
        raise _approval(f"Delete the routine {routine.name!r}?", [f"delete routine {routine.name}"])
    try:
        book.delete(routine.name)
    except RoutineError as error:
        return f"Not deleted: {error}"
    return f"Deleted routine {routine.name!r}."


async def run_routine(ctx: RunContext[HouseDeps], name: str) -> str:
    """Run a routine.

    Args:
        name: Its name, e.g. "sleepy time".
    """
    routines = _routines(ctx)
    routine = find_routine(routines, name)
    if routine is None:
        known = ", ".join(r.name for r in routines) or "none"
        return f"There is no routine called {name!r}. Routines: {known}."
    book = _book(ctx)
    if book is None or ctx.deps.dry_run:
        actions, notes = expand(routine, ctx.deps.house.registry, routines)
        done = await act(ctx, actions) if actions else "Nothing in this house to act on."
        return " ".join([f"Routine {routine.name}:", done, *notes])
    report = await book.runner.run(routine, ctx.deps.requester, path=ctx.deps.path)
    ctx.deps.actions.extend(r.action for r in report.results)
    ctx.deps.results.extend(report.results)
    ctx.deps.refused.extend(report.refused)
    ctx.deps.pending.extend(report.pending)
    return report.summary()


EDITING_TOOLS = frozenset(
    tool.__name__
    for tool in (show_routine, preview_routine, save_routine, rename_routine, delete_routine)
)
"""The tools that make and change routines: shown only in a turn about routines."""


def _shown(ctx: RunContext[HouseDeps], tool: ToolDefinition) -> bool:
    focus = ctx.deps.focus
    if tool.name == list_routines.__name__:
        return focus.editing_routines or not focus.routines_in_context
    return tool.name not in EDITING_TOOLS or focus.editing_routines


def routine_toolset() -> FilteredToolset[HouseDeps]:
    """The routine tools: running them always; listing them when the context does not
    name them all; editing them when the turn is about routines (`HouseDeps.focus`)."""
    return FunctionToolset[HouseDeps](
        [
            list_routines,
            show_routine,
            preview_routine,
            save_routine,
            rename_routine,
            delete_routine,
            run_routine,
        ],
        id="house_routines",
    ).filtered(_shown)
