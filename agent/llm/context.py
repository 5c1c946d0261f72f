"""The bounded prompt context of one turn: the household, and only what the message is about.

Areas, floors, routines and a summary of what the house has, plus the few entities the
message names (by name, alias, area, floor or kind), with their state. Never a dump of
the whole house: every part has a cap, so the prompt does not grow with the number of
devices. The model finds anything else with `find_entities`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

from devices.capabilities import Domain
from devices.entities import Entity, slugify
from devices.names import normalize
from devices.registry import Registry
from skills.routines import Routine
from skills.toolsets import CONTROL_DOMAINS, EDITING_TOOLS, LATER_TOOLS, Focus

MAX_ENTITIES = 12
"""Entities listed in one turn's context."""
MAX_AREAS = 40
MAX_ROUTINES = 20
MAX_ATTRIBUTES = 4
MAX_VALUE = 40
"""Characters of one attribute value."""

_KINDS: dict[str, Domain] = {
    **dict.fromkeys(("light", "lights", "lamp", "lamps", "bright", "brighter"), Domain.LIGHT),
    **dict.fromkeys(("dark", "darker", "dim", "licht", "lichter", "lampe", "lampen"), Domain.LIGHT),
    **dict.fromkeys(("dunkel", "heller", "dunkler", "dimmen"), Domain.LIGHT),
    **dict.fromkeys(("switch", "switches", "plug", "pump", "heater"), Domain.SWITCH),
    **dict.fromkeys(("steckdose", "schalter", "pumpe"), Domain.SWITCH),
    **dict.fromkeys(
        ("speaker", "speakers", "music", "volume", "song", "track", "play", "pause"),
        Domain.MEDIA_PLAYER,
    ),
    **dict.fromkeys(
        ("musik", "lautsprecher", "lauter", "leiser", "lautstärke", "lied"), Domain.MEDIA_PLAYER
    ),
    **dict.fromkeys(
        ("thermostat", "heating", "heat", "temperature", "warmer", "cooler", "ac", "cold", "hot"),
        Domain.CLIMATE,
    ),
    **dict.fromkeys(
        ("heizung", "temperatur", "wärmer", "kälter", "kalt", "warm", "grad"), Domain.CLIMATE
    ),
    **dict.fromkeys(
        ("blind", "blinds", "shade", "shades", "curtain", "curtains", "shutter", "garage"),
        Domain.COVER,
    ),
    **dict.fromkeys(
        ("rollladen", "rollläden", "rollo", "rollos", "jalousie", "jalousien", "vorhang"),
        Domain.COVER,
    ),
    **dict.fromkeys(("lock", "locked", "unlock", "door", "doors"), Domain.LOCK),
    **dict.fromkeys(("schloss", "tür", "haustür", "abschließen", "aufschließen"), Domain.LOCK),
    **dict.fromkeys(("alarm", "arm", "disarm", "armed", "security"), Domain.ALARM_PANEL),
    **dict.fromkeys(("alarmanlage", "scharf", "unscharf"), Domain.ALARM_PANEL),
    **dict.fromkeys(("window", "windows", "motion", "leak", "open"), Domain.BINARY_SENSOR),
    **dict.fromkeys(("fenster", "bewegung", "offen"), Domain.BINARY_SENSOR),
    **dict.fromkeys(("scene", "scenes", "szene", "szenen", "activate"), Domain.SCENE),
    **dict.fromkeys(("rpm", "gpm", "speed", "chlorinator", "output"), Domain.NUMBER),
    **dict.fromkeys(("drehzahl", "umdrehungen", "chlorinierer", "chlorgenerator"), Domain.NUMBER),
}
"""Words that point at a kind of entity, when no name does (English and German)."""

_STOPWORDS = frozenset(
    {
        *("the", "a", "an", "and", "or", "of", "in", "on", "to", "is", "are", "it", "all"),
        *("my", "our", "please", "turn", "set", "switch", "off", "up", "down"),
    }
)


_ROUTINE_WORDS = frozenset(
    {
        *("routine", "routines", "automation", "schedule", "scheduled", "every", "daily"),
        *("weekdays", "weekends", "rename", "delete", "create", "edit"),
        *("routinen", "zeitplan", "jeden", "jede", "täglich", "werktags", "umbenennen"),
        *("löschen", "erstelle", "erstellen", "bearbeite", "ändere"),
    }
)
"""Words of a message about making or changing routines (English and German)."""
_ROUTINE_PHRASES = re.compile(r"\b(when (i|we) say|wenn (ich|wir) sagen?|whenever)\b")
_CHANGE_WORDS = frozenset(
    {"change", "add", "remove", "also", "instead", "ändern", "hinzufügen", "entfernen", "auch"}
)
"""Words that, beside a routine's name, mean changing that routine."""
_LATER_WORDS = frozenset(
    {
        *("later", "schedule", "scheduled", "tonight", "tomorrow", "minutes", "hours"),
        *("cancel", "timer", "when", "o'clock", "pm", "am", "später", "morgen", "heute"),
        *("abend", "minuten", "stunden", "uhr", "abbrechen", "geplant"),
    }
)
"""Words of a message about doing something later, or what is scheduled."""
_HISTORY_WORDS = frozenset(
    {
        *("who", "why", "history", "log", "audit", "happened", "did", "last", "yesterday"),
        *("ago", "earlier", "night", "wer", "warum", "wieso", "weshalb", "verlauf"),
        *("protokoll", "passiert", "gestern", "zuletzt", "letzte", "vorhin", "nacht"),
    }
)
"""Words of a message asking what was done to the house, by whom, and why."""


