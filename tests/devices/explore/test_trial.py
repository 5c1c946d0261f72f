"""Trying a draft's commands: nothing is sent before its approval, only verified ones kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.capabilities import Domain
from devices.explore.learn import Learner
from devices.explore.trial import RecipeClient, save_recipe, trial
from devices.recipe import load_recipes
from devices.testing.addresses import HostAllocator
from devices.testing.unknown.house import mac_of
from devices.testing.unknown.shelly import ShellyPlus1
from devices.testing.unknown.upnp_fan import UpnpFan
from devices.testing.unknown.wled import WledStrip


async def test_the_strip_is_switched_only_after_each_approval(tmp_path: Path) -> None:
    strip = WledStrip(HostAllocator().allocate(), "Desk Strip", mac_of("Desk Strip"), on=True)
    await strip.server.start()
    try:
        learned = await Learner(strip.host, strip.port).learn()
        assert learned.draft is not None
        asked: list[str] = []

        async def approve(question: str) -> bool:
            # Every command so far was approved before it reached the strip.
            assert len(strip.changing_requests()) == len(asked)
            asked.append(question)
            return True

        tried = await trial(RecipeClient(learned.draft), approve)
    finally:
        await strip.server.stop()
    assert asked == [
        "May I test turn on on Desk Strip (brightness 200)?",
        "May I test turn off on Desk Strip?",
    ]
    assert tried.verified == ["main.turn_on", "main.turn_off"]
    assert [(r.method, r.body) for r in strip.changing_requests()] == [
        ("POST", b'{"on": true, "bri": 200}'),
        ("POST", b'{"on": false}'),
    ]
    assert (strip.on, strip.bri) == (False, 200)
    path = save_recipe(tmp_path, tried.recipe)
    assert path.name == "desk_strip.yaml"
    saved = load_recipes(tmp_path)[0]
    assert all(c.verified for c in saved.entities[0].commands.values())


async def test_a_refusal_sends_nothing_and_a_stuck_device_is_not_verified() -> None:
    relay = ShellyPlus1(HostAllocator().allocate(), "Porch Relay", mac_of("Porch Relay"))
    await relay.server.start()
    try:
        learned = await Learner(relay.host, relay.port).learn()
        assert learned.draft is not None

        async def only_on(question: str) -> bool:
            return "turn on" in question

        relay.faults.stuck = True
        stuck = await trial(RecipeClient(learned.draft), only_on, within=0.5)
        relay.faults.stuck = False
        tried = await trial(RecipeClient(learned.draft), only_on)
    finally:
        await relay.server.stop()
    assert stuck.results == {
        "switch_0.turn_on": "not confirmed: the device did not show the change",
        "switch_0.turn_off": "not approved",
    }
    assert stuck.recipe.entities[0].commands == {}
    assert tried.verified == ["switch_0.turn_on"]
    assert list(tried.recipe.entities[0].commands) == ["turn_on"]
    assert relay.output is True
    assert all(b'"on": true' in r.body for r in relay.changing_requests())


async def test_the_fan_s_soap_commands_are_tried_and_read_back() -> None:
    fan = UpnpFan(HostAllocator().allocate(), "Bedroom Fan", "uuid:fan-9", on=False, speed=10)
    await fan.server.start()
    try:
        learned = await Learner(fan.host, fan.port, location=fan.location).learn()
        assert learned.draft is not None

        async def yes(question: str) -> bool:
            return True

        tried = await trial(RecipeClient(learned.draft), yes)
    finally:
        await fan.server.stop()
    assert tried.verified == ["main.turn_on", "main.turn_off", "main.set_level"]
    assert (fan.power, fan.speed) == (False, 60)


def test_sensitive_recipes_need_a_second_confirmation(tmp_path: Path) -> None:
    from devices.recipe import Identity, Read, Recipe, RecipeEntity

    lock = Recipe(
        name="Shed Lock",
        identity=Identity(device_id="shed-1"),
        host="192.168.1.9",
        sensitive=True,
        entities=[
            RecipeEntity(
                key="main",
                domain=Domain.LOCK,
                name="Shed Lock",
                reads={"state": Read(path="/state", pointer="/locked", type="bool")},
            )
        ],
    )
    with pytest.raises(PermissionError, match="confirm twice"):
        save_recipe(tmp_path, lock)
    assert save_recipe(tmp_path, lock, second_confirmation=True).exists()
