"""Questions answered from the registry's state, in English and German, with no actions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agent.intents import IntentReader, IntentResult
from devices.capabilities import STATE_MODELS, Domain, LockState, SensorState
from devices.entities import DeviceInfo, EntitySpec, slugify
from devices.registry import EntityOverride, Registry

HOUSE = Path(__file__).parent / "fixtures" / "intents_demo_house.yaml"


def demo_house() -> Registry:
    """The demo house of DEMO_HOUSE.md (the same file the command tests read)."""
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


@pytest.fixture
def house() -> Registry:
    return demo_house()


def ask(registry: Registry, sentence: str, language: str = "en") -> IntentResult:
    result = IntentReader(registry, language).read(sentence)
    assert result is not None, sentence
    assert result.actions == [], "a question changes nothing"
    return result


@pytest.mark.parametrize(
    ("language", "sentence", "slots", "reply"),
    [
        (
            "en",
            "is the front door locked?",
            {"name": "Front Door", "state": "locked"},
            "No, Front Door is unlocked.",
        ),
        (
            "en",
            "which lights are on",
            {"domain": "light", "state": "on"},
            ("Counter Strip, Floor Lamp, Kitchen Pendant and Living Room Ceiling."),
        ),
        ("en", "how many lights are on", {"domain": "light", "state": "on"}, "4."),
        (
            "en",
            "are all the lights off",
            {"domain": "light", "state": "off"},
            "No, Counter Strip, Floor Lamp, Kitchen Pendant and Living Room Ceiling are not off.",
        ),
        (
            "en",
            "are any lights on in the kitchen",
            {"domain": "light", "state": "on", "area": "Kitchen"},
            "Yes, Counter Strip and Kitchen Pendant.",
        ),
        (
            "en",
            "are any windows open",
            {"domain": "cover", "device_class": "window", "state": "open"},
            "No.",
        ),
        (
            "en",
            "is the patio door open",
            {"name": "Patio Door", "state": "on"},
            "No, Patio Door is closed.",
        ),
        (
            "en",
            "what's the temperature in the hallway?",
            {"area": "Hallway"},
            "Hallway Thermostat: 20.5 °C, set to 21 °C.",
        ),
        (
            "de",
            "Ist die Haustür abgeschlossen?",
            {"name": "Haustür", "state": "locked"},
            "Nein, Front Door ist entriegelt.",
        ),
        (
            "de",
            "Welche Lichter sind an",
            {"domain": "light", "state": "on"},
            ("Counter Strip, Floor Lamp, Kitchen Pendant und Living Room Ceiling."),
        ),
        ("de", "Wie viele Lichter sind an", {"domain": "light", "state": "on"}, "4."),
        (
            "de",
            "Ist die Terrassentür offen",
            {"name": "Terrassentür", "state": "on"},
            "Nein, Patio Door ist geschlossen.",
        ),
        (
            "de",
            "Wie warm ist es im Flur?",
            {"area": "Flur"},
            "Hallway Thermostat: 20,5 °C, eingestellt auf 21 °C.",
        ),
    ],
)
def test_questions(
    house: Registry, language: str, sentence: str, slots: dict[str, str], reply: str
) -> None:
    result = ask(house, sentence, language)
    assert result.slots == slots
    assert (result.reply, result.question) == (reply, None)


def test_answers_follow_the_state(house: Registry) -> None:
    assert ask(house, "is the front door locked").reply == "No, Front Door is unlocked."
    house.update_state("lock.front_door", LockState(state="locked"))
    assert ask(house, "is the front door locked").reply == "Yes."
    assert ask(house, "Ist die Haustür abgeschlossen", "de").reply == "Ja."
    assert ask(house, "are all the doors locked").reply == "Yes."


def test_temperature_of_the_whole_house_names_every_thermostat(house: Registry) -> None:
    assert ask(house, "what's the temperature").reply == (
        "Hallway Thermostat: 20.5 °C, set to 21 °C. Pool Heater: 25 °C, set to 27 °C."
    )


def test_a_place_without_a_thermostat_reads_its_sensor(house: Registry) -> None:
    house.upsert_device(
        "fake",
        DeviceInfo(unique_id="bedroom-temp", name="Bedroom Temperature", suggested_area="Bedroom"),
        [
            EntitySpec(
                "bedroom-temp",
                Domain.SENSOR,
                "Bedroom Temperature",
                state=SensorState(state="18.5", unit_of_measurement="°C"),
            )
        ],
    )
    result = ask(house, "what is the temperature in the bedroom")
    assert result.intent == "HassClimateGetTemperature"
    assert result.reply == "Bedroom Temperature: 18.5 °C."
    sensor = ask(house, "what is the bedroom temperature")
    assert (sensor.intent, sensor.slots) == ("HassGetState", {"name": "Bedroom Temperature"})
    assert sensor.reply == "Bedroom Temperature is 18.5 °C."


def test_people_are_not_tracked(house: Registry) -> None:
    result = ask(house, "is anyone home")
    assert result.slots == {"domain": "person", "state": "home"}
    assert result.reply == "I don't keep track of people."
    assert ask(house, "Ist jemand zu Hause", "de").reply == "Über Personen weiß ich nichts."


def test_an_unavailable_device_says_so(house: Registry) -> None:
    house.set_device_available("fake:Front Door", available=False)
    assert ask(house, "is the front door locked").reply == "No, Front Door is unavailable."
