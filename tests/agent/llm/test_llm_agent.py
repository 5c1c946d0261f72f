"""The LLM agent with scripted models: tool calls become actions through the one path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.test import TestModel

from agent.llm.agent import ERROR_REPLY, LIMIT_REPLY, HouseAgent
from agent.llm.settings import LLMSettings
from agent.understanding import Understander
from skills.actions import Requester, Role
from skills.house import ConfirmationError

Step = Callable[[list[str]], ModelResponse]
"""One scripted model reply, given the tool results the model just received."""


class Script:
    """A FunctionModel that replies with the next step and keeps what it was shown."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.seen: list[list[str]] = []
        self.instructions: list[str | None] = []
        self.tools: list[list[str]] = []
        self.prompts: list[list[str]] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        last = messages[-1]
        returns = [
            str(p.content)
            for p in (last.parts if isinstance(last, ModelRequest) else [])
            if isinstance(p, ToolReturnPart)
        ]
        self.seen.append(returns)
        self.instructions.append(info.instructions)
        self.tools.append([t.name for t in info.function_tools])
        self.prompts.append(
            [str(p.content) for m in messages for p in m.parts if p.part_kind == "user-prompt"]
        )
        return self.steps.pop(0)(returns)

    @property
    def model(self) -> FunctionModel:
        return FunctionModel(self)


def call(tool: str, **args: Any) -> Step:
    return lambda _: ModelResponse(parts=[ToolCallPart(tool, args)])


def say(text: str) -> Step:
    return lambda _: ModelResponse(parts=[TextPart(text)])


ADMIN = Requester.local_admin()
GUEST = Requester(id="guest", role=Role.GUEST)


def agent_for(home: Any, model: Any, **settings: Any) -> HouseAgent:
    return HouseAgent(
        home.house, home.routines, model, settings=LLMSettings(model="test", **settings)
    )


async def test_find_then_control_then_reply(llm_home):
    def control_found(returns: list[str]) -> ModelResponse:
        assert "light.kitchen_ceiling" in returns[0]
        return ModelResponse(
            parts=[
                ToolCallPart(
                    "control_light",
                    {"entity_ids": ["light.kitchen_ceiling"], "brightness": 40},
                )
            ]
        )

    script = Script(call("find_entities", name="kitchen ceiling"), control_found, say("Done."))
    turn = await agent_for(llm_home, script.model).run("dim the kitchen a bit", ADMIN)

    assert llm_home.adapter.calls == [
        ("light.kitchen_ceiling", "light.turn_on", {"brightness": 40})
    ]
    assert [r.ok for r in turn.results] == [True]
    assert turn.reply == "Done."
    assert "Done: turn on on Kitchen Ceiling" in script.seen[2][0]
    assert llm_home.registry.entities["light.kitchen_ceiling"].state.state == "on"
    assert turn.usage["requests"] == 3


async def test_dry_run_plans_without_executing(llm_home):
    script = Script(
        call("control_lock", entity_ids=["lock.front_door"], action="unlock"),
        call("control_switch", entity_ids=["switch.fairy_lights"], action="turn_on"),
        say("I would unlock the front door and turn on the fairy lights."),
    )
    understander = Understander(
        llm_home.registry, llm_home.routines, llm=agent_for(llm_home, script.model)
    )
    understood = await understander.understand("unlock and lights", ADMIN)

    assert understood.source == "llm"
    assert [(a.entity_id, a.command) for a in understood.actions] == [
        ("lock.front_door", "lock.unlock"),
        ("switch.fairy_lights", "switch.turn_on"),
    ]
    assert llm_home.adapter.calls == []
    assert "Would ask a person to confirm: unlocking a door" in script.seen[1][0]
    assert understood.model_dump(mode="json").keys() >= {"text", "source", "actions", "reply"}


