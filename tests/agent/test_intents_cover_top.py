"""The top rail of a top-down/bottom-up shade, asked for in English and German."""

from __future__ import annotations

import pytest

from agent.intents import IntentReader
from devices.capabilities import CoverState, Domain
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry
from tests.agent.test_intents_control import demo_house, described


def house() -> Registry:
    """The demo house with a top-down/bottom-up shade in the Bedroom."""
    registry = demo_house()
    registry.upsert_device(
        "fake",
        DeviceInfo(unique_id="duette", name="Bedroom Duette", suggested_area="Bedroom"),
        [
            EntitySpec(
                "duette",
                Domain.COVER,
                "Bedroom Duette",
                features=frozenset({"open", "close", "set_position", "set_top_position"}),
                device_class="shade",
                state=CoverState(state="closed", position=0, top_position=0),
            )
        ],
    )
    return registry


@pytest.mark.parametrize(
    ("language", "sentence", "position", "reply"),
    [
        ("en", "open the top of the bedroom duette", 100, "Opening the top of Bedroom Duette."),
        ("en", "open the bedroom duette from the top", 100, "Opening the top of Bedroom Duette."),
        ("en", "close the top of the bedroom duette", 0, "Closing the top of Bedroom Duette."),
        (
            "en",
            "set the top of the bedroom duette to 40%",
            40,
            "Moving the top of Bedroom Duette to 40%.",
        ),
        ("de", "öffne das Bedroom Duette von oben", 100, "Öffne Bedroom Duette von oben."),
        ("de", "schließe Bedroom Duette oben", 0, "Schließe Bedroom Duette oben."),
    ],
)
def test_the_top_rail_is_moved_by_name(
    language: str, sentence: str, position: int, reply: str
) -> None:
    result = IntentReader(house(), language).read(sentence)
    assert result is not None
    assert result.intent == "DobbyCoverTop"
    assert described(result) == [
        f"cover.set_top_position(position={position}) on cover.bedroom_duette"
    ]
    assert result.reply == reply


def test_the_top_of_the_bedroom_shades_is_only_the_ones_with_a_top_rail() -> None:
    result = IntentReader(house(), "en").read("open the top of the bedroom shades")
    assert result is not None
    assert described(result) == ["cover.set_top_position(position=100) on cover.bedroom_duette"]


def test_a_shade_without_a_top_rail_says_so() -> None:
    result = IntentReader(house(), "en").read("open the top of the bedroom blackout")
    assert result is not None
    assert result.actions == []
    assert result.reply == "Bedroom Blackout cannot open from the top: it has no top rail."


@pytest.mark.parametrize(
    ("language", "sentence"),
    [("en", "close all the shades"), ("en", "shut all shades"), ("de", "schließe alle Rollos")],
)
def test_close_all_the_shades_includes_one_whose_position_is_unknown(
    language: str, sentence: str
) -> None:
    registry = house()
    registry.upsert_device(
        "fake",
        DeviceInfo(unique_id="lost", name="Lost Shade", suggested_area="Kitchen"),
        [
            EntitySpec(
                "lost",
                Domain.COVER,
                "Lost Shade",
                device_class="shade",
                state=CoverState(state="unknown"),
            )
        ],
    )
    result = IntentReader(registry, language).read(sentence)
    assert result is not None
    assert described(result) == [
        "cover.close() on cover.bedroom_blackout",
        "cover.close() on cover.living_room_shade",
        "cover.close() on cover.lost_shade",
    ]  # the Bedroom Duette is closed already
