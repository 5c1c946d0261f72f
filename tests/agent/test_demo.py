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

from agent.cli import understanding_lines
from agent.config import load_config
from agent.demo import kept_seed, run_demo, running_demo
from agent.understanding import Understanding
from devices.adapters.sonos.emulator import SonosEmulator
from devices.announcements import speech_available
from skills.actions import Requester

CONFIG = Path(__file__).resolve().parents[2] / "config"


def by_id(states: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {s["entity_id"]: s for s in states}


SPEAKERS = {"media_player.living_room", "media_player.kitchen", "media_player.bedroom"}
LIGHTS = {
    "light.living_room_ceiling",
    "light.floor_lamp",
    "light.kitchen_pendant",
    "light.counter_strip",
    "light.bedside_lamp",
    "light.pool_light",
}
SHADES = {"cover.living_room_shade", "cover.bedroom_blackout", "cover.hallway_duette"}
SCENES = {"scene.open_all", "scene.close_all", "scene.movie", "scene.relax"}
"""The shade hub's own scenes, and the Hue bridge's Relax."""
GARAGE = {"cover.garage_door"}
SECURITY = {"climate.hallway_thermostat", "lock.front_door", "alarm_panel.house_alarm"}
NUMBERS = {"number.pool_chlorinator_output": "50", "number.pool_pump_target_speed": "2500"}
"""What a person sets on the pool as a number: the chlorinator's output (%), the pump's
speed for its one preset, the pool circuit (RPM)."""
POOL = {"switch.pool_pump", "climate.pool_heater", *NUMBERS}
BRIDGED = {"switch.coffee_maker", "binary_sensor.side_door"}
"""The two accessories behind the demo's HomeKit bridge."""
SENSORS = {
    "binary_sensor.patio_door",
    "sensor.air_temperature",
    "sensor.pool_temperature",
    "sensor.pool_ph",
    "sensor.pool_orp",
    "sensor.pool_salt",
    "sensor.pool_pump_speed",
    "sensor.pool_pump_power",
}
ZIGBEE_ACTED_ON = {"climate.hallway_radiator", "switch.hallway_plug"}
"""The hallway's Zigbee corner (Zigbee2MQTT through Mosquitto) that sleepy time changes."""
ZIGBEE = ZIGBEE_ACTED_ON | {
    "binary_sensor.hallway_door",
    "sensor.hallway_remote",
    "sensor.hallway_radiator_battery",
    "sensor.hallway_door_battery",
    "sensor.hallway_door_voltage",
    "sensor.hallway_plug_power",
    "sensor.hallway_plug_current",
    "sensor.hallway_plug_voltage",
    "sensor.hallway_plug_energy",
    "sensor.hallway_remote_battery",
}
ACTED_ON = SPEAKERS | LIGHTS | SHADES | GARAGE | SECURITY | ZIGBEE_ACTED_ON


def test_sleepy_time_puts_the_house_to_bed(tmp_path: Path) -> None:
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
        timeout=90,
        check=False,
        cwd=CONFIG.parent,
    )
    assert result.returncode == 0, result.stderr
    said, states = (json.loads(line) for line in result.stdout.strip().splitlines())
    assert said["source"] == "routine"
    assert said["routine"] == "sleepy time"
    assert {r["entity_id"] for r in said["results"]} == ACTED_ON
    assert all(r["ok"] for r in said["results"]), said["results"]
    house = by_id(states)
    assert set(house) == ACTED_ON | POOL | SENSORS | ZIGBEE | SCENES | BRIDGED
    assert all(entity["available"] for entity in house.values())
    for speaker in SPEAKERS:
        assert house[speaker]["state"] in ("stopped", "paused")
    for light in LIGHTS:
        assert house[light]["state"] == "off"
    for shade in SHADES:
        assert (house[shade]["state"], house[shade]["attributes"]["position"]) == ("closed", 0)
    assert house["cover.hallway_duette"]["attributes"]["top_position"] == 0  # both rails
    assert house["cover.garage_door"]["state"] == "closed"  # closed for the night too
    thermostat = house["climate.hallway_thermostat"]
    assert (thermostat["state"], thermostat["attributes"]["temperature"]) == ("heat", 18)
    assert house["lock.front_door"]["state"] == "locked"
    assert house["alarm_panel.house_alarm"]["state"] == "armed_night"
    assert house["binary_sensor.patio_door"]["state"] == "off"
    # The Zigbee corner, read back from the bus: the radiator down, the plug off and drawing
    # nothing, the door still closed.
    radiator = house["climate.hallway_radiator"]
    assert (radiator["state"], radiator["attributes"]["temperature"]) == ("heat", 18)
    assert house["switch.hallway_plug"]["state"] == "off"
    assert house["sensor.hallway_plug_power"]["state"] == "0"
    assert house["binary_sensor.hallway_door"]["state"] == "off"
    # The pool heat is not a thermostat: sleepy time leaves it (and the pump) alone.
    heater = house["climate.pool_heater"]
    assert (heater["state"], heater["attributes"]["temperature"]) == ("heat", 27)
    assert house["switch.pool_pump"]["state"] == "on"


