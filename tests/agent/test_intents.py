"""The local intent reader: media sentences against a house shaped like the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from agent.intents import HANDLERS, IntentReader, IntentResult
from devices.capabilities import Domain, MediaPlayerFeature, MediaPlayerState
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry
from skills.actions import Action

ALL_MEDIA = frozenset(f.value for f in MediaPlayerFeature)
CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "ha-intents" / "en"


def speaker(registry: Registry, name: str, area: str | None, state: str = "playing") -> str:
    """Add a speaker as an adapter would; returns its entity id."""
    uid = f"uid-{name}-{area}"
    return registry.upsert_device(
        "testadapter",
        DeviceInfo(unique_id=uid, name=name, suggested_area=area),
        [
            EntitySpec(
                unique_id=uid,
                domain=Domain.MEDIA_PLAYER,
                name=name,
                features=ALL_MEDIA,
                state=MediaPlayerState(state=state, volume=20),
            )
        ],
    )[0].entity_id


def house(living: str = "playing", kitchen: str = "playing", bedroom: str = "stopped") -> Registry:
    registry = Registry()
    registry.add_floor("Ground Floor", aliases=["downstairs"])
    registry.add_floor("Upstairs")
    registry.add_area("Living Room", floor="Ground Floor", aliases=["lounge"])
    registry.add_area("Kitchen", floor="Ground Floor")
    registry.add_area("Bedroom", floor="Upstairs")
    speaker(registry, "Living Room", "Living Room", living)
    speaker(registry, "Kitchen", "Kitchen", kitchen)
    speaker(registry, "Bedroom", "Bedroom", bedroom)
    return registry


@pytest.fixture
def reader() -> IntentReader:
    return IntentReader(house())


def described(result: IntentResult | None) -> list[str]:
    assert result is not None
    return [action.describe() for action in result.actions]


@pytest.mark.parametrize(
    ("sentence", "intent", "slots", "actions"),
    [
        (
            "pause the kitchen",
            "HassMediaPause",
            {"name": "Kitchen"},
            ["media_player.pause() on media_player.kitchen"],
        ),
        (
            "pause the kitchen music",
            "HassMediaPause",
            {"area": "Kitchen"},
            ["media_player.pause() on media_player.kitchen"],
        ),
        (
            "resume the bedroom",
            "HassMediaUnpause",
            {"name": "Bedroom"},
            ["media_player.play() on media_player.bedroom"],
        ),
        (
            "set the living room volume to 30",
            "HassSetVolume",
            {"name": "Living Room", "volume_level": 30},
            ["media_player.set_volume(volume=30) on media_player.living_room"],
        ),
        (
            "set the volume to 45% in the lounge",
            "HassSetVolume",
            {"area": "lounge", "volume_level": 45},
            ["media_player.set_volume(volume=45) on media_player.living_room"],
        ),
        (
            "turn up the volume in the bedroom",
            "HassSetVolumeRelative",
            {"area": "Bedroom", "volume_step": "up"},
            ["media_player.step_volume(delta=10) on media_player.bedroom"],
        ),
        (
            "decrease kitchen volume 20%",
            "HassSetVolumeRelative",
            {"name": "Kitchen", "volume_step": -20},
            ["media_player.step_volume(delta=-20) on media_player.kitchen"],
        ),
        (
            "turn down the volume on the ground floor",
            "HassSetVolumeRelative",
            {"floor": "Ground Floor", "volume_step": "down"},
            [
                "media_player.step_volume(delta=-10) on media_player.kitchen",
                "media_player.step_volume(delta=-10) on media_player.living_room",
            ],
        ),
        (
            "upstairs volume up by 20%",
            "HassSetVolumeRelative",
            {"floor": "Upstairs", "volume_step": 20},
            ["media_player.step_volume(delta=20) on media_player.bedroom"],
        ),
        (
            "next track",
            "HassMediaNext",
            {},
            [
                "media_player.next_track() on media_player.kitchen",
                "media_player.next_track() on media_player.living_room",
            ],
        ),
        (
            "skip song in the kitchen",
            "HassMediaNext",
            {"area": "Kitchen"},
            ["media_player.next_track() on media_player.kitchen"],
        ),
        (
            "go back to the previous song on the living room",
            "HassMediaPrevious",
            {"name": "Living Room"},
            ["media_player.previous_track() on media_player.living_room"],
        ),
        (
            "mute the kitchen",
            "HassMediaPlayerMute",
            {"name": "Kitchen"},
            ["media_player.mute(muted=True) on media_player.kitchen"],
        ),
        (
            "unmute the kitchen",
            "HassMediaPlayerUnmute",
            {"name": "Kitchen"},
            ["media_player.mute(muted=False) on media_player.kitchen"],
        ),
        (
            "volume down",
            "HassSetVolumeRelative",
            {"volume_step": "down"},
            [
                "media_player.step_volume(delta=-10) on media_player.kitchen",
                "media_player.step_volume(delta=-10) on media_player.living_room",
            ],
        ),
    ],
)
def test_media_sentences(
    reader: IntentReader, sentence: str, intent: str, slots: dict[str, Any], actions: list[str]
) -> None:
    result = reader.read(sentence)
    assert result is not None
    assert result.intent == intent
    assert result.slots == slots
    assert described(result) == actions
    assert result.question is None
    assert result.reply


def test_actions_are_typed_and_replies_short(reader: IntentReader) -> None:
    result = reader.read("set the living room volume to 30")
    assert result is not None
    assert result.actions == [
        Action(
            entity_id="media_player.living_room",
            command="media_player.set_volume",
            params={"volume": 30},
        )
    ]
    assert result.reply == "Set the Living Room volume to 30%."
    paused = reader.read("pause the kitchen")
    assert paused is not None
    assert paused.reply == "Paused Kitchen."


def test_area_and_name_agree_on_the_speaker_named_after_its_room() -> None:
    """ "kitchen" is both an area and a speaker's name: either way, exactly that speaker."""
    registry = house()
    registry.upsert_device(
        "testadapter",
        DeviceInfo(unique_id="lamp", name="Kitchen Lamp", suggested_area="Kitchen"),
        [EntitySpec(unique_id="lamp", domain=Domain.LIGHT, name="Kitchen")],
    )
    reader = IntentReader(registry)
    for sentence in ("pause the kitchen", "pause kitchen", "pause music in the kitchen"):
        assert described(reader.read(sentence)) == ["media_player.pause() on media_player.kitchen"]


