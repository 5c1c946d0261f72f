"""The prompt of a turn stays bounded, however many devices the house has."""

from __future__ import annotations

from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.llm.agent import HouseAgent
from agent.llm.context import MAX_ENTITIES, relevant_entities, turn_context
from agent.llm.settings import LLMSettings
from devices.capabilities import Domain, LightState, SwitchState
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry
from skills.actions import Requester
from skills.executor import Executor
from skills.house import House
from skills.policy import Policy, PolicyConfig

AREAS = ["Kitchen", "Bedroom", "Office", "Hallway", "Garden"]
PROMPT_BOUND = 4_000
"""Characters of instructions plus context for one turn."""


def generated_house(count: int) -> Registry:
    """`count` lights and switches spread over five areas, named by number."""
    registry = Registry()
    for area in AREAS:
        registry.add_area(area)
    for n in range(count):
        light = n % 2 == 0
        spec = EntitySpec(
            unique_id=f"e{n}",
            domain=Domain.LIGHT if light else Domain.SWITCH,
            name=f"{'Lamp' if light else 'Plug'} {n}",
            state=LightState(state="on") if light else SwitchState(state="off"),
        )
        registry.upsert_device(
            "gen", DeviceInfo(unique_id=f"d{n}", name=spec.name, suggested_area=AREAS[n % 5]),
            [spec],
        )  # fmt: skip
    registry.upsert_device(
        "gen",
        DeviceInfo(unique_id="desk", name="Desk Lamp", suggested_area="Office"),
        [EntitySpec("desk", Domain.LIGHT, "Desk Lamp", state=LightState(state="off"))],
    )
    return registry


async def prompt_of(count: int, text: str) -> tuple[str, int]:
    """The instructions the model got for `text`, and the size of its tool definitions."""
    registry = generated_house(count)
    house = House(registry, Policy(registry, PolicyConfig()), Executor(registry, {}))
    seen: list[tuple[str, int]] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        tools = sum(len(str(t.parameters_json_schema)) for t in info.function_tools)
        seen.append((info.instructions or "", tools))
        return ModelResponse(parts=[TextPart("ok")])

    agent = HouseAgent(house, [], FunctionModel(model), settings=LLMSettings(model="test"))
    await agent.plan(text, Requester.local_admin())
    return seen[0]


async def test_prompt_does_not_grow_with_the_house():
    text = "turn off the kitchen lamps and the desk lamp"
    small, small_tools = await prompt_of(20, text)
    large, large_tools = await prompt_of(500, text)
    huge, _ = await prompt_of(2000, text)

    assert len(large) <= PROMPT_BOUND
    assert len(huge) <= PROMPT_BOUND
    assert large_tools == small_tools
    # 25x the devices: at most the capped entity lines more; past the cap, only longer ids.
    assert len(large) <= len(small) + MAX_ENTITIES * 60
    assert len(huge) <= len(large) * 1.05
    listed = [line for line in large.splitlines() if line.startswith("- light.")]
    assert 0 < len(listed) <= MAX_ENTITIES
    assert "light.desk_lamp" in large
    assert "light.desk_lamp" in small


def test_relevant_entities_prefer_names_then_areas():
    registry = generated_house(40)
    found = relevant_entities(registry, "switch off the desk lamp in the office")
    assert found[0].entity_id == "light.desk_lamp"
    assert all(registry.area_name(e) == "Office" for e in found[:3])
    assert relevant_entities(registry, "what is the weather like") == []


def test_context_names_areas_routines_and_counts():
    registry = generated_house(10)
    context = turn_context(registry, [], "hello")
    assert "Kitchen, Bedroom, Office, Hallway, Garden" in context
    assert "6 light, 5 switch" in context
    assert "none matched by name; use find_entities" in context