async def demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *says: str, dry_run: bool = False
) -> list[Any]:
    code = await run_demo(load_config(CONFIG), tmp_path, list(says), dry_run=dry_run, json_out=True)
    assert code == 0
    return [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]


async def test_start_state_is_the_demo_house(tmp_path: Path, capsys) -> None:
    [states] = await demo(tmp_path, capsys)
    # The pool's readings drift as the water heats: whatever they read, they are there.
    readings = {e["entity_id"]: e["state"] for e in states}

    def headline(entity: dict[str, Any]) -> tuple[Any, ...]:
        attributes = entity["attributes"]
        return (
            entity["area"],
            entity["state"],
            attributes.get("volume")
            or attributes.get("brightness")
            or attributes.get("position")
            or attributes.get("temperature"),
        )

    assert {key: headline(entity) for key, entity in by_id(states).items()} == {
        "media_player.living_room": ("Living Room", "playing", 25),
        "media_player.kitchen": ("Kitchen", "playing", 20),
        "media_player.bedroom": ("Bedroom", "stopped", 15),
        "light.living_room_ceiling": ("Living Room", "on", 80),
        "light.floor_lamp": ("Living Room", "on", 40),
        "light.kitchen_pendant": ("Kitchen", "on", 100),
        "light.counter_strip": ("Kitchen", "on", 60),
        "light.bedside_lamp": ("Bedroom", "off", None),
        "cover.living_room_shade": ("Living Room", "open", 100),
        "cover.bedroom_blackout": ("Bedroom", "open", 100),
        "cover.hallway_duette": ("Hallway", "closed", None),
        "scene.open_all": ("Living Room", "unknown", None),
        "scene.close_all": ("Living Room", "unknown", None),
        "scene.movie": ("Living Room", "unknown", None),
        "scene.relax": ("Living Room", "unknown", None),
        "cover.garage_door": ("Garage", "closed", None),
        "climate.hallway_thermostat": ("Hallway", "heat", 21),
        "lock.front_door": ("Entrance", "unlocked", None),
        "alarm_panel.house_alarm": ("Entrance", "disarmed", None),
        "binary_sensor.patio_door": ("Living Room", "off", None),
        "switch.coffee_maker": ("Kitchen", "off", None),
        "binary_sensor.side_door": ("Garage", "off", None),
        "switch.pool_pump": ("Backyard", "on", None),
        "climate.pool_heater": ("Backyard", "heat", 27),
        "light.pool_light": ("Backyard", "off", None),
        "climate.hallway_radiator": ("Hallway", "heat", 21),
        "binary_sensor.hallway_door": ("Hallway", "off", None),
        "switch.hallway_plug": ("Hallway", "on", None),
        "sensor.hallway_remote": ("Hallway", "none", None),
    } | {number: ("Backyard", value, None) for number, value in NUMBERS.items()} | {
        sensor: ("Backyard", readings[sensor], None)
        for sensor in SENSORS
        if sensor.startswith("sensor.")
    } | {
        sensor: ("Hallway", readings[sensor], None)
        for sensor in ZIGBEE
        if sensor.startswith("sensor.") and sensor != "sensor.hallway_remote"
    }
    thermostat = by_id(states)["climate.hallway_thermostat"]["attributes"]
    assert thermostat["current_temperature"] == 20.5
    assert by_id(states)["cover.hallway_duette"]["attributes"]["top_position"] == 0
    # Warm white: within a mirek step of 2700 K.
    assert abs(by_id(states)["light.floor_lamp"]["attributes"]["color_temp_kelvin"] - 2700) < 20