def test_no_target_and_nothing_playing() -> None:
    reader = IntentReader(house(living="paused", kitchen="stopped"))
    result = reader.read("pause")
    assert result is not None
    assert result.intent == "HassMediaPause"
    assert result.actions == []
    assert result.reply == "Nothing is playing."
    assert result.question is None


def test_resume_without_target_means_the_paused_ones() -> None:
    reader = IntentReader(house(living="paused", kitchen="stopped"))
    assert described(reader.read("resume")) == ["media_player.play() on media_player.living_room"]


def test_no_target_with_a_single_player_means_that_one() -> None:
    registry = Registry()
    speaker(registry, "Den", "Den", state="stopped")
    assert described(IntentReader(registry).read("next track")) == [
        "media_player.next_track() on media_player.den"
    ]


def test_unavailable_players_are_not_guessed() -> None:
    registry = house()
    registry.set_device_available("testadapter:uid-Kitchen-Kitchen", available=False)
    assert described(IntentReader(registry).read("pause")) == [
        "media_player.pause() on media_player.living_room"
    ]


def test_fuzzy_name_that_could_be_two_speakers_asks_back() -> None:
    registry = Registry()
    registry.add_area("Open Plan")
    speaker(registry, "Kitchen Speaker Left", "Open Plan")
    speaker(registry, "Kitchen Speaker Right", "Open Plan")
    result = IntentReader(registry).read("pause kitchen speaker")
    assert result is not None
    assert result.intent == "HassMediaPause"
    assert result.actions == []
    assert result.question == "Did you mean Kitchen Speaker Left or Kitchen Speaker Right?"


def test_two_players_with_one_name_asks_back() -> None:
    registry = house()
    speaker(registry, "TV", "Living Room")
    speaker(registry, "TV", "Bedroom")
    result = IntentReader(registry).read("pause the TV")
    assert result is not None
    assert result.actions == []
    assert result.question == "Did you mean TV (Living Room) or TV (Bedroom)?"


def test_misspelt_name_and_floor_without_a_template_resolve_loosely(reader: IntentReader) -> None:
    misspelt = reader.read("pause the kichen")
    assert described(misspelt) == ["media_player.pause() on media_player.kitchen"]
    assert misspelt is not None
    assert misspelt.slots == {"name": "kichen"}
    # HassMediaPause has no floor template; the words still name a floor.
    upstairs = reader.read("pause upstairs")
    assert described(upstairs) == ["media_player.pause() on media_player.bedroom"]
    assert upstairs is not None
    assert upstairs.slots == {"floor": "Upstairs"}


@pytest.mark.parametrize(
    "sentence",
    [
        "add milk to my shopping list",
        "what is the weather like",
        "tell me a joke",
        "pause world peace",
        "",
        "   ",
    ],
)
def test_not_a_house_command(reader: IntentReader, sentence: str) -> None:
    assert reader.read(sentence) is None


def test_area_without_players_says_so(reader: IntentReader) -> None:
    reader.registry.add_area("Garage")
    result = reader.read("pause music in the garage")
    assert result is not None
    assert result.slots == {"area": "Garage"}
    assert result.actions == []
    assert result.reply == "There is no media player in the Garage."


