"""Narrowed slot lists and pruned templates give hassil's results, in hassil's order.

`vocabulary` leaves out the list values a sentence cannot match and `pruning` the templates
that cannot give a reading, or whose literal words the sentence lacks; they exist only to
make reading faster, so what is checked here is that nothing hassil finds (strictly), or
that the loose pass keeps, changes.
"""

from __future__ import annotations

from typing import Any

import pytest
from hassil.intents import Intents, SlotList, TextSlotList
from hassil.parse_expression import parse_sentence
from hassil.recognize import RecognizeResult, recognize_all

from agent.intents import HANDLERS, IntentReader
from agent.intents.base import TARGET_SLOTS
from agent.intents.pruning import Pruner, needs
from agent.intents.reader import _intents, _loose_slot
from agent.intents.vocabulary import Vocabulary, haystack, narrowed, vocabularies
from devices.capabilities import Domain
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry

SENTENCES = {
    "en": (
        "turn off the kitchen lights",
        "turn on the desk lamp",
        "turn off the desk lamb",
        "Turn OFF the Desk-Lamp!",
        "turn off the desk_lamp",
        "set the desk lamp to 40%",
        "set the desk lamp to red",
        "close the bedroom blinds",
        "open the bedroom blind 2 halfway",
        "set the hallway thermostat to 21 degrees",
        "what's the temperature in the hallway",
        "is the front door locked",
        "which lights are on upstairs",
        "pause the living room speaker",
        "set the living room speaker volume to 30",
        "turn off all the lights downstairs",
        "turn off the lights on the ground flor",
        "it's too bright in the living room",
        "turn off the <missing>",
        "set a timer for 5 minutes",
        "what is the weather",
        "lamp",
    ),
    "de": (
        "schalte die Schreibtischlampe aus",
        "schalte die Schreibtischlampe im Arbeitszimmer aus",
        "schalte die Schreibtischlampf aus",
        "schalte alle Lichter in der Küche aus",
        "mach das Licht im Flur an",
        "stelle die Küchenlampe auf 50 %",
        "wie warm ist es im Flur",
        "ist die Haustür abgeschlossen",
        "schließe die Rollläden im Schlafzimmer",
    ),
}


def add(registry: Registry, name: str, area: str, domain: Domain, device_class: str | None) -> None:
    spec = EntitySpec(f"uid-{name}", domain, name, device_class=device_class)
    registry.upsert_device("test", DeviceInfo(f"uid-{name}", name, suggested_area=area), [spec])


def home(language: str) -> Registry:
    """A few rooms, a few look-alike names, in the language's words."""
    en = language == "en"
    registry = Registry()
    registry.add_floor("Ground Floor" if en else "Erdgeschoss", aliases=["downstairs"])
    registry.add_floor("Upstairs" if en else "Obergeschoss")
    rooms = ("Kitchen", "Hallway", "Study", "Bedroom", "Living Room")
    if not en:
        rooms = ("Küche", "Flur", "Arbeitszimmer", "Schlafzimmer", "Wohnzimmer")
    for n, room in enumerate(rooms):
        registry.add_area(room, floor=registry.floors[list(registry.floors)[n >= 3]].name)
    lamp, blind = ("Lamp", "Blind") if en else ("Lampe", "Rollladen")
    for room in rooms:
        for number in (1, 2):
            add(registry, f"{room} {lamp} {number}", room, Domain.LIGHT, None)
            add(registry, f"{room} {blind} {number}", room, Domain.COVER, "blind")
    desk, door = ("Desk Lamp", "Front Door") if en else ("Schreibtischlampe", "Haustür")
    add(registry, desk, rooms[2], Domain.LIGHT, None)
    add(registry, door, rooms[1], Domain.LOCK, None)
    add(registry, "Hallway Thermostat" if en else "Thermostat", rooms[1], Domain.CLIMATE, None)
    add(registry, "Living Room Speaker", rooms[4], Domain.MEDIA_PLAYER, None)
    return registry


def shape(results: list[RecognizeResult]) -> list[tuple[Any, ...]]:
    """What a result says, comparably."""
    return [
        (
            r.intent.name,
            r.intent_sentence.text if r.intent_sentence else None,
            [(e.name, repr(e.value), e.text) for e in r.entities_list],
            [(e.name, e.text) for e in r.unmatched_entities_list],
            r.text_chunks_matched,
        )
        for r in results
    ]


def count(intents: Intents) -> int:
    """How many templates `intents` holds."""
    return sum(len(data.sentences) for intent in intents.intents.values() for data in intent.data)


def every_list(intents: Intents, language: str) -> dict[str, SlotList]:
    reader = IntentReader(home(language), language)
    return {**intents.slot_lists, **reader.slot_lists()}


