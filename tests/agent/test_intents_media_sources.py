"""Favourites and playlists by name, the radio, and playing in two places together."""

from __future__ import annotations

import pytest

from agent.intents.media import find_source
from devices.capabilities import MediaPlayerState
from tests.agent.test_intents_control import demo_house, described, read

SOURCES = ["Jazz Radio", "Morning News", "Late Jazz"]


@pytest.mark.parametrize(
    ("sentence", "language", "actions", "reply"),
    [
        (
            "play my late jazz playlist in the bedroom",
            "en",
            ["media_player.select_source(source=Late Jazz) on media_player.bedroom"],
            "Playing Late Jazz on Bedroom.",
        ),
        (
            "play jazz radio in the kitchen",
            "en",
            ["media_player.select_source(source=Jazz Radio) on media_player.kitchen"],
            "Playing Jazz Radio on Kitchen.",
        ),
        (
            "put the radio on in the bedroom",
            "en",
            ["media_player.select_source(source=Jazz Radio) on media_player.bedroom"],
            "Playing Jazz Radio on Bedroom.",
        ),
        (
            # No place: where something plays now.
            "play the morning news",
            "en",
            [
                "media_player.select_source(source=Morning News) on media_player.kitchen",
                "media_player.select_source(source=Morning News) on media_player.living_room",
            ],
            "Playing Morning News on Kitchen and Living Room.",
        ),
        (
            "mach das Radio an im Schlafzimmer",
            "de",
            ["media_player.select_source(source=Jazz Radio) on media_player.bedroom"],
            "Spiele Jazz Radio auf Bedroom.",
        ),
    ],
)
def test_a_source_is_played_by_its_name(
    sentence: str, language: str, actions: list[str], reply: str
) -> None:
    result = read(sentence, language)
    assert described(result) == actions
    assert result.reply == reply


def test_a_name_the_player_does_not_have_is_answered_with_what_it_has() -> None:
    result = read("play polka hour in the bedroom")
    assert result.actions == []
    assert result.reply == (
        "Bedroom has no favourite or playlist called 'polka hour'; "
        "it has Jazz Radio, Morning News or Late Jazz."
    )


def test_a_group_plays_once_through_its_coordinator() -> None:
    registry = demo_house()
    for entity_id in ("media_player.kitchen", "media_player.living_room"):
        entity = registry.entity(entity_id)
        assert isinstance(entity.state, MediaPlayerState)
        grouped = ["media_player.kitchen", "media_player.living_room"]
        entity.state = entity.state.model_copy(update={"group_members": grouped})
    result = read("play the morning news", registry=registry)
    assert described(result) == [
        "media_player.select_source(source=Morning News) on media_player.kitchen"
    ]


def test_two_places_play_together_under_the_one_that_plays() -> None:
    result = read("play late jazz in the bedroom and the kitchen together")
    assert described(result) == [
        "media_player.join(members=['media_player.bedroom']) on media_player.kitchen",
        "media_player.select_source(source=Late Jazz) on media_player.kitchen",
    ]
    assert result.reply == "Playing Late Jazz on Kitchen and Bedroom together."
    resumed = read("play in the bedroom and the kitchen together")
    assert described(resumed) == [
        "media_player.join(members=['media_player.bedroom']) on media_player.kitchen"
    ]
    german = read("spiel Musik im Schlafzimmer und in der Küche zusammen", "de")
    assert described(german) == described(resumed)


@pytest.mark.parametrize(
    ("said", "found"),
    [
        ("late jazz", "Late Jazz"),
        ("my late jazz playlist", "Late Jazz"),
        ("the morning news station", "Morning News"),
        ("news", "Morning News"),
        ("jazz", None),  # two names hold it: ask, do not guess
        ("polka", None),
    ],
)
def test_find_source(said: str, found: str | None) -> None:
    assert find_source(said, SOURCES) == found
