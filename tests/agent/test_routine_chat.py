"""A routine made from chat: the agent drafts it, the person sees a preview and confirms,
routines.yaml gains it (comments kept), and then its phrase runs it.

The model is scripted with FunctionModel; the house is served by a recording adapter (a
real plugin of the adapter API behind the real executor and policy; nothing of ours is
patched), because the point is what reaches the devices, counted exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pydantic_ai.models
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

from agent.llm.agent import HouseAgent
from agent.llm.settings import LLMSettings
from agent.understanding import Understander
from devices.blocking import BlockingRunner
from devices.capabilities import CommandSpec, CoverState, Domain, LightState, LockState, Params
from devices.entities import DeviceInfo, Entity, EntitySpec
from devices.plugin import Adapter, AdapterConfig, AdapterContext, Manifest
from devices.registry import Registry
from skills.actions import Requester, Role
from skills.executor import Executor
from skills.house import House
from skills.policy import Policy, PolicyConfig
from skills.routine_book import RoutineBook
from skills.routine_store import RoutineStore
from skills.routines import Routine, Step

ADMIN = Requester.local_admin()
ORIGINAL = """\
# hand-written; keep me
routines:
  - name: all off  # the big switch
    steps:
      - command: light.turn_off
"""


@pytest.fixture(autouse=True)
def no_model_requests() -> Iterator[None]:
    """No test here may reach a real model."""
    with pydantic_ai.models.override_allow_model_requests(False):
        yield


class RecordingAdapter(Adapter):
    manifest = Manifest(name="recording", title="Recording", domains=tuple(Domain))
    poll_interval = None

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self.calls: list[tuple[str, str, dict[str, object]]] = []

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        self.calls.append((entity.entity_id, command.name, params.model_dump(exclude_none=True)))


def build(tmp_path: Path) -> tuple[RoutineBook, RecordingAdapter, Path]:
    registry = Registry()
    registry.add_area("Living Room")
    registry.add_area("Entrance")
    specs = [
        ("Living Room", EntitySpec("l1", Domain.LIGHT, "Ceiling", frozenset({"brightness"}),
                                   state=LightState(state="on", brightness=80))),
        ("Living Room", EntitySpec("c1", Domain.COVER, "Shade", frozenset({"open", "close"}),
                                   state=CoverState(state="open", position=100))),
        ("Entrance", EntitySpec("d1", Domain.LOCK, "Front Door", state=LockState(state="locked"))),
    ]  # fmt: skip
    for area, spec in specs:
        info = DeviceInfo(unique_id=spec.unique_id, name=spec.name, suggested_area=area)
        registry.upsert_device("recording", info, [spec])
    adapter = RecordingAdapter(
        AdapterContext("recording", registry, BlockingRunner(2)), AdapterConfig()
    )
    house = House(
        registry, Policy(registry, PolicyConfig()), Executor(registry, {"recording": adapter})
    )
    path = tmp_path / "routines.yaml"
    path.write_text(ORIGINAL, encoding="utf-8")
    store = RoutineStore(path)
    return RoutineBook(house, store.routines(), store=store), adapter, path


Reply = Callable[[list[str]], ModelResponse]


class Script:
    """A FunctionModel that replies with the next step and keeps the tool results it saw."""

    def __init__(self, *steps: Reply) -> None:
        self.steps = list(steps)
        self.seen: list[list[str]] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        last = messages[-1]
        parts = last.parts if isinstance(last, ModelRequest) else []
        returns = [str(p.content) for p in parts if isinstance(p, ToolReturnPart)]
        self.seen.append(returns)
        return self.steps.pop(0)(returns)


def call(tool: str, **args: Any) -> Reply:
    return lambda _: ModelResponse(parts=[ToolCallPart(tool, args)])


def say(text: str) -> Reply:
    return lambda _: ModelResponse(parts=[TextPart(text)])


MOVIE = {
    "name": "movie night",
    "phrases": ["film time"],
    "steps": [
        {
            "command": "light.turn_on",
            "target": {"area": "Living Room"},
            "params": {"brightness": 20},
        },
        {"command": "cover.close", "target": {"area": "Living Room"}},
    ],
}


def agent(book: RoutineBook, script: Script) -> HouseAgent:
    return HouseAgent(
        book.house, book.routines, FunctionModel(script), settings=LLMSettings(model="test")
    )


async def test_drafted_previewed_confirmed_saved_then_run_by_its_phrase(tmp_path: Path) -> None:
    book, adapter, path = build(tmp_path)
    understander = Understander(book.house.registry, book.routines)
    book.on_change(lambda routines: understander.routines.__setitem__(slice(None), routines))
    script = Script(
        call("preview_routine", routine=MOVIE),
        call("save_routine", routine=MOVIE),
        say("Saved movie night."),
    )
    llm = agent(book, script)
    turn = await llm.run(
        "when I say film time, dim the living room to 20% and close the shades", ADMIN
    )

    preview = script.seen[1][0]
    assert "light.turn_on(brightness=20) on Living Room → Ceiling" in preview
    assert "cover.close() on Living Room → Shade" in preview
    assert turn.pending is not None
    assert turn.pending.question.startswith("Save this routine?\nRoutine 'movie night'")
    assert path.read_text(encoding="utf-8") == ORIGINAL  # nothing saved before the yes
    before = await understander.local("film time")
    assert before is None or before.source != "routine"

    done = await llm.resume(turn.pending.token, ADMIN, approve=True)
    assert done.reply == "Saved movie night."
    assert script.seen[2] == ["Saved routine 'movie night'. Say 'film time' to run it."]
    text = path.read_text(encoding="utf-8")
    assert text.startswith(ORIGINAL)
    assert [r.name for r in RoutineStore(path).routines()] == ["all off", "movie night"]

    understood = await understander.local("film time")
    assert understood is not None
    assert understood.source == "routine"
    assert understood.routine == "movie night"
    report = await book.run(understood.routine, ADMIN)
    assert adapter.calls == [
        ("light.ceiling", "light.turn_on", {"brightness": 20}),
        ("cover.shade", "cover.close", {}),
    ]
    assert all(r.ok for r in report.results)


async def test_denied_means_nothing_saved(tmp_path: Path) -> None:
    book, _, path = build(tmp_path)
    script = Script(call("save_routine", routine=MOVIE), say("Okay, not saved."))
    llm = agent(book, script)
    turn = await llm.run("make movie night", ADMIN)
    assert turn.pending is not None
    await llm.resume(turn.pending.token, ADMIN, approve=False)
    assert path.read_text(encoding="utf-8") == ORIGINAL
    assert [r.name for r in book.routines] == ["all off"]


@pytest.mark.parametrize(
    ("routine", "problem"),
    [
        (
            {"name": "pool", "steps": [{"command": "switch.turn_on"}]},
            "Not saved: Step 1 (switch.turn_on() on everything) targets nothing in this house",
        ),
        (
            {"name": "loop", "steps": [{"routine": "loop"}]},
            "Not saved: 'loop' ends up calling itself",
        ),
        (
            {"name": "x", "steps": [{"routine": "nowhere"}]},
            "Not saved: unknown routine 'nowhere' (routines: all off, x)",
        ),
        (
            {"name": "all off", "steps": [{"command": "light.turn_off"}]},
            "Not saved: There is already a routine called 'all off'.",
        ),
    ],
)
async def test_bad_routines_are_refused_with_a_reason(tmp_path: Path, routine, problem) -> None:
    book, _, path = build(tmp_path)
    script = Script(call("save_routine", routine=routine), say("I could not save that."))
    turn = await agent(book, script).run("make a routine", ADMIN)
    assert turn.pending is None
    assert script.seen[1][0].startswith(problem)
    assert path.read_text(encoding="utf-8") == ORIGINAL


async def test_a_sensitive_step_is_named_in_the_preview(tmp_path: Path) -> None:
    book, _, _ = build(tmp_path)
    routine = Routine(name="welcome", steps=[Step(command="lock.unlock")])
    draft = book.draft(routine, ADMIN)
    assert draft.sensitive == ["unlocking a door"]
    assert "Saving confirms them" in draft.preview
    guest = Requester(id="g", role=Role.GUEST)
    with pytest.raises(Exception, match="may not control Front Door"):
        book.draft(routine, guest)


async def test_rename_and_delete_from_chat(tmp_path: Path) -> None:
    book, _, path = build(tmp_path)
    script = Script(
        call("rename_routine", name="all off", new_name="lights out"),
        call("delete_routine", name="lights out"),
        say("Done."),
    )
    llm = agent(book, script)
    turn = await llm.run("rename all off to lights out, then delete it", ADMIN)
    assert script.seen[1] == ["Renamed 'all off' to 'lights out'."]
    assert "# the big switch" in path.read_text(encoding="utf-8")
    assert turn.pending is not None
    assert turn.pending.question == "Delete the routine 'lights out'?"
    await llm.resume(turn.pending.token, ADMIN, approve=True)
    assert book.routines == []
    assert "lights out" not in path.read_text(encoding="utf-8")
