"""Issue 17's acceptance over streamable HTTP: the `mcp` SDK's own client against `/mcp` on
`dobby run`'s server, in the demo house, with each member's bearer token.

Light commands are read back at the emulated Hue bridge; the lock through HomeKit; the
approval is pressed in the (fake) Telegram chat, as a person would.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPDeprecationWarning

pytestmark = pytest.mark.asyncio(loop_scope="module")


@asynccontextmanager
async def connect(
    house: Any, token: str | None, *, mode: str = "auto", **options: Any
) -> AsyncIterator[Client]:
    """The SDK's client on `/mcp` with a bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=60)) as http,
        Client(streamable_http_client(house.url, http_client=http), mode=mode, **options) as client,
    ):
        yield client


def text_of(result: types.CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_lists_the_house_tools_and_resources(mcp_house: Any, mode: str) -> None:
    async with connect(mcp_house, mcp_house.tokens["Bob"], mode=mode) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        resources = {r.uri for r in (await client.list_resources()).resources}
    # The LLM agent's toolsets, with their docstrings and schemas; and what the LLM lacks.
    assert {"find_entities", "get_state", "control_light", "control_lock", "run_routine"} <= set(
        tools
    )
    assert {"schedule", "audit_log", "approval_status"} <= set(tools)
    assert not {"save_routine", "delete_routine"} & set(tools)
    light = tools["control_light"]
    assert light.description is not None
    assert light.description.startswith("Turn lights on or off")
    assert light.input_schema["required"] == ["entity_ids"]
    assert light.input_schema["properties"]["brightness"]["maximum"] == 100
    assert {"dobby://house", "dobby://entities", "dobby://routines"} <= resources
    assert "dobby://entities/light.kitchen_pendant" in resources


async def test_a_light_turns_off_at_the_device(mcp_house: Any) -> None:
    bulb = mcp_house.hue.model.light("Kitchen Pendant")
    mcp_house.hue.set_light("Kitchen Pendant", on=True)
    async with connect(mcp_house, mcp_house.tokens["Bob"]) as client:
        result = await client.call_tool(
            "control_light", {"entity_ids": ["light.kitchen_pendant"], "action": "turn_off"}
        )
    assert not result.is_error, text_of(result)
    assert "Done: turn off on Kitchen Pendant." in text_of(result)
    assert bulb.on is False  # at the emulated bridge
    [entry] = [e for e in mcp_house.audit() if e.entity_id == "light.kitchen_pendant"][-1:]
    assert (entry.path, entry.channel, entry.requester, entry.name) == (
        "mcp",
        "mcp",
        "telegram:1002",
        "Bob",
    )


async def test_reads_a_state_as_a_tool_and_as_a_resource(mcp_house: Any) -> None:
    mcp_house.hue.set_light("Floor Lamp", on=True, brightness=40)
    await mcp_house.dobby.registry.wait_until(
        lambda: mcp_house.dobby.registry.entity("light.floor_lamp").state.state == "on", 10
    )
    async with connect(mcp_house, mcp_house.tokens["Gus"]) as client:
        result = await client.call_tool("get_state", {"entity_ids": ["light.floor_lamp"]})
        read = await client.read_resource("dobby://entities/light.floor_lamp")
    [state] = json.loads(text_of(result))
    assert (state["entity_id"], state["state"], state["area"]) == (
        "light.floor_lamp",
        "on",
        "Living Room",
    )
    [content] = read.contents
    assert isinstance(content, types.TextResourceContents)
    assert json.loads(content.text)["state"] == "on"


async def test_an_unlock_waits_and_an_admins_approve_in_telegram_does_it_once(
    mcp_house: Any,
) -> None:
    await mcp_house.lock_front_door()
    before = len(mcp_house.audit())
    seen = len(mcp_house.telegram.calls)
    # Alice may approve unlocking, but not her own agent's: the question goes to the chat.
    async with connect(mcp_house, mcp_house.tokens["Alice"]) as client:
        result = await client.call_tool(
            "control_lock", {"entity_ids": ["lock.front_door"], "action": "unlock"}
        )
        text = text_of(result)
        assert "Waiting for approval" in text, text
        token = re.search(r"Request (\S+) waits for approval", text)
        assert token is not None, text
        waiting = json.loads(
            text_of(await client.call_tool("approval_status", {"token": token[1]}))
        )
        assert waiting["status"] == "waiting"
        assert (await mcp_house.state("lock.front_door"))["state"] == "locked"

        question = await mcp_house.telegram.wait_for(
            "sendMessage",
            lambda c: (
                any(c is later for later in mcp_house.telegram.calls[seen:])
                and c.params["chat_id"] == mcp_house.admin
                and "reply_markup" in c.params
            ),
            within=30,
        )
        assert "Alice asks (through MCP)" in question.params["text"]
        message = mcp_house.telegram.messages[
            mcp_house.admin, max(m for c, m in mcp_house.telegram.messages if c == mcp_house.admin)
        ]
        approve = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        answered = await mcp_house.telegram.pressed(mcp_house.admin, message, approve, name="Alice")
        assert answered.params["text"] == "Approved."
        again = await mcp_house.telegram.pressed(mcp_house.admin, message, approve, name="Alice")
        assert again.params["text"] != "Approved."  # once

        done = json.loads(
            text_of(
                await client.call_tool("approval_status", {"token": token[1], "wait_seconds": 30})
            )
        )
    assert done["status"] == "approved", done
    assert done["answered_by"] == "Alice"
    assert (await mcp_house.state("lock.front_door"))["state"] == "unlocked"
    [entry] = [e for e in mcp_house.audit()[before:] if e.entity_id == "lock.front_door"]
    assert (entry.command, entry.ok, entry.path, entry.channel) == (
        "lock.unlock",
        True,
        "mcp",
        "mcp",
    )
    assert (entry.requester, entry.approved_by) == ("telegram:1001", "telegram:1001")


async def test_a_guest_token_cannot_unlock(mcp_house: Any) -> None:
    await mcp_house.lock_front_door()
    before = len(mcp_house.audit())
    async with connect(mcp_house, mcp_house.tokens["Gus"]) as client:
        result = await client.call_tool(
            "control_lock", {"entity_ids": ["lock.front_door"], "action": "unlock"}
        )
    assert "Refused by the house rules" in text_of(result), text_of(result)
    assert "Request" not in text_of(result)
    assert (await mcp_house.state("lock.front_door"))["state"] == "locked"
    assert [e for e in mcp_house.audit()[before:] if e.entity_id == "lock.front_door"] == []


async def post(house: Any, body: bytes, **headers: str) -> httpx2.Response:
    async with httpx2.AsyncClient() as http:
        return await http.post(
            house.url,
            content=body,
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json, text/event-stream",
                **headers,
            },
        )


