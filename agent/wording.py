"""The household's wording around a request: the assistant's name, greetings, politeness.

People write "Dobby, could you turn off the kitchen lights, thanks" or "hey Dobby, it's
sleepy time". The request is the middle of it. `Wording` takes the rest off before a
sentence is read, on every local path (routine phrases, sentence templates, a time in
front), in English and German:

- the address: the assistant's name (`assistant.name` in home.yaml, "Dobby" by default),
  with "hey", "ok", "hi" in front, wherever it stands between commas or at either end;
- politeness and framing in front ("could you", "please", "I'd like you to", "ok so", "can
  you go ahead and"; "kannst du", "bitte", "mal") and behind ("please", "thanks", "for
  me", "now"; "bitte", "danke");
- for routine phrases only, the framing a phrase is said with: "it's sleepy time", "time
  for bedtime", "es ist Schlafenszeit". ("It's too bright in here" keeps its "it's": that
  is a request for the model, not framing.)

Greetings and thanks on their own are left alone: "thanks Dobby" is "thanks", which the
sentence templates answer (`agent.intents.talk`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

_LEAD: dict[str, tuple[str, ...]] = {
    "en": (
        *("please", "pls", "plz", "kindly", "could you please", "could you", "can you please"),
        *("can you", "would you please", "would you kindly", "would you mind", "would you"),
        *("will you", "do you mind", "i'd like you to", "i would like you to", "i want you to"),
        *("i need you to", "go ahead and", "go on and", "just", "ok so", "okay so", "so"),
        *("ok", "okay", "right", "alright", "all right", "well", "um", "uh", "erm", "hmm"),
        *("hey", "oh", "and", "also", "quickly", "quick", "be a dear and", "do me a favour and"),
        *("do me a favor and", "time to", "could you tell me", "can you tell me"),
        *("would you tell me", "tell me", "do you know", "i wonder"),
    ),
    "de": (
        *("bitte", "kannst du bitte", "kannst du mal", "kannst du", "könntest du bitte"),
        *("könntest du mal", "könntest du", "würdest du bitte", "würdest du", "sei so gut und"),
        *("sei so lieb und", "ich möchte dass du", "ok", "okay", "also", "so", "hey", "hallo"),
        *("na", "äh", "ähm", "und", "jetzt", "schnell", "sag mal", "sag mir", "weißt du"),
    ),
}
"""Politeness and framing in front of a request, longest first where one holds another."""

_GERUND_LEAD: dict[str, str] = {"en": r"(?:would|do|could) you mind\s+"}
"""Framing after which the request's verb ends in -ing: "would you mind closing the blinds"."""
_GERUNDS = {
    **{f"{verb}ing": verb for verb in ("turn", "switch", "lock", "open", "play", "dim", "set")},
    "closing": "close",
    "pausing": "pause",
    "putting": "put",
    "setting": "set",
    "shutting": "shut",
    "dimming": "dim",
    "stopping": "stop",
    "raising": "raise",
    "lowering": "lower",
    "making": "make",
    "arming": "arm",
    "muting": "mute",
}

_TRAIL: dict[str, tuple[str, ...]] = {
    "en": (
        *("please", "thanks", "thank you", "thx", "cheers", "for me", "right now", "now"),
        *("if you would", "if you could", "if you can", "would you", "will you", "could you"),
        *("ok", "okay", "quickly", "asap", "thanks a lot", "thank you very much"),
    ),
    "de": ("bitte", "danke", "dankeschön", "vielen dank", "danke schön", "jetzt", "mal"),
}
"""Politeness behind a request."""

_INSIDE: dict[str, tuple[str, ...]] = {"en": ("please",), "de": ("bitte", "mal", "doch", "eben")}
"""Words of politeness that may stand anywhere ("mach mal das Licht aus")."""

_GREETING: dict[str, tuple[str, ...]] = {
    "en": ("hey", "hi", "hello", "ok", "okay", "yo", "oi", "thanks", "thank you", "good"),
    "de": ("hey", "hi", "hallo", "ok", "okay", "danke", "na"),
}
"""Words that may go with the name: "hey Dobby", "thanks Dobby"."""

_ROUTINE_LEAD: dict[str, tuple[str, ...]] = {
    "en": (
        *("it's", "it is", "its", "time for", "time to", "it's time for", "it is time for"),
        *("let's do", "let's", "lets", "go", "start", "run", "do"),
    ),
    "de": ("es ist", "es ist zeit für", "zeit für", "jetzt", "los", "starte", "mach"),
}
"""Framing a routine's phrase is said with ("it's sleepy time")."""

_JOINERS: dict[str, tuple[str, ...]] = {
    "en": ("and then", "and also", "and after that", "after that", "then", "and", "also"),
    "de": ("und dann", "und danach", "danach", "dann", "und", "sowie"),
}
"""Words that join several requests in one sentence."""


