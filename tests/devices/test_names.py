"""Names resolve the way people speak, and ambiguity asks back."""

from __future__ import annotations

import pytest

from devices.capabilities import Domain
from devices.entities import DeviceInfo, EntitySpec
from devices.names import NameIndex, Resolution, choose, resolve
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
    add_speaker(home, "Bar Speaker 1", "Kitchen")
    add_speaker(home, "Bar Speaker 2", "Kitchen")
    found = resolve(home, "bar speaker")  # two speakers hold "bar", neither more than the other
    assert found.ambiguous
    assert found.entities == []
    assert found.question() == "Did you mean Bar Speaker 1 or Bar Speaker 2?"
    kitchen = resolve(home, "kitchen speakers")  # a place and a kind: all of them there
    assert (kitchen.how, len(kitchen.entities)) == ("area", 5)
    assert resolve(home, "kitchen leight").how == "none"  # two slips: not Left, not Right


def pool_house() -> Registry:
    """A pool pump (a switch), the pool light, and the pump's speed setting (a number)."""
    registry = Registry()
    registry.add_area("Backyard")
    specs = [
        EntitySpec("pump", Domain.SWITCH, "Pool Pump"),
        EntitySpec("light", Domain.LIGHT, "Pool Light"),
        EntitySpec("speed", Domain.NUMBER, "Pool Pump Target Speed"),
        EntitySpec("output", Domain.NUMBER, "Pool Chlorinator Output"),
        EntitySpec("garden", Domain.SWITCH, "Garden Pump Station"),
        EntitySpec("garden-light", Domain.LIGHT, "Garden Light"),
    ]
    registry.upsert_device("test", DeviceInfo("pool", "Pool", suggested_area="Backyard"), specs)
    return registry


@pytest.mark.parametrize("how", ["resolve", "index"])
def test_a_name_of_another_kind_is_never_another_device(how: str) -> None:
    # "set the pool pump to 40 percent" looks for a light: the words name the Pool Pump,
    # a switch, so they never mean the Pool Light, which shares only "pool" with them.
    registry = pool_house()
    index = NameIndex(registry)

    def found(name: str, domains: set[Domain]) -> Resolution:
        if how == "index":
            return index.resolve(name, domains=domains)
        return resolve(registry, name, domains=domains)

    exact = found("the pool pump", {Domain.LIGHT})
    assert (exact.entities, exact.candidates, exact.how) == ([], [], "elsewhere")
    assert [e.entity_id for e in exact.elsewhere] == ["switch.pool_pump"]
    # Named better outside than inside, not exactly: the same.
    better = found("garden pump", {Domain.LIGHT})
    assert (better.entities, better.how) == ([], "elsewhere")
    assert [e.entity_id for e in better.elsewhere] == ["switch.garden_pump_station"]
    # An entity of the domains that holds every word of the phrase is the pump's own.
    setting = found("pool pump", {Domain.NUMBER})
    assert [e.entity_id for e in setting.entities] == ["number.pool_pump_target_speed"]
    # Words that name nothing outside are matched loosely as before.
    assert [e.entity_id for e in found("pool ligth", {Domain.LIGHT}).entities] == [
        "light.pool_light"
    ]
    assert [e.entity_id for e in found("pool pump", {Domain.SWITCH}).entities] == [
        "switch.pool_pump"
    ]


def test_unknown_area_or_name_finds_nothing(home: Registry) -> None:
    assert ids(home, None, area="attic") == []
    assert ids(home, "toaster") == []


def lights(registry: Registry, *names: tuple[str, str]) -> Registry:
    """Add lights by (name, area) the way an adapter would."""
    for name, area in names:
        spec = EntitySpec(f"uid-{name}", Domain.LIGHT, name)
        registry.upsert_device("t", DeviceInfo(f"uid-{name}", name, suggested_area=area), [spec])
    return registry


@pytest.fixture
def lit(home: Registry) -> Registry:
    """The demo house's lights beside its speakers."""
    home.add_area("Backyard", floor="Ground Floor", aliases=["garden", "pool"])
    return lights(
        home,
        ("Pool Light", "Backyard"),
        ("Floor Lamp", "Living Room"),
        ("Bedside Lamp", "Bedroom"),
        ("Kitchen Pendant", "Kitchen"),
        ("Living Room Ceiling", "Living Room"),
    )