INITIALIZE = json.dumps(
    {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "0"},
        },
    }
).encode()


async def test_a_revoked_token_is_refused(mcp_house: Any) -> None:
    members = mcp_house.dobby.members
    token = members.issue_token("telegram:1002")
    async with connect(mcp_house, token) as client:
        assert (await client.list_tools()).tools
    assert members.revoke_tokens(token_id(members, token)) == 1
    refused = await post(mcp_house, INITIALIZE, Authorization=f"Bearer {token}")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == "Bearer"
    assert refused.json()["error"]["code"] == -32600
    with pytest.raises(Exception) as refused_client:  # noqa: PT011 - the SDK wraps it
        async with connect(mcp_house, token) as client:
            await client.list_tools()
    assert "bearer token is needed" in " ".join(map(str, leaves(refused_client.value)))


def leaves(error: BaseException) -> list[BaseException]:
    """The errors inside (nested) exception groups."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


def token_id(members: Any, token: str) -> str:
    from agent.channels.members import token_hash

    return token_hash(token)[:12]


@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Bearer not-a-token", "Basic dobby_x", "bearer dobby_zz"]
)
async def test_no_valid_token_no_entry(mcp_house: Any, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    refused = await post(mcp_house, INITIALIZE, **headers)
    assert refused.status_code == 401
    assert refused.json()["error"]["message"] == "A member's bearer token is needed."


async def test_the_door_is_checked_before_the_body_is_read(mcp_house: Any) -> None:
    # Garbage without a token: 401, not a parse error (nothing was read).
    assert (await post(mcp_house, b"{not json")).status_code == 401
    bearer = f"Bearer {mcp_house.tokens['Bob']}"
    foreign = await post(mcp_house, INITIALIZE, Authorization=bearer, Origin="https://evil.example")
    assert foreign.status_code == 403
    local = await post(mcp_house, INITIALIZE, Authorization=bearer, Origin="http://127.0.0.1:8790")
    assert local.status_code == 200
    too_big = await post(mcp_house, b"[" + b"1," * 600_000 + b"1]", Authorization=bearer)
    assert too_big.status_code == 413


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"jsonrpc": "2.0"}', b'{"jsonrpc": "2.0", "id": 1, "method": 5}', b"7"],
)
async def test_malformed_json_rpc_gets_a_json_rpc_error(mcp_house: Any, body: bytes) -> None:
    answer = await post(mcp_house, body, Authorization=f"Bearer {mcp_house.tokens['Bob']}")
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.text)
    assert answer.json()["jsonrpc"] == "2.0"
    assert "error" in answer.json()


async def test_a_change_at_the_emulator_is_announced(mcp_house: Any) -> None:
    uri = "dobby://entities/light.bedside_lamp"
    mcp_house.hue.set_light("Bedside Lamp", on=False)
    await mcp_house.dobby.registry.wait_until(
        lambda: mcp_house.dobby.registry.entity("light.bedside_lamp").state.state == "off", 10
    )
    async with connect(mcp_house, mcp_house.tokens["Gus"]) as client:
        async with client.listen(resource_subscriptions=[uri]) as subscription:
            mcp_house.hue.set_light("Bedside Lamp", on=True)  # at the bridge, not through Dobby
            async with asyncio.timeout(20):
                async for event in subscription:
                    if getattr(event, "uri", None) == uri:
                        break
        read = await client.read_resource(uri)
    [content] = read.contents
    assert isinstance(content, types.TextResourceContents)
    assert json.loads(content.text)["state"] == "on"


async def test_a_change_is_announced_to_a_2025_session_that_subscribed(mcp_house: Any) -> None:
    uri = "dobby://entities/light.living_room_ceiling"
    updated: asyncio.Queue[str] = asyncio.Queue()

    async def on_message(message: Any) -> None:
        if isinstance(message, types.ResourceUpdatedNotification):
            await updated.put(str(message.params.uri))

    async with connect(
        mcp_house, mcp_house.tokens["Bob"], mode="legacy", message_handler=on_message
    ) as client:
        with pytest.warns(MCPDeprecationWarning):  # the 2025 way, as older clients do it
            await client.subscribe_resource(uri)
        await asyncio.sleep(0.5)  # the session's GET stream opens after initialize
        mcp_house.hue.set_light("Living Room Ceiling", brightness=33)
        async with asyncio.timeout(20):
            while await updated.get() != uri:
                pass


async def test_schedule_list_and_cancel_something_for_later(mcp_house) -> None:
    turn_off = {"entity_id": "light.counter_strip", "command": "light.turn_off"}
    async with connect(mcp_house, mcp_house.tokens["Bob"]) as client:
        scheduled = text_of(
            await client.call_tool("schedule", {"when": "in 10 minutes", "actions": [turn_off]})
        )
        jobs = json.loads(text_of(await client.call_tool("list_scheduled", {})))
        [job] = [j for j in jobs if j["once"] and "Counter Strip" in j["what"]]
        unreadable = text_of(
            await client.call_tool("schedule", {"when": "soonish", "actions": [turn_off]})
        )
        cancelled = text_of(await client.call_tool("cancel_scheduled", {"job_id": job["id"]}))
        after = json.loads(text_of(await client.call_tool("list_scheduled", {})))
    assert "Counter Strip" in scheduled, scheduled
    assert "is not a time I can read" in unreadable
    assert cancelled.startswith("Cancelled"), cancelled
    assert job["id"] not in {j["id"] for j in after}


async def test_a_guest_reads_only_their_own_audit_entries(mcp_house) -> None:
    # Something of Bob's on record, whichever tests ran before in this process (xdist).
    async with connect(mcp_house, mcp_house.tokens["Bob"]) as client:
        await client.call_tool(
            "control_light", {"entity_ids": ["light.counter_strip"], "action": "turn_on"}
        )
    async with connect(mcp_house, mcp_house.tokens["Gus"]) as client:
        refused = text_of(await client.call_tool("audit_log", {"member": "Alice"}))
        own = json.loads(text_of(await client.call_tool("audit_log", {})))
    async with connect(mcp_house, mcp_house.tokens["Alice"]) as client:
        everyone = json.loads(text_of(await client.call_tool("audit_log", {"limit": 100})))
    assert "may read only what they asked for" in refused
    assert all(e["member_id"] == "telegram:1003" for e in own)
    assert {"telegram:1002"} <= {e["member_id"] for e in everyone}