async def test_close_all_the_shades_closes_every_one_read_back(tmp_path: Path, capsys) -> None:
    """Every shade, the top-down/bottom-up one with both rails: closed, as read from the hub."""
    top, said, states = await demo(
        tmp_path, capsys, "open the top of the hallway duette", "close all the shades"
    )
    assert top["actions"] == [
        {
            "entity_id": "cover.hallway_duette",
            "command": "cover.set_top_position",
            "params": {"position": 100},
        }
    ]
    assert top["results"][0]["ok"]
    assert {(a["entity_id"], a["command"]) for a in said["actions"]} == {
        (shade, "cover.close") for shade in SHADES
    }
    assert all(r["ok"] for r in said["results"]), said["results"]
    house = by_id(states)
    for shade in SHADES:
        assert (house[shade]["state"], house[shade]["attributes"]["position"]) == ("closed", 0)
    assert house["cover.hallway_duette"]["attributes"]["top_position"] == 0


async def test_movie_night_runs_the_shade_hubs_movie_scene(tmp_path: Path, capsys) -> None:
    said, states = await demo(tmp_path, capsys, "movie night")
    assert {"entity_id": "scene.movie", "command": "scene.activate", "params": {}} in said[
        "actions"
    ]
    assert all(r["ok"] for r in said["results"]), said["results"]
    house = by_id(states)
    assert house["scene.movie"]["state"] != "unknown"  # when it was activated
    assert (house["cover.living_room_shade"]["state"], house["light.floor_lamp"]["state"]) == (
        "closed",
        "on",
    )
    assert house["cover.bedroom_blackout"]["state"] == "open"  # not in the Movie scene


async def test_the_zigbee_corner_answers_in_words(tmp_path: Path, capsys) -> None:
    """The hallway radiator set to 19 through Zigbee2MQTT; the door asked about."""
    radiator, door, states = await demo(
        tmp_path, capsys, "set the hallway radiator to 19", "is the hallway door open"
    )
    assert radiator["actions"] == [
        {
            "entity_id": "climate.hallway_radiator",
            "command": "climate.set_temperature",
            "params": {"temperature": 19},
        }
    ]
    assert radiator["results"][0]["ok"]
    assert by_id(states)["climate.hallway_radiator"]["attributes"]["temperature"] == 19
    assert by_id(states)["climate.hallway_thermostat"]["attributes"]["temperature"] == 21
    assert door["reply"] == "No, Hallway Door is closed."


async def test_the_hallway_door_opened_at_the_door(tmp_path: Path) -> None:
    """Someone opens the door: the sensor's report over MQTT is what Dobby answers from."""
    from devices.adapters.mqtt.demo import MqttDemo

    async with running_demo(load_config(CONFIG), tmp_path) as demo:
        assert demo.missing == []
        [zigbee] = [e for e in demo.house.running if isinstance(e, MqttDemo)]
        await zigbee.bridge.change("Hallway/Door", contact=False)
        registry = demo.dobby.registry
        opened = await registry.wait_until(
            lambda: registry.entity("binary_sensor.hallway_door").state.state == "on",  # type: ignore[union-attr]
            10,
        )
        assert opened
        reply = await demo.dobby.handle("is the hallway door open", Requester.local_admin())
        assert reply.reply == "Yes."


