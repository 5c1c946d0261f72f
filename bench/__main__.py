"""Run benchmarks: `python -m bench [NAME] [--json] [the benchmark's own options]`."""

from __future__ import annotations

import asyncio
import importlib
import sys

NAMES = (
    "routine",
    "conformance",
    "understand",
    "phrasing",
    "context",
    "footprint",
    "chat",
    "mcp",
    "web",
)


def main(argv: list[str]) -> int:
    """Run the named benchmark, or all of them."""
    if argv and argv[0] in ("-h", "--help"):
        print(f"usage: python -m bench [{'|'.join(NAMES)}] [--json] [options]")
        return 0
    names = list(NAMES)
    if argv and not argv[0].startswith("-"):
        if argv[0] not in NAMES:
            print(f"unknown benchmark {argv[0]!r}; there are: {', '.join(NAMES)}", file=sys.stderr)
            return 2
        names, argv = [argv[0]], argv[1:]
    json_out = "--json" in argv
    rest = [arg for arg in argv if arg != "--json"]
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        asyncio.run(module.run(rest, json_out=json_out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
