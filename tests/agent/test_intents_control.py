"""Local understanding of commands over the demo house: on/off, lights, covers, climate."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.intents import IntentReader, IntentResult
from devices.capabilities import STATE_MODELS, Domain, LightState, SwitchState
from devices.entities import DeviceInfo, EntitySpec, slugify
from devices.registry import EntityOverride, Registry
from skills.routines import Routine, Step, Target

HOUSE = Path(__file__).parent / "fixtures" / "intents_demo_house.yaml"

SLEEPY_TIME = Routine(
    name="sleepy time",
    phrases=["good night"],
    steps=[
        Step(command="light.turn_off"),
        Step(command="cover.set_position", target=Target(area="Bedroom"), params={"position": 0}),
    ],
)


def demo_house() -> Registry:
    """The demo house of DEMO_HOUSE.md, with German aliases for places and some devices."""
    data = yaml.safe_load(HOUSE.read_text(encoding="utf-8"))
    registry = Registry()
    for floor in data["floors"]:
        registry.add_floor(floor["name"], aliases=floor.get("aliases", []))
    for area in data["areas"]:
        registry.add_area(area["name"], floor=area["floor"], aliases=area.get("aliases", []))
    for entity in data["entities"]:
        domain, name = Domain(entity["domain"]), entity["name"]
        attributes = dict(entity.get("attributes", {}))
        device_class = attributes.pop("device_class", None)
        state = STATE_MODELS[domain].model_validate({"state": entity["state"], **attributes})
        if entity.get("aliases"):
            registry.overrides[f"{domain.value}.{slugify(name)}"] = EntityOverride(
                aliases=tuple(entity["aliases"])
            )
        registry.upsert_device(
            "fake",
            DeviceInfo(unique_id=name, name=name, suggested_area=entity["area"]),
            [EntitySpec(name, domain, name, device_class=device_class, state=state)],
        )
    return registry


def read(sentence: str, language: str = "en", registry: Registry | None = None) -> IntentResult:
    reader = IntentReader(registry or demo_house(), language, routines=[SLEEPY_TIME])
    result = reader.read(sentence)
    assert result is not None, sentence
    return result


def described(result: IntentResult) -> list[str]:
    return [action.describe() for action in result.actions]


CASES: Sequence[tuple[str, str, str, dict[str, Any], list[str], str]] = [
    # English: by area + domain, floor, all, name, device class, lock, switch, climate.
    (
        "en",
        "turn off the kitchen lights",
        "HassTurnOff",
        {"area": "Kitchen", "domain": "light"},
        ["light.turn_off() on light.counter_strip", "light.turn_off() on light.kitchen_pendant"],
        "Turning off Counter Strip and Kitchen Pendant.",
    ),
    (
        "en",
        "turn on all the upstairs lights",
        "HassTurnOn",
        {"floor": "Upstairs", "domain": "light"},
        ["light.turn_on() on light.bedside_lamp"],
        "Turning on Bedside Lamp.",
    ),
    (
        "en",
        "close the bedroom blinds",
        "HassTurnOff",
        {"area": "Bedroom", "device_class": "blind", "domain": "cover"},
        ["cover.close() on cover.bedroom_blackout"],
        "Closing Bedroom Blackout.",
    ),
    (
        "en",
        "open the living room shade",
        "HassTurnOn",
        {"name": "Living Room Shade"},
        ["cover.open() on cover.living_room_shade"],
        "Opening Living Room Shade.",
    ),
    (
        "en",
        "lock the front door",
        "HassTurnOn",
        {"name": "Front Door"},
        ["lock.lock() on lock.front_door"],
        "Locking Front Door.",
    ),
    (
        "en",
        "unlock the front door",
        "HassTurnOff",
        {"name": "Front Door"},
        ["lock.unlock() on lock.front_door"],
        "Unlocking Front Door.",
    ),
    (
        "en",
        "turn off the pool pump",
        "HassTurnOff",
        {"name": "Pool Pump"},
        ["switch.turn_off() on switch.pool_pump"],
        "Turning off Pool Pump.",
    ),
    (
        "en",
        "turn off the hallway thermostat",
        "HassTurnOff",
        {"name": "Hallway Thermostat"},
        ["climate.turn_off() on climate.hallway_thermostat"],
        "Turning off Hallway Thermostat.",
    ),
    (
        "en",
        "turn on the hallway thermostat",
        "HassTurnOn",
        {"name": "Hallway Thermostat"},
        ["climate.set_hvac_mode(hvac_mode=heat) on climate.hallway_thermostat"],
        "Turning on Hallway Thermostat.",
    ),
    (
        "en",
        "set the kitchen brightness to 50%",
        "HassLightSet",
        {"area": "Kitchen", "brightness": 50, "domain": "light"},
        [
            "light.turn_on(brightness=50) on light.counter_strip",
            "light.turn_on(brightness=50) on light.kitchen_pendant",
        ],
        "Setting Counter Strip and Kitchen Pendant to 50% brightness.",
    ),
    (
        "en",
        "set the counter strip to red",
        "HassLightSet",
        {"name": "Counter Strip", "color": "red"},
        ["light.turn_on(rgb_color=[255, 0, 0]) on light.counter_strip"],
        "Setting Counter Strip to red.",
    ),
    (
        "en",
        "set the floor lamp color temperature to 2700",
        "HassLightSet",
        {"name": "Floor Lamp", "temperature": 2700},
        ["light.turn_on(color_temp_kelvin=2700) on light.floor_lamp"],
        "Setting Floor Lamp to 2700 K.",
    ),
    (
        "en",
        "set the bedroom blinds to 30%",
        "HassSetPosition",
        {"area": "Bedroom", "device_class": "blind", "position": 30, "domain": "cover"},
        ["cover.set_position(position=30) on cover.bedroom_blackout"],
        "Moving Bedroom Blackout to 30%.",
    ),
    (
        "en",
        "set the temperature in the hallway to 19",
        "HassClimateSetTemperature",
        {"area": "Hallway", "temperature": 19},
        ["climate.set_temperature(temperature=19) on climate.hallway_thermostat"],
        "Setting Hallway Thermostat to 19 °C.",
    ),
    (
        "en",
        "set the pool heater to 28.5",
        "HassClimateSetTemperature",
        {"name": "Pool Heater", "temperature": 28.5},
        ["climate.set_temperature(temperature=28.5) on climate.pool_heater"],
        "Setting Pool Heater to 28.5 °C.",
    ),
    # German, with the house's German aliases.
    (
        "de",
        "Schalte das Licht in der Küche aus",
        "HassTurnOff",
        {"area": "Küche", "domain": "light"},
        ["light.turn_off() on light.counter_strip", "light.turn_off() on light.kitchen_pendant"],
        "Schalte Counter Strip und Kitchen Pendant aus.",
    ),
    (
        "de",
        "Schließe die Rollos im Schlafzimmer",
        "HassTurnOff",
        {"area": "Schlafzimmer", "device_class": "blind", "domain": "cover"},
        ["cover.close() on cover.bedroom_blackout"],
        "Schließe Bedroom Blackout.",
    ),
    (
        "de",
        "Schließe die Haustür ab",
        "HassTurnOn",
        {"name": "Haustür"},
        ["lock.lock() on lock.front_door"],
        "Verriegle Front Door.",
    ),
    (
        "de",
        "Stelle die Helligkeit in der Küche auf 50 %",
        "HassLightSet",
        {"area": "Küche", "brightness": 50, "domain": "light"},
        [
            "light.turn_on(brightness=50) on light.counter_strip",
            "light.turn_on(brightness=50) on light.kitchen_pendant",
        ],
        "Setze die Helligkeit von Counter Strip und Kitchen Pendant auf 50 %.",
    ),
    (
        "de",
        "Stelle die Stehlampe auf rot",
        "HassLightSet",
        {"name": "Stehlampe", "color": "red"},
        ["light.turn_on(rgb_color=[255, 0, 0]) on light.floor_lamp"],
        "Setze Floor Lamp auf rot.",
    ),
    (
        "de",
        "Setze die Rollos im Schlafzimmer auf 30 %",
        "HassSetPosition",
        {"area": "Schlafzimmer", "device_class": "blind", "position": 30, "domain": "cover"},
        ["cover.set_position(position=30) on cover.bedroom_blackout"],
        "Fahre Bedroom Blackout auf 30 %.",
    ),
    (
        "de",
        "Stelle die Temperatur im Flur auf 19 Grad",
        "HassClimateSetTemperature",
        {"area": "Flur", "temperature": 19},
        ["climate.set_temperature(temperature=19) on climate.hallway_thermostat"],
        "Stelle Hallway Thermostat auf 19 °C.",
    ),
    (
        "de",
        "Pausiere die Musik in der Küche",
        "HassMediaPause",
        {"area": "Küche"},
        ["media_player.pause() on media_player.kitchen"],
        "Pausiere Kitchen.",
    ),
]


@pytest.mark.parametrize(
    ("language", "sentence", "intent", "slots", "actions", "reply"),
    CASES,
    ids=[case[1] for case in CASES],
)
def test_commands(
    language: str,
    sentence: str,
    intent: str,
    slots: dict[str, Any],
    actions: list[str],
    reply: str,
) -> None:
    result = read(sentence, language)
    assert (result.intent, result.slots) == (intent, slots)
    assert described(result) == actions
    assert (result.reply, result.question) == (reply, None)


def test_all_the_lights_means_all_and_the_lights_means_those_on() -> None:
    registry = demo_house()
    every = read("turn off all the lights", registry=registry)
    lit = [
        "light.turn_off() on light.counter_strip",
        "light.turn_off() on light.floor_lamp",
        "light.turn_off() on light.kitchen_pendant",
        "light.turn_off() on light.living_room_ceiling",
    ]
    assert described(every) == lit  # the bedside lamp and pool light are off already
    registry.update_state("light.pool_light", LightState(state="on"))
    assert "light.turn_off() on light.pool_light" in described(
        read("lights off", registry=registry)
    )


def test_turning_on_lights_without_a_place_asks_which() -> None:
    result = read("turn on the lights")
    assert result.actions == []
    assert result.question == (
        "Which light: in the Backyard, Bedroom, Kitchen or Living Room? Or say all of them."
    )
    german = read("Schalte die Lichter ein", "de")
    assert german.actions == []
    assert german.question is not None
    assert german.question.startswith("Welche (Licht): im Bereich Backyard, Bedroom")


def test_temperature_without_a_thermostat_named_asks_which() -> None:
    result = read("set the temperature to 19")
    assert result.intent == "HassClimateSetTemperature"
    assert result.actions == []
    assert result.question == "Did you mean Hallway Thermostat or Pool Heater?"


def test_temperature_unit_comes_from_the_household() -> None:
    reader = IntentReader(demo_house(), temperature_unit="°F")
    result = reader.read("set the hallway thermostat to 68")
    assert result is not None
    assert described(result) == [
        "climate.set_temperature(temperature=68) on climate.hallway_thermostat"
    ]
    assert result.reply == "Setting Hallway Thermostat to 68 °F."


def test_names_before_areas() -> None:
    """ "Kitchen" is an area and a speaker's name: "turn off the kitchen" is the speaker."""
    result = read("turn off the kitchen")
    assert result.slots == {"name": "Kitchen"}
    assert described(result) == ["media_player.stop() on media_player.kitchen"]