async def test_local_understanding_never_reaches_the_model(llm_home):
    script = Script()  # any request would fail: the script has no step
    understander = Understander(
        llm_home.registry, llm_home.routines, llm=agent_for(llm_home, script.model)
    )
    understood = await understander.understand("movie time", ADMIN)
    assert understood.source == "routine"
    assert script.seen == []


@pytest.mark.parametrize("llm_first", [False, True])
async def test_something_for_later_never_goes_to_the_model(llm_home, llm_first):
    """The model has no clock: "in 20 minutes ..." handed to it would be done now."""
    script = Script()  # any request would fail: the script has no step
    understander = Understander(
        llm_home.registry,
        llm_home.routines,
        llm=agent_for(llm_home, script.model, llm_first=llm_first),
    )
    understood = await understander.understand("in 20 minutes let my sister in", ADMIN)
    assert understood.source == "none"
    assert understood.at is None
    assert understood.actions == []
    assert understood.reply.startswith(
        "I can do things later only when I understand them myself, and I did not understand "
        '"let my sister in".'
    )
    later = await understander.understand("in 20 minutes movie time", ADMIN)
    assert (later.source, later.routine, later.at is not None) == ("routine", "movie time", True)
    assert script.seen == []


async def test_unlock_waits_for_approval_and_runs_once(llm_home):
    script = Script(
        call("control_lock", entity_ids=["lock.front_door"], action="unlock"),
        lambda returns: ModelResponse(parts=[TextPart(f"Result: {returns[0]}")]),
    )
    agent = agent_for(llm_home, script.model)
    turn = await agent.run("let the plumber in", ADMIN)

    assert turn.pending is not None
    assert "unlocking a door" in turn.pending.question
    assert turn.pending.actions == ["lock.unlock() on lock.front_door"]
    assert llm_home.adapter.calls == []

    with pytest.raises(ConfirmationError, match="guest may not approve"):
        await agent.resume(turn.pending.token, GUEST, approve=True)
    assert llm_home.adapter.calls == []

    done = await agent.resume(turn.pending.token, ADMIN, approve=True)
    assert llm_home.adapter.calls == [("lock.front_door", "lock.unlock", {})]
    assert done.reply.startswith("Result: Done: unlock on Front Door")
    assert [r.ok for r in done.results] == [True]
    assert llm_home.registry.entities["lock.front_door"].state.state == "unlocked"

    with pytest.raises(ConfirmationError, match="already answered"):
        await agent.resume(turn.pending.token, ADMIN, approve=True)
    assert len(llm_home.adapter.calls) == 1


async def test_denied_unlock_does_nothing(llm_home):
    script = Script(
        call("control_alarm_panel", entity_ids=["alarm_panel.house_alarm"], action="disarm"),
        lambda returns: ModelResponse(parts=[TextPart(f"Told: {returns[0]}")]),
    )
    agent = agent_for(llm_home, script.model)
    turn = await agent.run("turn the alarm off", ADMIN)
    assert turn.pending is not None
    assert "disarming the alarm" in turn.pending.question

    done = await agent.resume(turn.pending.token, ADMIN, approve=False)
    assert llm_home.adapter.calls == []
    assert done.results == []
    assert "declined" in done.reply
    assert agent.pending(turn.pending.token) is None


async def test_setpoint_out_of_bounds_gets_the_policys_refusal(llm_home):
    script = Script(
        call("control_climate", entity_ids=["climate.hallway_thermostat"], temperature=35),
        lambda returns: ModelResponse(parts=[TextPart(returns[0])]),
    )
    turn = await agent_for(llm_home, script.model).run("make it tropical", ADMIN)

    assert llm_home.adapter.calls == []
    assert "outside the allowed range" in turn.reply
    assert "10° to 30°" in turn.reply
    assert turn.refused
    assert "35°" in turn.refused[0]
    assert turn.pending is None


async def test_guest_is_refused_by_the_policy_not_the_prompt(llm_home):
    script = Script(
        call("control_lock", entity_ids=["lock.front_door"], action="unlock"),
        lambda returns: ModelResponse(parts=[TextPart(returns[0])]),
    )
    turn = await agent_for(llm_home, script.model).run("unlock the front door", GUEST)
    assert turn.pending is None
    assert "guest may not control Front Door" in turn.reply
    assert llm_home.adapter.calls == []


