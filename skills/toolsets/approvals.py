"""Following a request that waits for a person: for callers that cannot pause (MCP clients).

A sensitive command from such a caller returns at once with the token of its question,
which the household is asked in the chat (Approve/Deny there). `approval_status` tells
what became of it, or waits for it. Only the member who asked may follow a request, and
nobody approves anything here: an agent must not approve its own unlock.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field
from pydantic_ai import FunctionToolset, RunContext

from skills.toolsets.deps import HouseDeps


async def approval_status(
    ctx: RunContext[HouseDeps],
    token: str,
    wait_seconds: Annotated[float, Field(ge=0, le=300)] = 0,
) -> dict[str, Any]:
    """What became of a request waiting for a person's Approve in the household chat:
    waiting, approved (and what was done), denied or expired.

    Args:
        token: The request's token, from the call that left it waiting.
        wait_seconds: Wait up to this many seconds for the answer (0: say now).
    """
    confirmations = ctx.deps.house.confirmations
    request = confirmations.find(token)
    if request is None or request.requester.id != ctx.deps.requester.id:
        return {"token": token, "status": "unknown", "note": "No such request of yours."}
    if wait_seconds:
        await confirmations.wait(request, wait_seconds)
    shown: dict[str, Any] = {
        "token": token,
        "question": request.question,
        "status": request.status(confirmations.clock()),
    }
    if request.answer is not None:
        approver = request.answer.approver
        shown["answered_by"] = approver.name or approver.id
        shown["outcome"] = request.answer.outcome
    return shown


def approvals_toolset() -> FunctionToolset[HouseDeps]:
    """The tool to follow requests waiting for a person."""
    return FunctionToolset([approval_status], id="house_approvals")
