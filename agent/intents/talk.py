"""Talk that is not a request: a greeting, thanks, and "what can you do?".

| intent          | answer                                                            |
|-----------------|-------------------------------------------------------------------|
| DobbyGreet      | a short greeting back, not the help text                          |
| DobbyThank      | "You're welcome."                                                 |
| DobbyAbilities  | what this house can do: its kinds of devices and its routines     |

None of them acts. The answer to "what can you do?" is made from the house itself, so it
names what is there and nothing that is not.
"""

from __future__ import annotations

from collections import Counter

from agent.intents.base import IntentRequest, IntentResult, IntentSpec, Phrases, join_names, phrase
from devices.capabilities import Domain

PHRASES: Phrases = {
    "en": {
        "greet": "Hello! What can I do for you?",
        "thank": "You're welcome.",
        "abilities": "In this house I can control {what}.",
        "routines": "Routines: {names}.",
        "example": 'For example: "{example}".',
        "nothing": "There are no devices here yet.",
    },
    "de": {
        "greet": "Hallo! Was kann ich für dich tun?",
        "thank": "Gern geschehen.",
        "abilities": "In diesem Haus kann ich {what} steuern.",
        "routines": "Abläufe: {names}.",
        "example": "Zum Beispiel: „{example}“.",
        "nothing": "Hier gibt es noch keine Geräte.",
    },
}

_NOUNS: dict[Domain, tuple[str, str, str, str]] = {
    Domain.LIGHT: ("light", "lights", "Licht", "Lichter"),
    Domain.MEDIA_PLAYER: ("speaker", "speakers", "Lautsprecher", "Lautsprecher"),
    Domain.COVER: ("shade", "shades", "Rollo", "Rollos"),
    Domain.CLIMATE: ("thermostat", "thermostats", "Thermostat", "Thermostate"),
    Domain.LOCK: ("lock", "locks", "Schloss", "Schlösser"),
    Domain.ALARM_PANEL: ("alarm", "alarms", "Alarmanlage", "Alarmanlagen"),
    Domain.SWITCH: ("switch", "switches", "Schalter", "Schalter"),
    Domain.SENSOR: ("sensor", "sensors", "Sensor", "Sensoren"),
    Domain.SCENE: ("scene", "scenes", "Szene", "Szenen"),
    Domain.NUMBER: ("setting", "settings", "Einstellung", "Einstellungen"),
    Domain.BINARY_SENSOR: (
        *("door or window sensor", "door and window sensors"),
        *("Tür- oder Fensterkontakt", "Tür- und Fensterkontakte"),
    ),
}
"""What to call the devices of each domain: one and many in English, then in German."""


_EXAMPLES = {
    Domain.LIGHT: ("turn off the {area} lights", "schalte das Licht im Bereich {area} aus"),
    Domain.MEDIA_PLAYER: ("pause the {name}", "pausiere {name}"),
    Domain.COVER: ("close the {name}", "schließe {name}"),
}


def greeting(language: str) -> str:
    """What to answer a greeting (or the assistant's name alone)."""
    return phrase(PHRASES, language, "greet")


def _greet(request: IntentRequest) -> IntentResult:
    return request.result(request.say(PHRASES, "greet"))


def _thank(request: IntentRequest) -> IntentResult:
    return request.result(request.say(PHRASES, "thank"))


def _abilities(request: IntentRequest) -> IntentResult:
    registry, language = request.registry, request.language
    counts = Counter(e.domain for e in registry.entities.values())
    column = 2 if language.startswith("de") else 0
    kinds = [
        f"{counts[d]} {_NOUNS[d][column + (counts[d] != 1)]}"
        for d in Domain
        if counts[d] and d in _NOUNS
    ]
    if not kinds:
        return request.result(request.say(PHRASES, "nothing"))
    lines = [request.say(PHRASES, "abilities", what=join_names(kinds, language))]
    if request.routines:
        names = join_names([f'"{r.name}"' for r in request.routines], language)
        lines.append(request.say(PHRASES, "routines", names=names))
    for domain, (english, german) in _EXAMPLES.items():
        entity = next((e for e in registry.entities.values() if e.domain == domain), None)
        if entity is not None:
            template = german if language == "de" else english
            area = registry.area_name(entity) or entity.name
            example = template.format(area=area.casefold(), name=entity.name)
            lines.append(request.say(PHRASES, "example", example=example))
            break
    return request.result(" ".join(lines))


HANDLERS: dict[str, IntentSpec] = {
    "DobbyGreet": IntentSpec(frozenset(), _greet),
    "DobbyThank": IntentSpec(frozenset(), _thank),
    "DobbyAbilities": IntentSpec(frozenset(), _abilities),
}
"""Talk that is not a request, and how each is answered."""