async def test_the_homekit_bridge_holds_an_outlet_and_a_door_sensor(tmp_path: Path) -> None:
    """One HAP-python Bridge, paired once: its outlet is driven and its sensor reports, each
    an entity of its own."""
    from devices.adapters.homekit.emulator import HomeKitEmulator

    async with running_demo(load_config(CONFIG), tmp_path) as demo:
        assert demo.missing == []
        [homekit] = [e for e in demo.house.running if isinstance(e, HomeKitEmulator)]
        bridge = homekit.spec("Side Door")
        assert (bridge.name, bridge.kind) == ("HomeKit Bridge", "bridge")
        assert [(a.name, a.kind) for a in bridge.bridged] == [
            ("Coffee Maker", "outlet"),
            ("Side Door", "contact_sensor"),
        ]
        registry = demo.dobby.registry
        outlet, door = (
            registry.entity("switch.coffee_maker"),
            registry.entity("binary_sensor.side_door"),
        )
        # Each accessory is a device of its own behind the bridge's one pairing: the
        # bridge's device id, then the accessory's aid (2, 3 in the house file's order).
        via = f"homekit:{bridge.device_id.lower()}"
        assert (outlet.device_id, door.device_id) == (f"{via}:2", f"{via}:3")
        reply = await demo.dobby.handle("turn on the coffee maker", Requester.local_admin())
        assert [r["ok"] for r in reply.results] == [True]
        assert (await homekit.values("Coffee Maker"))["On"] is True
        assert registry.entity("switch.coffee_maker").state.state == "on"  # type: ignore[union-attr]
        await homekit.set("Side Door", ContactSensorState=1)
        opened = await registry.wait_until(
            lambda: registry.entity("binary_sensor.side_door").state.state == "on",  # type: ignore[union-attr]
            10,
        )
        assert opened
        reply = await demo.dobby.handle("is the side door open", Requester.local_admin())
        assert reply.reply == "Yes."


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


@pytest.mark.skipif(
    not speech_available(), reason="espeak-ng is not installed (apt-get install espeak-ng)"
)
async def test_an_announcement_from_the_command_line_demo(tmp_path: Path, capsys) -> None:
    """`make demo ARGS='--say "announce ..."'`: the demo serves the clip as `dobby run` does,
    the kitchen speaker fetches and plays it, and its music comes back."""
    said, states = await demo(tmp_path, capsys, "announce dinner is ready in the kitchen")
    assert said["intent"] == "DobbyAnnounce", said["reply"]
    assert said["actions"][0]["entity_id"] == "media_player.kitchen"
    assert said["results"][0]["ok"], said["results"]
    assert by_id(states)["media_player.kitchen"]["state"] == "playing"


async def test_the_radio_and_a_playlist_by_name(tmp_path: Path, capsys) -> None:
    radio, together, states = await demo(
        tmp_path,
        capsys,
        "put the radio on in the bedroom",
        "play late jazz in the bedroom and the kitchen together",
    )
    assert radio["actions"] == [
        {
            "entity_id": "media_player.bedroom",
            "command": "media_player.select_source",
            "params": {"source": "Jazz Radio"},
        }
    ]
    assert radio["results"][0]["ok"]
    assert [r["ok"] for r in together["results"]] == [True, True]
    speakers = by_id(states)
    kitchen, bedroom = speakers["media_player.kitchen"], speakers["media_player.bedroom"]
    # The bedroom played (the radio), so it leads; the kitchen joins it.
    assert kitchen["attributes"]["group_members"] == [
        "media_player.bedroom",
        "media_player.kitchen",
    ]
    assert bedroom["attributes"]["media_title"] == "Blue Loopback"
    assert kitchen["state"] == bedroom["state"] == "playing"
    assert bedroom["attributes"]["source_list"] == ["Jazz Radio", "Sunday Morning", "Late Jazz"]


async def test_leaving_home_sets_the_heating_back(tmp_path: Path, capsys) -> None:
    said, _ = await demo(tmp_path, capsys, "bye dobby", dry_run=True)
    assert said["routine"] == "leaving home"
    setback = [a for a in said["actions"] if a["command"] == "climate.set_temperature"]
    assert setback == [
        {"entity_id": e, "command": "climate.set_temperature", "params": {"temperature": 16}}
        for e in ("climate.hallway_radiator", "climate.hallway_thermostat")
    ]


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
    assert {a["entity_id"] for a in said["actions"]} == ACTED_ON
    assert said["needs_confirmation"] is False
    assert by_id(states)["media_player.kitchen"]["state"] == "playing"


async def test_a_sentence_dobby_does_not_know_gets_help(tmp_path: Path, capsys) -> None:
    said, _ = await demo(tmp_path, capsys, "make me a sandwich")
    assert said["source"] == "none"
    assert said["actions"] == []
    assert said["reply"].startswith('Sorry, I did not understand "make me a sandwich".')
    assert '"sleepy time"' in said["reply"]


