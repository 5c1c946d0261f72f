"""Finding entities the way people name them.

Exact name or alias first, then area plus domain ("the bedroom speaker"), then floor, then
a fuzzy match. When two candidates are about as close, the answer is a question, not a
guess.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache

from devices.capabilities import Domain
from devices.entities import Entity
from devices.registry import Registry

FUZZY_THRESHOLD = 0.75
"""How alike a name must be to count as a fuzzy match."""
FUZZY_MARGIN = 0.08
"""Candidates closer than this to the best one make the match ambiguous."""

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
    """Which step matched: name, area, floor, fuzzy, all, ambiguous or none."""

    @property
    def ambiguous(self) -> bool:
        """True when Dobby must ask which one was meant."""
        return bool(self.candidates)

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
    if area is None and floor is None:
        by_place = _by_place(registry, pool, wanted)
        if by_place is not None:
            return by_place
    return _fuzzy(pool, wanted)


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


def _by_place(registry: Registry, pool: list[Entity], wanted: str) -> Resolution | None:
    """ "kitchen" as a name means everything (of the asked domains) in the Kitchen."""
    area = registry.find_area(wanted)
    if area is not None:
        found = [e for e in pool if e.area_id == area.id]
        if found:
            return Resolution(entities=found, how="area")
    floor = registry.find_floor(wanted)
    if floor is not None:
        found = [e for e in pool if registry.floor_of(e) == floor.id]
        if found:
            return Resolution(entities=found, how="floor")
    return None


def _is_place(registry: Registry, wanted: str) -> bool:
    """True when `wanted` names an area or a floor (the only case `_by_place` answers)."""
    return registry.find_area(wanted) is not None or registry.find_floor(wanted) is not None


def _likeness(matcher: SequenceMatcher[str], name: str) -> float:
    """How alike `name` is to the matcher's wanted text (its second sequence), or 0 where
    the cheap upper bounds show it cannot reach the threshold anyway."""
    matcher.set_seq1(name)
    if matcher.real_quick_ratio() < FUZZY_THRESHOLD or matcher.quick_ratio() < FUZZY_THRESHOLD:
        return 0.0
    return matcher.ratio()


def _fuzzy(pool: Iterable[Entity], wanted: str) -> Resolution:
    matcher: SequenceMatcher[str] = SequenceMatcher(None)
    matcher.set_seq2(wanted)  # analysed once, compared with every name
    scored = ((max(_likeness(matcher, n) for n in _names_of(e)), e) for e in pool)
    return _closest([(score, e) for score, e in scored if score >= FUZZY_THRESHOLD])


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
        for entity in registry.entities.values():
            for said in dict.fromkeys(_names_of(entity)):
                holders.setdefault(said, []).append(entity.entity_id)
        self._holders = {said: frozenset(ids) for said, ids in holders.items()}
        """Normalised name or alias → the ids of the entities called that."""
        self._by_length: dict[int, list[tuple[str, frozenset[tuple[str, int]], frozenset[str]]]]
        self._by_length = {}
        for said, ids in self._holders.items():
            self._by_length.setdefault(len(said), []).append((said, _letters(said), ids))

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
        if area is None and floor is None and _is_place(registry, wanted):
            pool = [e for e in registry.entities.values() if admits(e)]
            by_place = _by_place(registry, pool, wanted)
            if by_place is not None:
                return by_place
        scores = (close or self.close)(wanted)
        if not scores:
            return Resolution()
        return _closest([(scores[e.entity_id], e) for e in self._in_order(scores, admits)])

    def _in_order(self, ids: Iterable[str], admits: Callable[[Entity], bool]) -> list[Entity]:
        """The entities of `ids` that `admits` lets in, in the registry's order."""
        entities = self.registry.entities
        positions = sorted(self._position[i] for i in ids if i in self._position)
        found = (entities.get(self._ids[p]) for p in positions)
        return [e for e in found if e is not None and admits(e)]

    def close(self, wanted: str) -> dict[str, float]:
        """Entity id → how alike its likest name is to `wanted`, for the entities where
        that is at least `FUZZY_THRESHOLD`: the scores `_fuzzy` would give them."""
        matcher: SequenceMatcher[str] = SequenceMatcher(None)
        matcher.set_seq2(wanted)
        letters = _letters(wanted)
        size = len(wanted)
        scores: dict[str, float] = {}
        for length, names in self._by_length.items():
            # The bounds `_likeness` checks first, in the same arithmetic.
            if _ratio(min(size, length), size + length) < FUZZY_THRESHOLD:
                continue
            for said, said_letters, ids in names:
                if _ratio(len(letters & said_letters), size + length) < FUZZY_THRESHOLD:
                    continue
                matcher.set_seq1(said)
                score = matcher.ratio()
                if score < FUZZY_THRESHOLD:
                    continue
                for entity_id in ids:
                    scores[entity_id] = max(score, scores.get(entity_id, score))
        return scores


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
        return Resolution(list(known.entities), list(known.candidates), known.how)

    def _close_to(self, wanted: str) -> dict[str, float]:
        scores = self._close.get(wanted)
        if scores is None:
            scores = self._close[wanted] = self.index.close(wanted)
        return scores


def _letters(text: str) -> frozenset[tuple[str, int]]:
    """The letters of `text` as a set, the n-th of a kind as (letter, n): two texts share
    as many as difflib's `quick_ratio` counts in common."""
    seen: dict[str, int] = {}
    letters = []
    for letter in text:
        seen[letter] = seen.get(letter, 0) + 1
        letters.append((letter, seen[letter]))
    return frozenset(letters)


def _ratio(matches: int, length: int) -> float:
    """difflib's ratio arithmetic."""
    return 2.0 * matches / length if length else 1.0