LIGHT = [Domain.LIGHT]


@pytest.mark.parametrize(
    "said",
    ["porch light", "reading light", "desk lamp", "light", "the lights", "garage light", "po"],
)
def test_a_shared_kind_word_never_names_a_device(lit: Registry, said: str) -> None:
    """The Pool Light case: "the porch light" shares only "light" with the Pool Light."""
    found = resolve(lit, said, domains=LIGHT)
    assert found.entities == []


def test_kind_words_alone_ask_about_the_devices_that_hold_them(lit: Registry) -> None:
    found = resolve(lit, "the lamp", domains=LIGHT)
    assert found.entities == []
    assert [e.name for e in found.candidates] == ["Floor Lamp", "Bedside Lamp"]
    assert [e.name for e in resolve(lit, "light", domains=LIGHT).candidates] == ["Pool Light"]


@pytest.mark.parametrize(
    ("said", "meant"),
    [
        ("the pendant light", "light.kitchen_pendant"),
        ("pendant", "light.kitchen_pendant"),
        ("bed side lamp", "light.bedside_lamp"),
        ("bedsid lamp", "light.bedside_lamp"),
        ("bedside lmap", "light.bedside_lamp"),
        ("the bedroom lamp", "light.bedside_lamp"),
        ("pool lihgt", "light.pool_light"),
        ("kitchen pendnat", "light.kitchen_pendant"),
        ("florr lamp", "light.floor_lamp"),
    ],
)
def test_a_clear_winner_is_taken(lit: Registry, said: str, meant: str) -> None:
    assert ids(lit, said, domains=LIGHT) == [meant]


@pytest.mark.parametrize(
    ("said", "meant"),
    [
        ("living room light", ["Floor Lamp", "Living Room Ceiling"]),
        ("living room lamp", ["Floor Lamp", "Living Room Ceiling"]),
        ("kitchen lights", ["Kitchen Pendant", "Kitchen Strip"]),
    ],
)
def test_a_place_and_a_kind_mean_all_of_that_kind_there(
    lit: Registry, said: str, meant: list[str]
) -> None:
    lights(lit, ("Kitchen Strip", "Kitchen"))
    found = resolve(lit, said, domains=LIGHT)
    assert sorted(e.name for e in found.entities) == meant
    assert resolve(lit, "kitchen speaker").entities == [lit.entity("media_player.kitchen")]


def test_close_candidates_are_asked_about(lit: Registry) -> None:
    lights(lit, ("Desk Lamp", "Study"), ("Desk Light", "Study"))
    found = resolve(lit, "the desk", domains=LIGHT)
    assert found.entities == []
    assert sorted(e.name for e in found.candidates) == ["Desk Lamp", "Desk Light"]


def test_a_qualifier_behind_a_name_asks_for_its_value(lit: Registry) -> None:
    lights(lit, ("Salt Lamp", "Kitchen"))
    assert ids(lit, "salt level") == ["light.salt_lamp"]
    assert ids(lit, "reading light", domains=LIGHT) == []  # not "light" alone


def test_a_place_with_a_slip_is_the_place(lit: Registry) -> None:
    assert ids(lit, "kitchn", domains=LIGHT) == ["light.kitchen_pendant"]
    assert resolve(lit, "bedrom", domains=LIGHT).how == "area"
    assert resolve(lit, "upstars").how == "floor"


def test_words_that_name_no_device_ask_about_its_kind(lit: Registry) -> None:
    found = resolve(lit, "the big light", domains=LIGHT)
    assert found.entities == []
    assert (found.how, len(found.candidates)) == ("kind", 5)
    assert resolve(lit, "the big thing").how == "none"  # no kind: nothing to ask about


def test_an_answer_names_one_of_the_candidates(lit: Registry) -> None:
    lamps = [lit.entity("light.floor_lamp"), lit.entity("light.bedside_lamp")]
    assert choose(lit, lamps, "the floor lamp") is lamps[0]
    assert choose(lit, lamps, "the one in the bedroom") is lamps[1]
    assert choose(lit, lamps, "bedsid") is lamps[1]
    assert choose(lit, lamps, "the lamp") is None  # both
    assert choose(lit, lamps, "the pool light") is None  # not one of them
