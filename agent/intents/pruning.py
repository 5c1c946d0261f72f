"""Sentence templates left out before hassil tries them, when they cannot give a reading.

A template needs some slot lists on every way through it ("[<turn>] off [<the>] {name}"
needs `name`). When the sentence holds no value of such a list (`vocabulary` finds none),
the template cannot match strictly: hassil would walk it to find nothing. For the loose pass
the rule is the one `reader._loose_slot` keeps results by: one target slot (name, area,
floor) may be words of no list, so a template is still left out when it needs a list of
another slot the sentence holds nothing of, or two target slots it holds nothing of.

Which templates are left depends only on which lists are empty, so the pruned template sets
are kept per set of empty lists; everything else about them (order, rules, settings) is the
language's own, and hassil's results come as before, in the same order.

hassil itself then leaves out, for each sentence, the templates whose literal words are not in
it (`Sentence.get_required_clauses`), one template at a time, after setting up every block of
templates for matching. `Templates.matching` does that test for all the templates at once
(each fragment of text looked for once, each template's clauses one bit mask) and hands
hassil only the templates that pass it: hassil finds them all again, and nothing else.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable, Collection
from functools import lru_cache

from hassil.expression import (
    Alternative,
    Expression,
    Group,
    ListReference,
    RuleReference,
    Sentence,
)
from hassil.intents import Intent, IntentData, Intents
from hassil.util import (
    CJK_WHITESPACE,
    fold_case,
    normalize_for_matching,
    remove_skip_words_tracked,
)

_DEPTH = 32
"""How deep to follow rules into rules; past it a template is taken to need nothing."""

_PARTS = 4096
"""How many blocks with some of their templates `Templates` keeps made."""

Needs = frozenset[tuple[str, str]]
"""(slot name, list name) of the list references on every way through a template."""


def needs(
    expression: Expression,
    rules: dict[str, Sentence],
    depth: int = 0,
    known: dict[int, Needs] | None = None,
) -> Needs:
    """The list references `expression` cannot match without (`known`: rules' needs so
    far, by rule)."""
    if isinstance(expression, ListReference):
        return frozenset({(expression.slot_name, expression.list_name)})
    if depth > _DEPTH or not isinstance(expression, Group | RuleReference):
        return frozenset()
    known = {} if known is None else known
    if isinstance(expression, RuleReference):
        rule = rules.get(expression.rule_name)
        if rule is None:
            return frozenset()
        if id(rule) not in known:
            known[id(rule)] = needs(rule.expression, rules, depth + 1, known)
        return known[id(rule)]
    parts = [needs(item, rules, depth + 1, known) for item in expression.items]
    if isinstance(expression, Alternative):  # one of them; "[optional]" needs nothing
        optional = expression.is_optional or not parts
        return frozenset() if optional else frozenset.intersection(*parts)
    return frozenset().union(*parts)  # a sequence or a permutation: every item


class Pruner:
    """The templates of one `Intents` that can match, given the lists a sentence lacks."""

    def __init__(self, intents: Intents, indexed: Collection[str], targets: Collection[str]):
        self.intents = intents
        self._targets = frozenset(targets)
        self._needs: list[list[Needs]] = []
        """Per block of templates (in order), what each of its templates needs of the
        `indexed` lists that the block does not define for itself."""
        shared: dict[int, Needs] = {}
        """The needs of each rule, where a block has no rules of its own to change them."""
        for intent in intents.intents.values():
            for data in intent.data:
                rules = {**intents.expansion_rules, **data.expansion_rules}
                memo: dict[int, Needs] = {} if data.expansion_rules else shared
                lists = frozenset(indexed) - frozenset(data.slot_lists)
                self._needs.append(
                    [
                        frozenset(n for n in needs(s.expression, rules, 0, memo) if n[1] in lists)
                        for s in data.sentences
                    ]
                )
        self.strict = lru_cache(maxsize=64)(self._strict)
        """The templates that can match strictly, when the lists of `empty` hold nothing."""
        self.loose = lru_cache(maxsize=64)(self._loose)
        """The templates that can give a loose reading, when the lists of `empty` hold
        nothing."""

    def _strict(self, empty: frozenset[str]) -> Templates:
        return Templates(self._keep(lambda need: not any(name in empty for _, name in need)))

    def _loose(self, empty: frozenset[str]) -> Templates:
        def can(need: Needs) -> bool:
            missing = {slot for slot, name in need if name in empty}
            return not (missing - self._targets) and len(missing) < 2

        return Templates(self._keep(can))

    def _keep(self, can: Callable[[Needs], bool]) -> Intents:
        intents: dict[str, Intent] = {}
        blocks = iter(self._needs)
        for name, intent in self.intents.intents.items():
            kept: list[IntentData] = []
            for data in intent.data:
                block = next(blocks)
                sentences = [s for s, need in zip(data.sentences, block, strict=True) if can(need)]
                if len(sentences) == len(data.sentences):
                    kept.append(data)
                elif sentences:
                    copy = dataclasses.replace(data)
                    copy.__dict__["sentences"] = sentences  # the cached property, pruned
                    kept.append(copy)
            if kept:
                intents[name] = Intent(name, kept)
        return dataclasses.replace(self.intents, intents=intents)


class Templates:
    """A set of templates (`intents`), and the ones of them a sentence's literal words
    allow (`matching`)."""

    def __init__(self, intents: Intents) -> None:
        self.intents = intents
        bits: dict[frozenset[str], int] = {}
        """Each clause of fragments (one of which must be in the text) → its bit."""
        self._blocks: list[tuple[str, IntentData, int, list[int]]] = []
        """Every block of templates in order: the bits of the clauses all its templates
        have, and the bits of each template's clauses."""
        for name, intent in intents.intents.items():
            for data in intent.data:
                # hassil asks with these rules: the answer is kept on the template.
                rules = {**intents.expansion_rules, **data.expansion_rules}
                needs = []
                for sentence in data.sentences:
                    need = 0
                    for clause in sentence.get_required_clauses(rules):
                        need |= 1 << bits.setdefault(clause, len(bits))
                    needs.append(need)
                shared = functools.reduce(operator.and_, needs, -1)
                self._blocks.append((name, data, max(shared, 0), needs))
        meets: dict[str, int] = {}
        for clause, bit in bits.items():
            for fragment in clause:
                meets[fragment] = meets.get(fragment, 0) | 1 << bit
        self._fragments = list(meets.items())
        """Each fragment → the bits of the clauses it meets."""
        self._skip_words = intents.skip_words
        self._cjk = intents.settings.ignore_whitespace
        self._parts: dict[tuple[int, tuple[int, ...]], IntentData] = {}
        """Blocks with some of their templates, by position and the templates kept."""

    def matching(self, text: str) -> Intents:
        """The templates whose literal words `text` holds: those hassil would match it
        with, in the same order."""
        found = self._haystack(text)
        met = 0
        for fragment, clauses in self._fragments:
            if fragment in found:
                met |= clauses
        unmet = ~met
        intents: dict[str, Intent] = {}
        for position, (name, data, shared, needs) in enumerate(self._blocks):
            if shared & unmet:  # a clause every template of the block needs
                continue
            kept = [n for n, need in enumerate(needs) if not need & unmet]
            if not kept:
                continue
            block = data if len(kept) == len(needs) else self._part(position, tuple(kept))
            if name in intents:
                intents[name].data.append(block)
            else:
                intents[name] = Intent(name, [block])
        return dataclasses.replace(self.intents, intents=intents)

    def _part(self, position: int, kept: tuple[int, ...]) -> IntentData:
        """The block at `position` with only the templates at `kept` (made once)."""
        part = self._parts.get((position, kept))
        if part is None:
            if len(self._parts) >= _PARTS:
                self._parts.clear()
            data = self._blocks[position][1]
            part = self._parts[position, kept] = dataclasses.replace(data)
            part.__dict__["sentences"] = [data.sentences[n] for n in kept]  # a cached property
        return part

    def _haystack(self, text: str) -> str:
        """What hassil's `recognize_all` looks for the fragments in: the text as it
        normalises it, with and without the skip words, case folded."""
        with_skip_words = normalize_for_matching(text)
        without = with_skip_words
        if self._skip_words:
            without = with_skip_words.copy()
            remove_skip_words_tracked(without, self._skip_words, self._cjk)
        found = f"{fold_case(with_skip_words.text)}\n{fold_case(without.text)}"
        if self._cjk:
            found += "\n" + CJK_WHITESPACE.sub("", found)
        return found
