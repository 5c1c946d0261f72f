"""Issue 8's acceptance in the demo house: the Pentair pool (screenlogicpy against the
emulated gateway) and the alarm, as HomeKit or as a wired Envisalink panel (pyenvisalink
against the emulated TPI).

The pool heater's changes wait for a confirmation because config/home.yaml's policy says
so; a pool setpoint above the configured 34 °C is refused, naming the limit.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from agent.app import Dobby
from agent.config import load_config
from agent.demo import run_demo, running_demo
from skills.actions import Requester

CONFIG = Path(__file__).resolve().parents[2] / "config"
ADMIN = Requester.local_admin()
HEATER_HELD = "Set the Pool Heater to 28°? It needs a confirmation."


def by_id(states: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["entity_id"]: s for s in states}


async def demo(tmp_path: Path, capsys: pytest.CaptureFixture[str], *says: str) -> list[Any]:
    code = await run_demo(load_config(CONFIG), tmp_path, list(says), dry_run=False, json_out=True)
    assert code == 0
    return [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]


@asynccontextmanager
async def demo_house(state: Path) -> AsyncIterator[Dobby]:
    """The demo house and Dobby in this process, as `dobby demo` starts them."""
    async with running_demo(load_config(CONFIG), state) as demo:
        assert demo.missing == []
        yield demo.dobby


def heater(dobby: Dobby) -> tuple[str, float]:
    entity = by_id(dobby.states())["climate.pool_heater"]
    return entity["state"], entity["attributes"]["temperature"]


async def test_pool_and_alarm_sentences(tmp_path: Path, capsys) -> None:
    heat, warm, pump, arm, garage, window, too_hot, states = await demo(
        tmp_path,
        capsys,
        "turn on the pool heater to 28",
        "is the pool warm?",
        "turn off the pool pump",
        "arm the alarm",
        "is the garage door open?",
        "is the window open?",
        "set the pool heater to 35",
    )
    # The household's policy holds pool heater changes for a confirmation.
    assert heat["source"] == "intent"
    assert heat["actions"] == [
        {
            "entity_id": "climate.pool_heater",
            "command": "climate.set_temperature",
            "params": {"temperature": 28},
        }
    ]
    assert heat["needs_confirmation"] is True
    assert heat["results"] == []
    assert HEATER_HELD in heat["reply"]

    assert warm["intent"] == "HassClimateGetTemperature"
    assert warm["actions"] == []
    # The water warms toward the setpoint while the demo runs: any reading, set to 27.
    assert re.fullmatch(r"Pool Heater: \d+(\.\d)? °C, set to 27 °C\.", warm["reply"]), warm

    assert pump["actions"] == [
        {"entity_id": "switch.pool_pump", "command": "switch.turn_off", "params": {}}
    ]
    assert [r["ok"] for r in pump["results"]] == [True]

    assert arm["actions"] == [
        {
            "entity_id": "alarm_panel.house_alarm",
            "command": "alarm_panel.arm",
            "params": {"mode": "away"},
        }
    ]
    assert [r["ok"] for r in arm["results"]] == [True]

    assert garage["source"] == "intent"
    assert garage["actions"] == []
    assert garage["reply"] == "No, Garage Door is closed."
    assert (window["source"], window["actions"]) == ("intent", [])
    assert window["reply"] == "There is no window in this house."

    assert too_hot["results"] == []
    assert too_hot["needs_confirmation"] is False
    assert "35° is outside the allowed range for Pool Heater (10° to 34°)" in too_hot["reply"]

    house = by_id(states)
    pool_heat = house["climate.pool_heater"]
    assert (pool_heat["state"], pool_heat["attributes"]["temperature"]) == ("heat", 27)
    assert house["switch.pool_pump"]["state"] == "off"
    assert house["light.pool_light"]["state"] == "off"
    assert house["alarm_panel.house_alarm"]["state"] == "armed_away"


async def test_pool_heater_runs_once_approved_and_turns_on_from_off(tmp_path: Path) -> None:
    async with demo_house(tmp_path) as dobby:
        held = await dobby.handle("turn on the pool heater to 28", ADMIN)
        assert held.needs_confirmation is True
        assert held.confirmation is not None
        await dobby.refresh()
        assert heater(dobby) == ("heat", 27)
        done = await dobby.confirm(held.confirmation, ADMIN, approve=True)
        assert [(r["command"], r["ok"]) for r in done.results] == [
            ("climate.set_temperature", True)
        ]
        await dobby.refresh()
        assert heater(dobby) == ("heat", 28)

        off = await dobby.handle("turn off the pool heater", ADMIN)
        assert [(r["command"], r["ok"]) for r in off.results] == [("climate.turn_off", True)]
        await dobby.refresh()
        assert heater(dobby)[0] == "off"

        # "turn on ... to 29" on a heater that is off: heat mode and the setpoint, both held.
        on = await dobby.handle("turn on the pool heater to 29", ADMIN)
        assert [(a.command, a.params) for a in on.actions] == [
            ("climate.set_hvac_mode", {"hvac_mode": "heat"}),
            ("climate.set_temperature", {"temperature": 29}),
        ]
        assert on.needs_confirmation is True
        assert on.confirmation is not None
        await dobby.refresh()
        assert heater(dobby) == ("off", 28)
        approved = await dobby.confirm(on.confirmation, ADMIN, approve=True)
        assert [r["ok"] for r in approved.results] == [True, True]
        await dobby.refresh()
        assert heater(dobby) == ("heat", 29)


def test_the_demo_runs_the_alarm_as_an_envisalink_panel(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent",
            "demo",
            "--alarm",
            "envisalink",
            "--say",
            "arm the alarm for the night",
            "--json",
            "--state",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
        cwd=CONFIG.parent,
    )
    assert result.returncode == 0, result.stderr
    said, states = (json.loads(line) for line in result.stdout.strip().splitlines())
    assert said["actions"] == [
        {
            "entity_id": "alarm_panel.house_alarm",
            "command": "alarm_panel.arm",
            "params": {"mode": "night"},
        }
    ]
    assert [r["ok"] for r in said["results"]] == [True]
    house = by_id(states)
    # The wired panel's zones stand in for HomeKit's patio door: the motion zone is its own
    # (the hallway door is the Zigbee corner's sensor, no zone of the panel; the side door
    # is behind the HomeKit bridge, which stays).
    assert {e for e in house if e.startswith(("alarm_panel.", "binary_sensor."))} == {
        "alarm_panel.house_alarm",
        "binary_sensor.patio_door",
        "binary_sensor.hallway_motion",
        "binary_sensor.hallway_door",
        "binary_sensor.side_door",
    }
    assert house["alarm_panel.house_alarm"]["state"] == "armed_night"  # read back over the TPI
    assert house["alarm_panel.house_alarm"]["available"] is True
