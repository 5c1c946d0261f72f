"""Sentence templates left out before hassil tries them, when they cannot give a reading.

A template needs some slot lists on every way through it ("[<turn>] off [<the>] {name}"
needs `name`). When the sentence holds no value of such a list (`vocabulary` finds none),
the template cannot match strictly: hassil would walk it to find nothing. For the loose pass
the rule is the one `reader._loose_slot` keeps results by: one target slot (name, area,
floor) may be words of no list, so a template is still left out when it needs a list of
another slot the sentence holds nothing of, or two target slots it holds nothing of.

hassil itself leaves out, for each sentence, the templates whose literal words are not in it
(`Sentence.get_required_clauses`), one template at a time, after setting up every block of
templates for matching. Here that test is done too, for all the templates at once.

Both tests are bit masks worked out once per template: the clauses of words it needs (one
word of each) and the lists it needs. For a sentence, the words it holds and the lists it
holds nothing of become two masks, and a template is kept when its masks meet them: one pass
over the templates, with a whole block of them passed over when every template of it needs
what the sentence lacks. hassil gets the templates that are left, in the language's order,
with the language's rules and settings, and finds what it would have found with all of them,
in the same order.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Collection, Iterable

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
"""How many blocks with some of their templates `Pruner` keeps made."""

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


@dataclasses.dataclass(frozen=True)
class _Block:
    """One block of templates, as bit masks (`Pruner`)."""

    name: str
    """The intent's."""
    data: IntentData
    words: list[int]
    """Per template: its clauses of words (one word of each must be in the sentence)."""
    lists: list[int]
    """Per template: the lists it needs (for the strict pass)."""
    others: list[int]
    """Per template: the lists it needs for slots other than target slots."""
    targets: list[tuple[int, ...]]
    """Per template: the lists it needs for each target slot."""
    shared: tuple[int, int, int]
    """What every template of the block needs: words, lists, lists of other slots."""