async def test_a_garbage_speaker_is_unavailable_and_the_rest_still_runs(tmp_path: Path) -> None:
    async with running_demo(load_config(CONFIG), tmp_path) as demo:
        assert demo.missing == []
        dobby, house = demo.dobby, demo.house
        [speakers] = [e for e in house.running if isinstance(e, SonosEmulator)]
        # Its events since it was subscribed are in (a late first event is the speaker
        # speaking, and would bring it back).
        await speakers.settled()
        speakers.speaker("Kitchen").faults.garbage = True
        reply = await dobby.handle("sleepy time", Requester.local_admin())
        results = {r["entity_id"]: r for r in reply.results}
        assert results["media_player.kitchen"]["error"] == (
            "Kitchen: answered with something that makes no sense."
        )
        assert [e for e, r in results.items() if not r["ok"]] == ["media_player.kitchen"]
        assert f"sleepy time: {len(results) - 1} of {len(results)} actions done." in reply.reply
        await dobby.refresh()
        states = by_id(dobby.states())
        assert states["media_player.kitchen"]["available"] is False
        assert states["media_player.kitchen"]["state"] is None
        assert states["media_player.living_room"]["state"] == "stopped"
        # The speaker behaves again: the next poll brings it back.
        speakers.speaker("Kitchen").faults.clear()
        await dobby.refresh()
        assert by_id(dobby.states())["media_player.kitchen"]["available"] is True


async def test_dry_run_covers_every_domain_and_asks_for_the_sensitive_ones(
    tmp_path: Path, capsys
) -> None:
    sentences = {
        "pause the kitchen": ("media_player.kitchen", "media_player.pause", False),
        "turn off the floor lamp": ("light.floor_lamp", "light.turn_off", False),
        "close the living room shade": ("cover.living_room_shade", "cover.close", False),
        "set the hallway thermostat to 19": (
            "climate.hallway_thermostat",
            "climate.set_temperature",
            False,
        ),
        "lock the front door": ("lock.front_door", "lock.lock", False),
        "unlock the front door": ("lock.front_door", "lock.unlock", True),
        "arm the alarm for the night": ("alarm_panel.house_alarm", "alarm_panel.arm", False),
        "disarm the alarm": ("alarm_panel.house_alarm", "alarm_panel.disarm", True),
    }
    *said, states = await demo(tmp_path, capsys, *sentences, dry_run=True)
    for result, (entity_id, command, sensitive) in zip(said, sentences.values(), strict=True):
        assert [(a["entity_id"], a["command"]) for a in result["actions"]] == [
            (entity_id, command)
        ], result["text"]
        assert result["needs_confirmation"] is sensitive, result["text"]
    house = by_id(states)
    assert house["lock.front_door"]["state"] == "unlocked"
    assert house["alarm_panel.house_alarm"]["state"] == "disarmed"


async def test_unlocking_waits_for_a_confirmation_and_bounds_are_refused(
    tmp_path: Path, capsys
) -> None:
    unlock, too_hot, states = await demo(
        tmp_path, capsys, "unlock the front door", "set the hallway thermostat to 35"
    )
    assert unlock["needs_confirmation"] is True
    assert unlock["results"] == []
    assert unlock["reply"] == "Unlock the Front Door? It needs a confirmation."
    assert too_hot["results"] == []
    assert too_hot["reply"].startswith(
        "Not done: 35° is outside the allowed range for Hallway Thermostat (10° to 30°)"
    )
    house = by_id(states)
    assert house["lock.front_door"]["state"] == "unlocked"
    assert house["climate.hallway_thermostat"]["attributes"]["temperature"] == 21


async def test_the_pool_pump_speed_and_the_chlorinator_are_set_and_read_back(
    tmp_path: Path, capsys
) -> None:
    speed, output, too_fast, states = await demo(
        tmp_path,
        capsys,
        "set the pool pump to 2000 rpm",
        "set the chlorinator to 40 percent",
        "set the pool pump to 3500 rpm",
    )
    assert [r["ok"] for r in speed["results"]] == [True]
    assert speed["actions"] == [
        {
            "entity_id": "number.pool_pump_target_speed",
            "command": "number.set_value",
            "params": {"value": 2000},
        }
    ]
    assert [r["ok"] for r in output["results"]] == [True]
    assert too_fast["results"] == []
    assert too_fast["reply"].startswith(
        "Not done: 3500 RPM is outside the allowed range for Pool Pump Target Speed "
        "(450 RPM to 3450 RPM)"
    )
    house = by_id(states)
    assert house["number.pool_pump_target_speed"]["state"] == "2000"
    assert house["number.pool_pump_target_speed"]["attributes"] == {
        "min": 450,
        "max": 3450,
        "step": 10,
        "unit_of_measurement": "RPM",
    }
    assert house["number.pool_chlorinator_output"]["state"] == "40"


