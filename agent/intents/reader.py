"""The local intent reader: Home Assistant's sentence templates, with this home's names.

Sentences are recognised by hassil against the home-assistant-intents data of one language,
with three slot lists built from the registry the way Home Assistant's default agent builds
them: `name` (every entity's name and aliases, with the entity's domain, device class and area
as context, so a template's `requires_context: domain` keeps "pause the kitchen ceiling" off a
light), `area` (area names and aliases) and `floor` (floor names and aliases). The recognised
intent goes to its handler in `HANDLERS`, which resolves the targets to entity ids.

Two passes, as in Home Assistant:

1. Strict: every template of the language, every slot value an exact name. If the best match is
   an intent without a handler here, the sentence is not ours (None: the LLM's turn).
2. Loose, only when nothing matched strictly: the templates of the handled intents, letting a
   name, area or floor be words that are not in the lists ("pause the kichen", "pause
   upstairs"), kept only when those words resolve (devices.names) to something of the intent's
   domains.

Both passes see only what could match the sentence, which gives the same readings sooner:
list values whose words the sentence lacks are left out (`vocabulary`), and so are the
templates that then cannot match, or cannot give a loose reading (`pruning`). Names are
resolved from an index built with the slot lists, each question once per sentence.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from hassil.intents import Intents, SlotList, TextSlotList
from hassil.models import UnmatchedTextEntity
from hassil.recognize import MISSING_ENTITY, RecognizeResult, recognize_all
from home_assistant_intents import get_intents

from agent.config import parse_yaml
from agent.intents import (
    climate,
    cover,
    history,
    light,
    media,
    number,
    onoff,
    security,
    state,
    talk,
)
from agent.intents.base import (
    TARGET_SLOTS,
    IntentRequest,
    IntentResult,
    IntentSpec,
    loosely_resolves,
)
from agent.intents.pruning import Pruner
from agent.intents.spelling import Speller, list_words, template_words
from agent.intents.targets import HA_DOMAIN_OF_CLASS, HA_DOMAINS
from agent.intents.vocabulary import Vocabulary, narrowed, vocabularies
from devices.capabilities import Domain
from devices.entities import Entity
from devices.names import NameIndex, Resolver
from devices.registry import Registry
from skills.history import History
from skills.routines import Routine

_LOGGER = logging.getLogger(__name__)

HANDLERS: dict[str, IntentSpec] = {
    **media.HANDLERS,
    **onoff.HANDLERS,
    **light.HANDLERS,
    **climate.HANDLERS,
    **cover.HANDLERS,
    **number.HANDLERS,
    **state.HANDLERS,
    **security.HANDLERS,
    **talk.HANDLERS,
    **history.HANDLERS,
}
"""Every handled intent. A new intent family adds its table here."""

_CONTEXT_KEYS = frozenset({"domain", "area"})
"""Context a template may ask for that the loose pass may find missing."""


class IntentReader:
    """Reads one sentence into an intent, its slots and the actions it asks for."""

    def __init__(
        self,
        registry: Registry,
        language: str = "en",
        *,
        temperature_unit: str = "°C",
        routines: Sequence[Routine] = (),
    ) -> None:
        self.registry = registry
        self.language = language
        self.temperature_unit = temperature_unit
        self.routines = routines
        """Kept by reference: routines added later are read by name too."""
        self._all = _intents(language, None)
        self._lists: dict[str, SlotList] = {}
        self._lists_key: tuple[Any, ...] | None = None
        self._narrow = not self._all.settings.ignore_whitespace
        """Narrowing the lists by words needs words: not for languages written without
        spaces."""
        self._every_list: dict[str, SlotList] = {}
        """The language's lists and the home's, as hassil merges them."""
        self._vocabularies: dict[str, Vocabulary] = {}
        self._names: NameIndex | None = None
        self._speller: Speller | None = None
        self._sentence = 0
        """How deep in `one_sentence` this reader is."""
        self._held: Resolver | None = None
        """Within `one_sentence`, once the names were checked: their resolution, shared by
        every reading of that sentence (and the sign that they were checked)."""
        self.history: History | None = None
        """What happened in the house, for questions about the past (set by the app)."""

    @contextmanager
    def one_sentence(self) -> Iterator[None]:
        """Within it, the readings of one sentence (as said, with its slips put right, part
        by part) look at the home's names once, and resolve each name once.

        Only for code that does not await in between: nothing else can change the names
        while it runs.
        """
        self._sentence += 1
        try:
            yield
        finally:
            self._sentence -= 1
            if not self._sentence:
                self._held = None

    def corrected(self, text: str) -> str | None:
        """`text` with the slips of the finger of its words put right (`spelling`), or None
        when it has none that can be."""
        self.slot_lists()
        if self._speller is None:
            home = list_words(self._lists)
            self._speller = Speller(_template_words(self.language), preferred=home)
        return self._speller.corrected(text)

    def read(
        self, text: str, *, loose: bool = True, strict: bool = True, kinds: bool = False
    ) -> IntentResult | None:
        """What `text` asks for, or None when no handled intent matches it.

        Without `loose`, only the strict pass runs; without `strict`, only the loose pass
        (for a text whose strict pass found nothing already). With `kinds`, words that name
        no device but a kind of device ("turn on the big light") are read too, as a
        question about the devices of that kind.
        """
        text = text.strip()
        if not text:
            return None
        lists = self.slot_lists()
        empty: frozenset[str] = frozenset()  # no template left out
        if self._narrow:
            # Only the list values and templates that could match this text (the same
            # results, sooner): see `vocabulary` and `pruning`.
            lists, empty = narrowed(self._every_list, self._vocabularies, text)
        resolver = self._resolver()
        result = None
        if strict:
            exact = _pruner(self.language, None).strict(text, empty)
            result = _best(recognize_all(text, exact, slot_lists=lists, language=self.language))
        if result is not None:
            if result.intent.name not in HANDLERS:
                _LOGGER.debug("%r is %s, which is not handled here", text, result.intent.name)
                return None
            return self._handle(result, {}, resolver)
        if not loose:
            return None
        if MISSING_ENTITY in text.casefold():  # else _loose_slot could skip one
            empty = frozenset()
        loosely = _pruner(self.language, frozenset(HANDLERS)).loose(text, empty)
        return self._read_loosely(text, loosely, lists, resolver, kinds=kinds)

    def slot_lists(self) -> dict[str, SlotList]:
        """The name, area and floor lists, rebuilt only when the home's names changed."""
        if self._held is not None:  # checked in this sentence already
            return self._lists
        key = (_names_key(self.registry), tuple((r.name, *r.phrases) for r in self.routines))
        if key != self._lists_key:
            self._lists = _build_slot_lists(self.registry, self.routines)
            self._lists_key = key
            self._every_list = {**self._all.slot_lists, **self._lists}
            self._vocabularies = vocabularies(self._every_list) if self._narrow else {}
            self._names = None
            self._speller = None
        if self._sentence:
            self._held = Resolver(self._name_index())
        return self._lists

    def _resolver(self) -> Resolver:
        """Name resolution for one reading, or for every reading of one sentence."""
        return self._held if self._held is not None else Resolver(self._name_index())

    def _name_index(self) -> NameIndex:
        """The home's names indexed for `resolve`, built when the slot lists are."""
        if self._names is None:
            self._names = NameIndex(self.registry)
        return self._names

    def _read_loosely(
        self,
        text: str,
        intents: Intents,
        lists: dict[str, SlotList],
        resolver: Resolver,
        *,
        kinds: bool = False,
    ) -> IntentResult | None:
        best: dict[tuple[str, str, str, tuple[Domain, ...]], RecognizeResult] = {}
        for result in recognize_all(
            text,
            intents,
            slot_lists=lists,
            language=self.language,
            allow_unmatched_entities=True,
        ):
            loose = _loose_slot(result)
            if loose is None or result.text_chunks_matched < 1:
                continue
            domains = tuple(sorted(_loose_domains(result)))
            if not domains:
                continue
            key = (result.intent.name, *loose, domains)
            known = best.get(key)
            if known is None or result.text_chunks_matched > known.text_chunks_matched:
                best[key] = result
        # Most literal words matched first; the same words are resolved only once.
        for (_, slot, words, domains), result in sorted(
            best.items(), key=lambda item: (-item[1].text_chunks_matched, item[0])
        ):
            if loosely_resolves(self.registry, words, domains, resolver=resolver, kinds=kinds):
                return self._handle(result, {slot: words}, resolver)
        return None

    def _handle(
        self, result: RecognizeResult, loose: dict[str, str], resolver: Resolver
    ) -> IntentResult:
        slots: dict[str, Any] = {
            entity.name: _plain(entity.value)
            for entity in result.entities_list
            if entity.name not in loose
        }
        slots.update(loose)
        metadata = result.intent_metadata or {}
        required = (result.intent_data.requires_context or {}).get("domain")
        if isinstance(required, str):
            required = [required]
        request = IntentRequest(
            self.registry,
            result.intent.name,
            slots,
            self.language,
            frozenset(loose),
            response=result.response,
            combination=metadata.get("slot_combination"),
            context_domains=frozenset(required or ()),
            temperature_unit=self.temperature_unit,
            routines=self.routines,
            resolver=resolver,
            history=self.history,
        )
        return HANDLERS[result.intent.name].handle(request)


