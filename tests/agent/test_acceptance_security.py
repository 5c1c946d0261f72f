"""Issue 5's acceptance in the demo house: climate, the lock, the alarm and the patio door
over HomeKit, and the confirmation for unlocking and disarming on every path.

- Local intent: "disarm the alarm" waits; an authorised person's yes disarms it, a guest's
  yes is not accepted. ("unlock the front door" waiting is in test_demo.)
- An LLM tool call (FunctionModel, no real model) against the demo house's own lock and
  alarm: held until approved; approved it unlocks, denied the alarm stays armed.
- A routine created from chat: its preview names the unlock, nothing is saved before the
  yes, and once confirmed its phrase runs it without asking again.
- An admin's routine in routines.yaml runs without asking.

Everything is read back over HomeKit from the HAP-python accessories.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
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

from agent.app import Dobby
from agent.config import load_config
from agent.demo import run_demo, running_demo
from agent.llm.agent import HouseAgent
from agent.llm.settings import LLMSettings
from skills.actions import Requester, Role
from skills.house import ConfirmationError
from skills.routine_store import RoutineStore

CONFIG = Path(__file__).resolve().parents[2] / "config"
ADMIN = Requester.local_admin()
GUEST = Requester(id="guest", role=Role.GUEST, name="guest")


@pytest.fixture(autouse=True)
def no_model_requests() -> Iterator[None]:
    """No test here may reach a real model: the model is a FunctionModel script."""
    with pydantic_ai.models.override_allow_model_requests(False):
        yield


def by_id(states: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["entity_id"]: s for s in states}


def config_copy(tmp_path: Path) -> Path:
    """The shipped config in a directory of its own, so routines.yaml may change."""
    directory = tmp_path / "config"
    shutil.copytree(CONFIG, directory)
    return directory


async def demo(
    config: Path, state: Path, capsys: pytest.CaptureFixture[str], *says: str
) -> list[Any]:
    code = await run_demo(load_config(config), state, list(says), dry_run=False, json_out=True)
    assert code == 0
    return [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]


@asynccontextmanager
async def demo_house(config: Path, state: Path) -> AsyncIterator[Dobby]:
    """The demo house and Dobby in this process, as `dobby demo` starts them."""
    async with running_demo(load_config(config), state) as demo:
        assert demo.missing == []
        yield demo.dobby


async def state_of(dobby: Dobby, entity_id: str) -> str:
    """An entity's state, read back from the device now."""
    await dobby.settle(10)
    return str(by_id(dobby.states())[entity_id]["state"])


Step = Callable[[list[str]], ModelResponse]


class Script:
    """A FunctionModel script: the next reply each time, and the tool results it was sent."""

    def __init__(self, *steps: Step) -> None:
        self.steps = list(steps)
        self.seen: list[list[str]] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        last = messages[-1]
        parts = last.parts if isinstance(last, ModelRequest) else []
        self.seen.append([str(p.content) for p in parts if isinstance(p, ToolReturnPart)])
        return self.steps.pop(0)(self.seen[-1])


def call(tool: str, **args: Any) -> Step:
    return lambda _: ModelResponse(parts=[ToolCallPart(tool, args)])


def say(text: str) -> Step:
    return lambda _: ModelResponse(parts=[TextPart(text)])


def give_model(dobby: Dobby, script: Script) -> None:
    """The LLM path of this Dobby, with a scripted model instead of a configured one."""
    dobby.understander.llm = HouseAgent(
        dobby.house,
        dobby.config.routines.routines,
        FunctionModel(script),
        settings=LLMSettings(model="function"),
    )


