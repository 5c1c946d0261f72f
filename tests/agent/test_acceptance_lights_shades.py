"""Issue 4's acceptance in the demo house: lights and shades do what a sentence says, and a
shade asked for 150% or a colour the bulb cannot show is refused with the reason, with
nothing sent to the device.

Everything runs the real demo house: its emulators on loopback, found by normal discovery,
read back through aiohue, aiolifx and aiopvapi.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from agent.app import Dobby
from agent.config import load_config
from agent.demo import run_demo, running_demo
from devices.adapters.hue.emulator import HueBridgeEmulator
from devices.virtual_house import VirtualHouse
from skills.actions import Action, Plan, Requester
from skills.actions import Path as ActionPath

CONFIG = Path(__file__).resolve().parents[2] / "config"
ADMIN = Requester.local_admin()


def by_id(states: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["entity_id"]: s for s in states}


async def demo(tmp_path: Path, capsys: pytest.CaptureFixture[str], *says: str) -> list[Any]:
    code = await run_demo(load_config(CONFIG), tmp_path, list(says), dry_run=False, json_out=True)
    assert code == 0
    return [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]


@asynccontextmanager
async def demo_house(state: Path) -> AsyncIterator[tuple[VirtualHouse, Dobby]]:
    """The demo house and Dobby in this process, as `dobby demo` starts them."""
    async with running_demo(load_config(CONFIG), state) as demo:
        assert demo.missing == []
        yield demo.house, demo.dobby


def light(dobby: Dobby, entity_id: str) -> tuple[str, int | None, int | None]:
    entity = by_id(dobby.states())[entity_id]
    attributes = entity["attributes"]
    return entity["state"], attributes.get("brightness"), attributes.get("color_temp_kelvin")


async def test_kitchen_floor_lamp_and_blackout_do_what_they_say(tmp_path: Path, capsys) -> None:
    kitchen, lamp, blackout, states = await demo(
        tmp_path,
        capsys,
        "set the kitchen to 30%",
        "make the floor lamp warm white",
        "open the bedroom blackout halfway",
    )
    assert sorted((a["entity_id"], a["command"], a["params"]) for a in kitchen["actions"]) == [
        ("light.counter_strip", "light.turn_on", {"brightness": 30}),
        ("light.kitchen_pendant", "light.turn_on", {"brightness": 30}),
    ]
    assert lamp["actions"] == [
        {
            "entity_id": "light.floor_lamp",
            "command": "light.turn_on",
            "params": {"color_temp_kelvin": 2700},
        }
    ]
    assert blackout["actions"] == [
        {
            "entity_id": "cover.bedroom_blackout",
            "command": "cover.set_position",
            "params": {"position": 50},
        }
    ]
    for said in (kitchen, lamp, blackout):
        assert said["results"], said
        assert all(r["ok"] for r in said["results"]), said
    house = by_id(states)
    # Read back through aiohue (the pendant) and aiolifx (the strip): both at 30%.
    for entity_id in ("light.kitchen_pendant", "light.counter_strip"):
        assert (house[entity_id]["state"], house[entity_id]["attributes"]["brightness"]) == (
            "on",
            30,
        )
    floor_lamp = house["light.floor_lamp"]["attributes"]
    assert abs(floor_lamp["color_temp_kelvin"] - 2700) < 20  # within a mirek step
    assert floor_lamp["brightness"] == 40
    # The demo settles moving shades before it reads them: the blackout has arrived.
    assert position(house, "cover.bedroom_blackout") == ("open", 50)
    assert position(house, "cover.living_room_shade") == ("open", 100)
    assert light_state(house, "light.living_room_ceiling") == ("on", 80)
    assert light_state(house, "light.bedside_lamp") == ("off", None)


def position(house: dict[str, dict[str, Any]], entity_id: str) -> tuple[str, int | None]:
    return house[entity_id]["state"], house[entity_id]["attributes"].get("position")


def light_state(house: dict[str, dict[str, Any]], entity_id: str) -> tuple[str, int | None]:
    return house[entity_id]["state"], house[entity_id]["attributes"].get("brightness")


async def test_warm_white_changes_a_lamp_that_was_cool(tmp_path: Path) -> None:
    async with demo_house(tmp_path) as (_, dobby):
        cool = await dobby.handle("make the floor lamp cool white", ADMIN)
        assert [r["ok"] for r in cool.results] == [True]
        await dobby.refresh()
        state, brightness, kelvin = light(dobby, "light.floor_lamp")
        assert (state, brightness) == ("on", 40)
        assert kelvin is not None
        assert abs(kelvin - 4000) < 20

        warm = await dobby.handle("make the floor lamp warm white", ADMIN)
        assert [r["ok"] for r in warm.results] == [True]
        await dobby.refresh()
        _, _, kelvin = light(dobby, "light.floor_lamp")
        assert kelvin is not None
        assert abs(kelvin - 2700) < 20


async def test_impossible_colour_and_position_are_refused_before_anything_is_sent(
    tmp_path: Path,
) -> None:
    async with demo_house(tmp_path) as (house, dobby):
        [bridge] = [e for e in house.running if isinstance(e, HueBridgeEmulator)]
        sent_before = list(bridge.requests)

        red = await dobby.handle("make the floor lamp red", ADMIN)
        assert red.actions == [
            Action(entity_id="light.floor_lamp", command="light.turn_on",
                   params={"rgb_color": [255, 0, 0]})
        ]  # fmt: skip
        assert red.results == [
            {
                "entity_id": "light.floor_lamp",
                "command": "light.turn_on",
                "ok": False,
                "error": "Floor Lamp cannot do that: it has no color support.",
            }
        ]
        assert "it has no color support" in red.reply
        assert bridge.requests == sent_before  # the bridge heard nothing

        too_far = await dobby.handle("set the living room shade to 150%", ADMIN)
        assert too_far.source == "intent"
        assert too_far.intent == "HassSetPosition"
        assert too_far.actions == []
        assert too_far.reply == (
            "Not moving Living Room Shade: a position goes from 0% (closed) to 100% (open), "
            "so 150% is not possible."
        )

        # Whatever path makes it (an LLM tool call, a routine), the typed capability refuses
        # a position over 100 before the adapter is called.
        outcome = await dobby.house.carry_out(
            Plan(
                [Action(entity_id="cover.living_room_shade", command="cover.set_position",
                        params={"position": 150})],
                ADMIN,
                ActionPath.LLM,
            )
        )  # fmt: skip
        [result] = outcome.results
        assert result.ok is False
        assert result.error is not None
        assert "position: input should be less than or equal to 100" in result.error

        assert await dobby.settle(15)
        states = by_id(dobby.states())
        shade = states["cover.living_room_shade"]
        assert (shade["state"], shade["attributes"]["position"]) == ("open", 100)
        assert light(dobby, "light.floor_lamp")[:2] == ("on", 40)
        assert bridge.requests == sent_before