async def test_the_pool_pump_in_percent_is_refused_and_the_pool_light_left_alone(
    tmp_path: Path, capsys
) -> None:
    # "the pool pump" names the pump (a switch) exactly: it never means the Pool Light, and
    # its speed is set in RPM, which the reply says with what to say instead.
    percent, unitless, states = await demo(
        tmp_path, capsys, "set the pool pump to 40 percent", "set the pool pump speed to 2400"
    )
    assert (percent["intent"], percent["actions"], percent["results"]) == ("DobbyNumberSet", [], [])
    assert percent["reply"] == (
        "Pool Pump cannot be set to 40%: its speed is set in RPM (450 to 3450), "
        'say "set the pool pump to 2500 rpm".'
    )
    assert [r["ok"] for r in unitless["results"]] == [True]
    house = by_id(states)
    assert house["light.pool_light"]["state"] == "off"
    assert house["number.pool_pump_target_speed"]["state"] == "2400"


async def test_the_chatting_demo_serves_the_web_page_with_a_sign_in_link(tmp_path: Path) -> None:
    import asyncio
    import os
    import re

    import aiohttp

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "agent",
        "demo",
        "--state",
        str(tmp_path),
        cwd=CONFIG.parent,
        env={**os.environ, "DOBBY_HTTP_PORT": "0", "DOBBY_WEB_URL": ""},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    try:
        async with asyncio.timeout(90):
            line = b""
            while b"/signin/" not in line:
                line = await process.stdout.readline()
                assert line, "the demo ended without a sign-in link"
        link = re.search(r"http://127\.0\.0\.1:\d+/signin/\S+", line.decode()).group(0)
        jar = aiohttp.CookieJar(unsafe=True)
        async with aiohttp.ClientSession(cookie_jar=jar) as client:
            origin = link.split("/signin/")[0]
            async with client.post(link, headers={"Origin": origin}) as response:
                assert response.status == 200
                page = await response.text()
        assert "terminal" in page  # the person at the terminal, signed in as admin
        assert 'id="light.kitchen_pendant"' in page
    finally:
        process.stdin.write(b"exit\n")
        await process.stdin.drain()
        await asyncio.wait_for(process.wait(), 30)


async def test_the_dry_run_shows_what_the_policy_would_do(tmp_path: Path, capsys) -> None:
    """A setpoint outside the bounds is shown refused, with the bounds; a sensitive command
    as waiting for a confirmation; `dobby understand` prints each action's verdict."""
    too_hot, unlock, fine, _ = await demo(
        tmp_path,
        capsys,
        "set the hallway thermostat to 40",
        "unlock the front door",
        "set the hallway thermostat to 21",
        dry_run=True,
    )
    bounds = "40° is outside the allowed range for Hallway Thermostat (10° to 30°)"
    assert too_hot["reply"].startswith(f"Not done: {bounds}")
    assert "Setting" not in too_hot["reply"]
    assert too_hot["verdicts"] == [f"refused: {bounds}"]
    assert unlock["verdicts"] == ["unlocking a door needs a confirmation"]
    assert fine["verdicts"] == ["allowed"]
    lines = understanding_lines(Understanding.model_validate(too_hot))
    assert lines[1] == (
        "  climate.set_temperature(temperature=40) on climate.hallway_thermostat"
        f"  (refused: {bounds})"
    )


def test_the_demo_s_unknown_devices_keep_their_seed_but_two_demos_do_not_share_it(
    tmp_path: Path,
) -> None:
    # a second demo on the same state dir, at the same time
    with kept_seed(tmp_path) as first, kept_seed(tmp_path) as alongside:
        assert alongside != first
    with kept_seed(tmp_path) as next_start:
        assert next_start == first
    with kept_seed(None) as one, kept_seed(None) as another:
        assert one != another
