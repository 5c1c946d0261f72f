"""Slot lists narrowed to the values a sentence could match, so hassil tries only those.

hassil tries every value of a list wherever the matcher may skip ahead in the text (an open
wildcard, or a name the loose pass leaves unmatched), which at a few hundred entities is most
of the time a sentence takes. A value matches only where its text matches, case aside, a
stretch of the sentence as hassil normalises it (whitespace, punctuation, skip words; "-" and
"_" as spaces). So each word of the value appears in that text, and a value with a word the
sentence does not contain cannot match: leaving it out changes nothing hassil finds. The
values that are left keep their order, so the results come in the same order too. Words are
compared case folded as hassil folds them for its own tests (`hassil.util.fold_case`), which
holds together at least every two letters that matching with case ignored does.

A value that is a template ("(warm|soft) white") is left out by hassil's own test for
templates (`Sentence.get_required_clauses`): when none of the words of one of its
alternatives is in the text, as hassil normalises and case folds it. Skip words taken out
and "-" or "_" as spaces only remove or split words, so they make no such word appear.
"""

from __future__ import annotations

from collections.abc import Mapping

from hassil.expression import Sentence, TextChunk
from hassil.intents import SlotList, TextSlotList, TextSlotValue
from hassil.util import fold_case, normalize_for_matching


class Vocabulary:
    """One text slot list's values indexed by their words (built once per list)."""

    def __init__(self, slot_list: TextSlotList) -> None:
        self.slot_list = slot_list
        self._always: list[int] = []
        """Values that are templates with no words they must hold: always kept."""
        self._templates: list[tuple[int, frozenset[frozenset[str]]]] = []
        """Values that are templates → the words they must hold (one of each clause)."""
        self._by_first: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        """First word → (index of the value, its other words), case folded."""
        for index, value in enumerate(slot_list.values):
            if not isinstance(value.text_in, TextChunk):
                # No rules: a rule's words are not known here, so they are not needed.
                clauses = Sentence(value.text_in).get_required_clauses({})
                if clauses:
                    self._templates.append((index, clauses))
                else:
                    self._always.append(index)
                continue
            words = fold_case(value.text_in.text).split()
            if not words:
                continue  # hassil never matches an empty value
            self._by_first.setdefault(words[0], []).append((index, tuple(words[1:])))

    def narrowed(self, haystack: str, seen: dict[str, bool] | None = None) -> TextSlotList:
        """The list with only the values whose every word occurs in `haystack` (the text as
        `haystack()` gives it; `seen`: whether words occur in it, as far as known)."""
        present: dict[str, bool] = {} if seen is None else seen

        def occurs(word: str) -> bool:
            found = present.get(word)
            if found is None:
                found = present[word] = word in haystack
            return found

        keep = list(self._always)
        keep.extend(
            index
            for index, clauses in self._templates
            if all(any(word in haystack for word in clause) for clause in clauses)
        )
        for first, entries in self._by_first.items():
            if occurs(first):
                keep.extend(index for index, rest in entries if all(map(occurs, rest)))
        if len(keep) == len(self.slot_list.values):
            return self.slot_list
        keep.sort()
        values: list[TextSlotValue] = [self.slot_list.values[i] for i in keep]
        return TextSlotList(name=self.slot_list.name, values=values)


def haystack(text: str) -> str:
    """The text hassil's matcher compares values with: `text` as hassil normalises it, case
    folded.

    The matcher also tries the text with skip words taken out, which only removes words,
    and with "-" and "_" as spaces, which only splits words: neither makes a word appear
    that is not already a stretch of this text (no word of a value holds a space).
    """
    return fold_case(normalize_for_matching(text).text)


def vocabularies(lists: Mapping[str, SlotList]) -> dict[str, Vocabulary]:
    """An index for each text list of `lists`."""
    return {name: Vocabulary(s) for name, s in lists.items() if isinstance(s, TextSlotList)}


def narrowed(
    lists: Mapping[str, SlotList], indexes: Mapping[str, Vocabulary], text: str
) -> tuple[dict[str, SlotList], frozenset[str]]:
    """`lists` with each indexed text list narrowed to the values `text` could match, and
    the names of the indexed lists that are left with none."""
    words = haystack(text)
    seen: dict[str, bool] = {}
    lists = {
        name: indexes[name].narrowed(words, seen) if name in indexes else slot_list
        for name, slot_list in lists.items()
    }
    empty = frozenset(
        name
        for name, slot_list in lists.items()
        if name in indexes and isinstance(slot_list, TextSlotList) and not slot_list.values
    )
    return lists, empty
