"""Tools from MCP servers the household configures, for the LLM agent (`mcp_servers:`).

Each server's tools come through pydantic-ai's MCP support, named `<server>_<tool>`, and
only those its `tools:` allow-list names are shown. They read the world (a weather
forecast for "close the shades if it will be hot today"); they have no way into the house:
a change to it is made only through Dobby's own tools, through the policy. A server that
cannot be reached leaves its tools out of that turn, and the turn goes on.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic_ai import AbstractToolset, RunContext, WrapperToolset
from pydantic_ai.toolsets import ToolsetTool

from agent.config import McpServerConfig
from skills.toolsets import HouseDeps

_LOGGER = logging.getLogger(__name__)

START_TIMEOUT = 30.0
"""Seconds a server may take to start and answer (a stdio server is a program starting)."""


@dataclass
class Reachable(WrapperToolset[HouseDeps]):
    """A server's tools while it answers; none (and a warning) while it does not."""

    name: str = ""
    _entered: int = 0

    async def __aenter__(self) -> Reachable:
        try:
            await self.wrapped.__aenter__()
        except Exception as error:  # noqa: BLE001 - one server down leaves the rest working
            _LOGGER.warning("The MCP server %s cannot be reached: %s", self.name, error)
        else:
            self._entered += 1
        return self

    async def __aexit__(self, *args: Any) -> bool | None:
        if self._entered == 0:
            return None
        self._entered -= 1
        return await self.wrapped.__aexit__(*args)

    async def get_tools(self, ctx: RunContext[HouseDeps]) -> dict[str, ToolsetTool[HouseDeps]]:
        if self._entered == 0:
            return {}
        try:
            return await self.wrapped.get_tools(ctx)
        except Exception as error:  # noqa: BLE001 - as above
            _LOGGER.warning("The MCP server %s did not list its tools: %s", self.name, error)
            return {}


def mcp_toolsets(servers: Mapping[str, McpServerConfig]) -> list[AbstractToolset[HouseDeps]]:
    """The allowed tools of each configured server, `<server>_<tool>`."""
    from fastmcp.client.transports import StdioTransport
    from pydantic_ai.mcp import MCPToolset

    toolsets: list[AbstractToolset[HouseDeps]] = []
    for name, server in servers.items():
        headers: dict[str, str] | None = None
        if server.token_env:
            headers = {"Authorization": f"Bearer {os.environ.get(server.token_env, '')}"}
        client: Any = server.url
        if server.command is not None:
            env = {key: os.environ[key] for key in server.env if key in os.environ}
            client = StdioTransport(server.command, list(server.args), env=env or None)
        allowed = frozenset(server.tools)
        toolset = (
            MCPToolset[HouseDeps](
                client, id=f"mcp_{name}", headers=headers, init_timeout=START_TIMEOUT
            )
            .filtered(lambda _ctx, tool, allowed=allowed: tool.name in allowed)  # type: ignore[misc]
            .prefixed(name)
        )
        toolsets.append(Reachable(toolset, name=name))
    return toolsets
