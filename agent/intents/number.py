"""Numbers a person sets: DobbyNumberSet → number.set_value(value=N) ("set the pool pump
to 2500 rpm", "set the chlorinator to 40 percent", "stell die Poolpumpe auf 2500 U/min").

The words name number entities the loose way ("the pool pump" finds "Pool Pump Speed for
Pool Pump", "the chlorinator" the chlorinator's outputs), and the unit said picks among
them: a pump's speed in RPM or GPM, a chlorinator's output in percent. Two that remain are
asked about. Whether the value is inside the range is the policy's business,
which names the range when it refuses.
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
    },
    "de": {
        "set": "Stelle {targets} auf {value}.",
        "no_unit": "{targets} wird nicht in {unit} eingestellt.",
    },
}


def _unit_of(entity: Entity) -> str | None:
    state = entity.state
    return state.unit_of_measurement if isinstance(state, NumberState) else None


def _set(request: IntentRequest) -> IntentResult:
    value = float(request.slots["value"])
    unit = str(request.slots["unit"])
    found = select(request, _NUMBERS, only_or_ask)
    if not found.entities:
        return request.result(found.question or found.problem or "", [], found.question)
    targets = [e for e in found.entities if _unit_of(e) == unit]
    if not targets:
        names = found.names(request.language, most=3)
        return request.result(request.say(PHRASES, "no_unit", targets=names, unit=unit))
    if len(targets) > 1:
        question = ask(request.registry, targets, request.language)
        return request.result(question, [], question)
    said = f"{number_text(value)} {unit}" if unit != "%" else f"{number_text(value)} %"
    names = join_names([e.name for e in targets], request.language)
    actions = [
        Action(entity_id=e.entity_id, command="number.set_value", params={"value": value})
        for e in targets
    ]
    return request.result(request.say(PHRASES, "set", targets=names, value=said), actions)


HANDLERS: dict[str, IntentSpec] = {
    "DobbyNumberSet": IntentSpec(_NUMBERS, _set),
}
"""The number intent and how it is handled."""
