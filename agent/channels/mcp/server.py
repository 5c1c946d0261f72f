"""The MCP server: the house's tools and resources, every call as a known member.

Built on the official SDK's low-level server (`mcp.server.lowlevel.Server`). The tools are
the LLM agent's toolsets called without a model (`skills.toolsets.direct.HouseTools`),
listed with their docstrings and JSON schemas, so the two never drift. Every call is
decided by the policy for the member who makes it, on path `mcp`, and lands in the audit
log. A sensitive command returns "waiting for approval": the question goes to the
household chat with Approve/Deny (even when the member could approve: an agent must not
approve its own unlock), and `approval_status` follows it.

Resources: the house (floors, areas), its devices, every entity with its state, one
resource per entity, and the routines. A state change at a device becomes a
resource-updated notification, for sessions that subscribed (`resources/subscribe`) and
for `subscriptions/listen` streams (protocol 2026-07-28).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.session import ServerSession
from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ResourceUpdated
from mcp.shared.exceptions import MCPError

from agent.channels.members import Member
from devices.background import Background
from devices.registry import Change
from skills.actions import Requester
from skills.notifications import Notice, NoticeKind
from skills.toolsets.direct import HouseTools

if TYPE_CHECKING:
    from mcp.server.context import ServerRequestContext

    from agent.app import Dobby

_LOGGER = logging.getLogger(__name__)

CHANNEL = "mcp"
MEMBER_KEY = "dobby.member"
"""Where the HTTP door leaves the member it authenticated, in the request's ASGI scope."""

HOUSE = "dobby://house"
DEVICES = "dobby://devices"
ENTITIES = "dobby://entities"
ROUTINES = "dobby://routines"
ENTITY = "dobby://entities/{entity_id}"
JSON = "application/json"
FIXED = {
    HOUSE: "Floors and areas.",
    DEVICES: "Devices, reachable or not, and their entities.",
    ENTITIES: "Every entity and its state.",
    ROUTINES: "The household's routines.",
}

INSTRUCTIONS = """\
Dobby runs this household. Every call acts as the household member your token (or the \
command line) names, under the household's rules: what that member may not do is refused. \
Sensitive commands (unlocking, disarming) wait for a person's Approve in the household \
chat; the reply names a request token: call approval_status with it to follow the answer. \
Find entity ids with find_entities; read states with get_state or the dobby://entities \
resources."""


def entity_uri(entity_id: str) -> str:
    """The resource of one entity."""
    return ENTITY.format(entity_id=entity_id)