async def test_climate_alarm_and_patio_door_sentences(tmp_path: Path, capsys) -> None:
    which, setpoint, reading, patio, arm, cool, states = await demo(
        CONFIG,
        tmp_path,
        capsys,
        "set the temperature to 19",
        "set the thermostat to 19",
        "what's the temperature in the hallway?",
        "is the patio door open?",
        "arm the alarm for the night",
        "set the thermostat to cool",
    )
    # No place named: a room's heating is meant, not the pool heat; the hallway has two
    # since its Zigbee corner (a radiator valve), so Dobby asks which.
    assert which["actions"] == []
    assert which["reply"] == "Did you mean Hallway Radiator or Hallway Thermostat?"
    assert setpoint["actions"] == [
        {
            "entity_id": "climate.hallway_thermostat",
            "command": "climate.set_temperature",
            "params": {"temperature": 19},
        }
    ]
    assert setpoint["reply"] == "Setting Hallway Thermostat to 19 °C."
    assert reading["intent"] == "HassClimateGetTemperature"
    assert reading["actions"] == []
    # The reading comes before the setpoint change lands on the accessory or after it.
    assert re.fullmatch(
        r"Hallway Radiator: 20 °C, set to 21 °C\. "
        r"Hallway Thermostat: 20\.5 °C, set to (21|19) °C\.",
        reading["reply"],
    )
    assert patio["reply"] == "No, Patio Door is closed."
    assert arm["actions"] == [
        {
            "entity_id": "alarm_panel.house_alarm",
            "command": "alarm_panel.arm",
            "params": {"mode": "night"},
        }
    ]
    assert arm["needs_confirmation"] is False
    assert cool["actions"] == [
        {
            "entity_id": "climate.hallway_thermostat",
            "command": "climate.set_hvac_mode",
            "params": {"hvac_mode": "cool"},
        }
    ]
    for said in (setpoint, arm, cool):
        assert [r["ok"] for r in said["results"]] == [True], said
    house = by_id(states)
    thermostat = house["climate.hallway_thermostat"]
    assert (thermostat["state"], thermostat["attributes"]["temperature"]) == ("cool", 19)
    assert house["alarm_panel.house_alarm"]["state"] == "armed_night"
    assert house["binary_sensor.patio_door"]["state"] == "off"
    # The pool heat was not touched by "the temperature".
    assert house["climate.pool_heater"]["attributes"]["temperature"] == 27


async def test_local_disarm_waits_for_an_authorised_yes(tmp_path: Path) -> None:
    async with demo_house(CONFIG, tmp_path) as dobby:
        armed = await dobby.handle("arm the alarm for the night", ADMIN)
        assert [r["ok"] for r in armed.results] == [True]
        assert await state_of(dobby, "alarm_panel.house_alarm") == "armed_night"

        disarm = await dobby.handle("disarm the alarm", ADMIN)
        assert disarm.source == "intent"
        assert disarm.needs_confirmation is True
        assert disarm.results == []
        assert disarm.reply == "Disarm the House Alarm? It needs a confirmation."
        assert disarm.confirmation is not None
        assert await state_of(dobby, "alarm_panel.house_alarm") == "armed_night"

        with pytest.raises(ConfirmationError, match="A guest may not"):
            await dobby.confirm(disarm.confirmation, GUEST, approve=True)
        assert await state_of(dobby, "alarm_panel.house_alarm") == "armed_night"

        done = await dobby.confirm(disarm.confirmation, ADMIN, approve=True)
        assert [(r["entity_id"], r["ok"]) for r in done.results] == [
            ("alarm_panel.house_alarm", True)
        ]
        assert await state_of(dobby, "alarm_panel.house_alarm") == "disarmed"
        with pytest.raises(ConfirmationError):  # once only
            await dobby.confirm(disarm.confirmation, ADMIN, approve=True)


async def test_llm_unlock_and_disarm_wait_for_approval_on_the_demo_house(tmp_path: Path) -> None:
    async with demo_house(CONFIG, tmp_path) as dobby:
        locked = await dobby.handle("lock the front door", ADMIN)
        assert [r["ok"] for r in locked.results] == [True]
        assert await state_of(dobby, "lock.front_door") == "locked"
        await dobby.handle("arm the alarm for the night", ADMIN)
        assert await state_of(dobby, "alarm_panel.house_alarm") == "armed_night"

        script = Script(
            call("control_lock", entity_ids=["lock.front_door"], action="unlock"),
            say("The front door is unlocked."),
            call("control_alarm_panel", entity_ids=["alarm_panel.house_alarm"], action="disarm"),
            say("Okay, the alarm stays armed."),
        )
        give_model(dobby, script)
        text = "my sister is at the door, let her in"
        assert await dobby.understander.local(text) is None  # for the LLM, not local intents
        unlock = await dobby.handle(text, ADMIN)
        assert unlock.source == "llm"
        assert unlock.needs_confirmation is True
        assert unlock.results == []
        assert "unlocking a door" in unlock.reply
        assert unlock.confirmation is not None
        assert await state_of(dobby, "lock.front_door") == "locked"  # held, not sent

        with pytest.raises(ConfirmationError, match="A guest may not"):
            await dobby.confirm(unlock.confirmation, GUEST, approve=True)
        approved = await dobby.confirm(unlock.confirmation, ADMIN, approve=True)
        assert approved.reply == "The front door is unlocked."
        assert [(r["entity_id"], r["ok"]) for r in approved.results] == [("lock.front_door", True)]
        assert await state_of(dobby, "lock.front_door") == "unlocked"

        disarm = await dobby.handle("turn the security off, we're back", ADMIN)
        assert disarm.source == "llm"
        assert disarm.needs_confirmation is True
        assert "disarming the alarm" in disarm.reply
        assert disarm.confirmation is not None
        denied = await dobby.confirm(disarm.confirmation, ADMIN, approve=False)
        assert denied.results == []
        assert await state_of(dobby, "alarm_panel.house_alarm") == "armed_night"