async def test_unknown_entity_and_bad_parameters_are_explained(llm_home):
    script = Script(
        call("control_media_player", entity_ids=["media_player.attic"], action="pause"),
        call("control_media_player", entity_ids=["media_player.kitchen_speaker"],
             action="set_volume"),
        lambda returns: ModelResponse(parts=[TextPart(returns[0])]),
    )  # fmt: skip
    turn = await agent_for(llm_home, script.model).run("quiet", ADMIN)
    assert "There is no media_player.attic" in script.seen[1][0]
    assert "volume" in turn.reply
    assert llm_home.adapter.calls == []


async def test_usage_limit_stops_the_turn_with_a_clear_reply(llm_home):
    forever = [call("get_state", entity_ids=["lock.front_door"]) for _ in range(10)]
    agent = agent_for(llm_home, Script(*forever).model, llm_max_requests=2)
    turn = await agent.run("keep looking", ADMIN)
    assert turn.failed
    assert turn.reply == LIMIT_REPLY


async def test_model_error_apologises_and_changes_nothing(llm_home):
    def broken(returns: list[str]) -> ModelResponse:
        raise ModelHTTPError(503, "fake")

    turn = await agent_for(llm_home, Script(broken).model).run("anything", ADMIN)
    assert turn.failed
    assert turn.reply == ERROR_REPLY
    assert llm_home.adapter.calls == []


async def test_test_model_sees_only_tools_for_domains_the_house_has(llm_home):
    for entity_id in ("lock.front_door", "alarm_panel.house_alarm"):
        del llm_home.registry.entities[entity_id]
    model = TestModel(call_tools=["find_entities", "list_routines"])
    turn = await agent_for(llm_home, model).plan("which routines are there?", ADMIN)

    assert model.last_model_request_parameters is not None
    names = {t.name for t in model.last_model_request_parameters.function_tools}
    assert {"find_entities", "get_state", "control_light", "control_cover"} <= names
    assert "control_lock" not in names
    assert "control_alarm_panel" not in names
    assert "movie time" in turn.reply
    assert turn.actions == []


async def test_run_routine_goes_through_the_policy(llm_home):
    script = Script(
        call("run_routine", name="Movie Time"), lambda r: ModelResponse([TextPart(r[0])])
    )
    turn = await agent_for(llm_home, script.model).run("film night", ADMIN)
    assert turn.reply.startswith("Routine movie time: Done: turn off on Fairy Lights")
    assert llm_home.adapter.calls == [("switch.fairy_lights", "switch.turn_off", {})]


async def test_follow_up_sees_the_earlier_turn(llm_home):
    script = Script(
        call("control_switch", entity_ids=["switch.fairy_lights"], action="turn_on"),
        say("On."),
        say("Still there."),
    )
    agent = agent_for(llm_home, script.model)
    await agent.run("fairy lights on", ADMIN)
    await agent.run("and again", ADMIN)
    assert script.prompts[-1] == ["fairy lights on", "and again"]
    assert llm_home.adapter.calls == [("switch.fairy_lights", "switch.turn_on", {})]


# -- which tools a turn is shown ---------------------------------------------------------

CONTROL = ("control_light", "control_switch", "control_media_player", "control_climate")
EDITING = ("show_routine", "preview_routine", "save_routine", "rename_routine")


async def test_a_turn_is_shown_the_control_tools_of_what_it_is_about(llm_home):
    script = Script(say("Which one?"), say("Okay."), say("Gut."))
    agent = agent_for(llm_home, script.model)
    await agent.plan("dim the kitchen ceiling", ADMIN)
    await agent.plan("it is too cold in here", ADMIN)
    await agent.plan("Mach die Jalousien runter", ADMIN)
    lamps, warmth, blinds = (set(tools) for tools in script.tools)
    assert "control_cover" in blinds
    assert not blinds & {"control_light", "control_climate", "control_lock"}
    assert {"find_entities", "get_state", "run_routine", "control_light"} <= lamps
    assert not lamps & {*CONTROL[1:], "control_lock", "control_cover", *EDITING}
    assert "control_climate" in warmth
    assert "control_light" not in warmth


