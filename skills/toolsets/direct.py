"""The house's tools called directly, without a model: what the MCP server serves.

The same toolsets the LLM agent sees (`house_toolsets`), with their docstrings as
descriptions and their typed parameters as JSON schemas, so the two never drift. A call
is made as a named member, through the same policy, executor and audit log. Nothing
pauses: a call the policy holds leaves its question in the confirmation store
(`HouseDeps.pending`) and returns at once; the caller puts the question to the household,
and `approval_status` (served here, not to a model, which pauses instead) follows it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from pydantic_ai import ApprovalRequired, CombinedToolset, RunContext, ToolDefinition
from pydantic_ai.models.test import TestModel
from pydantic_ai.usage import RunUsage

from skills.actions import Path as ActionPath
from skills.actions import Requester
from skills.confirmations import Request
from skills.house import House
from skills.routines import Routine
from skills.toolsets import HouseDeps, house_toolsets
from skills.toolsets.approvals import approvals_toolset

_LOGGER = logging.getLogger(__name__)

NOT_SERVED = frozenset({"save_routine", "rename_routine", "delete_routine"})
"""Tools that change routines.yaml: a person previews and confirms those in the chat."""

_NO_MODEL = TestModel()
"""A run context names a model; none takes part in a direct call, and none is ever asked."""


@dataclass
class CallResult:
    """What a direct tool call returned, and the questions it left for a person."""

    value: Any
    """The tool's answer (text, or JSON-able data), or the error in words."""
    error: bool = False
    pending: list[Request] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The answer as text: itself, or its JSON."""
        if isinstance(self.value, str):
            return self.value
        return json.dumps(self.value, ensure_ascii=False, default=str)


class HouseTools:
    """The house's toolsets, listed and called as a member on one way in."""

    def __init__(
        self, house: House, routines: Sequence[Routine] = (), path: ActionPath = ActionPath.MCP
    ) -> None:
        self.house, self.routines, self.path = house, routines, path
        self.toolset = CombinedToolset([*house_toolsets(), approvals_toolset()]).filtered(
            lambda _ctx, tool: tool.name not in NOT_SERVED
        )

    def _context(self, requester: Requester) -> RunContext[HouseDeps]:
        deps = HouseDeps(
            self.house, requester, self.routines, path=self.path, defer_approvals=False
        )
        return RunContext(deps=deps, model=_NO_MODEL, usage=RunUsage())

    async def definitions(self, requester: Requester) -> list[ToolDefinition]:
        """The tools this member is shown now (control tools for the domains the house has)."""
        tools = await self.toolset.get_tools(self._context(requester))
        return [tool.tool_def for tool in tools.values()]

    async def call(self, requester: Requester, name: str, arguments: dict[str, Any]) -> CallResult:
        """Call one tool as `requester`; bad arguments and refusals come back as errors."""
        ctx = self._context(requester)
        tools = await self.toolset.get_tools(ctx)
        tool = tools.get(name)
        if tool is None:
            return CallResult(f"There is no tool {name!r} here.", error=True)
        try:
            args = tool.args_validator.validate_python(arguments)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in error.errors()
            )
            return CallResult(f"Invalid arguments for {name}: {problems}", error=True)
        try:
            value = await self.toolset.call_tool(name, args, ctx, tool)
        except ApprovalRequired:
            return CallResult(f"{name} needs a person's approval in the chat.", error=True)
        except Exception:
            _LOGGER.exception("The tool %s failed", name)
            return CallResult(f"{name} failed on Dobby's side; nothing more was done.", error=True)
        return CallResult(value, pending=list(ctx.deps.pending))
