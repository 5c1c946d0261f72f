"""The household's own words, on the demo house as `dobby demo` runs it.

One demo house for the module: first what only reads (the phrasing corpus, as the benchmark
reads it, and the guard), then what changes the house (an answer to "which one?" remembered
as an alias in home.yaml, and "Dobby, it's sleepy time").
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pydantic_ai.models
import pytest
import pytest_asyncio
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.app import Dobby
from agent.config import load_config
from agent.demo import RunningDemo, running_demo
from agent.llm.agent import HouseAgent
from agent.llm.settings import LLMSettings
from devices.capabilities import Domain
from skills.actions import Requester, Role
from skills.routines import Condition, Routine, Step, Target

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # bench is a tool beside the packages, not an installed one

from bench import phrasing  # noqa: E402

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(240)]

ADMIN = Requester.local_admin()
GUEST = Requester(id="telegram:7", role=Role.GUEST, name="Gus", channel="telegram", chat="7")
SMALL_CORPUS = ROOT / "tests" / "bench" / "phrasing_corpus"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[RunningDemo]:
    root = tmp_path_factory.mktemp("words")
    shutil.copytree(ROOT / "config", root / "config")  # home.yaml is written to
    with pydantic_ai.models.override_allow_model_requests(False):
        async with running_demo(load_config(root / "config"), root / "state") as running:
            assert running.missing == []
            yield running


def state(dobby: Dobby, entity_id: str) -> Any:
    entity = dobby.registry.entity(entity_id)
    assert entity.state is not None
    return entity.state.state


async def test_the_corpus_meets_its_targets(demo: RunningDemo) -> None:
    """Every sentence of both corpora read as the benchmark reads it: no wrong action, and
    the shares understood right at least the issue's targets."""
    document = await phrasing.measure(demo.dobby, ["en", "de"], warm=False)
    totals = {row["lang"]: row for row in document["results"] if row["category"] == "all"}
    assert totals["en"]["sentences"] >= 300
    assert totals["de"]["sentences"] >= 100
    wrong = [f for f in document["failures"] if f["verdict"] == "wrong"]
    assert wrong == []
    assert totals["en"]["right_rate"] >= phrasing.TARGETS["en"]
    assert totals["de"]["right_rate"] >= phrasing.TARGETS["de"]
    # Dobby reads English again afterwards.
    assert demo.dobby.understander.intents.language == "en"


class Scripted:
    """A model that turns on the Bedside Lamp when it is too dark, and otherwise only talks."""

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        prompt = str(messages[0].parts[-1].content) if messages[0].parts else ""
        self.prompts.append(prompt)
        done = any(p.part_kind == "tool-return" for m in messages for p in m.parts)
        if "too dark" in prompt and not done:
            args = {"entity_ids": ["light.bedside_lamp"], "action": "turn_on"}
            return ModelResponse(parts=[ToolCallPart("control_light", args)])
        return ModelResponse(parts=[TextPart("Done." if done else "I only run the house.")])


async def test_the_llm_mode_hands_only_what_is_not_understood_to_the_model(
    demo: RunningDemo,
) -> None:
    script = Scripted()
    dobby = demo.dobby
    dobby.understander.llm = HouseAgent(
        dobby.house,
        dobby.config.routines.routines,
        FunctionModel(script),
        settings=LLMSettings(model="function:scripted"),
    )
    try:
        document = await phrasing.measure(
            dobby, ["en"], use_llm=True, folder=SMALL_CORPUS, warm=False
        )
    finally:
        dobby.understander.llm = None
    assert sorted(set(script.prompts)) == ["it's too dark in the bedroom", "tell me a joke"]
    assert document["llm"] is True
    assert document["model"] == "function:scripted"
    [total] = [row for row in document["results"] if row["category"] == "all"]
    assert (total["sentences"], total["right"], total["wrong"], total["to_model"]) == (3, 3, 0, 2)
    assert state(dobby, "light.bedside_lamp") == "off"  # a dry run


