"""The bounded prompt context of one turn: the household, and only what the message is about.

Areas, floors, routines and a summary of what the house has, plus the few entities the
message names (by name, alias, area, floor or kind), with their state. Never a dump of
the whole house: every part has a cap, so the prompt does not grow with the number of
devices. The model finds anything else with `find_entities`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from devices.capabilities import Domain
from devices.entities import Entity
from devices.names import normalize
from devices.registry import Registry
from skills.routines import Routine

MAX_ENTITIES = 12
"""Entities listed in one turn's context."""
MAX_AREAS = 40
MAX_ROUTINES = 20
MAX_ATTRIBUTES = 4
MAX_VALUE = 40
"""Characters of one attribute value."""

_KINDS: dict[str, Domain] = {
    **dict.fromkeys(("light", "lights", "lamp", "lamps", "licht", "lampe"), Domain.LIGHT),
    **dict.fromkeys(("switch", "switches", "plug", "pump", "heater"), Domain.SWITCH),
    **dict.fromkeys(
        ("speaker", "speakers", "music", "volume", "song", "track", "play", "pause"),
        Domain.MEDIA_PLAYER,
    ),
    **dict.fromkeys(
        ("thermostat", "heating", "heat", "temperature", "warmer", "cooler", "ac"),
        Domain.CLIMATE,
    ),
    **dict.fromkeys(
        ("blind", "blinds", "shade", "shades", "curtain", "curtains", "shutter", "garage"),
        Domain.COVER,
    ),
    **dict.fromkeys(("lock", "locked", "unlock", "door", "doors"), Domain.LOCK),
    **dict.fromkeys(("alarm", "arm", "disarm", "armed"), Domain.ALARM_PANEL),
    **dict.fromkeys(("window", "windows", "motion", "leak", "open"), Domain.BINARY_SENSOR),
}
"""Words that point at a kind of entity, when no name does."""

_STOPWORDS = frozenset(
    {
        *("the", "a", "an", "and", "or", "of", "in", "on", "to", "is", "are", "it", "all"),
        *("my", "our", "please", "turn", "set", "switch", "off", "up", "down"),
    }
)


def _has_phrase(text: str, phrase: str) -> bool:
    return bool(phrase) and f" {phrase} " in f" {text} "


def _score(registry: Registry, entity: Entity, text: str, words: set[str]) -> int:
    names = [normalize(n) for n in (entity.name, *entity.aliases)]
    score = 0
    if any(_has_phrase(text, n) for n in names) or entity.entity_id in text:
        score += 10
    area = registry.areas.get(entity.area_id) if entity.area_id else None
    if area and any(_has_phrase(text, normalize(n)) for n in (area.name, *area.aliases)):
        score += 4
    floor = registry.floors.get(area.floor_id) if area and area.floor_id else None
    if floor and any(_has_phrase(text, normalize(n)) for n in (floor.name, *floor.aliases)):
        score += 2
    name_words = {w for n in names for w in n.split() if len(w) > 2 and w not in _STOPWORDS}
    score += len(name_words & words)
    if any(_KINDS.get(w) is entity.domain for w in words):
        score += 2
    return score


def relevant_entities(registry: Registry, text: str, limit: int = MAX_ENTITIES) -> list[Entity]:
    """The entities a message is most likely about, best first, at most `limit`."""
    wanted = normalize(text)
    words = set(re.findall(r"\w+", wanted))
    scored = [(_score(registry, e, wanted, words), e) for e in registry.entities.values()]
    ranked = sorted((p for p in scored if p[0] > 0), key=lambda p: (-p[0], p[1].entity_id))
    return [entity for _, entity in ranked[:limit]]


def _short(value: object) -> str:
    text = str(value)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def entity_line(registry: Registry, entity: Entity) -> str:
    """`- light.kitchen_ceiling: Kitchen Ceiling (Kitchen), on, brightness=80`."""
    area = registry.area_name(entity)
    where = f" ({area})" if area else ""
    if not entity.available or entity.state is None:
        return f"- {entity.entity_id}: {entity.name}{where}, unavailable"
    attributes = list(entity.state.attributes().items())[:MAX_ATTRIBUTES]
    shown = "".join(f", {key}={_short(value)}" for key, value in attributes)
    kind = f" [{entity.device_class}]" if entity.device_class else ""
    return f"- {entity.entity_id}: {_short(entity.name)}{kind}{where}, {entity.state.state}{shown}"


def _places(registry: Registry) -> str:
    by_floor: dict[str | None, list[str]] = {}
    for area in list(registry.areas.values())[:MAX_AREAS]:
        by_floor.setdefault(area.floor_id, []).append(area.name)
    lines = []
    for floor_id, names in by_floor.items():
        floor = registry.floors.get(floor_id) if floor_id else None
        lines.append(f"- {floor.name if floor else 'Other'}: {', '.join(names)}")
    more = len(registry.areas) - MAX_AREAS
    if more > 0:
        lines.append(f"- and {more} more areas")
    return "\n".join(lines) or "- none configured"


def _routines(routines: Sequence[Routine]) -> str:
    lines = [
        f"- {r.name}{': ' + _short(r.description) if r.description else ''}"
        for r in routines[:MAX_ROUTINES]
    ]
    if len(routines) > MAX_ROUTINES:
        lines.append(f"- and {len(routines) - MAX_ROUTINES} more (list_routines)")
    return "\n".join(lines) or "- none"


def _summary(registry: Registry) -> str:
    counts = Counter(e.domain.value for e in registry.entities.values())
    return ", ".join(f"{n} {domain}" for domain, n in sorted(counts.items())) or "no devices yet"


def turn_context(registry: Registry, routines: Sequence[Routine], text: str) -> str:
    """The context of one turn: places, routines, what the house has, and what `text` names."""
    entities = relevant_entities(registry, text)
    listed = "\n".join(entity_line(registry, e) for e in entities) or (
        "- none matched by name; use find_entities"
    )
    return (
        f"Floors and areas:\n{_places(registry)}\n\n"
        f"Routines:\n{_routines(routines)}\n\n"
        f"The house has: {_summary(registry)}.\n\n"
        f"Entities this message may be about (id: name (area), state):\n{listed}"
    )