def _has_phrase(text: str, phrase: str) -> bool:
    return bool(phrase) and f" {phrase} " in f" {text} "


def _names(entity: Entity) -> list[str]:
    return [normalize(n) for n in (entity.name, *entity.aliases)]


def _says(text: str, names: list[str], entity: Entity) -> bool:
    """Whether the (normalized) text says one of the names, or the entity id."""
    return any(_has_phrase(text, n) for n in names) or entity.entity_id in text


def _place_words(registry: Registry) -> set[str]:
    names = [n for a in registry.areas.values() for n in (a.name, *a.aliases)]
    names += [n for f in registry.floors.values() for n in (f.name, *f.aliases)]
    return {w for n in names for w in normalize(n).split()}


def _called(entity: Entity, text: str, words: set[str], places: set[str]) -> bool:
    """Whether `text` calls the entity by its name or alias, or by a word of one; a name
    that is only a place's ("Living Room", a speaker) names the place, not the device."""
    names = [n for n in _names(entity) if not set(n.split()) <= places]
    if _says(text, names, entity):
        return True
    return any(w in words for n in names for w in n.split() if len(w) > 2 and w not in _STOPWORDS)


def _score(registry: Registry, entity: Entity, text: str, words: set[str]) -> int:
    names = _names(entity)
    score = 0
    if _says(text, names, entity):
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


LISTING = "Entities this message may be about (id: name unless the id says it (area), state):"
"""The head of the turn context's list of entities."""


def entity_line(registry: Registry, entity: Entity) -> str:
    """`- light.ceiling: Kitchen Ceiling (Kitchen), on, brightness=80`; the name is left out
    where the id spells it (`- light.kitchen_ceiling (Kitchen), on`)."""
    area = registry.area_name(entity)
    where = f" ({area})" if area else ""
    spelled = slugify(entity.name) == entity.entity_id.partition(".")[2]
    name = "" if spelled else f": {_short(entity.name)}"
    if not entity.available or entity.state is None:
        return f"- {entity.entity_id}{name}{where}, unavailable"
    attributes = list(entity.state.attributes().items())[:MAX_ATTRIBUTES]
    shown = "".join(f", {key}={_short(value)}" for key, value in attributes)
    kind = f" [{entity.device_class}]" if entity.device_class else ""
    return f"- {entity.entity_id}{name}{kind}{where}, {entity.state.state}{shown}"


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
        f"{LISTING}\n{listed}"
    )


def turn_focus(
    registry: Registry,
    routines: Sequence[Routine],
    text: str,
    earlier_tools: Iterable[str] = (),
) -> Focus:
    """Which tools a turn about `text` is shown (`skills.toolsets.Focus`).

    The domains of the kinds the message mentions, of the listed entities it calls by
    name, and of what the conversation's earlier turns controlled ("turn it off again");
    every domain when there are none. A domain the model finds later joins
    (`HouseDeps.describe`). Routine editing when it speaks of routines, or of one by name
    with a word of change, or the conversation was already editing one, or nothing in it
    points at devices. The audit log tool when it asks what happened, who did it, or why.
    """
    wanted = normalize(text)
    words = set(re.findall(r"\w+", wanted))
    earlier = set(earlier_tools)
    # The kinds the message says ("lamps") and the listed entities it calls by name or by
    # a word of their name ("the lights" for Fairy Lights, a switch) other than a place's;
    # listed only for their room, when nothing else says what it is about.
    listed = relevant_entities(registry, text)
    places = _place_words(registry)
    domains = {_KINDS[w] for w in words if w in _KINDS}
    domains |= {e.domain for e in listed if _called(e, wanted, words - places, places)}
    if not domains:
        domains = {e.domain for e in listed}
    domains |= {CONTROL_DOMAINS[name] for name in earlier if name in CONTROL_DOMAINS}
    named = any(_has_phrase(wanted, normalize(r.name)) for r in routines)
    editing = (
        bool(words & _ROUTINE_WORDS)
        or bool(_ROUTINE_PHRASES.search(wanted))
        or (named and bool(words & _CHANGE_WORDS))
        or bool(earlier & EDITING_TOOLS)
    )
    # Nothing says which devices: everything, routine editing too ("make movie night").
    return Focus(
        domains or None,
        editing or not domains,
        routines_in_context=len(routines) <= MAX_ROUTINES,
        later=bool(words & _LATER_WORDS) or bool(earlier & LATER_TOOLS),
        history=bool(words & _HISTORY_WORDS) or "audit_log" in earlier,
    )