@cache
def _intents(language: str, only: frozenset[str] | None) -> Intents:
    """The language's templates (all of them, or only the intents in `only`), parsed once."""
    data = get_intents(language)
    if data is None and "-" in language:
        data = get_intents(language.split("-", 1)[0])
    if data is None:
        raise ValueError(f"There are no Home Assistant sentences for language {language!r}.")
    # get_intents reads the JSON afresh on every call, so this copy is ours to change.
    _add_own_sentences(data, language)
    if only is not None:
        data["intents"] = {name: v for name, v in data["intents"].items() if name in only}
    for intent in data["intents"].values():
        for block in intent.get("data", []):
            _drop_optional_area(block)
    return Intents.from_dict(data)


@cache
def _template_words(language: str) -> frozenset[str]:
    """Every word of the language's templates, rules and lists."""
    intents = _intents(language, None)
    return frozenset(template_words(intents))


@cache
def _pruner(language: str, only: frozenset[str] | None) -> Pruner:
    """The template pruner of `_intents(language, only)`."""
    intents = _intents(language, only)
    indexed = {n for n, s in intents.slot_lists.items() if isinstance(s, TextSlotList)}
    return Pruner(intents, indexed | set(TARGET_SLOTS), TARGET_SLOTS)


OWN_SENTENCES = Path(__file__).parent / "sentences"
"""Dobby's own sentences per language, added to Home Assistant's."""


