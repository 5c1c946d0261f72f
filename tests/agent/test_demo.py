"""The demo house end to end: emulators on loopback, normal discovery, the one path.

The first test runs the README's demo command as a newcomer would (`dobby demo --say ...
--json`) in a process of its own; the others run the same code in this process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.app import Dobby
from agent.config import load_config
from agent.demo import house_file, run_demo
from devices.adapters.sonos.emulator import SonosEmulator
from devices.plugin import load_adapters
from devices.virtual_house import VirtualHouse, read_house
from skills.actions import Requester

CONFIG = Path(__file__).resolve().parents[2] / "config"


def by_id(states: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["entity_id"]: s for s in states}


def test_sleepy_time_stops_every_speaker(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "agent",
            "demo",
            "--say",
            "sleepy time",
            "--json",
            "--state",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=CONFIG.parent,
    )
    assert result.returncode == 0, result.stderr
    said, states = (json.loads(line) for line in result.stdout.strip().splitlines())
    assert said["source"] == "routine"
    assert said["routine"] == "sleepy time"
    assert {r["entity_id"] for r in said["results"]} == {
        "media_player.living_room",
        "media_player.kitchen",
        "media_player.bedroom",
    }
    assert all(r["ok"] for r in said["results"])
    speakers = by_id(states)
    assert set(speakers) == {
        "media_player.living_room",
        "media_player.kitchen",
        "media_player.bedroom",
    }
    for speaker in speakers.values():
        assert speaker["available"]
        assert speaker["state"] in ("stopped", "paused")


async def demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *says: str, dry_run: bool = False
) -> list[Any]:
    code = await run_demo(load_config(CONFIG), tmp_path, list(says), dry_run=dry_run, json_out=True)
    assert code == 0
    return [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]


async def test_start_state_is_the_demo_house(tmp_path: Path, capsys) -> None:
    [states] = await demo(tmp_path, capsys)
    speakers = by_id(states)
    assert {k: (v["state"], v["attributes"]["volume"], v["area"]) for k, v in speakers.items()} == {
        "media_player.living_room": ("playing", 25, "Living Room"),
        "media_player.kitchen": ("playing", 20, "Kitchen"),
        "media_player.bedroom": ("stopped", 15, "Bedroom"),
    }


async def test_pause_the_kitchen_does_exactly_that(tmp_path: Path, capsys) -> None:
    said, states = await demo(tmp_path, capsys, "pause the kitchen")
    assert said["source"] == "intent"
    assert said["intent"] == "HassMediaPause"
    assert said["actions"] == [
        {"entity_id": "media_player.kitchen", "command": "media_player.pause", "params": {}}
    ]
    assert said["results"][0]["ok"]
    speakers = by_id(states)
    assert speakers["media_player.kitchen"]["state"] == "paused"
    assert speakers["media_player.living_room"]["state"] == "playing"
    assert speakers["media_player.bedroom"]["state"] == "stopped"


async def test_set_the_living_room_volume(tmp_path: Path, capsys) -> None:
    said, states = await demo(tmp_path, capsys, "set the living room volume to 30")
    assert said["actions"] == [
        {
            "entity_id": "media_player.living_room",
            "command": "media_player.set_volume",
            "params": {"volume": 30},
        }
    ]
    speakers = by_id(states)
    assert speakers["media_player.living_room"]["attributes"]["volume"] == 30
    assert speakers["media_player.kitchen"]["attributes"]["volume"] == 20
    assert speakers["media_player.bedroom"]["attributes"]["volume"] == 15
    assert speakers["media_player.living_room"]["state"] == "playing"


async def test_dry_run_changes_nothing(tmp_path: Path, capsys) -> None:
    said, states = await demo(tmp_path, capsys, "sleepy time", dry_run=True)
    assert "results" not in said
    assert len(said["actions"]) == 3
    assert said["needs_confirmation"] is False
    assert by_id(states)["media_player.kitchen"]["state"] == "playing"


async def test_a_sentence_dobby_does_not_know_gets_help(tmp_path: Path, capsys) -> None:
    said, _ = await demo(tmp_path, capsys, "make me a sandwich")
    assert said["source"] == "none"
    assert said["actions"] == []
    assert said["reply"].startswith('Sorry, I did not understand "make me a sandwich".')
    assert '"sleepy time"' in said["reply"]


async def test_a_garbage_speaker_is_unavailable_and_the_rest_still_runs(tmp_path: Path) -> None:
    config = load_config(CONFIG)
    loaded = load_adapters()
    house = VirtualHouse(read_house(house_file(config)), loaded.adapters)
    await house.start()
    dobby = Dobby(config, tmp_path, interfaces=["127.0.0.1"], loaded=loaded)
    try:
        await dobby.start()
        assert await dobby.wait_for(house.entity_ids, 20) == []
        [speakers] = house.running
        assert isinstance(speakers, SonosEmulator)
        speakers.speaker("Kitchen").faults.garbage = True
        reply = await dobby.handle("sleepy time", Requester.local_admin())
        results = {r["entity_id"]: r for r in reply.results}
        assert results["media_player.kitchen"]["error"] == (
            "Kitchen: answered with something that makes no sense."
        )
        assert results["media_player.living_room"]["ok"]
        assert results["media_player.bedroom"]["ok"]
        assert "Done 2 of 3." in reply.reply
        await dobby.refresh()
        states = by_id(dobby.states())
        assert states["media_player.kitchen"]["available"] is False
        assert states["media_player.kitchen"]["state"] is None
        assert states["media_player.living_room"]["state"] == "stopped"
        # The speaker behaves again: the next poll brings it back.
        speakers.speaker("Kitchen").faults.clear()
        await dobby.refresh()
        assert by_id(dobby.states())["media_player.kitchen"]["available"] is True
    finally:
        await dobby.stop()
        await house.stop()
