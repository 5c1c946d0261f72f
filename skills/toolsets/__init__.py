"""The toolsets the LLM agent sees: the house as tools.

Reading tools find entities and read their state; control tools turn a model's call into
typed actions that go through the same policy and executor as everything else; routine
tools list and run routines; the tools for later schedule them or commands once; the
audit log tool says who did what. A call the policy wants confirmed pauses as a deferred
tool call (`ApprovalRequired`) until a person approves or denies it. The same toolsets are
the MCP server's tools (`skills.toolsets.direct` calls them without a model).

    toolsets = house_toolsets()
    agent = Agent(model, deps_type=HouseDeps, toolsets=toolsets,
                  output_type=[str, DeferredToolRequests])
"""

from __future__ import annotations

from pydantic_ai import AbstractToolset

from skills.toolsets.control import CONTROL_DOMAINS, control_toolset
from skills.toolsets.deps import Focus, HouseDeps, act
from skills.toolsets.history import history_toolset
from skills.toolsets.later import LATER_TOOLS, later_toolset
from skills.toolsets.read import read_toolset
from skills.toolsets.routines import EDITING_TOOLS, routine_toolset

__all__ = [
    "CONTROL_DOMAINS",
    "EDITING_TOOLS",
    "LATER_TOOLS",
    "Focus",
    "HouseDeps",
    "act",
    "control_toolset",
    "history_toolset",
    "house_toolsets",
    "later_toolset",
    "read_toolset",
    "routine_toolset",
]


def house_toolsets() -> list[AbstractToolset[HouseDeps]]:
    """Every toolset of the house, control tools shown only for domains the house has."""
    return [
        read_toolset(),
        control_toolset(),
        routine_toolset(),
        later_toolset(),
        history_toolset(),
    ]