def test_a_fan_is_a_switch_with_the_fan_device_class() -> None:
    registry = demo_house()
    registry.upsert_device(
        "fake",
        DeviceInfo(unique_id="fan", name="Ceiling Fan", suggested_area="Bedroom"),
        [
            EntitySpec(
                "fan",
                Domain.SWITCH,
                "Ceiling Fan",
                device_class="fan",
                state=SwitchState(state="off"),
            )
        ],
    )
    fans = read("turn on the fans in the bedroom", registry=registry)
    assert fans.slots == {"area": "Bedroom", "domain": "fan"}
    assert described(fans) == ["switch.turn_on() on switch.ceiling_fan"]
    # The pool pump is a switch but not a fan.
    assert described(read("turn off all the fans", registry=registry)) == [
        "switch.turn_off() on switch.ceiling_fan"
    ]


def test_a_thing_dobby_has_no_domain_for_is_not_guessed() -> None:
    assert IntentReader(demo_house()).read("open the main valve") is None


def test_a_routine_runs_by_name_like_a_scene() -> None:
    for sentence, language in (("activate sleepy time", "en"), ("good night on", "en")):
        result = read(sentence, language)
        assert result.intent == "HassTurnOn"
        assert result.routine == "sleepy time"
        assert result.slots == {"name": "sleepy time"}
        assert "cover.set_position(position=0) on cover.bedroom_blackout" in described(result)
        assert "light.turn_off() on light.pool_light" in described(result)
        assert result.reply == "Running sleepy time."
    assert read("Aktiviere sleepy time", "de").reply == "Starte sleepy time."


def test_a_name_shared_by_two_lights_asks_back() -> None:
    registry = demo_house()
    for area in ("Kitchen", "Bedroom"):
        registry.upsert_device(
            "fake",
            DeviceInfo(unique_id=f"spot-{area}", name="Spot", suggested_area=area),
            [EntitySpec(f"spot-{area}", Domain.LIGHT, "Spot", state=LightState(state="off"))],
        )
    result = read("turn on the spot", registry=registry)
    assert result.actions == []
    assert result.question == "Did you mean Spot (Kitchen) or Spot (Bedroom)?"


def test_a_loose_name_is_looked_for_only_in_the_place_the_sentence_names() -> None:
    """ "The pool lights in the garage": the garage has no light, so nothing is turned on;
    the Pool Light out in the backyard is not what was asked for."""
    registry = demo_house()
    registry.add_area("Garage", floor="Ground Floor")
    result = read("turn on the pool lights in the garage", registry=registry)
    assert result.actions == []
    assert result.slots["area"] == "Garage"
    assert result.reply == "There is no light called pool in the Garage."
    # Without the place, the loose name still finds the Pool Light.
    [action] = read("turn on the pool lights", registry=registry).actions
    assert action.entity_id == "light.pool_light"