class HouseServer:
    """The house as an MCP server for one running Dobby."""

    def __init__(self, dobby: Dobby, *, member_id: str | None = None) -> None:
        self.dobby = dobby
        self.member_id = member_id
        """The member a stdio server acts as (HTTP requests carry their own)."""
        self.tools = HouseTools(dobby.house, dobby.config.routines.routines)
        self.bus = InMemorySubscriptionBus()
        self.listen = ListenHandler(self.bus)
        self._subscribed: dict[str, dict[str, ServerSession]] = {}
        """Resource URI → the sessions (of the 2025 protocol) that subscribed to it."""
        self._schemas: dict[str, dict[str, Any]] = {}
        """Tool input schemas as last listed (the SDK checks `Mcp-Param-*` headers with
        them; without this it would list every tool again on every call)."""
        self._sends = Background()
        self._stop_listening = dobby.registry.listen(self._changed)
        self.server: Server[Any] = Server(
            "dobby",
            version="0.1.0",
            title="Dobby",
            instructions=INSTRUCTIONS,
            get_tool_input_schema=self._schemas.get,
            on_list_tools=self._list_tools,
            on_call_tool=self._call_tool,
            on_list_resources=self._list_resources,
            on_list_resource_templates=self._list_templates,
            on_read_resource=self._read_resource,
            on_subscribe_resource=self._subscribe,
            on_unsubscribe_resource=self._unsubscribe,
            on_subscriptions_listen=self.listen,
        )

    # -- who is calling ---------------------------------------------------------------

    def requester(self, ctx: ServerRequestContext[Any, Any]) -> Requester:
        """The member making this request, with the role they have now."""
        member: Member | None = None
        http = ctx.request
        if http is not None:
            member = getattr(http, "scope", {}).get(MEMBER_KEY)
            if member is not None:
                member = self.dobby.members.get(member.id)
        elif self.member_id is not None:
            member = self.dobby.members.get(self.member_id)
        if member is None:
            raise MCPError(types.INVALID_REQUEST, "Not a household member.")
        return Requester(member.id, member.role, member.name, channel=CHANNEL)

    # -- tools --------------------------------------------------------------------------

    async def _list_tools(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        definitions = await self.tools.definitions(self.requester(ctx))
        self._schemas.update((d.name, d.parameters_json_schema) for d in definitions)
        return types.ListToolsResult(
            tools=[
                types.Tool(
                    name=d.name,
                    description=d.description,
                    input_schema=d.parameters_json_schema,
                )
                for d in definitions
            ]
        )

    async def _call_tool(
        self, ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        who = self.requester(ctx)
        result = await self.tools.call(who, params.name, params.arguments or {})
        lines = [result.text]
        for request in result.pending:
            await self.dobby.notifications.publish(
                Notice(
                    NoticeKind.APPROVAL,
                    f"{who.name or who.id} asks (through MCP): {request.question}",
                    ask=request.token,
                )
            )
            lines.append(
                f"Request {request.token} waits for approval in the household chat; "
                f"approval_status with token {request.token!r} tells what became of it."
            )
        return types.CallToolResult(
            content=[types.TextContent(type="text", text="\n".join(lines))],
            is_error=result.error,
        )

    # -- resources ----------------------------------------------------------------------

    async def _list_resources(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        self.requester(ctx)
        registry = self.dobby.registry
        fixed = [
            types.Resource(uri=uri, name=uri[8:], description=text, mime_type=JSON)
            for uri, text in FIXED.items()
        ]
        entities = [
            types.Resource(
                uri=entity_uri(e.entity_id),
                name=e.entity_id,
                title=e.name,
                description=f"{e.name}: its state and attributes.",
                mime_type=JSON,
            )
            for e in sorted(registry.entities.values(), key=lambda e: e.entity_id)
        ]
        return types.ListResourcesResult(resources=[*fixed, *entities])

    async def _list_templates(
        self, ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        self.requester(ctx)
        template = types.ResourceTemplate(
            uri_template=ENTITY,
            name="entity",
            description="One entity's state and attributes, by entity id.",
            mime_type=JSON,
        )
        return types.ListResourceTemplatesResult(resource_templates=[template])

    async def _read_resource(
        self, ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        who = self.requester(ctx)
        value = await self._resource(who, str(params.uri))
        text = json.dumps(value, ensure_ascii=False, default=str)
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=str(params.uri), mime_type=JSON, text=text)]
        )

    async def _resource(self, who: Requester, uri: str) -> Any:
        dobby, registry = self.dobby, self.dobby.registry
        if uri == HOUSE:
            floors = {f.id: f.name for f in registry.floors.values()}
            return {
                "name": dobby.config.home.name,
                "floors": [f.name for f in registry.floors.values()],
                "areas": [
                    {"name": a.name, "floor": floors.get(a.floor_id or ""), "aliases": a.aliases}
                    for a in registry.areas.values()
                ],
            }
        if uri == DEVICES:
            return [
                {
                    "id": d.id,
                    "name": d.info.name,
                    "adapter": d.adapter,
                    "available": d.available,
                    "unavailable_reason": d.unavailable_reason,
                    "entities": [e.entity_id for e in registry.entities_of(d.id)],
                }
                for d in registry.devices.values()
            ]
        if uri == ENTITIES:
            return dobby.states()
        if uri == ROUTINES:
            return (await self.tools.call(who, "list_routines", {})).value
        prefix = ENTITY.split("{", 1)[0]
        entity = registry.entities.get(uri.removeprefix(prefix)) if uri.startswith(prefix) else None
        if entity is None:
            raise MCPError(types.INVALID_PARAMS, f"No resource {uri}.")
        return entity.as_json(registry.area_name(entity))

    # -- change notifications -----------------------------------------------------------

    @staticmethod
    def _session_key(ctx: ServerRequestContext[Any, Any]) -> str:
        http = ctx.request
        headers = getattr(http, "headers", None)
        session = headers.get("mcp-session-id") if headers is not None else None
        return str(session) if session else "stdio"

    async def _subscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.SubscribeRequestParams
    ) -> types.EmptyResult:
        who = self.requester(ctx)
        await self._resource(who, str(params.uri))  # only what exists
        self._subscribed.setdefault(str(params.uri), {})[self._session_key(ctx)] = ctx.session
        return types.EmptyResult()

    async def _unsubscribe(
        self, ctx: ServerRequestContext[Any, Any], params: types.UnsubscribeRequestParams
    ) -> types.EmptyResult:
        self.requester(ctx)
        self._subscribed.get(str(params.uri), {}).pop(self._session_key(ctx), None)
        return types.EmptyResult()

    def _changed(self, change: Change) -> None:
        uris = [entity_uri(change.entity.entity_id), ENTITIES]
        if change.old_available != change.entity.available:
            uris.append(DEVICES)
        self._sends.spawn(self._announce(uris))

    async def _announce(self, uris: list[str]) -> None:
        for uri in uris:
            await self.bus.publish(ResourceUpdated(uri))
            sessions = self._subscribed.get(uri, {})
            for key, session in list(sessions.items()):
                try:
                    await session.send_resource_updated(uri)
                except Exception as error:  # noqa: BLE001 - the session is gone: forget it
                    _LOGGER.debug("Dropping an MCP subscription (%s)", type(error).__name__)
                    sessions.pop(key, None)

    async def close(self) -> None:
        """Stop announcing changes; end open listen streams."""
        self._stop_listening()
        self.listen.close()
        await self._sends.cancel()
