"""Editing routines.yaml without losing what people wrote there.

ruamel.yaml's round trip keeps comments, key order, quoting and every other routine
(`skills.yaml_edit`). Each change is checked as a whole file (the routine models, duplicate
phrases, unknown or self-calling routines) before anything is written, and written
atomically, so a refused change leaves the file exactly as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from devices.names import normalize
from skills.routines import Routine, RoutinesFile, find_problems
from skills.yaml_edit import YamlEditError, plain, read_document, write_document

if TYPE_CHECKING:  # ruamel.yaml loads on the first change (see skills.yaml_edit)
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

_HEADER = "# Routines: phrases that run them, steps and schedules (see skills/routines.py).\n"


class RoutineStoreError(Exception):
    """A change that cannot be made; the message says why and nothing was written."""


def _duration(seconds: float) -> Any:
    if seconds == int(seconds):
        whole = int(seconds)
        if whole and whole % 3600 == 0:
            return f"{whole // 3600}h"
        if whole and whole % 60 == 0:
            return f"{whole // 60}m"
        return f"{whole}s"
    return seconds


def _plain(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _plain(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, key) for v in value]
    if isinstance(value, time):
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString

        return DoubleQuotedScalarString(value.strftime("%H:%M"))
    if isinstance(value, Enum):  # a condition's domain: `domain: lock`
        return value.value
    if key in ("wait", "offset") and isinstance(value, int | float):
        return _duration(value)
    return value


def routine_data(routine: Routine) -> dict[str, Any]:
    """A routine as routines.yaml writes it: defaults left out, times quoted ("06:30")."""
    dumped = routine.model_dump(mode="python", exclude_defaults=True)
    dumped["name"] = routine.name
    dumped["steps"] = [s.model_dump(mode="python", exclude_defaults=True) for s in routine.steps]
    ordered = {k: dumped[k] for k in Routine.model_fields if k in dumped}
    return dict(_plain(ordered))


class RoutineStore:
    """routines.yaml, read and changed one routine at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> tuple[CommentedMap, CommentedSeq]:
        from ruamel.yaml.comments import CommentedSeq

        try:
            document = read_document(self.path, _HEADER)
        except YamlEditError as error:
            raise RoutineStoreError(str(error)) from None
        if document.get("routines") is None:
            document["routines"] = CommentedSeq()
        items = document["routines"]
        if not isinstance(items, CommentedSeq):
            raise RoutineStoreError(f"{self.path}: `routines` must be a list")
        return document, items

    def routines(self) -> list[Routine]:
        """The routines as the file has them now."""
        document, _ = self._read()
        return self._check(document)

    def _check(self, document: CommentedMap) -> list[Routine]:
        try:
            parsed = RoutinesFile.model_validate(plain(document))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise RoutineStoreError(f"{where}: {first['msg']}") from None
        problems = find_problems(parsed.routines)
        if problems:
            raise RoutineStoreError(problems[0].message)
        return parsed.routines

    def _change(self, edit: Callable[[CommentedSeq], None]) -> list[Routine]:
        document, items = self._read()
        edit(items)
        routines = self._check(document)
        write_document(self.path, document)
        return routines

    def save(self, routine: Routine, *, replace: bool = False) -> list[Routine]:
        """Add a routine (or, with `replace`, change the one of the same name)."""
        from ruamel.yaml.comments import CommentedMap

        def edit(items: CommentedSeq) -> None:
            index = _index(items, routine.name)
            data = CommentedMap(routine_data(routine))
            if index is None:
                items.append(data)
            elif replace:
                items[index] = data
            else:
                raise RoutineStoreError(f"There is already a routine called {routine.name!r}.")

        return self._change(edit)

    def rename(self, old: str, new: str) -> list[Routine]:
        """Rename a routine, and the steps of other routines that call it."""

        def edit(items: CommentedSeq) -> None:
            index = _found(items, old)
            if _index(items, new) not in (None, index):
                raise RoutineStoreError(f"There is already a routine called {new!r}.")
            items[index]["name"] = new
            for item in items:
                _rename_calls(item.get("steps") or [], old, new)

        return self._change(edit)

    def delete(self, name: str) -> list[Routine]:
        """Delete a routine; refused while another routine calls it."""
        return self._change(lambda items: items.pop(_found(items, name)))


def _index(items: CommentedSeq, name: str) -> int | None:
    wanted = normalize(name)
    for index, item in enumerate(items):
        if isinstance(item, dict) and normalize(str(item.get("name", ""))) == wanted:
            return index
    return None


def _found(items: CommentedSeq, name: str) -> int:
    index = _index(items, name)
    if index is None:
        known = ", ".join(str(i.get("name")) for i in items if isinstance(i, dict)) or "none"
        raise RoutineStoreError(f"There is no routine called {name!r}. Routines: {known}.")
    return index


def _rename_calls(steps: Any, old: str, new: str) -> None:
    for step in steps:
        if not isinstance(step, dict):
            continue
        if isinstance(step.get("routine"), str) and normalize(step["routine"]) == normalize(old):
            step["routine"] = new
        _rename_calls(step.get("together") or [], old, new)