def _add_own_sentences(data: dict[str, Any], language: str) -> None:
    """`sentences/<language>.yaml`, then each `sentences/<language>.<topic>.yaml`."""
    base = language.split("-", 1)[0]
    paths = [OWN_SENTENCES / f"{base}.yaml", *sorted(OWN_SENTENCES.glob(f"{base}.*.yaml"))]
    for path in paths:
        if not path.exists():
            continue
        own, _ = parse_yaml(path.read_text(encoding="utf-8"))
        data.setdefault("lists", {}).update(own.get("lists", {}))
        data.setdefault("expansion_rules", {}).update(own.get("expansion_rules", {}))
        for name, intent in own.get("intents", {}).items():
            data["intents"].setdefault(name, {"data": []})["data"].extend(intent["data"])


def _drop_optional_area(block: dict[str, Any]) -> None:
    """Let "pause" match without knowing the room the person is in.

    Home Assistant's templates without a target require `area` in the context (the room of
    the voice satellite) and copy it into the slots. A chat has no room, so here such a
    sentence matches with no area, and the handler picks the targets ("the playing ones").
    """
    required = block.get("requires_context")
    if isinstance(required, dict) and required.get("area") == {"slot": True}:
        del required["area"]
        if not required:
            del block["requires_context"]


def _names_key(registry: Registry) -> tuple[Any, ...]:
    """Everything the slot lists are made of (lists built by comprehension: at 2,000
    entities, twice as fast as from a generator)."""
    return (
        [
            (e.entity_id, e.name, e.aliases, e.area_id, e.domain, e.device_class)
            for e in registry.entities.values()
        ],
        [(a.id, a.name, a.aliases, a.floor_id) for a in registry.areas.values()],
        [(f.id, f.name, f.aliases) for f in registry.floors.values()],
    )


