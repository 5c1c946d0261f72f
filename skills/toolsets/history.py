"""Asking the audit log: what was done to the house, by whom, approved by whom, how, and
what was changed at the devices themselves, not through Dobby.

Members who may approve sensitive actions read the whole log; anyone else (a guest) reads
only what they asked for themselves. The same log answers "why did ...?" locally
(`agent/intents/history.py`, through `skills.history`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field
from pydantic_ai import FilteredToolset, FunctionToolset, RunContext, ToolDefinition

from skills.history import PERIODS, period
from skills.toolsets.deps import HouseDeps


def _span(when: str) -> tuple[datetime | None, datetime | None]:
    """The span `when` names: a period word, or a day (2025-11-03); ValueError if neither."""
    if not when:
        return None, None
    now = datetime.now().astimezone()
    if when in PERIODS:
        return period(when, now)
    try:
        day = datetime.fromisoformat(when)
    except ValueError:
        raise ValueError(f"say `when` as one of {', '.join(PERIODS)}, or a date") from None
    start = day if day.tzinfo is not None else day.replace(tzinfo=now.tzinfo)
    return start, start.replace(hour=23, minute=59, second=59)


async def audit_log(
    ctx: RunContext[HouseDeps],
    entity_id: str = "",
    member: str = "",
    when: str = "",
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
) -> list[dict[str, Any]] | str:
    """What was done to the house, newest first: who asked, who approved, which way in
    (phrase, intent, llm, schedule, routine, web, mcp), and how it went; and what was
    changed at the devices, not through Dobby (way_in "device"). For "who ...", "why ...",
    "what happened ...": answer with times and names.

    Args:
        entity_id: Only actions on this entity, e.g. "lock.front_door".
        member: Only what this member asked for: their id or name.
        when: today, yesterday, last_night, this_morning, this_evening, or a date.
        limit: At most this many entries.
    """
    audit = ctx.deps.house.executor.audit
    if audit is None:
        return "This house keeps no audit log."
    requester = ctx.deps.requester
    who = member.strip() or None
    if not ctx.deps.house.policy.may_confirm(requester.role):
        if who is not None and who not in (requester.id, requester.name):
            return f"A {requester.role.value} may read only what they asked for themselves."
        who = requester.id
    try:
        since, until = _span(when.strip())
    except ValueError as error:
        return str(error)
    entity_ids = [entity_id.strip()] if entity_id.strip() else None
    entries = audit.query(entity_ids=entity_ids, person=who, since=since, until=until, limit=limit)
    found: list[dict[str, Any]] = [
        {
            "at": e.at.astimezone().isoformat(timespec="seconds"),
            "who": e.name or e.requester,
            "member_id": e.requester,
            "role": e.role,
            "way_in": e.path,
            "channel": e.channel,
            "action": f"{e.command} on {e.entity_id}",
            "params": e.params,
            "ok": e.ok,
            "error": e.error,
            "approved_by": e.approver_name or e.approved_by,
            "routine": e.routine,
        }
        for e in entries
    ]
    if who is None:  # changes at the devices were asked by nobody
        changes = audit.changes(entity_ids=entity_ids, since=since, until=until, limit=limit)
        found.extend(
            {
                "at": c.at.astimezone().isoformat(timespec="seconds"),
                "who": "nobody: changed at the device, not through Dobby",
                "member_id": None,
                "role": None,
                "way_in": "device",
                "channel": "",
                "action": f"{c.entity_id} went from {c.old_state} to {c.new_state}",
                "params": c.attributes,
                "ok": True,
                "error": None,
                "approved_by": None,
                "routine": None,
            }
            for c in changes
        )
        found.sort(key=lambda row: str(row["at"]), reverse=True)
    return found[:limit]


def _shown(ctx: RunContext[HouseDeps], tool: ToolDefinition) -> bool:
    return ctx.deps.focus.history


def history_toolset() -> FilteredToolset[HouseDeps]:
    """The audit log tool, shown when the turn asks about what happened."""
    return FunctionToolset[HouseDeps]([audit_log], id="house_history").filtered(_shown)
