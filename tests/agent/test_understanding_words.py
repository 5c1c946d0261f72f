"""Understanding the household's own words on the demo house as data: the name, slips,
several requests in one sentence, and never the wrong device."""

from __future__ import annotations

import pytest

from agent.understanding import Understander, Understanding
from devices.capabilities import Domain
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry
from skills.routines import Routine, Step

SLEEPY = Routine(name="sleepy time", phrases=["good night"], steps=[Step(command="light.turn_off")])


@pytest.fixture(scope="module")
def english(intents_house: Registry) -> Understander:
    return Understander(intents_house, [SLEEPY])


@pytest.fixture(scope="module")
def german(intents_house: Registry) -> Understander:
    routine = SLEEPY.model_copy(update={"phrases": ["gute Nacht", "Schlafenszeit"]})
    return Understander(intents_house, [routine], language="de")


async def read(understander: Understander, text: str) -> Understanding:
    found = await understander.local(text)
    assert found is not None, text
    return found


def did(found: Understanding) -> list[str]:
    return sorted(a.describe() for a in found.actions)


@pytest.mark.parametrize(
    "said",
    [
        "Dobby, it's sleepy time",
        "sleepy-time Dobby",
        "ok Dobby it's sleepytime",
        "good night Dobby",
    ],
)
async def test_routine_phrases_with_the_name_and_framing(english: Understander, said: str) -> None:
    found = await read(english, said)
    assert (found.source, found.routine, found.text) == ("routine", "sleepy time", said)


async def test_the_configured_name_and_no_other(intents_house: Registry) -> None:
    jeeves = Understander(intents_house, [SLEEPY], assistant="Jeeves")
    assert (await read(jeeves, "Jeeves, good night")).routine == "sleepy time"
    assert await jeeves.local("Dobby, good night") is None


async def test_several_requests_become_one_plan(english: Understander) -> None:
    found = await read(english, "Dobby, close the blinds and turn on the floor lamp please")
    assert found.intent == "Compound"
    assert did(found) == [
        "cover.close() on cover.bedroom_blackout",
        "cover.close() on cover.living_room_shade",
        "light.turn_on() on light.floor_lamp",
    ]
    borrowed = await read(english, "turn off the floor lamp and the living room ceiling")
    assert did(borrowed) == [
        "light.turn_off() on light.floor_lamp",
        "light.turn_off() on light.living_room_ceiling",
    ]


@pytest.mark.parametrize(
    "said",
    [
        "close the blinds and order a pizza",  # half of it is not understood here
        "turn on the floor lamp and tell me a joke",
        "turn on the porch light and close the blinds",  # a part that only asks back
    ],
)
async def test_a_sentence_understood_only_in_part_is_not_understood(
    english: Understander, said: str
) -> None:
    assert await english.local(said) is None


async def test_slips_of_the_finger(english: Understander, german: Understander) -> None:
    kitchen = [
        "light.turn_off() on light.counter_strip",
        "light.turn_off() on light.kitchen_pendant",
    ]
    assert did(await read(english, "trun off the kitchn lihgts")) == kitchen
    assert did(await read(german, "mach das Licht in der Kueche aus")) == kitchen
    assert did(await read(german, "schalte die Stehlmape ein")) == [
        "light.turn_on() on light.floor_lamp"
    ]


async def test_a_loose_noun_never_acts_on_another_device(english: Understander) -> None:
    """The Pool Light case: only "light" is shared, so Dobby asks and does nothing."""
    found = await read(english, "turn on the porch light")
    assert found.actions == []
    assert found.asks
    assert "light.pool_light" in found.choices
    assert found.said == "porch light"


@pytest.mark.parametrize(
    ("said", "answer"),
    [
        ("is the hallway thermostat on", "Yes."),  # on: heating, not "on"
        ("what's playing in the bedroom", "Bedroom: nothing is playing."),
        ("hello", "Hello! What can I do for you?"),
        ("thanks Dobby", "You're welcome."),
        ("Dobby?", "Hello! What can I do for you?"),
    ],
)
async def test_questions_and_talk_are_answered(
    english: Understander, said: str, answer: str
) -> None:
    found = await read(english, said)
    assert (found.reply, found.actions) == (answer, [])


async def test_what_can_you_do_is_this_house(english: Understander) -> None:
    found = await read(english, "what can you do")
    assert found.reply.startswith("In this house I can control 6 lights, 1 switch, 3 speakers")
    assert '"sleepy time"' in found.reply
    assert found.actions == []


async def test_casual_verbs(english: Understander) -> None:
    brighter = await read(english, "make the bedroom brighter")  # a lamp that does not dim
    assert (brighter.intent, did(brighter)) == (
        "DobbyLightStep",
        ["light.turn_on() on light.bedside_lamp"],
    )
    assert did(await read(english, "crank the bedroom to 35")) == [
        "media_player.set_volume(volume=35) on media_player.bedroom"
    ]
    assert did(await read(english, "lock up")) == ["lock.lock() on lock.front_door"]
    assert did(await read(english, "silence the house")) == [
        "media_player.pause() on media_player.kitchen",
        "media_player.pause() on media_player.living_room",
    ]
    assert did(await read(english, "switch everything off in the living room")) == [
        "light.turn_off() on light.floor_lamp",
        "light.turn_off() on light.living_room_ceiling",
        "media_player.stop() on media_player.living_room",
    ]


async def test_a_name_given_between_two_sentences_names_the_device_in_the_next() -> None:
    """The home's names are looked at once per sentence, not once per reading of it: a name
    given after one sentence is known in the next, on every reading of it."""
    registry = Registry()
    registry.add_area("Kitchen")
    info = DeviceInfo("uid-pendant", "Kitchen Pendant", suggested_area="Kitchen")
    registry.upsert_device("test", info, [EntitySpec("uid-p", Domain.LIGHT, "Kitchen Pendant")])
    understander = Understander(registry, [SLEEPY])
    before = await understander.local("turn on the big light")
    assert before is None or not before.actions
    registry.entities["light.kitchen_pendant"].aliases = ("big light",)
    for said in ("turn on the big light", "trun on the big lihgt"):
        assert did(await read(understander, said)) == ["light.turn_on() on light.kitchen_pendant"]
