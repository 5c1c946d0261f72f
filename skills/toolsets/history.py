"""Asking the audit log: what was done to the house, by whom, approved by whom, how.

Members who may approve sensitive actions read the whole log; anyone else (a guest) reads
only what they asked for themselves.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from pydantic_ai import FilteredToolset, FunctionToolset, RunContext, ToolDefinition

from skills.toolsets.deps import HouseDeps


async def audit_log(
    ctx: RunContext[HouseDeps],
    entity_id: str = "",
    member: str = "",
    limit: Annotated[int, Field(ge=1, le=100)] = 20,
) -> list[dict[str, Any]] | str:
    """What was done to the house, newest first: who asked, who approved, which way in
    (phrase, intent, llm, schedule, routine, web, mcp), and how it went.

    Args:
        entity_id: Only actions on this entity, e.g. "lock.front_door".
        member: Only what this member asked for: their id or name.
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
    entries = audit.recent(limit, entity_id=entity_id.strip() or None, who=who)
    return [
        {
            "at": e.at.isoformat(timespec="seconds"),
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


def _shown(ctx: RunContext[HouseDeps], tool: ToolDefinition) -> bool:
    return ctx.deps.focus.history


def history_toolset() -> FilteredToolset[HouseDeps]:
    """The audit log tool, shown when the turn asks about what happened."""
    return FunctionToolset[HouseDeps]([audit_log], id="house_history").filtered(_shown)
