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
"""

from __future__ import annotations

import dataclasses
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

_DEPTH = 32
"""How deep to follow rules into rules; past it a template is taken to need nothing."""

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

    def _strict(self, empty: frozenset[str]) -> Intents:
        return self._keep(lambda need: not any(name in empty for _, name in need))

    def _loose(self, empty: frozenset[str]) -> Intents:
        def can(need: Needs) -> bool:
            missing = {slot for slot, name in need if name in empty}
            return not (missing - self._targets) and len(missing) < 2

        return self._keep(can)

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
