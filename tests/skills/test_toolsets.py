"""The house toolsets on their own: an agent with only the toolsets, a scripted model."""

from __future__ import annotations

import json
from typing import Any

import pydantic_ai.models
import pytest
from pydantic_ai import Agent, DeferredToolRequests
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from devices.capabilities import ClimateState, Domain, HVACMode
from devices.entities import DeviceInfo, EntitySpec
from skills.actions import Requester
from skills.toolsets import CONTROL_DOMAINS, HouseDeps, house_toolsets


@pytest.fixture(autouse=True)
def no_model_requests():
    with pydantic_ai.models.override_allow_model_requests(False):
        yield


def scripted(*calls: tuple[str, dict[str, Any]]) -> tuple[FunctionModel, list[Any], list[str]]:
    """A model making these tool calls in turn, then echoing the last tool result."""
    pending = list(calls)
    returns: list[Any] = []
    tools: list[str] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        tools[:] = [t.name for t in info.function_tools]
        last = messages[-1]
        if isinstance(last, ModelRequest):
            returns.extend(p.content for p in last.parts if isinstance(p, ToolReturnPart))
        if pending:
            name, args = pending.pop(0)
            return ModelResponse(parts=[ToolCallPart(name, args)])
        return ModelResponse(parts=[TextPart("ok")])

    return FunctionModel(model), returns, tools


def agent_with(model: FunctionModel) -> Agent[HouseDeps, str | DeferredToolRequests]:
    return Agent(
        model,
        deps_type=HouseDeps,
        toolsets=house_toolsets(),
        output_type=[str, DeferredToolRequests],
    )


async def test_control_tools_shown_only_for_domains_present(rig):
    model, _, tools = scripted()
    await agent_with(model).run("hi", deps=HouseDeps(rig.house, Requester.local_admin()))
    shown = {t for t in tools if t in CONTROL_DOMAINS}
    assert shown == {"control_switch", "control_lock"}
    assert {"find_entities", "get_state", "list_routines", "run_routine"} <= set(tools)


async def test_find_by_state_then_switch_goes_through_the_executor(rig):
    model, returns, _ = scripted(
        ("find_entities", {"domain": "switch", "state": "off"}),
        ("control_switch", {"entity_ids": ["switch.one_1", "switch.two_2"], "action": "turn_on"}),
    )
    deps = HouseDeps(rig.house, Requester.local_admin())
    result = await agent_with(model).run("switch everything on", deps=deps)

    assert result.output == "ok"
    found = returns[0]
    assert len(found["entities"]) == 6
    assert {e["state"] for e in found["entities"]} == {"off"}
    assert [c[0] for c in rig.adapter.script("switch.one_1").calls] == ["switch.turn_on"]
    assert [c[0] for c in rig.adapter.script("switch.two_2").calls] == ["switch.turn_on"]
    assert rig.adapter.script("switch.three_1").calls == []
    assert [r.ok for r in deps.results] == [True, True]
    assert rig.registry.entities["switch.one_1"].state.state == "on"


async def test_unlock_becomes_a_deferred_approval_request(rig):
    model, _, _ = scripted(
        ("control_lock", {"entity_ids": ["lock.front_door"], "action": "unlock"})
    )
    deps = HouseDeps(rig.house, Requester.local_admin())
    result = await agent_with(model).run("open up", deps=deps)

    assert isinstance(result.output, DeferredToolRequests)
    [request] = result.output.approvals
    meta = result.output.metadata[request.tool_call_id]
    assert meta["actions"] == ["lock.unlock() on lock.front_door"]
    assert rig.adapter.script("lock.front_door").calls == []
    assert deps.results == []
    assert json.dumps(meta)  # metadata is plain data, storable with the conversation


async def test_the_climate_tool_sets_humidity_and_fan_mode(rig):
    rig.registry.upsert_device(
        "scripted",
        DeviceInfo(unique_id="thermostat", name="Hallway Thermostat"),
        [
            EntitySpec(
                unique_id="thermostat",
                domain=Domain.CLIMATE,
                name="Hallway Thermostat",
                features=frozenset({"hvac_mode", "target_humidity", "fan_mode"}),
                state=ClimateState(state=HVACMode.HEAT, fan_mode="auto", fan_modes=["auto", "on"]),
            )
        ],
    )
    target = ["climate.hallway_thermostat"]
    model, returns, _ = scripted(
        ("control_climate", {"entity_ids": target, "fan_mode": "high"}),
        ("control_climate", {"entity_ids": target, "humidity": 55, "fan_mode": "on"}),
    )
    deps = HouseDeps(rig.house, Requester.local_admin())
    await agent_with(model).run("more humid, fan on", deps=deps)

    assert "fan modes are auto, on, not high" in str(returns[0])
    calls = [c[0] for c in rig.adapter.script("climate.hallway_thermostat").calls]
    assert calls == ["climate.set_humidity", "climate.set_fan_mode"]
