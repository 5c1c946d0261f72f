"""What every intent handler shares: the request it gets, the result it gives, its targets.

A handler turns one recognised intent (its name and slots) into actions on entity ids and a
short reply. Finding the entities a sentence means is the same for every intent family, so it
lives here: a name, an area or a floor from the sentence, or, when the sentence names none,
the entities that are busy (the playing speakers for "pause").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from devices.capabilities import Domain
from devices.entities import Area, Entity, Floor
from devices.names import Resolution, Resolver, resolve
from devices.registry import Registry
from skills.actions import Action

if TYPE_CHECKING:
    from skills.history import History
    from skills.routines import Routine

TARGET_SLOTS = ("name", "area", "floor")
"""Slots that say which entities are meant."""

Phrases = Mapping[str, Mapping[str, str]]
"""Reply templates by language, then by key; English is the fallback."""

_ARTICLE = re.compile(r"^(the|a|an|der|die|das|den|dem|ein|eine|einen)\s+", re.IGNORECASE)
"""A leading article of loose words, left out where a reply quotes them as a name."""

_COMMON: Phrases = {
    "en": {
        "and": "and",
        "or": "or",
        "ask": "Did you mean {names}?",
        "unknown_name": "I don't know a {kind} called {name}.",
        "none_in_area": "There is no {kind} in the {area}.",
        "none_on_floor": "There is no {kind} on the {floor}.",
        "unknown_in_area": "There is no {kind} called {name} in the {area}.",
        "unknown_on_floor": "There is no {kind} called {name} on the {floor}.",
        "device": "device",
        "media_player": "media player",
        "light": "light",
        "switch": "switch",
        "cover": "cover",
        "lock": "lock",
        "climate": "thermostat",
        "sensor": "sensor",
        "binary_sensor": "sensor",
        "number": "setting",
        "more": "{names} and {count} more",
    },
    "de": {
        "and": "und",
        "or": "oder",
        "ask": "Meinst du {names}?",
        "unknown_name": "Ich kenne kein Gerät namens {name}.",
        "none_in_area": "Im Bereich {area} gibt es kein passendes Gerät ({kind}).",
        "none_on_floor": "Im Stockwerk {floor} gibt es kein passendes Gerät ({kind}).",
        "unknown_in_area": "Im Bereich {area} gibt es kein Gerät namens {name}.",
        "unknown_on_floor": "Im Stockwerk {floor} gibt es kein Gerät namens {name}.",
        "device": "Gerät",
        "media_player": "Mediaplayer",
        "light": "Licht",
        "switch": "Schalter",
        "cover": "Rollladen",
        "lock": "Schloss",
        "climate": "Thermostat",
        "sensor": "Sensor",
        "binary_sensor": "Sensor",
        "number": "Einstellung",
        "more": "{names} und {count} weitere",
    },
}


def phrase(phrases: Phrases, language: str, key: str, **values: Any) -> str:
    """The reply template `key` in `language` (else English), filled in."""
    table = phrases.get(language) or phrases["en"]
    template = table.get(key) or phrases["en"][key]
    return template.format(**values)


def common_phrase(language: str, key: str, **values: Any) -> str:
    """One of the reply templates every intent family shares, filled in."""
    return phrase(_COMMON, language, key, **values)


def join_names(names: list[str], language: str, conjunction: str = "and", *, most: int = 0) -> str:
    """`A`, `A and B`, `A, B and C` (or with "or"); past `most` names, "A, B and 3 more"."""
    if most and len(names) > most:
        shown = ", ".join(names[: most - 1])
        return phrase(_COMMON, language, "more", names=shown, count=len(names) - most + 1)
    if len(names) <= 1:
        return "".join(names)
    word = phrase(_COMMON, language, conjunction)
    return f"{', '.join(names[:-1])} {word} {names[-1]}"


@dataclass
class IntentResult:
    """What a sentence asks for, ready for the policy."""

    intent: str
    """The Home Assistant intent, e.g. `HassMediaPause`."""
    slots: dict[str, Any]
    """As Home Assistant's intent tests name them, with the values the sentence said."""
    actions: list[Action]
    """Resolved to entity ids."""
    reply: str
    """A short sentence for the person."""
    question: str | None = None
    """When the target was ambiguous: what to ask back (and `actions` is empty)."""
    routine: str | None = None
    """Set when the sentence ran a routine by name ("activate movie night")."""
    notes: list[str] = field(default_factory=list)
    """What was left out (a routine step with nothing to act on in this house)."""
    choice: tuple[str, list[str]] | None = None
    """With a question: the words that named no one device, and the entity ids asked about."""


