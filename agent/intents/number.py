"""Numbers a person sets: DobbyNumberSet → number.set_value(value=N) ("set the pool pump
to 2500 rpm", "set the chlorinator to 40 percent", "stell die Poolpumpe auf 2500 U/min").

The words name number entities the loose way ("the pool pump" finds the Pool Pump Target
Speed, "the chlorinator" the chlorinator's outputs), and the unit said picks among
them: a pump's speed in RPM or GPM, a chlorinator's output in percent; a value said without
a unit is in the setting's own ("set the pool pump speed to 2500"). Two that remain are
asked about. A unit the setting is not set in is refused with the one it is set in, its
range and a sentence to say instead ("Pool Pump cannot be set to 40%: its speed is set in
RPM (450 to 3450), say "set the pool pump to 2500 rpm""), naming the device the words name
(the Pool Pump) rather than the setting. Whether the value is inside the range is the
policy's business, which names the range when it refuses.
"""

from __future__ import annotations

from agent.intents.base import (
    IntentRequest,
    IntentResult,
    IntentSpec,
    Phrases,
    ask,
    join_names,
)
from agent.intents.targets import only_or_ask, select
from devices.capabilities import Domain, NumberState
from devices.capabilities.number import number_text
from devices.entities import Entity
from skills.actions import Action

_NUMBERS = frozenset({Domain.NUMBER})

PHRASES: Phrases = {
    "en": {
        "set": "Setting {targets} to {value}.",
        "no_unit": "{targets} is not set in {unit}.",
        "cannot": "{name} cannot be set to {value}: {what} is set in {unit} ({low} to {high}), "
        'say "{example}".',
        "its_speed": "its speed",
        "it": "it",
        "example": "set the {words} to {value} {unit}",
    },
    "de": {
        "set": "Stelle {targets} auf {value}.",
        "no_unit": "{targets} wird nicht in {unit} eingestellt.",
        "cannot": "{name} lässt sich nicht auf {value} stellen: {what} wird in {unit} "
        "eingestellt ({low} bis {high}), sag „{example}“.",
        "its_speed": "die Drehzahl",
        "it": "der Wert",
        "example": "{words} auf {value} {unit} stellen",
    },
}

_UNIT_WORDS: dict[str, dict[str, str]] = {
    "en": {"RPM": "rpm", "GPM": "gpm", "%": "percent"},
    "de": {"RPM": "U/min", "GPM": "gpm", "%": "Prozent"},
}
"""How a unit is said in a sentence of the number intent (its `number_unit` list)."""


def _unit_of(entity: Entity) -> str | None:
    state = entity.state
    return state.unit_of_measurement if isinstance(state, NumberState) else None


def _said(value: float, unit: str | None) -> str:
    """ "2500 RPM", "40 %"; a number with no unit alone."""
    return f"{number_text(value)} {unit}" if unit else number_text(value)


def _set(request: IntentRequest) -> IntentResult:
    value = float(request.slots["value"])
    unit = request.slots.get("unit")
    found = select(request, _NUMBERS, only_or_ask)
    if not found.entities:
        return request.result(found.question or found.problem or "", [], found.question)
    targets = [e for e in found.entities if unit is None or _unit_of(e) == unit]
    if not targets:
        return request.result(_cannot(request, found.entities, value, str(unit)))
    if len(targets) > 1:
        question = ask(request.registry, targets, request.language)
        return request.result(question, [], question)
    said = _said(value, str(unit) if unit is not None else _unit_of(targets[0]))
    names = join_names([e.name for e in targets], request.language)
    actions = [
        Action(entity_id=e.entity_id, command="number.set_value", params={"value": value})
        for e in targets
    ]
    return request.result(request.say(PHRASES, "set", targets=names, value=said), actions)


def _cannot(request: IntentRequest, found: list[Entity], value: float, unit: str) -> str:
    """Why the number cannot be set in `unit`, and what to say instead; or, for settings
    of several units, only that it is not set in it."""
    states = [e.state for e in found if isinstance(e.state, NumberState)]
    units = {s.unit_of_measurement for s in states}
    if len(states) != len(found) or len(units) != 1 or None in units:
        names = join_names([e.name for e in found], request.language, most=3)
        return request.say(PHRASES, "no_unit", targets=names, unit=unit)
    state, own = states[0], str(units.pop())
    words = str(request.slots.get("name") or found[0].name)
    # Named after the device the words name ("the pool pump": the Pool Pump), if one does.
    named = request.resolve(words)
    name = named.entities[0].name if named.how == "name" and len(named.entities) == 1 else None
    example_value = state.value if state.value is not None else state.min
    language = request.language if request.language in _UNIT_WORDS else "en"
    example = request.say(
        PHRASES,
        "example",
        words=words.casefold() if language == "en" else words,
        value=number_text(example_value),
        unit=_UNIT_WORDS[language].get(own, own),
    )
    return request.say(
        PHRASES,
        "cannot",
        name=name or join_names([e.name for e in found], request.language),
        value=f"{number_text(value)}%" if unit == "%" and language == "en" else _said(value, unit),
        what=request.say(PHRASES, "its_speed" if found[0].device_class == "speed" else "it"),
        unit=_UNIT_WORDS[language]["%"] if own == "%" else own,
        low=number_text(state.min),
        high=number_text(state.max),
        example=example,
    )


HANDLERS: dict[str, IntentSpec] = {
    "DobbyNumberSet": IntentSpec(_NUMBERS, _set),
}
"""The number intent and how it is handled."""