WELCOME = {
    "name": "welcome home",
    "phrases": ["we are home"],
    "steps": [{"command": "lock.unlock", "target": {"name": "Front Door"}}],
}


async def test_a_routine_made_in_chat_is_confirmed_once_then_runs_without_asking(
    tmp_path: Path,
) -> None:
    config = config_copy(tmp_path)
    routines_file = config / "routines.yaml"
    original = routines_file.read_text(encoding="utf-8")
    async with demo_house(config, tmp_path / "state") as dobby:
        await dobby.handle("lock the front door", ADMIN)
        assert await state_of(dobby, "lock.front_door") == "locked"
        script = Script(
            call("preview_routine", routine=WELCOME),
            call("save_routine", routine=WELCOME),
            say("Saved welcome home."),
        )
        give_model(dobby, script)
        made = await dobby.handle("when we say we are home, unlock the front door", ADMIN)
        preview = script.seen[1][0]
        assert "lock.unlock() on Front Door → Front Door" in preview
        assert "Sensitive: unlocking a door." in preview
        assert made.needs_confirmation is True
        assert made.reply.startswith("Save this routine?\nRoutine 'welcome home'")
        assert "Sensitive: unlocking a door." in made.reply
        assert made.confirmation is not None
        # Nothing saved and nothing unlocked before the yes.
        assert routines_file.read_text(encoding="utf-8") == original
        before = await dobby.understander.local("we are home")
        assert before is None or before.source != "routine"
        assert await state_of(dobby, "lock.front_door") == "locked"

        saved = await dobby.confirm(made.confirmation, ADMIN, approve=True)
        assert saved.reply == "Saved welcome home."
        assert routines_file.read_text(encoding="utf-8").startswith(original)
        assert "welcome home" in [r.name for r in RoutineStore(routines_file).routines()]

        ran = await dobby.handle("we are home", ADMIN)
        assert ran.source == "routine"
        assert ran.needs_confirmation is False
        assert [(r["entity_id"], r["command"], r["ok"]) for r in ran.results] == [
            ("lock.front_door", "lock.unlock", True)
        ]
        assert await state_of(dobby, "lock.front_door") == "unlocked"


async def test_a_guest_cannot_make_a_routine_that_unlocks(tmp_path: Path) -> None:
    config = config_copy(tmp_path)
    original = (config / "routines.yaml").read_text(encoding="utf-8")
    async with demo_house(config, tmp_path / "state") as dobby:
        script = Script(call("save_routine", routine=WELCOME), say("I could not save that."))
        give_model(dobby, script)
        made = await dobby.handle("when we say we are home, unlock the front door", GUEST)
        assert made.needs_confirmation is False
        assert script.seen[1][0] == (
            "Not saved: The house rules refuse this: a guest may not control Front Door."
        )
        assert (config / "routines.yaml").read_text(encoding="utf-8") == original


ADMIN_ROUTINE = """
  - name: welcome home
    phrases: [we are home]
    description: The front door opens for the family (an admin wrote this).
    steps:
      - command: lock.unlock
        target: {name: Front Door}
"""


async def test_an_admins_routine_in_routines_yaml_runs_without_asking(
    tmp_path: Path, capsys
) -> None:
    config = config_copy(tmp_path)
    with (config / "routines.yaml").open("a", encoding="utf-8") as routines:
        routines.write(ADMIN_ROUTINE)
    locked, welcome, states = await demo(
        config, tmp_path / "state", capsys, "lock the front door", "we are home"
    )
    assert [r["ok"] for r in locked["results"]] == [True]
    assert welcome["source"] == "routine"
    assert welcome["routine"] == "welcome home"
    assert welcome["needs_confirmation"] is False
    assert [(r["entity_id"], r["command"], r["ok"]) for r in welcome["results"]] == [
        ("lock.front_door", "lock.unlock", True)
    ]
    assert "Please confirm" not in welcome["reply"]
    assert by_id(states)["lock.front_door"]["state"] == "unlocked"
