"""Words with a slip of the finger, put right against the words Dobby knows.

"turn off the kitchn lihgts": neither word is one the sentence templates or the home's names
hold, and each is one known word with a slip of the finger (`devices.names.alike`: a letter
dropped, doubled, swapped or wrong). Put right, the sentence reads as any other. A word is put
right only when exactly one known word is that close; numbers, short words and words Dobby
knows are never touched. The known words are those of the language's templates, expansion
rules and lists, and of the home's names, areas, floors and routines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from hassil.expression import Expression, Group, ListReference, RuleReference, Sentence, TextChunk
from hassil.intents import Intents, SlotList, TextSlotList
from rapidfuzz import process
from rapidfuzz.distance import OSA

from devices.names import alike

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_ENDINGS = ("s", "es", "n", "en", "e", "er")
"""Endings of plurals and cases, which templates often add as an optional part."""
_UMLAUT = {"ae": "ä", "oe": "ö", "ue": "ü"}
_UMLAUTS = re.compile("|".join(_UMLAUT))
_SHORTEST = 4
_WORD_SLIPS = {
    re.compile(r"\b(turn|switch|shut)\s+of\b", re.IGNORECASE): r"\1 off",
    re.compile(r"\b(turn|switch)\s+(the\s+[\w ]+?)\s+of$", re.IGNORECASE): r"\1 \2 off",
}
"""Slips that make another word: "turn of the lights" (a real word, but not here)."""
"""Shorter words are left as they are: too many known words are one slip from them."""


def template_words(intents: Intents) -> set[str]:
    """Every word the templates, rules, skip words and text lists of `intents` hold."""
    found = {w.casefold() for s in intents.skip_words for w in _WORD.findall(s)}
    seen: set[int] = set()
    for intent in intents.intents.values():
        for data in intent.data:
            for sentence in data.sentences:
                _collect(sentence.expression, found, seen)
            for rule in data.expansion_rules.values():
                _collect(rule.expression, found, seen)
    for rule in intents.expansion_rules.values():
        _collect(rule.expression, found, seen)
    return found | list_words(intents.slot_lists)


def list_words(lists: Mapping[str, SlotList]) -> set[str]:
    """Every word the values of the text lists of `lists` hold."""
    found: set[str] = set()
    seen: set[int] = set()
    for slot_list in lists.values():
        if isinstance(slot_list, TextSlotList):
            for value in slot_list.values:
                _collect(value.text_in, found, seen)
    return found


def _collect(expression: Expression | Sentence, found: set[str], seen: set[int]) -> None:
    if isinstance(expression, Sentence):
        expression = expression.expression
    if id(expression) in seen:
        return
    seen.add(id(expression))
    if isinstance(expression, TextChunk):
        found.update(w.casefold() for w in _WORD.findall(expression.original_text or ""))
    elif isinstance(expression, Group):
        for item in expression.items:
            _collect(item, found, seen)
    elif isinstance(expression, ListReference | RuleReference):
        return


class Speller:
    """Puts right the words of a sentence that are one slip from exactly one known word."""

    def __init__(self, known: Iterable[str], preferred: Iterable[str] = ()) -> None:
        self.preferred = frozenset(preferred)
        """The household's own words (names, places): a slip as near to one of them as to
        a template word is taken for it ("halway": the Hallway, not "halfway")."""
        self.known = frozenset(known) | self.preferred
        self._choices = sorted(w for w in self.known if len(w) >= _SHORTEST - 1)
        self._short = [w for w in self._choices if _SHORTEST - 1 <= len(w) <= _SHORTEST]

    def corrected(self, text: str) -> str | None:
        """The sentence with its slips put right, or None when there was none to put right."""
        changed = False
        for slip, right in _WORD_SLIPS.items():
            text, count = slip.subn(right, text)
            changed = changed or bool(count)

        def put_right(found: re.Match[str]) -> str:
            nonlocal changed
            word = found[0]
            better = self.word(word.casefold())
            if better is None:
                return word
            changed = True
            return better

        corrected = _WORD.sub(put_right, text)
        return corrected if changed else None

    def word(self, word: str) -> str | None:
        """The one known word `word` is a slip of, or None."""
        if word in self.known or len(word) < _SHORTEST - 1:
            return None
        stems = (word[: -len(end)] for end in _ENDINGS if word.endswith(end))
        if any(len(stem) >= _SHORTEST - 1 and stem in self.known for stem in stems):
            return None  # a known word with an ending the templates write apart: "Rollo[s]"
        folded = _UMLAUTS.sub(lambda found: _UMLAUT[found[0]], word)
        if folded != word and folded in self.known:  # "Kueche" for "Küche"
            return folded
        if len(word) < _SHORTEST:  # three letters: two swapped ("teh"), or one dropped ("dor")
            short = [
                k
                for k in self._short
                if (sorted(k) == sorted(word) and OSA.distance(word, k) == 1)
                or (len(k) == len(word) + 1 and OSA.distance(word, k) == 1)
            ]
            return short[0] if len(short) == 1 else None
        limit = 1 if len(word) < 8 else 2
        close = process.extract(
            word, self._choices, scorer=OSA.distance, score_cutoff=limit, limit=None
        )
        letters = sorted(word)
        fits = [
            # Nearest first; then letters swapped ("trun": turn, not run); then as long.
            ((distance, sorted(known) != letters, abs(len(known) - len(word))), known)
            for known, distance, _ in close
            if alike(word, known)
        ]
        if not fits:
            return None
        nearest = min(key for key, _ in fits)
        best = [known for key, known in fits if key == nearest]
        if len(best) > 1:
            best = [known for known in best if known in self.preferred]
        return best[0] if len(best) == 1 else None
