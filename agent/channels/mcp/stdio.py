"""`dobby mcp --member NAME`: the house as an MCP server over stdio, as one member.

For a desktop client that starts Dobby as a subprocess. It runs the house in its own
process (like `dobby chat`), with the chat channels configured in the environment, so a
sensitive command's question reaches the household chat and an Approve there carries it
out. A household that already runs `dobby run` connects to its `/mcp` instead.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path

from mcp.server.stdio import stdio_server

from agent.channels.mcp.server import HouseServer
from agent.channels.members import Member, Members
from agent.config import ChannelSettings, Config
from agent.service import Service
from skills.database import database_path

_LOGGER = logging.getLogger(__name__)


def find_member(config: Config, state: Path, who: str) -> Member | None:
    """The member named (by id or name) on the command line."""
    members = Members(database_path(state), config.home.members)
    try:
        return members.lookup(who)
    finally:
        members.close()


async def serve_stdio(
    config: Config,
    state: Path,
    settings: ChannelSettings,
    member: Member,
    *,
    interfaces: list[str] | None = None,
    only_hosts: Collection[str] | None = None,
) -> None:
    """Run the house and serve MCP on stdin/stdout as `member` until the client leaves."""
    service = Service(
        config,
        state,
        settings,
        interfaces=interfaces,
        only_hosts=only_hosts,
        serve_http=False,
    )
    server: HouseServer | None = None
    try:
        await service.start()
        assert service.dobby is not None
        server = HouseServer(service.dobby, member_id=member.id)
        _LOGGER.warning("Serving MCP on stdio as %s (%s)", member.name, member.role.value)
        async with stdio_server() as (read, write):
            await server.server.run(read, write, server.server.create_initialization_options())
    finally:
        if server is not None:
            await server.close()
        await service.stop()