class Pruner:
    """The templates of one `Intents` that can match a sentence, given its words and the
    `indexed` lists it holds nothing of."""

    def __init__(self, intents: Intents, indexed: Collection[str], targets: Collection[str]):
        self.intents = intents
        self._targets = tuple(targets)
        clause_bits: dict[frozenset[str], int] = {}
        self._list_bits: dict[str, int] = {name: 1 << n for n, name in enumerate(indexed)}
        self._blocks: list[_Block] = []
        shared: dict[int, Needs] = {}
        """The needs of each rule, where a block has no rules of its own to change them."""
        for name, intent in intents.intents.items():
            for data in intent.data:
                rules = {**intents.expansion_rules, **data.expansion_rules}
                memo: dict[int, Needs] = {} if data.expansion_rules else shared
                lists = frozenset(indexed) - frozenset(data.slot_lists)
                block = _Block(name, data, [], [], [], [], (0, 0, 0))
                for sentence in data.sentences:
                    words = 0
                    # hassil asks with these rules: the answer is kept on the template.
                    for clause in sentence.get_required_clauses(rules):
                        words |= 1 << clause_bits.setdefault(clause, len(clause_bits))
                    need = [n for n in needs(sentence.expression, rules, 0, memo) if n[1] in lists]
                    block.words.append(words)
                    block.lists.append(self._mask(list_name for _, list_name in need))
                    block.others.append(
                        self._mask(list_name for slot, list_name in need if slot not in targets)
                    )
                    block.targets.append(
                        tuple(
                            self._mask(list_name for slot, list_name in need if slot == target)
                            for target in self._targets
                        )
                    )
                every = (_all_of(block.words), _all_of(block.lists), _all_of(block.others))
                self._blocks.append(dataclasses.replace(block, shared=every))
        # Each block is looked at only when the sentence meets one clause every template
        # of it needs (the one with the longest words: the least likely met), if any.
        clauses = list(clause_bits)
        keyed: dict[int, list[int]] = {}
        self._always: list[int] = []
        """The blocks to look at whatever the words of the sentence."""
        for position, block in enumerate(self._blocks):
            needed = block.shared[0]
            bits = [n for n in range(needed.bit_length()) if needed >> n & 1]
            if not bits:
                self._always.append(position)
                continue
            key = max(bits, key=lambda n: (min(map(len, clauses[n])), -len(clauses[n])))
            keyed.setdefault(key, []).append(position)
        meets: dict[str, tuple[int, set[int]]] = {}
        for clause, bit in clause_bits.items():
            for word in clause:
                mask, positions = meets.get(word, (0, set()))
                meets[word] = (mask | 1 << bit, positions | set(keyed.get(bit, ())))
        self._words = [(word, mask, tuple(sorted(p))) for word, (mask, p) in meets.items()]
        """Each word (a fragment of one) → the bits of the clauses it meets, and the blocks
        to look at when it is in the sentence."""
        self._skip_words = intents.skip_words
        self._cjk = intents.settings.ignore_whitespace
        self._parts: dict[tuple[int, tuple[int, ...]], IntentData] = {}
        """Blocks with some of their templates, by position and the templates kept."""

    def strict(self, text: str, empty: Collection[str] = ()) -> Intents:
        """The templates that can match `text` strictly, when the lists of `empty` hold
        nothing of it."""
        return self._kept(text, empty, loose=False)

    def loose(self, text: str, empty: Collection[str] = ()) -> Intents:
        """The templates that can give `text` a loose reading, when the lists of `empty`
        hold nothing of it."""
        return self._kept(text, empty, loose=True)

    def _kept(self, text: str, empty: Collection[str], *, loose: bool) -> Intents:
        found = self._haystack(text)
        met = 0
        positions = set(self._always)
        for word, clauses, blocks in self._words:
            if word in found:
                met |= clauses
                positions.update(blocks)
        unmet, lacks = ~met, self._mask(empty)
        intents: dict[str, Intent] = {}
        for position in sorted(positions):
            block = self._blocks[position]
            every_words, every_lists, every_others = block.shared
            if every_words & unmet or (every_others if loose else every_lists) & lacks:
                continue  # what every template of the block needs
            if loose:
                kept = [
                    n
                    for n, (words, others, targets) in enumerate(
                        zip(block.words, block.others, block.targets, strict=True)
                    )
                    if not (words & unmet or others & lacks)
                    and sum(1 for target in targets if target & lacks) < 2
                ]
            else:
                kept = [
                    n
                    for n, (words, lists) in enumerate(zip(block.words, block.lists, strict=True))
                    if not (words & unmet or lists & lacks)
                ]
            if not kept:
                continue
            data = block.data
            if len(kept) < len(block.words):
                data = self._part(position, tuple(kept))
            if block.name in intents:
                intents[block.name].data.append(data)
            else:
                intents[block.name] = Intent(block.name, [data])
        return dataclasses.replace(self.intents, intents=intents)

    def _mask(self, lists: Iterable[str]) -> int:
        mask = 0
        for name in lists:
            mask |= self._list_bits.get(name, 0)
        return mask

    def _part(self, position: int, kept: tuple[int, ...]) -> IntentData:
        """The block at `position` with only the templates at `kept` (made once)."""
        part = self._parts.get((position, kept))
        if part is None:
            if len(self._parts) >= _PARTS:
                self._parts.clear()
            data = self._blocks[position].data
            part = self._parts[position, kept] = dataclasses.replace(data)
            part.__dict__["sentences"] = [data.sentences[n] for n in kept]  # a cached property
        return part

    def _haystack(self, text: str) -> str:
        """What hassil's `recognize_all` looks for the words in: the text as it normalises
        it, with and without the skip words, case folded."""
        with_skip_words = normalize_for_matching(text)
        without = with_skip_words
        if self._skip_words:
            without = with_skip_words.copy()
            remove_skip_words_tracked(without, self._skip_words, self._cjk)
        found = f"{fold_case(with_skip_words.text)}\n{fold_case(without.text)}"
        if self._cjk:
            found += "\n" + CJK_WHITESPACE.sub("", found)
        return found


def _all_of(masks: list[int]) -> int:
    """The bits every mask of `masks` has."""
    return max(functools.reduce(operator.and_, masks, -1), 0)
