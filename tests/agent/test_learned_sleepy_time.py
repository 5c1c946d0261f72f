"""Learned in chat, then part of the house: "sleepy time" (the shipped routine, which acts
on domains and areas) turns the learned WLED strip and Shelly relay off too."""

from __future__ import annotations

import shutil
from pathlib import Path

from agent.app import Dobby
from agent.config import load_config
from agent.demo import running_demo
from agent.explore import learn_host
from devices.adapters.recipe.manifest import MANIFEST
from devices.plugin import LoadedAdapters
from devices.recipe import load_recipe
from devices.testing.addresses import HostAllocator
from devices.testing.unknown.house import mac_of
from devices.testing.unknown.shelly import ShellyPlus1
from devices.testing.unknown.wled import WledStrip
from skills.actions import Requester, Role

CONFIG = Path(__file__).resolve().parents[2] / "config"
ADMIN = Requester("telegram:1", Role.ADMIN, "Alice", "telegram", "1")


async def teach(dobby: Dobby, sentence: str) -> str:
    """Say `sentence`, approve every question; the last word."""
    reply = await dobby.handle(sentence, ADMIN)
    while reply.confirmation is not None:
        reply = await dobby.confirm(reply.confirmation, ADMIN, approve=True)
    return reply.reply


async def test_sleepy_time_turns_off_what_was_learned(tmp_path: Path) -> None:
    directory = tmp_path / "config"
    directory.mkdir()
    for name in ("home.yaml", "routines.yaml"):
        shutil.copy(CONFIG / name, directory / name)
    hosts = HostAllocator()
    strip = WledStrip(hosts.allocate(), "Desk Strip", mac_of("Desk Strip"), on=True)
    relay = ShellyPlus1(hosts.allocate(), "Porch Relay", mac_of("Porch Relay"), on=True)
    await strip.server.start()
    await relay.server.start()
    dobby = Dobby(
        load_config(directory), tmp_path / "state", loaded=LoadedAdapters({"recipe": MANIFEST}, [])
    )
    try:
        await dobby.start(discover=False, freeze=False)
        said = await teach(dobby, f"learn the device at {strip.host}:{strip.port} in the office")
        assert "Saved as desk_strip.yaml" in said
        said = await teach(dobby, f"learn the device at {relay.host}:{relay.port} in the hallway")
        assert "Saved as porch_relay.yaml" in said
        strip.on, relay.output = True, True  # lit again after the trials
        await dobby.refresh()

        reply = await dobby.handle("sleepy time", ADMIN)
        assert reply.routine == "sleepy time"
        acted = {r["entity_id"]: r["ok"] for r in reply.results}
        assert acted == {"light.desk_strip": True, "switch.porch_relay": True}, reply.reply
        assert (strip.on, relay.output) == (False, False)
        assert dobby.registry.entity("switch.porch_relay").state.state == "off"  # type: ignore[union-attr]
    finally:
        await dobby.stop()
        await relay.server.stop()
        await strip.server.stop()


async def yes(question: str) -> bool:
    del question
    return True


async def test_a_strip_learned_in_one_demo_is_driven_in_the_next(tmp_path: Path) -> None:
    """`dobby explore --demo "Desk Strip"`, then the next `dobby demo --say "sleepy time"`:
    the new virtual house gives the strip a new address (as a new DHCP lease would); Dobby
    finds it by its MAC, turns it off, and its recipe keeps the new address."""
    directory = tmp_path / "config"
    (directory / "demo").mkdir(parents=True)
    for name in ("home.yaml", "routines.yaml"):
        shutil.copy(CONFIG / name, directory / name)
    (directory / "demo" / "house.yaml").write_text(
        "devices: []\nunknown:\n"
        '  - {name: Desk Strip, area: Office, kind: wled, "on": true, level: 128}\n',
        encoding="utf-8",
    )
    state = tmp_path / "state"
    lesson = await learn_host(
        load_config(directory),
        state,
        "Desk Strip",
        seconds=1.0,
        interfaces=None,
        demo=True,
        budget=40,
        area=None,
        approve=yes,
    )
    assert lesson.saved is not None
    learned_at = load_recipe(lesson.saved).host

    async with running_demo(load_config(directory), state) as demo:
        assert demo.house.unknown is not None
        strip = demo.house.unknown.named("Desk Strip")
        assert strip.host != learned_at
        assert isinstance(strip, WledStrip)
        assert strip.on
        reply = await demo.dobby.handle("sleepy time", ADMIN)
        acted = {r["entity_id"]: r["ok"] for r in reply.results}
        assert acted.get("light.desk_strip") is True, reply.reply
        assert strip.on is False
    assert load_recipe(lesson.saved).host == strip.host
