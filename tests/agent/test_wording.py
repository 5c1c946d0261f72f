"""The household's wording around a request: the name, politeness, framing, several requests."""

from __future__ import annotations

import pytest

from agent.wording import Wording

EN = Wording()
DE = Wording(language="de")


@pytest.mark.parametrize(
    ("said", "plain"),
    [
        ("Dobby, turn off the kitchen lights", "turn off the kitchen lights"),
        ("hey Dobby turn off the kitchen lights", "turn off the kitchen lights"),
        ("turn off the kitchen lights, Dobby, please", "turn off the kitchen lights"),
        ("could you please turn off the kitchen lights, thanks", "turn off the kitchen lights"),
        ("ok so can you go ahead and close the blinds", "close the blinds"),
        ("I'd like you to pause the kitchen please", "pause the kitchen"),
        ("I\u2019d like you to pause the kitchen", "pause the kitchen"),
        ("would you mind closing the blinds", "close the blinds"),
        ("could you tell me which lights are on", "which lights are on"),
        ("it's too bright in the living room", "it's too bright in the living room"),
        ("thanks Dobby", "thanks"),
        ("Dobby?", ""),
        ("the dobbyish lamp", "the dobbyish lamp"),  # a name inside a word is no address
    ],
)
def test_english_requests_are_read_without_their_wrapping(said: str, plain: str) -> None:
    assert EN.plain(said) == plain


@pytest.mark.parametrize(
    ("said", "plain"),
    [
        ("Dobby, mach mal das Licht aus", "mach das Licht aus"),
        (
            "kannst du bitte das Licht in der Küche ausschalten",
            "das Licht in der Küche ausschalten",
        ),
        ("hey Dobby, schalte bitte die Stehlampe aus", "schalte die Stehlampe aus"),
        ("sag mal Dobby ist die Terrassentür offen", "ist die Terrassentür offen"),
        ("danke Dobby", "danke"),
    ],
)
def test_german_requests_are_read_without_their_wrapping(said: str, plain: str) -> None:
    assert DE.plain(said) == plain


def test_the_name_is_the_households() -> None:
    jeeves = Wording("Jeeves")
    assert jeeves.plain("Jeeves, it's sleepy time") == "it's sleepy time"
    assert jeeves.plain("Dobby, turn off the lights") == "Dobby, turn off the lights"
    assert "sleepy time" in jeeves.routine_forms("hey Jeeves, it's sleepy time")


def test_routine_phrases_are_read_in_their_natural_forms() -> None:
    assert EN.routine_forms("Dobby, it's sleepy time") == [
        "Dobby, it's sleepy time",
        "it's sleepy time",
        "sleepy time",
    ]
    assert "Schlafenszeit" in DE.routine_forms("es ist Schlafenszeit")
    # A phrase with the name in it is still tried as said: "bye dobby".
    assert EN.routine_forms("bye dobby")[0] == "bye dobby"


def test_several_requests_are_parts() -> None:
    assert EN.parts(
        "Dobby, close the blinds, turn on the floor lamp and then pause the kitchen"
    ) == [
        "close the blinds",
        "turn on the floor lamp",
        "pause the kitchen",
    ]
    assert DE.parts("mach die Rollos zu und schalte die Stehlampe ein") == [
        "mach die Rollos zu",
        "schalte die Stehlampe ein",
    ]
    assert EN.parts("turn off the lights please") == ["turn off the lights"]