@dataclass
class IntentRequest:
    """One recognised intent, as a handler receives it."""

    registry: Registry
    intent: str
    slots: dict[str, Any]
    language: str = "en"
    loose: frozenset[str] = frozenset()
    """Target slots whose words matched no known name, area or floor exactly; they are
    resolved the loose way (name, then place, then fuzzy)."""
    response: str | None = None
    """The template's response key: `any`, `all`, `which`, `how_many`, `one_yesno`, ..."""
    combination: str | None = None
    """The template's slot combination: `domain_all`, `name_only`, `area_domain`, ..."""
    context_domains: frozenset[str] = frozenset()
    """Home Assistant domains the template allows for the name ("open {name}": cover)."""
    temperature_unit: str = "°C"
    """The household's temperature unit, for replies."""
    routines: Sequence[Routine] = ()
    """The household's routines, which sentences may run by name like scenes."""
    resolver: Resolver | None = None
    """The reader's name resolution for this sentence, if it has one (else `resolve`)."""
    asked: tuple[str, list[str]] | None = None
    """The last name that could mean several entities, and their ids (`choice`)."""
    history: History | None = None
    """What happened in the house, for questions about the past (None: no record kept)."""

    def result(
        self, reply: str, actions: list[Action] | None = None, question: str | None = None
    ) -> IntentResult:
        """The result of this request."""
        result = IntentResult(self.intent, dict(self.slots), actions or [], reply, question)
        if question is not None:
            result.choice = self.asked
        return result

    def resolve(
        self,
        name: str | None = None,
        *,
        area: str | None = None,
        floor: str | None = None,
        domains: Collection[Domain] | None = None,
    ) -> Resolution:
        """The entities `name` means (within the area or floor): `devices.names.resolve`."""
        if self.resolver is not None:
            found = self.resolver(name, area=area, floor=floor, domains=domains)
        else:
            found = resolve(self.registry, name, area=area, floor=floor, domains=domains)
        if found.ambiguous and name is not None:
            self.asked = (name, [e.entity_id for e in found.candidates])
        return found

    def say(self, phrases: Phrases, key: str, **values: Any) -> str:
        """The reply template `key` of `phrases` in this request's language, filled in."""
        return phrase(phrases, self.language, key, **values)


Handler = Callable[[IntentRequest], IntentResult]


@dataclass(frozen=True)
class IntentSpec:
    """How one intent is handled, and which domains its targets come from."""

    domains: frozenset[Domain]
    handle: Handler


@dataclass
class Targets:
    """The entities a request means, or why there are none."""

    entities: list[Entity] = field(default_factory=list)
    question: str | None = None
    """Set when the sentence could mean several entities: ask which."""
    problem: str | None = None
    """Set when nothing matches: say so."""

    def names(self, language: str, *, most: int = 0) -> str:
        """The targets' names as a person would list them."""
        return join_names([e.name for e in self.entities], language, most=most)


def find_targets(
    request: IntentRequest,
    domains: Collection[Domain],
    *,
    busy_states: Collection[str],
    nothing: str,
) -> Targets:
    """The entities of `domains` the request's name, area or floor slot means.

    With no such slot: the available entities whose state is in `busy_states`, else the only
    entity of those domains if there is just one, else the problem `nothing`.
    """
    registry, slots, language = request.registry, request.slots, request.language
    kind = _kind(domains, language)
    loose = [slot for slot in TARGET_SLOTS if slot in request.loose and slot in slots]
    if loose:
        return _loose(request, loose[0], domains, kind)
    name, area, floor = (slots.get(slot) for slot in TARGET_SLOTS)
    if name is None and area is None and floor is None:
        return _implicit(registry, domains, busy_states, nothing)
    found = request.resolve(name, area=area, floor=floor, domains=domains)
    if found.ambiguous:
        return Targets(question=_ask(registry, found.candidates, language))
    if not found.entities:
        if name is not None:
            problem = phrase(_COMMON, language, "unknown_name", kind=kind, name=name)
        elif area is not None:
            problem = phrase(_COMMON, language, "none_in_area", kind=kind, area=area)
        else:
            problem = phrase(_COMMON, language, "none_on_floor", kind=kind, floor=floor)
        return Targets(problem=problem)
    if name is not None and found.how == "name" and len(found.entities) > 1:
        # Several entities share the name: "pause the TV" with a TV in two rooms.
        return Targets(question=_ask(registry, found.entities, language))
    return Targets(sorted(found.entities, key=lambda e: e.entity_id))


