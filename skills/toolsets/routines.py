"""Routine tools: list the household's routines and run one by name."""

from __future__ import annotations

from typing import Any

from pydantic_ai import FunctionToolset, RunContext

from devices.names import normalize
from skills.routines import expand
from skills.toolsets.deps import HouseDeps, act


async def list_routines(ctx: RunContext[HouseDeps]) -> list[dict[str, Any]]:
    """List the household's routines: their names, what they do and the phrases that run them."""
    return [
        {"name": r.name, "description": r.description, "phrases": r.phrases}
        for r in ctx.deps.routines
    ]


async def run_routine(ctx: RunContext[HouseDeps], name: str) -> str:
    """Run one of the household's routines by its name, e.g. "sleepy time".

    Args:
        name: The routine's name, as list_routines gives it.
    """
    wanted = normalize(name)
    for routine in ctx.deps.routines:
        if wanted in routine.all_phrases():
            actions, notes = expand(routine, ctx.deps.house.registry)
            done = await act(ctx, actions) if actions else "Nothing in this house to act on."
            return " ".join([f"Routine {routine.name}:", done, *notes])
    known = ", ".join(r.name for r in ctx.deps.routines) or "none"
    return f"There is no routine called {name!r}. Routines: {known}."


def routine_toolset() -> FunctionToolset[HouseDeps]:
    """The routine tools: list_routines and run_routine."""
    return FunctionToolset([list_routines, run_routine], id="house_routines")