@pytest.mark.parametrize("language", ["en", "de"])
def test_strict_results_are_hassils(language: str) -> None:
    intents = _intents(language, None)
    lists = every_list(intents, language)
    indexes = vocabularies(lists)
    pruner = Pruner(intents, set(indexes), TARGET_SLOTS)
    for text in SENTENCES[language]:
        full = list(recognize_all(text, intents, slot_lists=lists, language=language))
        few, empty = narrowed(lists, indexes, text)
        pruned = pruner.strict(text, empty)
        fast = list(recognize_all(text, pruned, slot_lists=few, language=language))
        assert shape(fast) == shape(full), text
        assert count(pruned) < count(intents) / 2, text


@pytest.mark.parametrize("language", ["en", "de"])
def test_loose_readings_are_hassils(language: str) -> None:
    intents = _intents(language, frozenset(HANDLERS))
    lists = every_list(intents, language)
    indexes = vocabularies(lists)
    pruner = Pruner(intents, set(indexes), TARGET_SLOTS)
    kept = 0
    for text in SENTENCES[language]:
        full = list(
            recognize_all(
                text, intents, slot_lists=lists, language=language, allow_unmatched_entities=True
            )
        )
        few, empty = narrowed(lists, indexes, text)
        # Narrowed lists alone: every result, as it was.
        fewer = list(
            recognize_all(
                text, intents, slot_lists=few, language=language, allow_unmatched_entities=True
            )
        )
        assert shape(fewer) == shape(full), text
        # Pruned templates too: the results the loose pass keeps, as they were.
        pruned = pruner.loose(text, empty)
        fast = list(
            recognize_all(
                text, pruned, slot_lists=few, language=language, allow_unmatched_entities=True
            )
        )
        wanted = [r for r in full if _loose_slot(r) is not None]
        assert shape([r for r in fast if _loose_slot(r) is not None]) == shape(wanted), text
        kept += len(wanted)
    assert kept  # the sentences do give loose readings


@pytest.mark.parametrize("language", ["en", "de"])
def test_templates_left_out_by_their_words_change_no_result(language: str) -> None:
    """Every template, with every list as it is: hassil's results and order, from far
    fewer templates."""
    intents = _intents(language, None)
    lists = every_list(intents, language)
    pruner = Pruner(intents, set(vocabularies(lists)), TARGET_SLOTS)
    for text in (*SENTENCES[language], "", "  ", "Dobby?", "what's the time, please"):
        for unmatched in (False, True):
            full = recognize_all(
                text,
                intents,
                slot_lists=lists,
                language=language,
                allow_unmatched_entities=unmatched,
            )
            few = pruner.strict(text)  # no list left out: only the words test
            fast = recognize_all(
                text, few, slot_lists=lists, language=language, allow_unmatched_entities=unmatched
            )
            assert shape(list(fast)) == shape(list(full)), (text, unmatched)
            assert count(few) < count(intents) / 2, text


def test_a_value_is_left_out_only_when_a_word_of_it_is_missing() -> None:
    names = TextSlotList.from_tuples(
        [("Desk Lamp", "Desk Lamp"), ("Kitchen Lamp 1", "Kitchen Lamp 1"), ("Lamp", "Lamp")],
        allow_template=False,
    )
    index = Vocabulary(names)
    found = index.narrowed(haystack("turn on the DESK-lamp")).values
    assert [v.value_out for v in found] == ["Desk Lamp", "Lamp"]
    every = index.narrowed(haystack("the desk lamp, kitchen lamp 1"))
    assert every is names  # nothing to leave out
    assert index.narrowed(haystack("pause")).values == []


def test_a_template_value_is_left_out_when_no_word_of_an_alternative_is_there() -> None:
    shades = TextSlotList.from_tuples(
        [("(warm|soft) white", "warm"), ("[cool ]daylight", "cool"), ("[bright]", "any")],
        allow_template=True,
    )
    index = Vocabulary(shades)
    kept = index.narrowed(haystack("set the lamp to SOFT-white")).values
    assert [v.value_out for v in kept] == ["warm", "any"]  # "[bright]" may be nothing
    assert [v.value_out for v in index.narrowed(haystack("daylight please")).values] == [
        "cool",
        "any",
    ]


def test_needs_are_what_every_way_through_needs() -> None:
    intents = _intents("en", None)
    rules = intents.expansion_rules
    sentence = next(
        s
        for data in intents.intents["HassTurnOff"].data
        for s in data.sentences
        if s.text == "<turn> off [<the>] {area} [<the>] {name}"
    )
    assert needs(sentence.expression, rules) == {("area", "area"), ("name", "name")}
    either = parse_sentence("set {name} to ({brightness}|{color}) [in {area}]")
    assert needs(either.expression, rules) == {("name", "name")}
    both = parse_sentence("(turn|switch) (off {name:x} {area}|{area} {name} off)")
    assert needs(both.expression, rules) == {("area", "area")}