async def test_a_loose_noun_never_wins(demo: RunningDemo) -> None:
    """The Pool Light case: "the porch light" shares only "light" with the Pool Light."""
    dobby = demo.dobby
    reply = await dobby.handle("turn on the porch light", GUEST)
    assert reply.actions == []
    assert reply.asks
    assert reply.reply.startswith("Did you mean ")
    assert "Pool Light" in reply.reply
    assert state(dobby, "light.pool_light") == "off"
    # The guest's next words are not an answer: they are read as a request of their own.
    pause = await dobby.handle("what's playing in the kitchen", GUEST)
    assert pause.reply == "Kitchen: Morning Light by The Emulators."


async def test_a_sensitive_request_asks_first(demo: RunningDemo) -> None:
    dobby = demo.dobby
    reply = await dobby.handle("Dobby, unlock the front door please", ADMIN)
    assert reply.reply == "Unlock the Front Door? It needs a confirmation."
    assert reply.confirmation is not None
    assert state(dobby, "lock.front_door") == "unlocked"  # it was unlocked, and stays so
    denied = await dobby.confirm(reply.confirmation, ADMIN, approve=False)
    assert denied.reply == "Cancelled; nothing was done."
    dry = await dobby.understand("disarm the alarm", ADMIN)
    assert dry.needs_confirmation
    assert dry.reply == "Disarm the House Alarm? It needs a confirmation."
    refused = await dobby.understand("bump the heating to 35", ADMIN)
    assert refused.reply.startswith("Not done: ")


async def test_an_answer_is_remembered_as_an_alias_after_a_yes(demo: RunningDemo) -> None:
    dobby = demo.dobby
    home_yaml = dobby.config.directory / "home.yaml"
    before = home_yaml.read_text(encoding="utf-8")
    asked = await dobby.handle("Dobby, turn off the big light", ADMIN)
    assert asked.asks
    assert asked.actions == []
    assert "Living Room Ceiling" in asked.reply
    assert state(dobby, "light.living_room_ceiling") == "on"
    answer = await dobby.handle("the living room ceiling", ADMIN)
    assert [a.describe() for a in answer.actions] == [
        "light.turn_off() on light.living_room_ceiling"
    ]
    assert answer.reply.endswith('Shall I remember "big light" as Living Room Ceiling?')
    assert answer.confirmation is not None
    await dobby.settle(10)
    assert state(dobby, "light.living_room_ceiling") == "off"
    assert home_yaml.read_text(encoding="utf-8") == before  # nothing written before the yes
    said = await dobby.confirm(answer.confirmation, ADMIN, approve=True)
    assert said.reply == 'I will remember "big light" as Living Room Ceiling.'
    after = home_yaml.read_text(encoding="utf-8")
    assert "# Names and areas over what the devices propose" in after  # comments kept
    assert load_config(dobby.config.directory).home.entities[
        "light.living_room_ceiling"
    ].aliases == ["big light"]
    # From now on the household's name works at once, and a guest's too.
    direct = await dobby.handle("turn on the big light", GUEST)
    assert [a.describe() for a in direct.actions] == [
        "light.turn_on() on light.living_room_ceiling"
    ]


async def test_a_routine_with_nothing_to_do_says_so(demo: RunningDemo) -> None:
    dobby = demo.dobby
    jammed = Condition(domain=Domain.LOCK, state=["jammed"])
    lights = Step(command="light.turn_on", target=Target(area="Kitchen"), condition=jammed)
    dobby.routines.save(Routine(name="repair time", steps=[lights]), ADMIN)
    try:
        reply = await dobby.handle("it's repair time", ADMIN)
    finally:
        dobby.routines.delete("repair time")
    assert reply.reply.startswith("repair time: nothing to do here.\n- Not done: ")
    assert "0 of 0" not in reply.reply


async def test_dobby_its_sleepy_time_runs_the_routine(demo: RunningDemo) -> None:
    """The acceptance sentence: the name and "it's" around the routine's phrase."""
    dobby = demo.dobby
    reply = await dobby.handle("Dobby, it's sleepy time", ADMIN)
    assert reply.routine == "sleepy time"
    assert reply.results
    assert all(r["ok"] for r in reply.results)
    await dobby.settle(15)
    assert state(dobby, "lock.front_door") == "locked"
    assert state(dobby, "alarm_panel.house_alarm") == "armed_night"
    assert state(dobby, "cover.living_room_shade") == "closed"
    assert all(
        state(dobby, e.entity_id) == "off"
        for e in dobby.registry.entities.values()
        if e.domain.value == "light"
    )
