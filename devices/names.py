"""Finding entities the way people name them.

Exact name or alias first, then area plus domain ("the bedroom speaker"), then floor, then
a fuzzy match. When two candidates are about as close, the answer is a question, not a
guess.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
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
    pool = [
        e
        for e in registry.entities.values()
        if (not domains or e.domain in domains)
        and (not device_classes or e.device_class in device_classes)
    ]
    if area is not None:
        found_area = registry.find_area(area)
        if found_area is None:
            return Resolution()
        pool = [e for e in pool if e.area_id == found_area.id]
    if floor is not None:
        found_floor = registry.find_floor(floor)
        if found_floor is None:
            return Resolution()
        pool = [e for e in pool if registry.floor_of(e) == found_floor.id]

    if name is None:
        how = "area" if area is not None else "floor" if floor is not None else "all"
        return Resolution(entities=sorted(pool, key=lambda e: e.entity_id), how=how)

    wanted = normalize(name)
    exact = [e for e in pool if wanted in _names_of(e) or wanted == e.entity_id]
    if exact:
        return Resolution(entities=exact, how="name")

    if area is None and floor is None:
        by_place = _by_place(registry, pool, wanted)
        if by_place is not None:
            return by_place

    return _fuzzy(pool, wanted)


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
    scored = sorted(
        ((max(_likeness(matcher, n) for n in _names_of(e)), e) for e in pool),
        key=lambda pair: pair[0],
        reverse=True,
    )
    close = [(score, e) for score, e in scored if score >= FUZZY_THRESHOLD]
    if not close:
        return Resolution()
    best = close[0][0]
    contenders = [e for score, e in close if best - score < FUZZY_MARGIN]
    if len(contenders) > 1:
        return Resolution(candidates=contenders, how="ambiguous")
    return Resolution(entities=[close[0][1]], how="fuzzy")
