"""Benchmarks: they measure and print figures; the tests assert, never on timing.

`python -m bench [NAME ...] [--json]` runs the named benchmarks (all by default), prints a
table per benchmark (or its JSON with --json) and writes `bench/results/<name>.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).parent / "results"


def report(name: str, document: dict[str, Any], *, json_out: bool) -> None:
    """Print a benchmark's results and keep them in bench/results/."""
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(document, indent=2) + "\n")
    if json_out:
        print(json.dumps(document))
        return
    rows: list[dict[str, Any]] = document["results"]
    columns = list(dict.fromkeys(key for row in rows for key in row))  # rows may add some
    table = Table(*columns, title=name)
    for row in rows:
        values = [row.get(key, "") for key in columns]
        table.add_row(*(f"{v:.3g}" if isinstance(v, float) else str(v) for v in values))
    Console().print(table)
