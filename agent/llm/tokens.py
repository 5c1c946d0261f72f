"""Counting tokens offline, the same way everywhere: history budgets and `bench context`.

The count is an estimate, stated as `TOKENIZER`. No real tokenizer can run here: tiktoken
needs to download its encoding on first use, and the providers count on their servers. The
estimate splits text the way byte-pair tokenizers (tiktoken's o200k_base, Claude's) pre-split
it, into runs of letters with the space before them, runs of up to three digits, and runs
of punctuation, and counts every piece as one token per four characters, rounded up. Common
English words are one token in o200k_base and up to three here, so the estimate runs high
(by about a third on English text, and close on entity ids such as
`light.kitchen_ceiling`): a budget kept by this count is kept by the provider's too.
"""

from __future__ import annotations

import re

TOKENIZER = "estimate: o200k-style pre-split, ceil(characters / 4) per piece"
"""What `count_tokens` counts, for reports."""

_PIECES = re.compile(r" ?[^\W\d_]+| ?\d{1,3}| ?[^\w\s]+|_+|\s+")
"""Words (letters with a leading space), numbers of up to three digits, punctuation runs,
underscores and whitespace: roughly the pre-split of o200k_base."""

MESSAGE_OVERHEAD = 4
"""Tokens a chat format adds around each message or part (role, separators)."""


def count_tokens(text: str) -> int:
    """The estimated number of tokens of `text` (see the module's docstring)."""
    return sum((len(piece) + 3) // 4 for piece in _PIECES.findall(text))
