"""The name index answers every question exactly as `resolve` does, only sooner."""

from __future__ import annotations

import pytest

from devices.capabilities import Domain
from devices.entities import DeviceInfo, EntitySpec
from devices.names import NameIndex, Resolution, Resolver, resolve
from devices.registry import Registry

AREAS = ("Kitchen", "Living Room", "Study", "Hallway", "Bedroom", "Guest Room")
KINDS = (
    (Domain.LIGHT, "Lamp"),
    (Domain.LIGHT, "Spot"),
    (Domain.SWITCH, "Plug"),
    (Domain.MEDIA_PLAYER, "Speaker"),
    (Domain.COVER, "Blind"),
)

QUESTIONS: list[dict[str, object]] = [
    {"name": name}
    for name in (
        "desk lamp",
        "desk lamb",
        "the Desk Lamp",
        "kitchen lamp 1",
        "kitchn lamp 1",
        "kitchen lamp",
        "living room",
        "livng room speaker 1",
        "upstairs",
        "downstairs",
        "ground floor",
        "kitchen",
        "too bright",
        "it's too bright",
        "light.desk_lamp",
        "front dor",
        "porch lamp",
        "lamp",
        "bed side lamp",
        "kitchn",
        "study spot",
        "study spots",
        "hallway lock",
        "upstairs blinds",
        "study spot 2",
        "stdy spot",
        "kitchen plug 1",
        "kitchen plug",
        "study plug 2 lamp",
        "",
        "x",
    )
]
QUESTIONS += [{"name": None, "area": "kitchen"}, {"name": None, "floor": "upstairs"}]
QUESTIONS += [{"name": None, "area": "nowhere"}, {"name": "lamp 1", "floor": "nowhere"}]
QUESTIONS += [{"name": "kitchen lamp", "area": "kitchen"}, {"name": "lamp 1", "floor": "upstairs"}]
QUESTIONS += [{"name": "spot 1", "area": "study", "floor": "upstairs"}]
DOMAINS: list[frozenset[Domain] | None] = [
    None,
    frozenset({Domain.LIGHT}),
    frozenset({Domain.MEDIA_PLAYER, Domain.SWITCH}),
    frozenset({Domain.COVER}),
]


def same(found: Resolution) -> tuple[list[str], list[str], str, list[str]]:
    return (
        [e.entity_id for e in found.entities],
        [e.entity_id for e in found.candidates],
        found.how,
        [e.entity_id for e in found.elsewhere],
    )


def add(registry: Registry, name: str, area: str, domain: Domain) -> None:
    spec = EntitySpec(f"uid-{name}", domain, name)
    registry.upsert_device("test", DeviceInfo(f"uid-{name}", name, suggested_area=area), [spec])


@pytest.fixture(scope="module")
def big_house() -> Registry:
    """Many look-alike names over two floors: "Kitchen Lamp 1", "Study Spot 2", ..."""
    registry = Registry()
    registry.add_floor("Ground Floor", aliases=["downstairs"])
    registry.add_floor("Upstairs")
    for n, area in enumerate(AREAS):
        registry.add_area(area, floor="Upstairs" if n >= 4 else "Ground Floor")
    add(registry, "Desk Lamp", "Study", Domain.LIGHT)
    add(registry, "Front Door", "Hallway", Domain.LOCK)
    add(registry, "Living Room Speaker", "Living Room", Domain.MEDIA_PLAYER)
    for number in range(1, 6):
        for area in AREAS:
            for domain, kind in KINDS:
                add(registry, f"{area} {kind} {number}", area, domain)
    registry.entity("light.desk_lamp").aliases = ("reading light", "Desk Lamp")
    return registry


@pytest.mark.parametrize("domains", DOMAINS)
@pytest.mark.parametrize("question", QUESTIONS)
def test_index_answers_as_resolve_does(
    big_house: Registry, question: dict[str, object], domains: frozenset[Domain] | None
) -> None:
    index = NameIndex(big_house)
    kwargs: dict[str, object] = {**question, "domains": domains}
    expected = same(resolve(big_house, **kwargs))  # type: ignore[arg-type]
    assert same(index.resolve(**kwargs)) == expected  # type: ignore[arg-type]
    resolver = Resolver(index)
    assert same(resolver(**kwargs)) == expected  # type: ignore[arg-type]
    assert same(resolver(**kwargs)) == expected  # type: ignore[arg-type]  # remembered


def test_close_scores_only_what_passes_the_guard(big_house: Registry) -> None:
    scores = NameIndex(big_house).close("kitchen lamp")
    assert scores  # "Kitchen Lamp 1", "Kitchen Lamp 2", ... and the rest of the Kitchen
    assert all(big_house.entity(e).area_id == "kitchen" for e in scores)
    assert "light.desk_lamp" not in scores
    best = max(scores.values())
    assert {e for e, score in scores.items() if score == best} == {
        f"light.kitchen_lamp_{n}" for n in range(1, 6)
    }


def test_a_misspelt_name_asks_between_close_ones(home: Registry, add_speaker: object) -> None:
    add_speaker(home, "Kitchen Left", "Kitchen")  # type: ignore[operator]
    add_speaker(home, "Kitchen Right", "Kitchen")  # type: ignore[operator]
    add_speaker(home, "Bar Speaker 1", "Kitchen")  # type: ignore[operator]
    add_speaker(home, "Bar Speaker 2", "Kitchen")  # type: ignore[operator]
    resolver = Resolver(NameIndex(home))
    found = resolver("bar speaker")
    assert found.ambiguous
    assert same(found) == same(resolve(home, "bar speaker"))
    assert [e.entity_id for e in resolver("kitchen rght").entities] == [
        "media_player.kitchen_right"
    ]


def test_answers_are_copies(home: Registry) -> None:
    resolver = Resolver(NameIndex(home))
    first = resolver("kitchen")
    first.entities.clear()
    assert [e.entity_id for e in resolver("kitchen").entities] == ["media_player.kitchen"]


def test_state_is_the_registrys_current_one(home: Registry) -> None:
    index = NameIndex(home)
    entity = home.entity("media_player.kitchen")
    assert index.resolve("kitchen").entities[0] is entity
