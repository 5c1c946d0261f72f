"""The local-server path: the real OpenAI provider, over HTTP, against a fake server on loopback.

The server speaks the chat-completions protocol (what Ollama, llama.cpp and vLLM serve):
the first answer is a tool call, the second a final message. pydantic-ai's own OpenAI model
and the openai SDK do the rest over real sockets.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pydantic_ai.models
import pytest
from aiohttp import web
from pydantic_ai.models.openai import OpenAIChatModel

from agent.llm import from_environment
from devices.testing import fresh_hosts
from skills.actions import Requester


def completion(message: dict[str, Any], finish: str, tokens: tuple[int, int]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "llama3",
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": tokens[0],
            "completion_tokens": tokens[1],
            "total_tokens": sum(tokens),
        },
    }


class FakeServer:
    """Chat completions: a tool call first, then a final answer quoting the tool's result."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    async def chat(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append(body)
        if len(self.requests) == 1:
            call = {
                "id": "call_1",
                "type": "function",
                "function": {
                    "name": "control_switch",
                    "arguments": json.dumps(
                        {"entity_ids": ["switch.fairy_lights"], "action": "turn_on"}
                    ),
                },
            }
            message = {"role": "assistant", "content": None, "tool_calls": [call]}
            return web.json_response(completion(message, "tool_calls", (200, 20)))
        result = next(m for m in body["messages"] if m["role"] == "tool")
        message = {"role": "assistant", "content": f"Okay. ({result['content']})"}
        return web.json_response(completion(message, "stop", (260, 12)))


@pytest.fixture
async def server() -> AsyncIterator[tuple[FakeServer, str]]:
    fake = FakeServer()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", fake.chat)
    runner = web.AppRunner(app)
    await runner.setup()
    host = fresh_hosts().allocate()
    site = web.TCPSite(runner, host, 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield fake, f"http://{host}:{port}/v1"
    await runner.cleanup()


async def test_openai_compatible_local_server(server, llm_home, monkeypatch, tmp_path, caplog):
    fake, base_url = server
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    monkeypatch.setenv("DOBBY_MODEL", "openai:llama3")
    monkeypatch.setenv("DOBBY_MODEL_BASE_URL", base_url)
    monkeypatch.setenv("DOBBY_MODEL_API_KEY", "sk-local-secret")
    agent = from_environment(llm_home.house, llm_home.routines)
    assert agent is not None
    assert isinstance(agent.agent.model, OpenAIChatModel)

    # The one test that lets a model request through: it goes to the fake server on loopback.
    with pydantic_ai.models.override_allow_model_requests(True):
        turn = await agent.run("put the fairy lights on", Requester.local_admin())

    assert llm_home.adapter.calls == [("switch.fairy_lights", "switch.turn_on", {})]
    assert turn.reply == "Okay. (Done: turn on on Fairy Lights.)"
    assert turn.usage == {"requests": 2, "input_tokens": 460, "output_tokens": 32}
    first = fake.requests[0]
    assert first["model"] == "llama3"
    tools = {t["function"]["name"] for t in first["tools"]}
    assert {"find_entities", "control_switch", "run_routine"} <= tools
    assert "control_lock" not in tools  # only the tools of what the message is about
    system = " ".join(str(m["content"]) for m in first["messages"] if m["role"] == "system")
    assert "You are Dobby" in system
    assert "switch.fairy_lights" in system  # the turn's context names what the message is about
    assert "sk-local-secret" not in caplog.text
