"""Questions: HassGetState, answered from the registry's state, with no actions.

The template's response key says what kind of answer the question wants:

| Key        | Example                              | Answer                         |
|------------|--------------------------------------|--------------------------------|
| one        | "what is the outside temperature"    | Outside Temperature is 42 °F.  |
| one_yesno  | "is the front door locked"           | Yes. / No, Front Door is ...   |
| any        | "are any windows open"               | Yes, Bedroom Window.           |
| all        | "are all the doors locked"           | No, Back Door is not locked.   |
| which      | "which lights are on"                | Kitchen Pendant and ...        |
| how_many   | "how many lights are on"             | 2.                             |

Targets come by name, area, floor, domain and device class (`targets.select`); with none of
them, every entity of the kind is meant. People and zones are not something Dobby tracks.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.intents.base import (
    IntentRequest,
    IntentResult,
    IntentSpec,
    Phrases,
    Targets,
    join_names,
)
from agent.intents.targets import HA_DOMAINS, select
from devices.capabilities import Domain, NumberState, SensorState
from devices.entities import Entity

_ALL = frozenset(Domain)
_SHOWN = 5
"""Names listed before "and N more"."""

PHRASES: Phrases = {
    "en": {
        "yes": "Yes.",
        "yes_names": "Yes, {names}.",
        "no": "No.",
        "no_one": "No, {name} is {state}.",
        "not_all_one": "No, {names} is not {state}.",
        "not_all": "No, {names} are not {state}.",
        "which": "{names}.",
        "none": "None.",
        "count": "{count}.",
        "one": "{name} is {state}.",
        "unavailable": "unavailable",
        "untracked": "I don't keep track of {domain}.",
        "no_such": "There is no {kind} in this house.",
    },
    "de": {
        "yes": "Ja.",
        "yes_names": "Ja, {names}.",
        "no": "Nein.",
        "no_one": "Nein, {name} ist {state}.",
        "not_all_one": "Nein, {names} ist nicht {state}.",
        "not_all": "Nein, {names} sind nicht {state}.",
        "which": "{names}.",
        "none": "Keine.",
        "count": "{count}.",
        "one": "{name} ist {state}.",
        "unavailable": "nicht erreichbar",
        "untracked": "Über {domain} weiß ich nichts.",
        "no_such": "In diesem Haus gibt es kein Gerät der Art „{kind}“.",
    },
}

_CLASS_WORDS = {"en": {"garage": "garage door"}, "de": {"garage": "Garagentor"}}
"""What to call a device class in a reply, where its name is not the word people say."""

_UNTRACKED = {"en": {"person": "people"}, "de": {"person": "Personen"}}
"""What to call the Home Assistant domains Dobby has no counterpart for."""

_BINARY_WORDS: dict[str, tuple[str, str]] = {
    "door": ("open", "closed"),
    "window": ("open", "closed"),
    "opening": ("open", "closed"),
    "garage_door": ("open", "closed"),
    "motion": ("detected", "clear"),
    "occupancy": ("detected", "clear"),
    "moisture": ("wet", "dry"),
    "smoke": ("detected", "clear"),
    "gas": ("detected", "clear"),
    "problem": ("a problem", "OK"),
}
"""What a binary sensor's on and off mean, by device class."""

_GERMAN_STATES = {
    "on": "an",
    "off": "aus",
    "open": "offen",
    "closed": "geschlossen",
    "opening": "am Öffnen",
    "closing": "am Schließen",
    "locked": "verriegelt",
    "unlocked": "entriegelt",
    "locking": "am Verriegeln",
    "unlocking": "am Entriegeln",
    "jammed": "blockiert",
    "playing": "am Spielen",
    "paused": "pausiert",
    "stopped": "gestoppt",
    "idle": "inaktiv",
    "heat": "auf Heizen",
    "cool": "auf Kühlen",
    "auto": "auf Automatik",
    "detected": "ausgelöst",
    "clear": "frei",
    "wet": "nass",
    "dry": "trocken",
    "a problem": "gestört",
    "OK": "in Ordnung",
    "disarmed": "unscharf",
    "armed_home": "scharf (zu Hause)",
    "armed_away": "scharf (abwesend)",
    "armed_night": "scharf (Nacht)",
    "triggered": "ausgelöst",
}