async def test_a_domain_the_model_finds_gets_its_tool_at_the_next_step(llm_home):
    script = Script(
        call("find_entities", name="garage door"),
        call("control_cover", entity_ids=["cover.garage_door"], action="close"),
        say("Closing it."),
    )
    turn = await agent_for(llm_home, script.model).plan(
        "kitchen ceiling on, and shut the other thing", ADMIN
    )
    assert "control_cover" not in script.tools[0]
    assert "control_cover" in script.tools[1]
    assert [(a.entity_id, a.command) for a in turn.actions] == [
        ("cover.garage_door", "cover.close")
    ]


async def test_routine_editing_tools_only_in_a_conversation_about_routines(llm_home):
    script = Script(say("Sure: what should it do?"), say("Okay."), say("Done."))
    agent = agent_for(llm_home, script.model)
    await agent.run("turn on the fairy lights", ADMIN, chat="c")
    await agent.run("make a new routine for the mornings", ADMIN, chat="c")
    await agent.run("at seven, every weekday", ADMIN, chat="c")
    plain, asked, follow_up = (set(tools) for tools in script.tools)
    assert not plain & set(EDITING)
    assert "list_routines" not in plain  # the context names every routine already
    assert set(EDITING) <= asked
    assert set(EDITING) <= follow_up


async def test_an_unclear_message_is_shown_every_control_tool(llm_home):
    script = Script(say("What would you like?"))
    await agent_for(llm_home, script.model).plan("help me out", ADMIN)
    assert {*CONTROL, "control_lock", "control_cover", "control_alarm_panel"} <= set(
        script.tools[0]
    )


async def test_the_history_tool_answers_why_from_the_audit_log(llm_home, tmp_path):
    from skills.actions import Action, Plan
    from skills.actions import Path as ActionPath
    from skills.audit import AuditLog

    llm_home.house.executor.audit = AuditLog(tmp_path / "dobby.db")
    alice = Requester("telegram:1", Role.ADMIN, "Alice", "telegram", "1")
    plan = Plan(
        [Action(entity_id="switch.fairy_lights", command="switch.turn_on")],
        alice,
        ActionPath.ROUTINE,
        routine="movie time",
    )
    await llm_home.house.carry_out(plan)

    def answered(returns: list[str]) -> ModelResponse:
        assert "'who': 'Alice'" in returns[0]
        assert "movie time" in returns[0]
        return ModelResponse(parts=[TextPart("Movie time turned them on; Alice asked.")])

    script = Script(call("audit_log", entity_id="switch.fairy_lights", when="today"), answered)
    turn = await agent_for(llm_home, script.model).run("why are the fairy lights on?", ADMIN)
    assert turn.reply == "Movie time turned them on; Alice asked."
    assert "audit_log" in script.tools[0]
    assert turn.actions == []  # asking changes nothing

    script = Script(say("Done."))
    await agent_for(llm_home, script.model).run("dim the kitchen ceiling a bit", ADMIN)
    assert "audit_log" not in script.tools[0]  # not a question about the past
    llm_home.house.executor.audit.close()


async def test_the_model_is_told_the_name_the_household_calls_its_assistant(llm_home):
    script = Script(say("Hello."))
    agent = HouseAgent(
        llm_home.house,
        llm_home.routines,
        script.model,
        settings=LLMSettings(model="test"),
        name="Jeeves",
    )
    await agent.run("hello", ADMIN)
    [instructions] = script.instructions
    assert instructions is not None
    assert instructions.startswith("You are Jeeves, a household's assistant.")
    assert "Dobby" not in instructions
