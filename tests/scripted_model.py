"""A language model scripted with the tool calls it makes, and the house it makes them to:
for adapter tests that check what the model's tools do to an emulated device."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_ai import Agent
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models import override_allow_model_requests
from pydantic_ai.models.function import AgentInfo, FunctionModel

from devices.plugin import Adapter
from devices.registry import Registry
from skills.actions import Requester
from skills.executor import Executor
from skills.house import House
from skills.policy import Policy, PolicyConfig
from skills.toolsets import HouseDeps, house_toolsets


async def model_calls(
    registry: Registry, adapters: Mapping[str, Adapter], *calls: tuple[str, dict[str, Any]]
) -> list[Any]:
    """Run an agent whose model makes these tool calls in turn (as the local admin, through
    the house's policy and executor); returns what each tool answered."""
    pending = list(calls)
    answers: list[Any] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        del info
        last = messages[-1]
        if isinstance(last, ModelRequest):
            answers.extend(p.content for p in last.parts if isinstance(p, ToolReturnPart))
        if pending:
            name, arguments = pending.pop(0)
            return ModelResponse(parts=[ToolCallPart(name, arguments)])
        return ModelResponse(parts=[TextPart("done")])

    house = House(registry, Policy(registry, PolicyConfig()), Executor(registry, adapters))
    agent = Agent(FunctionModel(model), deps_type=HouseDeps, toolsets=house_toolsets())
    with override_allow_model_requests(False):
        await agent.run("(scripted)", deps=HouseDeps(house, Requester.local_admin()))
    return answers