def _words(entity: Entity, state: str, language: str) -> str:
    """A state as a person says it: a door sensor's `on` is "open"."""
    if entity.domain == Domain.BINARY_SENSOR and entity.device_class in _BINARY_WORDS:
        on, off = _BINARY_WORDS[entity.device_class]
        state = on if state == "on" else off if state == "off" else state
    if language == "de":
        return _GERMAN_STATES.get(state, state)
    return state.replace("_", " ")


def _current(request: IntentRequest, entity: Entity) -> str:
    if not entity.available or entity.state is None:
        return request.say(PHRASES, "unavailable")
    state = entity.state
    if isinstance(state, SensorState | NumberState):
        unit = f" {state.unit_of_measurement}" if state.unit_of_measurement else ""
        return f"{state.state}{unit}"
    return _words(entity, state.state, request.language)


_ON_MEANS: dict[Domain, Callable[[str], bool]] = {
    Domain.CLIMATE: lambda state: state != "off",
    Domain.MEDIA_PLAYER: lambda state: state == "playing",
}
"""What "on" means where a state has other words for it: "is the heating on"."""


def _is(entity: Entity, wanted: str) -> bool:
    if not entity.available or entity.state is None:
        return False
    if wanted == "on" and entity.domain in _ON_MEANS:
        return _ON_MEANS[entity.domain](entity.state.state)
    return entity.state.state == wanted


def _handle(request: IntentRequest) -> IntentResult:
    domain = request.slots.get("domain")
    if isinstance(domain, str) and domain not in HA_DOMAINS:
        said = _UNTRACKED.get(request.language, {}).get(domain, domain)
        return request.result(request.say(PHRASES, "untracked", domain=said))
    targets = select(request, _ALL, lambda request, pool, kind: Targets(pool))
    wanted = request.slots.get("state")
    key = request.response or "one_yesno"
    if not targets.entities and not targets.question and wanted is not None and key in _NOTHING:
        # "are any windows open" in a house without windows: no.
        return request.result(request.say(PHRASES, _NOTHING[key], count=0))
    device_class = request.slots.get("device_class")
    nothing = not targets.entities and not targets.question and not targets.problem
    if nothing and isinstance(device_class, str):
        # "is the garage door open?" in a house without one: say so, not "None."
        words = _CLASS_WORDS.get(request.language, {})
        kind = words.get(device_class, device_class.replace("_", " "))
        return request.result(request.say(PHRASES, "no_such", kind=kind))
    if not targets.entities:
        problem = targets.problem or request.say(PHRASES, "none")
        return request.result(targets.question or problem, [], targets.question)
    if wanted is None or key == "one":
        lines = [
            request.say(PHRASES, "one", name=e.name, state=_current(request, e))
            for e in targets.entities
        ]
        return request.result(" ".join(lines))
    return request.result(_answer(request, targets.entities, str(wanted), key))


_NOTHING = {"any": "no", "which": "none", "how_many": "count"}
"""The answer to a question about a kind of thing the place does not have."""


def _answer(request: IntentRequest, entities: list[Entity], wanted: str, key: str) -> str:
    """Yes or no, which ones, or how many, for a question with a state."""
    language = request.language
    matching = [e for e in entities if _is(e, wanted)]
    others = [e for e in entities if not _is(e, wanted)]
    if key == "how_many":
        return request.say(PHRASES, "count", count=len(matching))
    if key == "all":
        if not others:
            return request.say(PHRASES, "yes")
        names = join_names([e.name for e in others], language, most=_SHOWN)
        plural = "not_all" if len(others) > 1 else "not_all_one"
        return request.say(PHRASES, plural, names=names, state=_words(others[0], wanted, language))
    names = join_names([e.name for e in matching], language, most=_SHOWN)
    if key == "which":
        return (
            request.say(PHRASES, "which", names=names) if matching else request.say(PHRASES, "none")
        )
    if key == "any" or len(entities) > 1:
        return (
            request.say(PHRASES, "yes_names", names=names)
            if matching
            else request.say(PHRASES, "no")
        )
    entity = entities[0]
    now = _current(request, entity)
    return (
        request.say(PHRASES, "yes")
        if matching
        else request.say(PHRASES, "no_one", name=entity.name, state=now)
    )


HANDLERS: dict[str, IntentSpec] = {"HassGetState": IntentSpec(_ALL, _handle)}
"""The state question and how it is handled."""
