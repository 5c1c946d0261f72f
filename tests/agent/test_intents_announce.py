"""Announcements said in a chat: "announce dinner is ready in the kitchen", in English and
German, in one place or on every speaker."""

from __future__ import annotations

import pytest

from agent.intents import IntentReader
from devices.capabilities import Domain, MediaPlayerState
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry
from tests.agent.test_intents import ALL_MEDIA, speaker

KITCHEN = "media_player.kitchen"
EVERYWHERE = [
    "media_player.announce(text={text}, language={language}) on media_player.bedroom",
    "media_player.announce(text={text}, language={language}) on media_player.kitchen",
    "media_player.announce(text={text}, language={language}) on media_player.living_room",
]


def house() -> Registry:
    """Three speakers, one a room, the rooms with their German names as aliases."""
    registry = Registry()
    for area, alias in (("Living Room", "Wohnzimmer"), ("Kitchen", "Küche"), ("Bedroom", "")):
        registry.add_area(area, aliases=[alias] if alias else [])
        speaker(registry, area, area, "stopped" if area == "Bedroom" else "playing")
    return registry


def read(sentence: str, language: str = "en", registry: Registry | None = None) -> list[str]:
    result = IntentReader(registry or house(), language).read(sentence)
    assert result is not None, sentence
    assert result.intent == "DobbyAnnounce", (sentence, result.intent)
    return [action.describe() for action in result.actions]


@pytest.mark.parametrize(
    ("sentence", "language", "text", "where"),
    [
        ("announce dinner is ready in the kitchen", "en", "dinner is ready", [KITCHEN]),
        ("say dinner is ready in the kitchen", "en", "dinner is ready", [KITCHEN]),
        ("say 'time for bed' on the kitchen", "en", "time for bed", [KITCHEN]),
        ("say dinner is ready on all speakers", "en", "dinner is ready", EVERYWHERE),
        ("announce dinner is ready everywhere", "en", "dinner is ready", EVERYWHERE),
        ("announce: the taxi is here", "en", "the taxi is here", EVERYWHERE),
        ("sag das Essen ist fertig in der Küche", "de", "das Essen ist fertig", [KITCHEN]),
        ("durchsage das Essen ist fertig überall", "de", "das Essen ist fertig", EVERYWHERE),
        ("sag Schlafenszeit auf allen Lautsprechern", "de", "Schlafenszeit", EVERYWHERE),
    ],
)
def test_an_announcement_is_read_with_its_text_language_and_place(
    sentence: str, language: str, text: str, where: list[str]
) -> None:
    command = f"media_player.announce(text={text}, language={language})"
    expected = [w.format(text=text, language=language) for w in where]
    assert read(sentence, language) == [
        e if e.startswith(command) else f"{command} on {e}" for e in expected
    ]


def test_a_group_hears_it_once_and_a_speaker_that_cannot_is_named() -> None:
    registry = house()
    for entity_id in (KITCHEN, "media_player.living_room"):
        entity = registry.entity(entity_id)
        assert isinstance(entity.state, MediaPlayerState)
        grouped = [KITCHEN, "media_player.living_room"]
        entity.state = entity.state.model_copy(update={"group_members": grouped})
    registry.upsert_device(
        "other",
        DeviceInfo(unique_id="radio", name="Old Radio", suggested_area="Bedroom"),
        [
            EntitySpec(
                unique_id="radio",
                domain=Domain.MEDIA_PLAYER,
                name="Old Radio",
                features=ALL_MEDIA - {"announce"},
                state=MediaPlayerState(state="idle"),
            )
        ],
    )
    result = IntentReader(registry).read("announce dinner is ready on all speakers")
    assert result is not None
    assert [a.entity_id for a in result.actions] == ["media_player.bedroom", KITCHEN]
    assert result.reply == (
        "Announcing “dinner is ready” on Bedroom, Kitchen and Living Room. "
        "Old Radio cannot make announcements."
    )
