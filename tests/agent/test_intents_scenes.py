"""Scenes a hub keeps, activated by name like Home Assistant's scenes."""

from __future__ import annotations

import pytest

from agent.intents import IntentReader
from devices.capabilities import Domain, SceneState
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry
from tests.agent.test_intents_control import SLEEPY_TIME, demo_house, described


def house() -> Registry:
    """The demo house with a hub's scenes: a Movie scene in two rooms, a Morning one."""
    registry = demo_house()
    scenes = [("movie-lr", "Movie", "Living Room"), ("movie-br", "Movie", "Bedroom")]
    scenes.append(("morning", "Morning", "Bedroom"))
    registry.upsert_device(
        "fake",
        DeviceInfo(unique_id="hub", name="Shade Hub"),
        [
            EntitySpec(uid, Domain.SCENE, name, state=SceneState(), suggested_area=area)
            for uid, name, area in scenes
        ],
    )
    return registry


@pytest.mark.parametrize(
    ("language", "sentence", "entity_id", "reply"),
    [
        ("en", "movie scene in the living room", "scene.movie", "Activating Movie."),
        ("en", "activate the movie scene in the bedroom", "scene.movie_2", "Activating Movie."),
        ("en", "activate morning", "scene.morning", "Activating Morning."),
        ("en", "activate the morning scene", "scene.morning", "Activating Morning."),
        ("de", "aktiviere die Szene Morning", "scene.morning", "Aktiviere Morning."),
    ],
)
def test_a_scene_is_activated_by_name(
    language: str, sentence: str, entity_id: str, reply: str
) -> None:
    registry = house()
    result = IntentReader(registry, language, routines=[SLEEPY_TIME]).read(sentence)
    assert result is not None, sentence
    assert described(result) == [f"scene.activate() on {entity_id}"]
    assert result.reply == reply
    if entity_id == "scene.movie":
        assert registry.area_name(registry.entity(entity_id)) == "Living Room"


def test_a_scene_in_two_rooms_asks_which() -> None:
    result = IntentReader(house(), "en", routines=[SLEEPY_TIME]).read("activate the movie scene")
    assert result is not None
    assert result.actions == []
    assert result.question is not None
    assert "Living Room" in result.question
    assert "Bedroom" in result.question


def test_a_routine_still_wins_its_own_name() -> None:
    result = IntentReader(house(), "en", routines=[SLEEPY_TIME]).read("activate sleepy time")
    assert result is not None
    assert result.routine == "sleepy time"
