"""Dobby's house as an MCP server, every call made as a household member.

- `server`: the MCP server itself (the official SDK's low-level server): the house's
  toolsets as tools, the house and the routines as resources, change notifications.
- `http`: `/mcp` on `dobby run`'s aiohttp server, the SDK's streamable-HTTP transport
  behind Dobby's own door (bearer token, Origin, size limits) checked before it reads.
- `stdio`: `dobby mcp --member NAME`, for a desktop client that starts Dobby itself.
"""
