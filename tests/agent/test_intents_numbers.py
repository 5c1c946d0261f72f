"""Numbers a person sets by saying the value and its unit: a pump's speed, a chlorinator's
output. The unit picks the setting; the policy, not the intent, owns the range."""

from __future__ import annotations

import pytest

from agent.intents import IntentReader
from devices.capabilities import Domain, NumberState
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry
from tests.agent.test_intents_control import SLEEPY_TIME, demo_house, described


def house(*, spa: bool = False) -> Registry:
    """The intents' demo house with the pool controller's numbers, named as the ScreenLogic
    adapter names them (the pump's one preset runs for the Pool Pump circuit)."""
    registry = demo_house()
    rpm = NumberState(state="2500", min=450, max=3450, step=10, unit_of_measurement="RPM")
    percent = NumberState(state="50", min=0, max=100, unit_of_measurement="%")
    numbers = [
        EntitySpec(
            "speed",
            Domain.NUMBER,
            "Pool Pump Target Speed",
            device_class="speed",
            state=rpm,
        ),
        EntitySpec("pool-output", Domain.NUMBER, "Pool Chlorinator Output", state=percent),
    ]
    if spa:
        numbers.append(
            EntitySpec("spa-output", Domain.NUMBER, "Spa Chlorinator Output", state=percent)
        )
    registry.upsert_device(
        "fake",
        DeviceInfo(unique_id="controller", name="Pentair", suggested_area="Backyard"),
        numbers,
    )
    return registry


@pytest.mark.parametrize(
    ("language", "sentence", "action", "reply"),
    [
        (
            "en",
            "set the pool pump to 2500 rpm",
            "number.set_value(value=2500.0) on number.pool_pump_target_speed",
            "Setting Pool Pump Target Speed to 2500 RPM.",
        ),
        (
            "en",
            "set the chlorinator to 40 percent",
            "number.set_value(value=40.0) on number.pool_chlorinator_output",
            "Setting Pool Chlorinator Output to 40 %.",
        ),
        (
            "en",
            "run the pool pump at 1800 RPM",
            "number.set_value(value=1800.0) on number.pool_pump_target_speed",
            "Setting Pool Pump Target Speed to 1800 RPM.",
        ),
        (
            "en",
            "set the pool chlorinator output to 35%",
            "number.set_value(value=35.0) on number.pool_chlorinator_output",
            "Setting Pool Chlorinator Output to 35 %.",
        ),
        (
            "de",
            "stell die Poolpumpe auf 2500 U/min",
            "number.set_value(value=2500.0) on number.pool_pump_target_speed",
            "Stelle Pool Pump Target Speed auf 2500 RPM.",
        ),
        (
            "de",
            "setze den Chlorinator auf 40 Prozent",
            "number.set_value(value=40.0) on number.pool_chlorinator_output",
            "Stelle Pool Chlorinator Output auf 40 %.",
        ),
    ],
)
def test_a_number_is_set_by_its_value_and_unit(
    language: str, sentence: str, action: str, reply: str
) -> None:
    result = IntentReader(house(), language, routines=[SLEEPY_TIME]).read(sentence)
    assert result is not None, sentence
    assert result.intent == "DobbyNumberSet"
    assert described(result) == [action]
    assert result.reply == reply


def test_the_unit_said_must_be_the_settings_own() -> None:
    result = IntentReader(house(), "en").read("set the chlorinator to 2500 rpm")
    assert result is not None
    assert result.actions == []
    assert result.reply == (
        "Pool Chlorinator Output cannot be set to 2500 RPM: it is set in percent (0 to 100), "
        'say "set the chlorinator to 50 percent".'
    )