def test_slot_lists_follow_the_registry(reader: IntentReader) -> None:
    before = reader.slot_lists()
    assert reader.read("pause the study") is None
    # A state change does not touch the names: the lists are kept.
    reader.registry.update_state("media_player.kitchen", MediaPlayerState(state="paused"))
    assert reader.slot_lists() is before
    # New floor, area and speaker: the lists are rebuilt on the next read.
    reader.registry.add_floor("Attic")
    reader.registry.add_area("Study", floor="Attic")
    speaker(reader.registry, "Desk", "Study")
    assert described(reader.read("pause the study music")) == [
        "media_player.pause() on media_player.desk"
    ]
    assert described(reader.read("attic volume up")) == [
        "media_player.step_volume(delta=10) on media_player.desk"
    ]
    assert reader.slot_lists() is not before
    # An alias given later counts too.
    entity = reader.registry.entity("media_player.desk")
    entity.aliases = ("Boombox",)
    assert described(reader.read("mute the boombox")) == [
        "media_player.mute(muted=True) on media_player.desk"
    ]


def test_requires_context_keeps_other_domains_out() -> None:
    registry = house()
    registry.upsert_device(
        "testadapter",
        DeviceInfo(unique_id="ceiling", name="Ceiling"),
        [EntitySpec(unique_id="ceiling", domain=Domain.LIGHT, name="Ceiling")],
    )
    assert IntentReader(registry).read("pause the ceiling") is None


def test_every_handler_is_a_known_intent() -> None:
    from home_assistant_intents import get_intents

    data = get_intents("en")
    assert data is not None
    own = {name for name in HANDLERS if name.startswith("Dobby")}
    assert set(HANDLERS) - own <= set(data["intents"])
    # Dobby's own intents have sentences of their own (en.yaml, en.household.yaml, ...).
    folder = Path(__file__).parents[2] / "agent/intents/sentences"
    sentences = "".join(path.read_text() for path in folder.glob("en*.yaml"))
    assert all(f"  {name}:" in sentences for name in own)


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language"):
        IntentReader(Registry(), "xx")


# -- Home Assistant's own test sentences ------------------------------------------------


def _conformance_cases() -> list[Any]:
    cases: list[Any] = []
    for intent in ("HassMediaPause", "HassSetVolume"):
        for path in sorted((CONFORMANCE / intent).glob("*.yaml")):
            spec = yaml.safe_load(path.read_text(encoding="utf-8"))
            cases.extend(
                pytest.param(
                    spec,
                    intent,
                    sentence,
                    test.get("slots", {}),
                    id=f"{intent}/{path.stem}/{sentence}",
                )
                for test in spec["tests"]
                for sentence in test["sentences"]
            )
    return cases


def _home_of(spec: dict[str, Any]) -> Registry:
    registry = Registry()
    for floor in spec.get("floors", []):
        registry.add_floor(floor["name"])
    for area in spec.get("areas", []):
        registry.add_area(area["name"])
    for entity in spec.get("entities", []):
        uid = entity["name"]
        registry.upsert_device(
            "testadapter",
            DeviceInfo(unique_id=uid, name=entity["name"]),
            [
                EntitySpec(
                    uid,
                    Domain(entity["domain"]),
                    entity["name"],
                    state=MediaPlayerState(state="playing"),
                )
            ],
        )
    return registry


@pytest.mark.skipif(not CONFORMANCE.is_dir(), reason="the shared conformance suite is not here")
@pytest.mark.parametrize(("spec", "intent", "sentence", "slots"), _conformance_cases())
def test_home_assistant_slots(
    spec: dict[str, Any], intent: str, sentence: str, slots: dict[str, Any]
) -> None:
    result = IntentReader(_home_of(spec)).read(sentence)
    assert result is not None
    assert result.intent == intent
    assert result.slots == slots


@pytest.mark.parametrize(
    ("sentence", "intent", "slots"),
    [
        # Copied from HassMediaPause/*.yaml and HassSetVolume/*.yaml, so the check runs
        # even where the shared suite is not checked out.
        ("pause living room media player", "HassMediaPause", {"area": "Living Room"}),
        ("stop playing", "HassMediaPause", {}),
        ("TV pause", "HassMediaPause", {"name": "TV"}),
        ("set TV volume to 90 percent", "HassSetVolume", {"name": "TV", "volume_level": 90}),
        (
            "in the living room turn the volume down to 90 percent",
            "HassSetVolume",
            {"area": "Living Room", "volume_level": 90},
        ),
        ("turn up the volume to 90", "HassSetVolume", {"volume_level": 90}),
    ],
)
def test_home_assistant_slots_inline(sentence: str, intent: str, slots: dict[str, Any]) -> None:
    spec = {
        "areas": [{"name": "Living Room"}],
        "entities": [{"name": "TV", "domain": "media_player"}],
    }
    result = IntentReader(_home_of(spec)).read(sentence)
    assert result is not None
    assert (result.intent, result.slots) == (intent, slots)
