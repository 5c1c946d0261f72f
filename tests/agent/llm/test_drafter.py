"""The LLM drafter, scripted with FunctionModel: it learns the Shelly relay through the
read-only probes only; what it asks outside the rules is refused by the tool."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pydantic_ai.models
import pytest
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.llm.drafter import draft_with_model
from devices.explore.trial import RecipeClient, trial
from devices.testing.addresses import HostAllocator
from devices.testing.unknown.house import mac_of
from devices.testing.unknown.shelly import ShellyPlus1

SWITCH = {
    "key": "switch_0",
    "domain": "switch",
    "name": "Relay",
    "reads": {
        "state": {
            "path": "/rpc/Switch.GetStatus?id=0",
            "pointer": "/output",
            "type": "bool",
            "mapping": {"true": "on", "false": "off"},
        }
    },
    "commands": {
        "turn_on": {
            "method": "POST",
            "path": "/rpc",
            "body": {"id": 1, "method": "Switch.Set", "params": {"id": 0, "on": True}},
        },
        "turn_off": {
            "method": "POST",
            "path": "/rpc",
            "body": {"id": 1, "method": "Switch.Set", "params": {"id": 0, "on": False}},
        },
    },
}
RECIPE = {
    "name": "Some relay",
    "host": "10.9.9.9",  # the model's word for the host counts for nothing
    "identity": {"device_id": "made-up"},
    "entities": [SWITCH],
}


@pytest.fixture(autouse=True)
def no_model_requests() -> Any:
    with pydantic_ai.models.override_allow_model_requests(False):
        yield


@pytest.fixture
async def relay() -> AsyncIterator[ShellyPlus1]:
    device = ShellyPlus1(HostAllocator().allocate(), "Porch Relay", mac_of("Porch Relay"))
    await device.server.start()
    yield device
    await device.server.stop()


def scripted(
    *calls: tuple[str, dict[str, Any]], recipe: dict[str, Any] = RECIPE
) -> tuple[FunctionModel, list[Any]]:
    """A model making these tool calls in turn, then answering with `recipe`."""
    pending = list(calls)
    returns: list[Any] = []

    def model(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        last = messages[-1]
        if isinstance(last, ModelRequest):
            returns.extend(p.content for p in last.parts if isinstance(p, ToolReturnPart))
        if pending:
            name, args = pending.pop(0)
            return ModelResponse(parts=[ToolCallPart(name, args)])
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, recipe)])

    return FunctionModel(model), returns


async def test_the_model_learns_the_relay_read_only(relay: ShellyPlus1) -> None:
    model, returns = scripted(
        ("http_get", {"path": "/rpc/Switch.GetStatus?id=0"}),
        ("http_get", {"path": "/rpc/Switch.Set?id=0&on=true"}),
        ("http_get", {"path": "http://10.9.9.9/rpc/Switch.GetStatus?id=0"}),
        ("soap_get", {"control_path": "/c", "service_type": "urn:x", "action": "SetPower"}),
    )
    learned = await draft_with_model(model, relay.host, relay.port, area="Porch")
    assert learned.draft is not None, learned.notes
    assert '"output": false' in returns[0]
    assert all(r.startswith("refused:") for r in returns[1:4]), returns
    assert relay.changing_requests() == []
    assert all("Set" not in r.path for r in relay.requests)
    draft = learned.draft
    assert (draft.host, draft.port, draft.name) == (relay.host, relay.port, "Porch Relay")
    assert draft.identity.device_id is not None
    assert draft.identity.device_id.startswith("shellyplus1-")
    assert draft.entities[0].area == "Porch"
    assert learned.tried == {"switch_0.state": False}

    async def yes(question: str) -> bool:
        del question
        return True

    tried = await trial(RecipeClient(draft), yes)
    assert tried.verified == ["switch_0.turn_on", "switch_0.turn_off"]
    assert relay.output is False
    assert len(relay.changing_requests()) == 2


async def test_a_draft_whose_read_fails_is_not_shown(relay: ShellyPlus1) -> None:
    broken = {**SWITCH, "reads": {"state": {**SWITCH["reads"]["state"], "pointer": "/nothing"}}}  # type: ignore[dict-item]
    model, _ = scripted(recipe={**RECIPE, "entities": [broken]})
    learned = await draft_with_model(model, relay.host, relay.port)
    assert learned.draft is None
    assert any("switch_0.state failed" in n for n in learned.notes)
