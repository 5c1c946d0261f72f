"""Names resolve the way people speak, and ambiguity asks back."""

from __future__ import annotations

from devices.capabilities import Domain
from devices.names import resolve
from devices.registry import Registry


def ids(registry: Registry, *args: str | None, **kwargs: object) -> list[str]:
    found = resolve(registry, *args, **kwargs)  # type: ignore[arg-type]
    return [e.entity_id for e in found.entities]


def test_exact_name_alias_and_case(home: Registry) -> None:
    assert ids(home, "the KITCHEN") == ["media_player.kitchen"]
    home.entity("media_player.bedroom").aliases = ("sleep speaker",)
    assert ids(home, "Sleep Speaker") == ["media_player.bedroom"]


def test_area_and_floor(home: Registry) -> None:
    assert ids(home, None, area="lounge") == ["media_player.living_room"]
    assert ids(home, None, floor="downstairs") == [
        "media_player.kitchen",
        "media_player.living_room",
    ]
    assert ids(home, "upstairs") == ["media_player.bedroom"]


def test_domain_filters(home: Registry) -> None:
    assert ids(home, "kitchen", domains=[Domain.LIGHT]) == []
    assert len(ids(home, None, domains=[Domain.MEDIA_PLAYER])) == 3


def test_fuzzy_match_takes_a_clear_winner(home: Registry) -> None:
    assert ids(home, "kitchn") == ["media_player.kitchen"]


def test_close_candidates_ask_back(home: Registry, add_speaker) -> None:
    add_speaker(home, "Kitchen Left", "Kitchen")
    add_speaker(home, "Kitchen Right", "Kitchen")
    found = resolve(home, "kitchen rght")
    assert [e.entity_id for e in found.entities] == ["media_player.kitchen_right"]
    found = resolve(home, "kitchen leight")
    assert found.ambiguous
    assert found.entities == []
    assert found.question() == "Did you mean Kitchen Right or Kitchen Left?"


def test_unknown_area_or_name_finds_nothing(home: Registry) -> None:
    assert ids(home, None, area="attic") == []
    assert ids(home, "toaster") == []
