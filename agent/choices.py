"""Questions back and their answers: "Did you mean Floor Lamp or Bedside Lamp?" "The floor lamp."

When a request names no one device, Dobby asks which it meant (`devices.names`). The next
message of the same chat may answer it: a candidate's name, its place ("the one in the
kitchen") or its place in the question ("the second one"). The request is then read again
with that device's name for the words that named none, and carried out as any request.

When those words were the household's own name for the device ("the big light"), Dobby offers
to remember them: "Shall I remember "big light" as Living Room Ceiling?" is a confirmation
like any other (`Dobby.confirm`, the one confirmation store); on a yes from a person who may
confirm, the alias is written to home.yaml (`agent.home_store`) and takes effect at once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.understanding import Understanding
from devices.entities import Entity
from devices.names import KIND_WORDS, choose, normalize
from devices.registry import Registry

CHOICE_TTL = 300.0
"""Seconds a question back waits for its answer."""

_ORDINALS = {
    **dict.fromkeys(("first", "1", "1st", "erste", "ersten", "erstes"), 0),
    **dict.fromkeys(("second", "2", "2nd", "zweite", "zweiten", "zweites"), 1),
    **dict.fromkeys(("third", "3", "3rd", "dritte", "dritten", "drittes"), 2),
    **dict.fromkeys(("fourth", "4", "4th", "vierte", "vierten"), 3),
    **dict.fromkeys(("last", "letzte", "letzten", "letztes"), -1),
}


@dataclass(frozen=True)
class Choice:
    """A question back, waiting for its answer."""

    text: str
    """The request that asked it, as it was read."""
    said: str
    """The words of it that named no one device."""
    candidates: tuple[str, ...]
    """The entity ids asked about, in the order the question named them."""
    expires_at: float


@dataclass(frozen=True)
class AliasProposal:
    """Words the household used for a device, to remember as its alias once confirmed."""

    entity_id: str
    alias: str

    def question(self, name: str) -> str:
        """What to ask."""
        return f'Shall I remember "{self.alias}" as {name}?'


@dataclass
class Choices:
    """The open question back of each chat."""

    ttl: float = CHOICE_TTL
    clock: Callable[[], float] = time.monotonic
    _open: dict[str, Choice] = field(default_factory=dict)

    def open(self, chat: str, understood: Understanding) -> None:
        """Remember a question back, if the reading asked one about a name."""
        if understood.asks and understood.choices and understood.said:
            self._open[chat] = Choice(
                understood.text,
                understood.said,
                tuple(understood.choices),
                self.clock() + self.ttl,
            )

    def take(self, chat: str) -> Choice | None:
        """The chat's open question (it is answered now, or never)."""
        choice = self._open.pop(chat, None)
        if choice is None or self.clock() > choice.expires_at:
            return None
        return choice


def answered(choice: Choice, answer: str, registry: Registry) -> Entity | None:
    """The candidate an answer names, or None when it is not an answer."""
    candidates = [registry.entities[e] for e in choice.candidates if e in registry.entities]
    words = normalize(answer).split()
    places = [_ORDINALS[w] for w in words if w in _ORDINALS]
    if len(places) == 1 and len(words) <= 4 and places[0] < len(candidates):
        return candidates[places[0]]
    return choose(registry, candidates, answer)


def restated(choice: Choice, entity: Entity) -> str | None:
    """The request with the device's name for the words that named none."""
    pattern = re.compile(re.escape(choice.said), re.IGNORECASE)
    if pattern.search(choice.text) is None:
        return None
    return pattern.sub(lambda _: entity.name, choice.text, count=1)


def proposal(choice: Choice, entity: Entity, registry: Registry) -> AliasProposal | None:
    """The alias to offer: the words that named no device, unless they are only a kind of
    device ("the lamp") or already a name here."""
    alias = normalize(choice.said)
    if not alias or all(word in KIND_WORDS for word in alias.split()):
        return None
    for other in registry.entities.values():
        if alias in (normalize(n) for n in (other.name, *other.aliases)):
            return None
    return AliasProposal(entity.entity_id, alias)
