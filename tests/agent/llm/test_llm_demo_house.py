"""The demo house end to end through the LLM path: emulators, the real OpenAI provider, HTTP.

The virtual house runs its emulators on loopback and Dobby finds them by normal discovery.
The model is a chat-completions server on loopback, scripted like a model that reads what
it is sent: it looks the lights up with find_entities, dims the ones it found, and for a
follow-up ("and the kitchen too") takes the brightness from the earlier turn in the history
it is sent. Only pydantic-ai's OpenAI model and the openai SDK sit between it and Dobby.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pydantic_ai.models
import pytest
from aiohttp import web

from agent.app import Dobby
from agent.config import load_config
from agent.demo import running_demo
from devices.testing import fresh_hosts
from skills.actions import Requester

CONFIG = Path(__file__).resolve().parents[3] / "config"
TOKENS = (300, 20)
"""Prompt and completion tokens the server reports for every answer."""


def completion(message: dict[str, Any], finish: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-demo",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "house-model",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": TOKENS[0],
            "completion_tokens": TOKENS[1],
            "total_tokens": sum(TOKENS),
        },
    }


def tool_call(number: int, name: str, arguments: dict[str, Any]) -> web.Response:
    call = {
        "id": f"call_{number}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    return web.json_response(completion(message, "tool_calls"))


class HouseModel:
    """A scripted model: find the lights of the room meant, then dim them."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    async def chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        messages: list[dict[str, Any]] = body["messages"]
        last_user = max(i for i, m in enumerate(messages) if m["role"] == "user")
        said = str(messages[last_user]["content"]).lower()
        results = [m for m in messages[last_user:] if m["role"] == "tool"]
        earlier_calls = [
            json.loads(call["function"]["arguments"])
            for m in messages[:last_user]
            if m["role"] == "assistant"
            for call in m.get("tool_calls") or []
            if call["function"]["name"] == "control_light"
        ]
        number = len(self.requests)
        if not results:
            if "too bright" in said and "living room" in said:
                return tool_call(
                    number, "find_entities", {"area": "Living Room", "domain": "light"}
                )
            if "kitchen too" in said and earlier_calls:  # a follow-up: same again, elsewhere
                return tool_call(number, "find_entities", {"area": "Kitchen", "domain": "light"})
            message = {"role": "assistant", "content": "Which room do you mean?"}
            return web.json_response(completion(message, "stop"))
        if len(results) == 1:
            found = json.loads(results[0]["content"])["entities"]
            brightness = earlier_calls[-1]["brightness"] if earlier_calls else 30
            arguments = {
                "entity_ids": [e["entity_id"] for e in found],
                "action": "turn_on",
                "brightness": brightness,
            }
            return tool_call(number, "control_light", arguments)
        message = {"role": "assistant", "content": f"Dimmed. ({results[-1]['content']})"}
        return web.json_response(completion(message, "stop"))


@pytest.fixture
async def model_server() -> AsyncIterator[tuple[HouseModel, str]]:
    model = HouseModel()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", model.chat)
    runner = web.AppRunner(app)
    await runner.setup()
    host = fresh_hosts().allocate()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield model, f"http://{host}:{port}/v1"
    await runner.cleanup()


def brightness(dobby: Dobby) -> dict[str, tuple[str, int | None]]:
    return {
        s["entity_id"]: (s["state"], s["attributes"].get("brightness"))
        for s in dobby.states()
        if s["entity_id"].startswith("light.")
    }


async def test_too_bright_in_the_living_room(model_server, monkeypatch, tmp_path: Path) -> None:
    model, base_url = model_server
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    monkeypatch.setenv("DOBBY_MODEL", "openai:house-model")
    monkeypatch.setenv("DOBBY_MODEL_BASE_URL", base_url)
    for name in ("DOBBY_MODEL_API_KEY", "DOBBY_LLM_FIRST"):
        monkeypatch.delenv(name, raising=False)
    async with running_demo(load_config(CONFIG), tmp_path / "state") as demo:
        dobby = demo.dobby
        assert demo.missing == []
        before = brightness(dobby)
        assert before["light.living_room_ceiling"] == ("on", 80)
        assert before["light.kitchen_pendant"] == ("on", 100)
        text = "it's too bright in the living room"
        assert (await dobby.understander.local(text)) is None  # not for the local path

        # The model requests go to the scripted server on loopback, nowhere else.
        with pydantic_ai.models.override_allow_model_requests(True):
            reply = await dobby.handle(text, Requester.local_admin())
            assert reply.source == "llm"
            assert {r["entity_id"] for r in reply.results} == {
                "light.living_room_ceiling",
                "light.floor_lamp",
            }
            assert all(r["ok"] for r in reply.results), reply.results
            assert reply.reply.startswith("Dimmed. (Done: turn on on ")
            await dobby.refresh()  # read back through the adapters from the emulators
            after = brightness(dobby)
            assert after["light.living_room_ceiling"] == ("on", 30)
            assert after["light.floor_lamp"] == ("on", 30)
            assert {k: v for k, v in after.items() if "living" not in k and "floor" not in k} == {
                k: v for k, v in before.items() if "living" not in k and "floor" not in k
            }

            follow_up = await dobby.handle("and the kitchen too", Requester.local_admin())
        assert {r["entity_id"] for r in follow_up.results} == {
            "light.kitchen_pendant",
            "light.counter_strip",
        }
        await dobby.refresh()
        after = brightness(dobby)
        assert after["light.kitchen_pendant"] == ("on", 30)
        assert after["light.counter_strip"] == ("on", 30)
        assert after["light.bedside_lamp"] == before["light.bedside_lamp"]

        # The server got the real thing: the model name, the tools, and for the follow-up the
        # first turn's prompt and tool calls in the history.
        assert model.requests[0]["model"] == "house-model"
        assert "control_light" in {t["function"]["name"] for t in model.requests[0]["tools"]}
        follow_up_seen = model.requests[3]["messages"]
        assert [m["content"] for m in follow_up_seen if m["role"] == "user"] == [
            text,
            "and the kitchen too",
        ]

    # Each turn's usage is in the state database: three requests of the server's tokens.
    with sqlite3.connect(tmp_path / "state" / "dobby.db") as db:
        rows = db.execute(
            "SELECT chat, requests, input_tokens, output_tokens FROM llm_usage ORDER BY id"
        ).fetchall()
    db.close()
    per_turn = ("terminal", 3, 3 * TOKENS[0], 3 * TOKENS[1])
    assert rows == [per_turn, per_turn]