def loosely_resolves(
    registry: Registry,
    text: str,
    domains: Collection[Domain],
    *,
    resolver: Resolver | None = None,
    kinds: bool = False,
) -> bool:
    """True when `text` means some entity of `domains` (or could mean several); with
    `kinds`, also when it names none but a kind of them ("the big light")."""
    if resolver is not None:
        found = resolver(text, domains=domains)
    else:
        found = resolve(registry, text, domains=domains)
    return bool(found.entities) or (bool(found.candidates) and (kinds or found.how != "kind"))


def loose_targets(request: IntentRequest, domains: Collection[Domain]) -> Targets | None:
    """The targets of a request whose name, area or floor words matched no list exactly."""
    loose = [slot for slot in TARGET_SLOTS if slot in request.loose and slot in request.slots]
    if not loose:
        return None
    return _loose(request, loose[0], domains, _kind(domains, request.language))


def ask(registry: Registry, candidates: list[Entity], language: str) -> str:
    """ "Did you mean X or Y?", naming the area where two candidates share a name."""
    return _ask(registry, candidates, language)


def kind_of(domains: Collection[Domain], language: str) -> str:
    """What to call entities of these domains: "light", "media player", "device"."""
    return _kind(domains, language)


def _loose(request: IntentRequest, slot: str, domains: Collection[Domain], kind: str) -> Targets:
    registry, language = request.registry, request.language
    text = str(request.slots[slot])
    # A loose name is looked for only in the place the sentence names exactly: "the pool
    # lights in the garage" is never the Pool Light out in the backyard.
    exact = {
        key: str(request.slots[key])
        for key in ("area", "floor")
        if key != slot and key in request.slots and key not in request.loose
    }
    found: Resolution = request.resolve(
        text, area=exact.get("area"), floor=exact.get("floor"), domains=domains
    )
    if found.ambiguous:
        return Targets(question=_ask(registry, found.candidates, language))
    if not found.entities:
        if "area" in exact:
            key, where = "unknown_in_area", {"area": exact["area"]}
        elif "floor" in exact:
            key, where = "unknown_on_floor", {"floor": exact["floor"]}
        else:
            key, where = "unknown_name", {}
        said = _ARTICLE.sub("", text) or text  # "called the pool": "called pool"
        return Targets(problem=phrase(_COMMON, language, key, kind=kind, name=said, **where))
    # Report the slot as what the words turned out to be: "pause upstairs" names a floor.
    del request.slots[slot]
    place: Area | Floor | None = None
    if found.how == "area":
        place = registry.find_area(text)
    elif found.how == "floor":
        place = registry.find_floor(text)
    if place is not None:
        request.slots[found.how] = place.name
    else:
        request.slots["name"] = text
    return Targets(sorted(found.entities, key=lambda e: e.entity_id))


def _implicit(
    registry: Registry, domains: Collection[Domain], busy_states: Collection[str], nothing: str
) -> Targets:
    pool = sorted(
        (e for e in registry.entities.values() if e.domain in domains),
        key=lambda e: e.entity_id,
    )
    busy = [e for e in pool if e.available and e.state is not None and e.state.state in busy_states]
    if busy:
        return Targets(busy)
    if len(pool) == 1:
        return Targets(pool)
    return Targets(problem=nothing)


def _ask(registry: Registry, candidates: list[Entity], language: str) -> str:
    """ "Did you mean X or Y?", naming the area where two candidates share a name."""
    names = [e.name for e in candidates]
    labels = []
    for entity in candidates:
        area = registry.area_name(entity)
        shared = names.count(entity.name) > 1
        labels.append(f"{entity.name} ({area})" if shared and area else entity.name)
    return phrase(_COMMON, language, "ask", names=join_names(labels, language, "or"))


def _kind(domains: Collection[Domain], language: str) -> str:
    """What to call the entities sought: "media player", or "device" for a mix."""
    key = next(iter(domains)).value if len(domains) == 1 else "device"
    known = key in _COMMON["en"] or key in _COMMON.get(language, {})
    return phrase(_COMMON, language, key if known else "device")
