"""Changing home.yaml from chat: an alias the household confirmed for a device.

Written as routines.yaml is (`skills.yaml_edit`): comments, order and flow style kept, the
whole file checked against the shape of home.yaml before anything is written, and written
atomically, so a refused change leaves the file as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from agent.config import HomeConfig
from skills.yaml_edit import YamlEditError, change, plain

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap


class HomeStore:
    """home.yaml, changed one alias at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def add_alias(self, entity_id: str, alias: str) -> HomeConfig:
        """Add an alias to an entity under `entities:`; the new config. Raises
        YamlEditError (nothing written) when the file cannot take it."""
        from ruamel.yaml.comments import CommentedMap, CommentedSeq  # on the first change

        def edit(document: CommentedMap) -> None:
            entities = document.get("entities")
            if entities is None:
                entities = document["entities"] = CommentedMap()
            if not isinstance(entities, CommentedMap):
                raise YamlEditError(f"{self.path}: `entities` must be a mapping")
            entry = entities.get(entity_id)
            if entry is None:
                entry = CommentedMap()
                entry.fa.set_flow_style()
                entities[entity_id] = entry
            aliases = entry.get("aliases")
            if aliases is None:
                aliases = CommentedSeq()
                aliases.fa.set_flow_style()
                entry["aliases"] = aliases
            if alias.casefold() not in (str(a).casefold() for a in aliases):
                aliases.append(alias)

        def check(document: CommentedMap) -> HomeConfig:
            try:
                return HomeConfig.model_validate(plain(document))
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(p) for p in first["loc"])
                raise YamlEditError(f"{self.path}: {where}: {first['msg']}") from None

        return change(self.path, edit, check)
