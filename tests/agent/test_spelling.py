"""Slips of the finger put right against the words Dobby knows, and only those."""

from __future__ import annotations

import pytest

from agent.intents.reader import IntentReader
from agent.intents.spelling import Speller
from devices.registry import Registry


@pytest.fixture(scope="module")
def reader(intents_house: Registry) -> IntentReader:
    return IntentReader(intents_house)


@pytest.mark.parametrize(
    ("said", "right"),
    [
        ("turn off the kitchn lihgts", "turn off the kitchen lights"),
        ("trun off teh lights", "turn off the lights"),  # "trun" is "turn", not "run"
        ("turn of the kitchen lights", "turn off the kitchen lights"),
        ("is the front dor locked", "is the front door locked"),
        ("close the bedroom blnds", "close the bedroom blinds"),
        ("set the temprature in the hallway to 22", "set the temperature in the hallway to 22"),
    ],
)
def test_slips_are_put_right(reader: IntentReader, said: str, right: str) -> None:
    assert reader.corrected(said) == right


@pytest.mark.parametrize(
    "said",
    [
        "turn on the porch light",  # "porch" is a word, just not one of this house
        "turn off the kitchen lights",  # nothing to put right
        "set the pool heater to 30",  # numbers are never touched
    ],
)
def test_words_are_left_alone(reader: IntentReader, said: str) -> None:
    assert reader.corrected(said) is None


def test_a_word_two_known_words_are_as_close_to_stays_as_it_is() -> None:
    speller = Speller({"lamp", "lame"})
    assert speller.word("lamx") is None
    assert speller.word("lampp") == "lamp"
    assert Speller({"küche"}).word("kueche") == "küche"


def test_a_tie_goes_to_the_households_own_word() -> None:
    # "halway" is one slip from the template word "halfway" and from the Hallway.
    assert Speller({"halfway", "hallway"}).word("halway") is None
    assert Speller({"halfway"}, preferred={"hallway"}).word("halway") == "hallway"
    # Two of the household's own words alike: still no guess.
    assert Speller({"halfway"}, preferred={"hallway", "hailway"}).word("halway") is None
