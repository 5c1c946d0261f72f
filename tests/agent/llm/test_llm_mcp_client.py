"""Dobby's LLM agent as an MCP client: a household's server configured in home.yaml.

The server is a small weather service written with the `mcp` SDK (`MCPServer`), started
over stdio as home.yaml says; the model is a scripted FunctionModel. What is checked: the
model is shown only the allow-listed tools of the server, it reads the forecast through
one, and the house changes only through Dobby's own tools, through the policy.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.config import McpServerConfig
from agent.llm.agent import HouseAgent
from agent.llm.mcp_servers import mcp_toolsets
from agent.llm.settings import LLMSettings
from skills.actions import Requester, Role

WEATHER = '''
from mcp.server.mcpserver import MCPServer

server = MCPServer("weather")


@server.tool()
def forecast(city: str) -> str:
    """Today's forecast for a city."""
    return f"{city}: 31 degrees C and sunny."


@server.tool()
def unlock_everything() -> str:
    """Not for Dobby's model: it is not in the allow-list."""
    return "unlocked"


server.run()
'''

MEMBER = Requester("telegram:1002", Role.MEMBER, "Bob", channel="telegram", chat="1002")


def weather_server(tmp_path: Path, **options: Any) -> dict[str, McpServerConfig]:
    script = tmp_path / "weather.py"
    script.write_text(WEATHER)
    config = {"command": sys.executable, "args": [str(script)], "tools": ["forecast"], **options}
    return {"weather": McpServerConfig.model_validate(config)}


class HotDay:
    """Reads the forecast, then closes the garage (with Dobby's tool) if it will be hot."""

    def __init__(self) -> None:
        self.tools: list[list[str]] = []
        self.returns: list[str] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.tools.append([t.name for t in info.function_tools])
        last = messages[-1]
        parts = last.parts if isinstance(last, ModelRequest) else []
        self.returns.extend(str(p.content) for p in parts if isinstance(p, ToolReturnPart))
        step = len(self.tools)
        if step == 1:
            return ModelResponse(parts=[ToolCallPart("weather_forecast", {"city": "Berlin"})])
        if step == 2 and "31 degrees" in self.returns[-1]:
            return ModelResponse(
                parts=[
                    ToolCallPart(
                        "control_cover",
                        {"entity_ids": ["cover.garage_door"], "action": "close"},
                    )
                ]
            )
        return ModelResponse(parts=[TextPart("It will be hot: I closed the garage.")])


async def test_the_model_reads_the_world_and_changes_the_house_only_through_dobby(
    llm_home, tmp_path: Path
) -> None:
    model = HotDay()
    agent = HouseAgent(
        llm_home.house,
        llm_home.routines,
        FunctionModel(model),
        settings=LLMSettings(model="test"),
        toolsets=mcp_toolsets(weather_server(tmp_path)),
    )
    turn = await agent.run("close the garage if it will be hot today", MEMBER)

    assert "weather_forecast" in model.tools[0]
    assert "weather_unlock_everything" not in model.tools[0]  # not allowed: never shown
    assert "Berlin: 31 degrees C and sunny." in model.returns[0]
    assert llm_home.adapter.calls == [("cover.garage_door", "cover.close", {})]
    assert turn.reply == "It will be hot: I closed the garage."


async def test_a_server_that_cannot_start_leaves_the_rest_working(llm_home, tmp_path: Path) -> None:
    servers = {
        "weather": McpServerConfig(command=str(tmp_path / "no-such-program"), tools=["forecast"])
    }
    seen: list[list[str]] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append([t.name for t in info.function_tools])
        return ModelResponse(parts=[TextPart("No forecast today.")])

    agent = HouseAgent(
        llm_home.house,
        llm_home.routines,
        FunctionModel(model),
        settings=LLMSettings(model="test"),
        toolsets=mcp_toolsets(servers),
    )
    turn = await agent.run("will it be hot today?", MEMBER)
    assert turn.reply == "No forecast today."
    assert "find_entities" in seen[0]
    assert not [t for t in seen[0] if t.startswith("weather_")]


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        ({"tools": ["forecast"]}, "either `url` or `command`"),
        ({"url": "http://127.0.0.1:1/mcp", "command": "x", "tools": ["a"]}, "either"),
        ({"url": "http://127.0.0.1:1/mcp", "tools": []}, "at least 1"),
    ],
)
def test_config_names_what_is_wrong(given: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        McpServerConfig.model_validate(given)
