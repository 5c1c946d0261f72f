"""Changing a YAML file people also edit by hand, without losing what they wrote.

ruamel.yaml's round trip keeps comments, key order, quoting and flow style. A change is
checked as a whole document before anything is written (the caller's `check`), and written
atomically (a temporary file renamed over the old one), so a refused change leaves the file
exactly as it was. routines.yaml (`skills.routine_store`) and home.yaml (`agent.home_store`)
are changed this way. ruamel.yaml loads on the first change: a running Dobby that is never
asked to change a file does not carry it.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap

_T = TypeVar("_T")


class YamlEditError(Exception):
    """A change that cannot be made; the message says why and nothing was written."""


def round_trip() -> YAML:
    """The YAML reader and writer that keeps a file as people wrote it."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a line someone wrote long
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def read_document(path: Path, empty: str = "") -> CommentedMap:
    """The file's top-level mapping (`empty`'s, when there is no file yet)."""
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    text = path.read_text(encoding="utf-8") if path.exists() else empty
    try:
        document = round_trip().load(text)
    except YAMLError as error:
        raise YamlEditError(f"{path} is not valid YAML: {error}") from None
    if document is None:
        document = CommentedMap()
    if not isinstance(document, CommentedMap):
        raise YamlEditError(f"{path}: expected a mapping at the top")
    return document


def plain(node: Any) -> Any:
    """A round-trip document as plain dicts, lists and texts, for validation."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def write_document(path: Path, document: CommentedMap) -> None:
    """Write a document atomically: a temporary file beside it, renamed over it."""
    buffer = io.StringIO()
    round_trip().dump(document, buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.stem}-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(buffer.getvalue())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def change(
    path: Path,
    edit: Callable[[CommentedMap], None],
    check: Callable[[CommentedMap], _T],
    *,
    empty: str = "",
) -> _T:
    """Read the file, `edit` its document, `check` the whole of it (raising to refuse),
    and write it; returns what `check` returned."""
    document = read_document(path, empty)
    edit(document)
    checked = check(document)
    write_document(path, document)
    return checked
