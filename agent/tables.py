"""Tables printed in the terminal, shared by the command line and the demo."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def print_states(states: list[dict[str, Any]], console: Console | None = None) -> None:
    """The states as a table."""
    table = Table("entity", "name", "area", "state", "attributes")
    for item in states:
        state = item["state"] if item["available"] else "unavailable"
        attributes = ", ".join(f"{k}={v}" for k, v in item["attributes"].items())
        table.add_row(item["entity_id"], item["name"], item["area"] or "", state, attributes)
    (console or Console()).print(table)
