"""Finding entities the way people name them.

Exact name or alias first, then area plus domain ("the bedroom speaker"), then floor, then
a loose match. When two candidates are about as close, the answer is a question, not a
guess.

A loose match has a guard: every word of the phrase that says *which* device (not what kind:
"light", "lamp", "speaker") must be a word of the entity's name, alias or area, or that word
with a slip of the finger (a letter dropped, doubled, swapped or wrong: rapidfuzz's
optimal string alignment distance, by length of the word). "The porch light" therefore never
finds the Pool Light: they share only the kind of device. A phrase of kind words alone
("the lamp") names no device: its candidates are asked about, never taken. Among the
entities that pass, the one that covers most of the phrase wins if it wins clearly.

Looking among some domains only (a light for "set ... to 40 percent"), a phrase that names a
device of another kind exactly, or better than any of the domains', names that device: an
entity of the domains is then taken only if it holds every word of the phrase ("the pool
pump" is the Pool Pump Target Speed of the pump, never the Pool Light). When none does, the
answer names the devices of the other kind (`Resolution.elsewhere`), so a reply can say what
they cannot do instead of acting on another device.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from devices.capabilities import Domain
from devices.entities import Area, Entity, Floor
from devices.registry import Registry

FUZZY_MARGIN = 0.08
"""Candidates closer than this to the best one make the match ambiguous."""
SLIP = 0.9
"""What a word with a slip of the finger counts for, against 1 for the word itself."""
MOST_ASKED = 6
"""A phrase of kind words alone asks about at most this many candidates."""

KINDS: dict[Domain | None, tuple[str, ...]] = {
    Domain.LIGHT: (
        *("light", "lights", "lamp", "lamps", "bulb", "bulbs", "lighting", "spot", "spots"),
        *("licht", "lichter", "lampe", "lampen", "leuchte", "beleuchtung"),
    ),
    Domain.MEDIA_PLAYER: (
        *("speaker", "speakers", "player", "music", "stereo", "sound", "tv"),
        *("lautsprecher", "musik", "box"),
    ),
    Domain.COVER: (
        *("shade", "shades", "blind", "blinds", "curtain", "curtains", "cover", "covers"),
        *("shutter", "shutters", "rollo", "rollos", "rollladen", "jalousie", "vorhang"),
    ),
    Domain.CLIMATE: ("thermostat", "heater", "heating", "climate", "heizung"),
    Domain.LOCK: ("lock", "locks", "schloss"),
    Domain.SWITCH: (
        *("switch", "switches", "plug", "plugs", "socket", "outlet", "pump", "fan"),
        *("schalter", "steckdose", "pumpe", "ventilator"),
    ),
    Domain.ALARM_PANEL: ("alarm", "alarmanlage"),
    Domain.SCENE: ("scene", "scenes", "szene", "szenen"),
    None: (
        *("door", "doors", "window", "windows", "temperature", "temp", "sensor", "sensors"),
        *("device", "devices", "thing", "tür", "fenster", "temperatur", "gerät"),
    ),
}
"""Words that say what kind of device is meant, not which one, by the domain they say (None:
more than one)."""
KIND_WORDS: frozenset[str] = frozenset(word for words in KINDS.values() for word in words)
QUALIFIERS: frozenset[str] = frozenset({"level", "reading", "value", "status", "state", "stand"})
"""Words behind a name that ask for its value: "the salt level", "the pH reading"."""


_ARTICLES = re.compile(r"^(the|a|an|my|our|der|die|das|den)\s+", re.IGNORECASE)


@lru_cache(maxsize=16384)
def normalize(text: str) -> str:
    """Fold case, punctuation, spacing and a leading article, so "The Kitchen!" is "kitchen"."""
    folded = re.sub(r"[^\w\s]", " ", text.casefold())
    folded = re.sub(r"\s+", " ", folded).strip()
    return _ARTICLES.sub("", folded)


@dataclass
class Resolution:
    """Which entities a phrase means, or what to ask back."""

    entities: list[Entity] = field(default_factory=list)
    candidates: list[Entity] = field(default_factory=list)
    """Filled when the phrase was ambiguous: the ones to ask about."""
    how: str = "none"
    """Which step matched: name, area, floor, fuzzy, all, ambiguous, kind (words that name
    no device, and a kind of device: every device of that kind asked about), elsewhere
    (words that name a device of another kind: `elsewhere`) or none."""
    elsewhere: list[Entity] = field(default_factory=list)
    """Filled when the phrase names devices outside the domains asked for and none in them."""

    @property
    def ambiguous(self) -> bool:
        """True when Dobby must ask which one was meant."""
        return bool(self.candidates)

    def __bool__(self) -> bool:
        """True when the phrase meant something, or could mean several things."""
        return bool(self.entities or self.candidates)

    def question(self) -> str:
        """What to ask back when the phrase was ambiguous."""
        names = [e.name for e in self.candidates]
        listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
        return f"Did you mean {listed}?"


def _names_of(entity: Entity) -> list[str]:
    return [normalize(entity.name), *(normalize(a) for a in entity.aliases)]


def resolve(
    registry: Registry,
    name: str | None = None,
    *,
    area: str | None = None,
    floor: str | None = None,
    domains: Collection[Domain] | None = None,
    device_classes: Collection[str] | None = None,
) -> Resolution:
    """The entities meant by a name, optionally within an area or floor, of some domains."""
    pool = _pool(registry, area, floor, domains, device_classes)
    if pool is None:
        return Resolution()
    if name is None:
        return _placed(pool, area, floor)
    wanted = normalize(name)
    exact = [e for e in pool if wanted in _names_of(e) or wanted == e.entity_id]
    if exact:
        return Resolution(entities=exact, how="name")
    said = Said.of(wanted)
    unplaced = area is None and floor is None
    early = _not_by_words(registry, lambda: pool, wanted, said, unplaced=unplaced)
    if early is not None:
        return early
    inside = said.scores(registry, pool)
    if domains or device_classes:
        others = _pool(registry, area, floor, None, None) or []
        kept = {id(e) for e in pool}
        outside = [e for e in others if id(e) not in kept]
        named = [e for e in outside if wanted in _names_of(e) or wanted == e.entity_id]
        scored = said.scores(registry, outside)
        found = _not_elsewhere(registry, said, inside, named, scored)
        if found is not None:
            return found
    return _closest(inside) or _unknown_of_kind(pool, said)


def _pool(
    registry: Registry,
    area: str | None,
    floor: str | None,
    domains: Collection[Domain] | None,
    device_classes: Collection[str] | None,
) -> list[Entity] | None:
    """The entities (in the registry's order) of the domains, device classes and place
    asked for; None when the area or floor is unknown."""
    admits = _admits(registry, area, floor, domains, device_classes)
    if admits is None:
        return None
    return [e for e in registry.entities.values() if admits(e)]


def _admits(
    registry: Registry,
    area: str | None,
    floor: str | None,
    domains: Collection[Domain] | None,
    device_classes: Collection[str] | None,
) -> Callable[[Entity], bool] | None:
    """Whether an entity is of the domains, device classes and place asked for; None when
    the area or floor is unknown."""
    area_id = floor_id = None
    if area is not None:
        found_area = registry.find_area(area)
        if found_area is None:
            return None
        area_id = found_area.id
    if floor is not None:
        found_floor = registry.find_floor(floor)
        if found_floor is None:
            return None
        floor_id = found_floor.id

    def admits(e: Entity) -> bool:
        return (
            (not domains or e.domain in domains)
            and (not device_classes or e.device_class in device_classes)
            and (area_id is None or e.area_id == area_id)
            and (floor_id is None or registry.floor_of(e) == floor_id)
        )

    return admits


def _placed(pool: list[Entity], area: str | None, floor: str | None) -> Resolution:
    """No name: everything of the pool."""
    how = "area" if area is not None else "floor" if floor is not None else "all"
    return Resolution(entities=sorted(pool, key=lambda e: e.entity_id), how=how)


def find_place(registry: Registry, wanted: str) -> Area | Floor | None:
    """The area or floor `wanted` names: exactly, else with a slip of the finger when one
    place alone is that close ("the kitchn", "bedrom")."""
    exact = registry.find_area(wanted) or registry.find_floor(wanted)
    if exact is not None:
        return exact
    said = normalize(wanted).replace(" ", "")
    if len(said) < 4:
        return None
    places: list[Area | Floor] = [*registry.areas.values(), *registry.floors.values()]
    close = [
        place
        for place in places
        if any(alike(said, normalize(n).replace(" ", "")) for n in (place.name, *place.aliases))
    ]
    return close[0] if len(close) == 1 else None


def _not_by_words(
    registry: Registry,
    pool: Callable[[], list[Entity]],
    wanted: str,
    said: Said,
    *,
    unplaced: bool,
) -> Resolution | None:
    """A place named as a name (when the sentence names no other place), or the question
    about a phrase of kind words; None when the words are to be scored."""
    if unplaced:
        place = find_place(registry, wanted)
        found = _by_place(registry, pool(), place) if place is not None else None
        if found is None and said.which and len(said.which) < len(said.words):
            # "the kitchen lights": a place and kinds of device, as "the bedroom shades"
            place = find_place(registry, " ".join(said.words[n] for n in said.which))
            kinds = _domains_of(w for w in said.words if w in KIND_WORDS)
            of_kind = [e for e in pool() if kinds is None or e.domain in kinds]
            found = _by_place(registry, of_kind, place) if place is not None else None
        if found is not None:
            return found
    if said.kinds_only:
        return _kinds_only(pool(), said)
    return None


def _by_place(registry: Registry, pool: list[Entity], place: Area | Floor) -> Resolution | None:
    """ "kitchen" as a name means everything (of the asked domains) in the Kitchen."""
    if isinstance(place, Area):
        found = [e for e in pool if e.area_id == place.id]
        if found:
            return Resolution(entities=found, how="area")
    if isinstance(place, Floor):
        found = [e for e in pool if registry.floor_of(e) == place.id]
        if found:
            return Resolution(entities=found, how="floor")
    return None


def _slips(said: str) -> int:
    """How many slips of the finger a word of this length may hold and still be itself."""
    return 0 if len(said) < 3 else 1 if len(said) < 8 else 2


@lru_cache(maxsize=65536)
def alike(said: str, word: str) -> float:
    """1 when `said` is `word`, `SLIP` when it is `word` with a slip of the finger, else 0.

    A word of three letters may only have dropped one ("dor" for "door"); numbers must be
    exact ("lamp 1" is not "lamp 2").
    """
    if said == word:
        return 1.0
    limit = _slips(said)
    if not limit or said.isdigit() or word.isdigit() or abs(len(said) - len(word)) > limit:
        return 0.0
    if len(said) == 3 and len(word) <= 3:
        return 0.0
    return SLIP if OSA.distance(said, word, score_cutoff=limit) <= limit else 0.0


Name = tuple[tuple[str, ...], frozenset[str]]
"""A name's words, and those with each two neighbours run together ("bed side" is also
"bedside")."""


def _name(text: str) -> Name:
    words = tuple(text.split())
    return words, frozenset((*words, *(a + b for a, b in itertools.pairwise(words))))


@dataclass(frozen=True)
class Said:
    """A phrase that names no entity exactly, as words to match loosely."""

    words: tuple[str, ...]
    """Every word, in order."""
    which: tuple[int, ...]
    """The positions of the words that say which device (not what kind)."""

    @classmethod
    def of(cls, wanted: str) -> Said:
        """The words of a normalised phrase (a qualifier behind it left out: "salt level")."""
        words = tuple(wanted.split())
        while len(words) > 1 and words[-1] in QUALIFIERS:
            words = words[:-1]
        return cls(words, tuple(n for n, w in enumerate(words) if w not in KIND_WORDS))

    @property
    def kinds_only(self) -> bool:
        """True when the phrase says only what kind of device ("the lamp")."""
        return not self.which

    def score(self, names: Iterable[Name], place: frozenset[str]) -> float:
        """How well the phrase names an entity with these names in this place (the place's
        words); 0 when a word that says which device is in none of them (the guard)."""
        best = 0.0
        for plain, joined in names:
            words = joined | place
            found = [max((alike(w, v) for v in words), default=0.0) for w in self.words]
            for n, pair in enumerate(itertools.pairwise(self.words)):  # "bed side"
                if min(found[n], found[n + 1]) < 1:
                    together = max((alike("".join(pair), v) for v in words), default=0.0)
                    if together > max(found[n], found[n + 1]):
                        found[n] = found[n + 1] = together
            if any(found[n] == 0 for n in self.which):
                continue
            covered = sum(1 for v in plain if any(alike(w, v) for w in self.words))
            best = max(best, sum(found) / len(found) + 0.05 * covered / max(1, len(plain)))
        return best

    def holds(self, registry: Registry, entity: Entity) -> bool:
        """True when every word of the phrase, kind words too, is in one of the entity's
        names or its place (or is with a slip of the finger)."""
        place = _place_words(registry, entity)
        return any(
            all(any(alike(w, v) for v in joined | place) for w in self.words)
            for _, joined in _name_words(entity)
        )

    def scores(self, registry: Registry, pool: Iterable[Entity]) -> list[tuple[float, Entity]]:
        """The entities of `pool` the phrase could name, with their scores."""
        scored = []
        for entity in pool:
            score = self.score(_name_words(entity), _place_words(registry, entity))
            if score > 0:
                scored.append((score, entity))
        return scored


def _name_words(entity: Entity) -> list[Name]:
    return [_name(n) for n in _names_of(entity)]


def _place_words(registry: Registry, entity: Entity) -> frozenset[str]:
    area = registry.areas.get(entity.area_id or "")
    if area is None:
        return frozenset()
    return frozenset().union(*(_name(normalize(n))[1] for n in (area.name, *area.aliases)))


def _domains_of(kinds: Iterable[str]) -> frozenset[Domain] | None:
    """The domains kind words say ("lights": lights), or None when they say no one domain."""
    domains = set()
    for kind in kinds:
        domain = next((d for d, words in KINDS.items() if kind in words), None)
        if domain is None:
            return None
        domains.add(domain)
    return frozenset(domains) or None


def _kinds_only(pool: Iterable[Entity], said: Said) -> Resolution:
    """A phrase of kind words: the entities whose names hold one of them, to ask about."""
    kinds = set(said.words)
    found = [e for e in pool if any(kinds & set(n.split()) for n in _names_of(e))]
    if not found or len(found) > MOST_ASKED:
        return Resolution()
    return Resolution(candidates=found, how="ambiguous")


_ANSWER_WORDS = frozenset(
    {"one", "in", "on", "at", "the", "that", "this", "i", "mean", "meant", "please", "yes"}
    | {"der", "die", "das", "den", "im", "in", "ich", "meine", "bitte", "ja", "von"}
)
"""Words around an answer to "which one?": "the one in the kitchen", "die im Flur"."""


def choose(registry: Registry, candidates: Sequence[Entity], answer: str) -> Entity | None:
    """Which of `candidates` an answer to "which one?" names ("the floor lamp", "the one in
    the kitchen"); None when it names none of them, or several."""
    wanted = normalize(answer)
    exact = [e for e in candidates if wanted in _names_of(e)]
    if len(exact) == 1:
        return exact[0]
    words = " ".join(w for w in wanted.split() if w not in _ANSWER_WORDS)
    if not words:
        return None
    found = _closest(Said.of(words).scores(registry, candidates))
    return found.entities[0] if found.entities else None


def _unknown_of_kind(pool: Iterable[Entity], said: Said) -> Resolution:
    """Words that name no device, with a kind of device ("the big light"): the few devices of
    that kind to ask about, never to take (a person's answer may become an alias)."""
    kinds = _domains_of(w for w in said.words if w in KIND_WORDS)
    if kinds is None or len(kinds) != 1:
        return Resolution()
    of_kind = [e for e in pool if e.domain in kinds]
    if not of_kind or len(of_kind) > MOST_ASKED:
        return Resolution()
    return Resolution(candidates=of_kind, how="kind")


def _closest(close: list[tuple[float, Entity]]) -> Resolution:
    """The one clear winner among the close enough (in pool order), or the question."""
    if not close:
        return Resolution()
    close.sort(key=lambda pair: pair[0], reverse=True)  # stable: ties keep pool order
    best = close[0][0]
    contenders = [e for score, e in close if best - score < FUZZY_MARGIN]
    if len(contenders) > 1:
        return Resolution(candidates=contenders, how="ambiguous")
    return Resolution(entities=[close[0][1]], how="fuzzy")


def _not_elsewhere(
    registry: Registry,
    said: Said,
    inside: list[tuple[float, Entity]],
    named: list[Entity],
    outside: list[tuple[float, Entity]],
) -> Resolution | None:
    """What a phrase means among the domains asked for when it names a device outside them
    exactly (`named`) or better than any inside (`outside`): the closest of those inside
    that hold every word of it, else the answer that it names the devices outside; None
    when it names nothing outside that well (the usual scoring decides)."""
    best_inside = max((score for score, _ in inside), default=0.0)
    better = [e for score, e in outside if score > best_inside]
    if not named and not better:
        return None
    whole = [(score, e) for score, e in inside if said.holds(registry, e)]
    if whole:
        return _closest(whole)
    if named:
        return Resolution(how="elsewhere", elsewhere=named)
    top = max(score for score, _ in outside)
    return Resolution(how="elsewhere", elsewhere=[e for s, e in outside if s == top])


class NameIndex:
    """The home's names, normalised and indexed once, for many questions to `resolve`.

    It answers as `resolve` does, while the names, aliases, entity ids, domains, device
    classes, areas and floors stay as they were when it was built (the intent reader builds
    one with its slot lists). The entities themselves are taken from the registry at each
    question, so their state is always the current one.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._ids = list(registry.entities)
        self._position = {entity_id: n for n, entity_id in enumerate(self._ids)}
        holders: dict[str, list[str]] = {}
        words: dict[str, set[str]] = {}
        self._names: dict[str, list[Name]] = {}
        self._places: dict[str, frozenset[str]] = {}
        for entity in registry.entities.values():
            for said in dict.fromkeys(_names_of(entity)):
                holders.setdefault(said, []).append(entity.entity_id)
            self._names[entity.entity_id] = _name_words(entity)
            self._places[entity.entity_id] = _place_words(registry, entity)
            for _, joined in self._names[entity.entity_id]:
                for word in joined:
                    words.setdefault(word, set()).add(entity.entity_id)
            for word in self._places[entity.entity_id]:
                words.setdefault(word, set()).add(entity.entity_id)
        self._holders = {said: frozenset(ids) for said, ids in holders.items()}
        """Normalised name or alias → the ids of the entities called that."""
        self._word_holders = {word: frozenset(ids) for word, ids in words.items()}
        """A word of a name, an alias or an area → the ids of the entities it may name."""
        self._vocabulary = list(self._word_holders)

    def resolve(
        self,
        name: str | None = None,
        *,
        area: str | None = None,
        floor: str | None = None,
        domains: Collection[Domain] | None = None,
        device_classes: Collection[str] | None = None,
        close: Callable[[str], Mapping[str, float]] | None = None,
    ) -> Resolution:
        """What `resolve` answers, from the index; `close` stands in for `self.close`."""
        registry = self.registry
        admits = _admits(registry, area, floor, domains, device_classes)
        if admits is None:
            return Resolution()
        if name is None:
            return _placed([e for e in registry.entities.values() if admits(e)], area, floor)
        wanted = normalize(name)
        exact = self._in_order({wanted, *self._holders.get(wanted, ())}, admits)
        if exact:
            return Resolution(entities=exact, how="name")
        said = Said.of(wanted)
        unplaced = area is None and floor is None

        def pool() -> list[Entity]:
            return [e for e in registry.entities.values() if admits(e)]

        early = _not_by_words(registry, pool, wanted, said, unplaced=unplaced)
        if early is not None:
            return early
        scores = (close or self.close)(wanted)
        inside = [(scores[e.entity_id], e) for e in self._in_order(scores, admits)]
        if domains or device_classes:
            placed = _admits(registry, area, floor, None, None)
            assert placed is not None  # the place is known: `admits` was made

            def outside(e: Entity) -> bool:
                return placed(e) and not admits(e)

            named = self._in_order({wanted, *self._holders.get(wanted, ())}, outside)
            scored = [(scores[e.entity_id], e) for e in self._in_order(scores, outside)]
            found = _not_elsewhere(registry, said, inside, named, scored)
            if found is not None:
                return found
        return _closest(inside) or _unknown_of_kind(pool(), said)

    def _in_order(self, ids: Iterable[str], admits: Callable[[Entity], bool]) -> list[Entity]:
        """The entities of `ids` that `admits` lets in, in the registry's order."""
        entities = self.registry.entities
        positions = sorted(self._position[i] for i in ids if i in self._position)
        found = (entities.get(self._ids[p]) for p in positions)
        return [e for e in found if e is not None and admits(e)]

    def close(self, wanted: str) -> dict[str, float]:
        """Entity id → how well the phrase `wanted` names it, for the entities that pass
        the guard: the scores `resolve` would give them.

        Only the entities that hold a match for every word that says which device (alone
        or run together with a neighbour) can pass, so only those are scored.
        """
        said = Said.of(wanted)
        words = said.words
        found: dict[str, set[str]] = {}
        candidates: set[str] | None = None
        for n in said.which:
            texts = [words[n]]
            texts += [words[n] + words[n + 1]] if n + 1 < len(words) else []
            texts += [words[n - 1] + words[n]] if n > 0 else []
            holders: set[str] = set()
            for text in texts:
                if text not in found:
                    found[text] = self._holders_of(text)
                holders |= found[text]
            candidates = holders if candidates is None else candidates & holders
            if not candidates:
                return {}
        scores: dict[str, float] = {}
        for entity_id in candidates or ():
            score = said.score(self._names[entity_id], self._places[entity_id])
            if score > 0:
                scores[entity_id] = score
        return scores

    def _holders_of(self, word: str) -> set[str]:
        """The entities holding `word`, or a word it is a slip of."""
        holders: set[str] = set()
        limit = _slips(word)
        for found, _, _ in process.extract(
            word, self._vocabulary, scorer=OSA.distance, score_cutoff=limit, limit=None
        ):
            if alike(word, found):
                holders |= self._word_holders[found]
        return holders


class Resolver:
    """`resolve` for one reading of a sentence: each question is worked out once.

    Only for as long as the home's names cannot change (one sentence); the answers are
    copies, so a caller may change its lists.
    """

    def __init__(self, index: NameIndex) -> None:
        self.index = index
        self._answers: dict[tuple[object, ...], Resolution] = {}
        self._close: dict[str, dict[str, float]] = {}

    def __call__(
        self,
        name: str | None = None,
        *,
        area: str | None = None,
        floor: str | None = None,
        domains: Collection[Domain] | None = None,
        device_classes: Collection[str] | None = None,
    ) -> Resolution:
        """What `resolve(registry, name, ...)` answers."""
        domain_set = frozenset(domains) if domains else None
        class_set = frozenset(device_classes) if device_classes else None
        key = (name, area, floor, domain_set, class_set)
        known = self._answers.get(key)
        if known is None:
            known = self._answers[key] = self.index.resolve(
                name,
                area=area,
                floor=floor,
                domains=domain_set,
                device_classes=class_set,
                close=self._close_to,
            )
        return Resolution(
            list(known.entities), list(known.candidates), known.how, list(known.elsewhere)
        )

    def _close_to(self, wanted: str) -> dict[str, float]:
        scores = self._close.get(wanted)
        if scores is None:
            scores = self._close[wanted] = self.index.close(wanted)
        return scores
