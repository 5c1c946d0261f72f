"""Cover positions: HassSetPosition → cover.set_position(position=N), 0 closed, 100 open.

Covers are found by name, or by device class in an area or on a floor ("set the bedroom
blinds to 50%"); a device class the house does not have finds its family ("blinds" finds
shades). With no place, the covers of the only room that has any, else a question back.
Opening and closing fully are HassTurnOn and HassTurnOff (`onoff`). A position outside
0-100 ("set the shade to 150%") is refused with the reason, and nothing is sent.

DobbyCoverTop moves the top rail of top-down/bottom-up shades ("open the top of the
bedroom shade": cover.set_top_position(position=100), as far down as the bottom rail lets
it; "close the top of ...": 0); a shade without one says so.
"""

from __future__ import annotations

from agent.intents.base import IntentRequest, IntentResult, IntentSpec, Phrases, join_names
from agent.intents.targets import one_place_or_ask, select
from devices.capabilities import Domain
from devices.capabilities.cover import CoverFeature
from skills.actions import Action

_COVERS = frozenset({Domain.COVER})

PHRASES: Phrases = {
    "en": {
        "top_open": "Opening the top of {targets}.",
        "top_close": "Closing the top of {targets}.",
        "top_set": "Moving the top of {targets} to {position}%.",
        "no_top": "{targets} cannot open from the top: it has no top rail.",
        "set": "Moving {targets} to {position}%.",
        "out_of_range": (
            "Not moving {targets}: a position goes from 0% (closed) to 100% (open), "
            "so {position}% is not possible."
        ),
    },
    "de": {
        "top_open": "Öffne {targets} von oben.",
        "top_close": "Schließe {targets} oben.",
        "top_set": "Fahre die obere Schiene von {targets} auf {position} %.",
        "no_top": "{targets} lässt sich nicht von oben öffnen: keine obere Schiene.",
        "set": "Fahre {targets} auf {position} %.",
        "out_of_range": (
            "{targets} fährt nicht: eine Position liegt zwischen 0 % (zu) und 100 % (offen), "
            "{position} % geht also nicht."
        ),
    },
}


def _handle(request: IntentRequest) -> IntentResult:
    position = round(float(request.slots["position"]))
    targets = select(request, _COVERS, one_place_or_ask)
    if not targets.entities:
        return request.result(targets.question or targets.problem or "", [], targets.question)
    names = targets.names(request.language, most=5)
    if not 0 <= position <= 100:
        refusal = request.say(PHRASES, "out_of_range", targets=names, position=position)
        return request.result(refusal)
    actions = [
        Action(entity_id=e.entity_id, command="cover.set_position", params={"position": position})
        for e in targets.entities
    ]
    return request.result(request.say(PHRASES, "set", targets=names, position=position), actions)


def _top(request: IntentRequest) -> IntentResult:
    position = round(float(request.slots["position"]))
    targets = select(request, _COVERS, one_place_or_ask)
    if not targets.entities:
        return request.result(targets.question or targets.problem or "", [], targets.question)
    rails = [e for e in targets.entities if CoverFeature.SET_TOP_POSITION in e.features]
    if not rails:
        return request.result(
            request.say(PHRASES, "no_top", targets=targets.names(request.language))
        )
    names = join_names([e.name for e in rails], request.language, most=5)
    if not 0 <= position <= 100:
        refusal = request.say(PHRASES, "out_of_range", targets=names, position=position)
        return request.result(refusal)
    actions = [
        Action(
            entity_id=e.entity_id, command="cover.set_top_position", params={"position": position}
        )
        for e in rails
    ]
    said = {100: "top_open", 0: "top_close"}.get(position, "top_set")
    return request.result(request.say(PHRASES, said, targets=names, position=position), actions)


HANDLERS: dict[str, IntentSpec] = {
    "HassSetPosition": IntentSpec(_COVERS, _handle),
    "DobbyCoverTop": IntentSpec(_COVERS, _top),
}
"""The cover intents and how each is handled."""