@pytest.mark.parametrize(
    ("language", "sentence", "reply"),
    [
        (
            "en",
            "set the pool pump to 40 percent",
            "Pool Pump cannot be set to 40%: its speed is set in RPM (450 to 3450), "
            'say "set the pool pump to 2500 rpm".',
        ),
        (
            "de",
            "stell die Poolpumpe auf 40 Prozent",
            "Pool Pump lässt sich nicht auf 40 % stellen: die Drehzahl wird in RPM eingestellt "
            "(450 bis 3450), sag „Poolpumpe auf 2500 U/min stellen“.",
        ),
    ],
)
def test_a_pump_in_percent_is_refused_and_never_the_pool_light(
    language: str, sentence: str, reply: str
) -> None:
    # The words name the Pool Pump exactly (a switch): never the Pool Light, which shares
    # only "pool" with them. The pump's speed is its setting, in RPM: say so, send nothing.
    result = IntentReader(house(), language, routines=[SLEEPY_TIME]).read(sentence)
    assert result is not None
    assert (result.intent, result.actions, result.reply) == ("DobbyNumberSet", [], reply)


@pytest.mark.parametrize(
    ("language", "sentence", "action", "reply"),
    [
        (
            "en",
            "set the pool pump speed to 2400",
            "number.set_value(value=2400.0) on number.pool_pump_target_speed",
            "Setting Pool Pump Target Speed to 2400 RPM.",
        ),
        (
            "de",
            "stell die Drehzahl der Poolpumpe auf 2000",
            "number.set_value(value=2000.0) on number.pool_pump_target_speed",
            "Stelle Pool Pump Target Speed auf 2000 RPM.",
        ),
    ],
)
def test_a_speed_said_without_a_unit_is_in_the_settings_own(
    language: str, sentence: str, action: str, reply: str
) -> None:
    result = IntentReader(house(), language, routines=[SLEEPY_TIME]).read(sentence)
    assert result is not None, sentence
    assert (result.intent, described(result), result.reply) == ("DobbyNumberSet", [action], reply)


@pytest.mark.parametrize(
    ("sentence", "actions"),
    [
        ("turn off the pool pump", ["switch.turn_off() on switch.pool_pump"]),
        ("set the pool light to 40 percent", ["light.turn_on(brightness=40) on light.pool_light"]),
        (
            "dim the kitchen to 30 percent",
            [
                "light.turn_on(brightness=30) on light.counter_strip",
                "light.turn_on(brightness=30) on light.kitchen_pendant",
            ],
        ),
    ],
)
def test_the_pump_the_light_and_a_room_are_still_themselves(
    sentence: str, actions: list[str]
) -> None:
    result = IntentReader(house(), "en", routines=[SLEEPY_TIME]).read(sentence)
    assert result is not None, sentence
    assert described(result) == actions


def test_a_chlorinator_with_pool_and_spa_outputs_asks_which() -> None:
    result = IntentReader(house(spa=True), "en").read("set the chlorinator to 40 percent")
    assert result is not None
    assert result.actions == []
    assert result.question == "Did you mean Pool Chlorinator Output or Spa Chlorinator Output?"


def test_a_value_past_the_range_is_understood_and_left_to_the_policy() -> None:
    # The intent does not clamp or refuse: the policy refuses it, naming the range
    # (tests/skills/test_policy.py, and read back against the emulator in test_demo).
    result = IntentReader(house(), "en").read("set the pool pump to 9000 rpm")
    assert result is not None
    assert described(result) == ["number.set_value(value=9000.0) on number.pool_pump_target_speed"]


def test_a_light_in_percent_is_still_a_light() -> None:
    result = IntentReader(house(), "en", routines=[SLEEPY_TIME]).read(
        "set the kitchen pendant to 40 percent"
    )
    assert result is not None
    assert result.intent == "HassLightSet"


@pytest.mark.parametrize(
    ("language", "sentence", "reply"),
    [
        ("en", "what is the pool chlorinator output", "Pool Chlorinator Output is 50 %."),
        ("en", "what is the chlorinator output", "Pool Chlorinator Output is 50 %."),
        ("de", "wie hoch ist die Pool Chlorinator Output", "Pool Chlorinator Output ist 50 %."),
    ],
)
def test_a_numbers_value_is_asked_like_a_readings(language: str, sentence: str, reply: str) -> None:
    result = IntentReader(house(), language).read(sentence)
    assert result is not None, sentence
    assert (result.intent, result.actions, result.reply) == ("HassGetState", [], reply)
