"""The explorer in chat: "learn the device at ..." drafts, asks with Approve/Deny before each
command, saves what was verified, and the device is an entity of the house at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent.app import Dobby
from agent.config import load_config
from agent.explore_chat import Learn, Scan, read_explore
from devices.adapters.recipe.manifest import MANIFEST
from devices.plugin import LoadedAdapters
from devices.recipe import load_recipes
from devices.testing.addresses import HostAllocator
from devices.testing.unknown.house import mac_of
from devices.testing.unknown.wled import WledStrip
from skills.actions import Requester, Role

ADMIN = Requester("telegram:1", Role.ADMIN, "Alice", "telegram", "1")
MEMBER = Requester("telegram:2", Role.MEMBER, "Bob", "telegram", "2")


@pytest.mark.parametrize(
    ("text", "asked"),
    [
        ("learn the device at 192.168.1.40", Learn("192.168.1.40", "en")),
        ("Learn the device at 192.168.1.40 in the office.", Learn("192.168.1.40", "en", "office")),
        ("Lerne das Gerät unter 192.168.1.40 im Büro", Learn("192.168.1.40", "de", "Büro")),
        ("learn the device at [fd00::5]:80", Learn("[fd00::5]:80", "en")),
        ("what's on my network?", Scan("en")),
        ("find new devices", Scan("en")),
        ("Was ist in meinem Netzwerk?", Scan("de")),
        ("finde neue Geräte", Scan("de")),
        ("turn off the office lights", None),
        ("what's on the tv", None),
    ],
)
def test_explorer_sentences(text: str, asked: Learn | Scan | None) -> None:
    assert read_explore(text) == asked


@pytest.fixture
async def strip() -> AsyncIterator[WledStrip]:
    device = WledStrip(HostAllocator().allocate(), "Desk Strip", mac_of("Desk Strip"))
    await device.server.start()
    yield device
    await device.server.stop()


@pytest.fixture
async def dobby(tmp_path: Path) -> AsyncIterator[Dobby]:
    directory = tmp_path / "config"
    directory.mkdir()
    (directory / "home.yaml").write_text("areas: [{name: Office}]\nadapters: {}\n")
    running = Dobby(
        load_config(directory), tmp_path / "state", loaded=LoadedAdapters({"recipe": MANIFEST}, [])
    )
    await running.start(discover=False, freeze=False)
    yield running
    await running.stop()


async def test_learning_in_chat_asks_before_each_command(
    dobby: Dobby, strip: WledStrip, tmp_path: Path
) -> None:
    reply = await dobby.handle(
        f"learn the device at {strip.host}:{strip.port} in the office", ADMIN
    )
    assert reply.intent == "LearnDevice"
    assert f"I think {strip.host} is a WLED light strip (Desk Strip): a light in the Office" in (
        reply.reply
    )
    assert "May I test turn on on Desk Strip (brightness 200)?" in reply.reply
    assert reply.confirmation is not None
    assert strip.changing_requests() == []  # nothing switched before the Approve

    second = await dobby.confirm(reply.confirmation, ADMIN, approve=True)
    assert [r.body for r in strip.changing_requests()] == [b'{"on": true, "bri": 200}']
    assert "May I test turn off on Desk Strip?" in second.reply
    assert second.confirmation is not None

    last = await dobby.confirm(second.confirmation, ADMIN, approve=False)
    assert len(strip.changing_requests()) == 1  # the Deny sent nothing
    assert "main.turn on: verified" in last.reply
    assert "main.turn off: not approved" in last.reply
    assert "Saved as desk_strip.yaml" in last.reply
    assert last.confirmation is None
    [recipe] = load_recipes(tmp_path / "config")
    assert list(recipe.entities[0].commands) == ["turn_on"]

    light = dobby.registry.entity("light.desk_strip")  # driven at once
    assert dobby.registry.area_name(light) == "Office"
    off = await dobby.handle("turn off the desk strip", ADMIN)
    assert off.results, off.reply
    assert off.results[0]["ok"] is False  # turning it off was never approved: not taught
    assert strip.on is True


async def test_learning_in_german_asks_in_german(
    dobby: Dobby, strip: WledStrip, tmp_path: Path
) -> None:
    reply = await dobby.handle(f"Lerne das Gerät unter {strip.host}:{strip.port} im Büro", ADMIN)
    assert reply.intent == "LearnDevice"
    assert f"Ich glaube, {strip.host} ist ein WLED-Lichtstreifen (Desk Strip): Licht" in (
        reply.reply
    )
    assert "Darf ich an Desk Strip „einschalten“ testen (Helligkeit 200)?" in reply.reply
    assert reply.confirmation is not None
    second = await dobby.confirm(reply.confirmation, ADMIN, approve=True)
    assert second.reply.startswith("Getestet.")
    assert "Darf ich an Desk Strip „ausschalten“ testen?" in second.reply
    assert second.confirmation is not None
    last = await dobby.confirm(second.confirmation, ADMIN, approve=False)
    assert last.reply.startswith("Nicht getestet.")
    assert "main.turn on: bestätigt; main.turn off: nicht erlaubt" in last.reply
    assert "Gespeichert als desk_strip.yaml: Desk Strip gehört jetzt zum Haus." in last.reply
    [recipe] = load_recipes(tmp_path / "config")
    assert list(recipe.entities[0].commands) == ["turn_on"]


async def test_only_an_admin_may_teach_a_device(dobby: Dobby, strip: WledStrip) -> None:
    reply = await dobby.handle(f"learn the device at {strip.host}:{strip.port}", MEMBER)
    assert reply.reply == "Only an admin may teach me a new device."
    assert strip.requests == []


async def test_a_host_outside_the_local_network_is_not_probed(dobby: Dobby) -> None:
    reply = await dobby.handle("learn the device at 8.8.8.8", ADMIN)
    assert reply.reply.startswith("I only learn devices on the local network")
    assert reply.confirmation is None


async def test_whats_on_my_network_names_what_dobby_drives(
    tmp_path: Path, strip: WledStrip
) -> None:
    directory = tmp_path / "config"
    directory.mkdir()
    (directory / "home.yaml").write_text(
        "adapters: {}\nexplore:\n  tcp_scan: {enabled: true, subnets: ["
        f"{strip.host}/32], ports: [{strip.port}]}}\n"
    )
    dobby = Dobby(
        load_config(directory),
        tmp_path / "state",
        loaded=LoadedAdapters({"recipe": MANIFEST}, []),
        interfaces=["127.0.0.1"],
        only_hosts={strip.host},
    )
    dobby.explorer.seconds = 0.5
    await dobby.start(discover=False, freeze=False)
    try:
        guest = Requester("telegram:3", Role.GUEST, "Gus", "telegram", "3")
        refused = await dobby.handle("what's on my network?", guest)
        assert refused.reply.startswith("Only members")
        before = await dobby.handle("find new devices", MEMBER)
        assert before.intent == "ExploreNetwork"
        # found by the TCP scan only: its page's title says what it is
        assert f"- {strip.host}: WLED light strip; could be driven by" in before.reply
        reply = await dobby.handle(f"learn the device at {strip.host}:{strip.port}", ADMIN)
        while reply.confirmation is not None:
            reply = await dobby.confirm(reply.confirmation, ADMIN, approve=True)
        after = await dobby.handle("Was ist in meinem Netzwerk?", MEMBER)
        assert after.reply.startswith("Im lokalen Netzwerk habe ich 1 gefunden:")  # asked in German
        assert f"- {strip.host}: WLED-Lichtstreifen; gesteuert nach seinem Rezept (Desk Strip)" in (
            after.reply
        )
    finally:
        await dobby.stop()