def _alternatives(phrases: Iterable[str]) -> str:
    """A regex alternation of phrases, longest first, an apostrophe optional."""
    ordered = sorted(set(phrases), key=len, reverse=True)
    apostrophe = "[\\u2019']?"  # either apostrophe, or none
    return "|".join(re.escape(p).replace("'", apostrophe).replace(r"\ ", r"\s+") for p in ordered)


@dataclass(frozen=True)
class Wording:
    """How this household addresses its assistant, in its language."""

    name: str = "Dobby"
    language: str = "en"
    _cache: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def _language(self) -> str:
        base = self.language.split("-", 1)[0].casefold()
        return base if base in _LEAD else "en"

    @cached_property
    def _address(self) -> re.Pattern[str]:
        greeting = _alternatives(_GREETING[self._language])
        name = re.escape(self.name.strip()).replace(r"\ ", r"\s+")
        return re.compile(
            rf"(?:^|(?<=[\s,;:.!?]))(?:({greeting})[\s,]+)?{name}(?=$|[\s,;:.!?])[\s,;:.!?]*",
            re.IGNORECASE,
        )

    @cached_property
    def _lead(self) -> re.Pattern[str]:
        return re.compile(rf"^(?:{_alternatives(_LEAD[self._language])})\b[\s,]*", re.IGNORECASE)

    @cached_property
    def _trail(self) -> re.Pattern[str]:
        words = _alternatives(_TRAIL[self._language])
        return re.compile(rf"[\s,]*\b(?:{words})[\s.!?]*$", re.IGNORECASE)

    @cached_property
    def _inside(self) -> re.Pattern[str]:
        words = _alternatives(_INSIDE[self._language])
        return re.compile(rf"(?<=\s)(?:{words})(?=\s)", re.IGNORECASE)

    @cached_property
    def _routine_lead(self) -> re.Pattern[str]:
        words = _alternatives(_ROUTINE_LEAD[self._language])
        return re.compile(rf"^(?:{words})\b[\s,]*", re.IGNORECASE)

    def unaddressed(self, text: str) -> str:
        """The text without the assistant's name ("hey Dobby, ...", "..., thanks Dobby")."""
        if not self.name.strip():
            return text.strip()
        without = self._address.sub(" ", text)
        if without == text:
            return text.strip()
        if not _tidy(without):  # "thanks Dobby": the thanks is what is left to read
            return _tidy(self._address.sub(lambda found: f" {found[1] or ''} ", text))
        return _tidy(without)

    def plain(self, text: str) -> str:
        """The request alone: no name, no politeness or framing in front or behind.

        Politeness alone ("thanks", "please") is kept: there is nothing else to read.
        """
        known = self._cache.get(text)
        if known is not None:
            return known
        plain = self.unaddressed(text)
        gerund = _GERUND_LEAD.get(self._language)
        if gerund is not None:
            plain = re.sub(
                rf"^{gerund}(\w+)",
                lambda found: _GERUNDS.get(found[1].casefold(), found[1]),
                plain,
                flags=re.IGNORECASE,
            )
        while True:
            shorter = _tidy(self._trail.sub("", self._lead.sub("", plain)))
            shorter = _tidy(self._inside.sub(" ", f" {shorter} "))
            if shorter == plain or not shorter:
                break
            plain = shorter
        if len(self._cache) < 4096:
            self._cache[text] = plain
        return plain

    def forms(self, text: str) -> list[str]:
        """The ways to read a sentence, the request alone first: plain, then as written."""
        return list(dict.fromkeys(f for f in (self.plain(text), text.strip()) if f))

    @cached_property
    def _joiner(self) -> re.Pattern[str]:
        words = _alternatives(_JOINERS[self._language])
        return re.compile(rf"\s*(?:[,;]\s*(?:(?:{words})\b)?|\b(?:{words})\b)\s*", re.IGNORECASE)

    def parts(self, text: str) -> list[str]:
        """The requests of a sentence that joins several ("close the blinds and turn on the
        floor lamp"), each plain; one part when nothing joins them."""
        parts = [self.plain(part) for part in self._joiner.split(self.plain(text))]
        return [part for part in parts if part]

    def routine_forms(self, text: str) -> list[str]:
        """The ways a routine's phrase may be said in `text`: as written, without the
        address, plain, and plain without the framing of a phrase ("it's sleepy time")."""
        plain = self.plain(text)
        bare = _tidy(self._routine_lead.sub("", plain))
        unaddressed = self.unaddressed(text)
        return list(dict.fromkeys(f for f in (text.strip(), unaddressed, plain, bare) if f))


def _tidy(text: str) -> str:
    """Spaces and stray commas of what was taken out, tidied up."""
    text = re.sub(r"\s+", " ", text).strip()
    return text.strip(" ,;:").strip()