def _best(results: Iterable[RecognizeResult]) -> RecognizeResult | None:
    """The best of hassil's matches, ranked as `recognize_best` ranks them, and then

    one list value over two for the same words: "the garage door" is a garage door (one
    device class), not a door in the Garage (an area and a device class).
    """
    best: RecognizeResult | None = None
    best_key: tuple[Any, ...] | None = None
    for result in results:
        name = result.entities.get("name")
        named = name is not None and not name.is_wildcard
        key = (
            not named,
            -len(name.text) if named and name is not None else 0,
            sum(1 for e in result.entities_list if e.is_wildcard),
            -result.text_chunks_matched,
            sum(1 for e in result.entities_list if e.text),
            result.intent.name,
        )
        if best_key is None or key < best_key:
            best, best_key = result, key
    return best


def _ha_domain(entity: Entity) -> str:
    """The domain Home Assistant's templates know this entity by: a fan switch is a fan."""
    return HA_DOMAIN_OF_CLASS.get((entity.domain, entity.device_class or ""), entity.domain.value)


def _build_slot_lists(registry: Registry, routines: Sequence[Routine]) -> dict[str, SlotList]:
    names: list[tuple[str, str, dict[str, Any]]] = []
    for entity in registry.entities.values():
        context: dict[str, Any] = {"domain": _ha_domain(entity)}
        if entity.device_class:
            context["device_class"] = entity.device_class
        area = registry.area_name(entity)
        if area:
            context["area"] = area
        names.extend((said, said, context) for said in _texts(entity.name, entity.aliases))
    for routine in routines:
        # A routine is what Home Assistant calls a scene or a script: "activate movie night".
        for said in _texts(routine.name, tuple(routine.phrases)):
            names.extend((said, routine.name, {"domain": kind}) for kind in ("scene", "script"))
    areas = [
        (said, said) for area in registry.areas.values() for said in _texts(area.name, area.aliases)
    ]
    floors = [
        (said, floor.name)
        for floor in registry.floors.values()
        for said in _texts(floor.name, floor.aliases)
    ]
    _LOGGER.debug("Slot lists: %d names, %d areas, %d floors", len(names), len(areas), len(floors))
    return {
        "name": TextSlotList.from_tuples(names, allow_template=False, name="name"),
        "area": TextSlotList.from_tuples(areas, allow_template=False, name="area"),
        "floor": TextSlotList.from_tuples(floors, allow_template=False, name="floor"),
    }


def _texts(name: str, aliases: tuple[str, ...]) -> list[str]:
    return [said for said in (s.strip() for s in (name, *aliases)) if said]


def _loose_slot(result: RecognizeResult) -> tuple[str, str] | None:
    """The one target slot whose words matched no list value, or None if the match is unfit."""
    loose: list[tuple[str, str]] = []
    for unmatched in result.unmatched_entities_list:
        if not isinstance(unmatched, UnmatchedTextEntity):
            return None  # an unmatched number: not a misheard name
        if unmatched.text == MISSING_ENTITY and unmatched.name in _CONTEXT_KEYS:
            continue  # context an unknown name could not bring; the handler checks domains
        words = unmatched.text.strip()
        if unmatched.name not in TARGET_SLOTS or not words or words == MISSING_ENTITY:
            return None
        loose.append((unmatched.name, words))
    return loose[0] if len(loose) == 1 else None


def _loose_domains(result: RecognizeResult) -> frozenset[Domain]:
    """The domains a loose reading's words may name: the intent's, narrowed to those its
    template asks for ("schalte {name} ein" for a scene names a routine, not a light)."""
    domains = HANDLERS[result.intent.name].domains
    required = (result.intent_data.requires_context or {}).get("domain")
    if isinstance(required, str):
        required = [required]
    if not required:
        return domains
    return domains & frozenset(HA_DOMAINS[d][0] for d in required if d in HA_DOMAINS)


def _plain(value: Any) -> Any:
    """Slot values as the intent tests write them: 30, not 30.0; no stray spaces."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return value.strip()
    return value
