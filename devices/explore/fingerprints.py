"""The signature table (`fingerprints.yaml`), and what a host's own words say it is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, field_validator

from devices.explore.rules import check_path


class Match(BaseModel):
    """The signals of one family; any one of them recognises it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mdns: tuple[str, ...] = ()
    txt: dict[str, str] = {}
    name: str | None = None
    ssdp: tuple[str, ...] = ()
    manufacturer: str | None = None
    model: str | None = None
    server: str | None = None
    title: str | None = None
    """The HTML title of the host's page (`GET /`), a regular expression."""

    @field_validator("txt")
    @classmethod
    def _patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for pattern in value.values():
            re.compile(pattern)
        return value

    @field_validator("name", "manufacturer", "model", "server", "title")
    @classmethod
    def _pattern(cls, value: str | None) -> str | None:
        if value is not None:
            re.compile(value)
        return value


class Family(BaseModel):
    """One kind of device the table knows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    title_de: str | None = None
    """Its name in German (chat answers in the asker's language)."""
    kind: str
    smart_home: bool = True
    adapter: str | None = None
    """The Dobby adapter (first-party or plugin) that drives it, when installed."""
    learnable: bool = False
    """Whether `dobby explore HOST` can draft a recipe for it."""
    match: Match
    read_only: tuple[str, ...] = ()

    def title_in(self, language: str) -> str:
        """Its name in `language` (English where the table has none)."""
        return (self.title_de if language == "de" else None) or self.title

    @field_validator("read_only")
    @classmethod
    def _reads(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for path in value:
            check_path(path)  # the table itself obeys the probe rules
        return value


class Table(BaseModel):
    """The whole table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    families: tuple[Family, ...]


@cache
def table() -> Table:
    """The shipped table."""
    text = resources.files("devices.explore").joinpath("fingerprints.yaml").read_text("utf-8")
    return Table.model_validate(yaml.safe_load(text))


def family(family_id: str) -> Family | None:
    """The family with this id."""
    return next((f for f in table().families if f.id == family_id), None)


@dataclass
class Evidence:
    """Everything one host said about itself."""

    mdns_types: set[str] = field(default_factory=set)
    mdns_names: set[str] = field(default_factory=set)
    txt: dict[str, str] = field(default_factory=dict)
    ssdp_targets: set[str] = field(default_factory=set)
    servers: set[str] = field(default_factory=set)
    titles: set[str] = field(default_factory=set)
    """The HTML titles of its page."""
    manufacturer: str = ""
    model: str = ""
    device_type: str = ""


def recognise(evidence: Evidence) -> Family | None:
    """The first family of the table that a signal of `evidence` matches."""
    types = {t.lower() for t in evidence.mdns_types}
    targets = {t.lower() for t in evidence.ssdp_targets | {evidence.device_type}} - {""}
    for candidate in table().families:
        if _matches(candidate.match, evidence, types, targets):
            return candidate
    return None


def _matches(match: Match, evidence: Evidence, types: set[str], targets: set[str]) -> bool:
    if any(t.lower() in types for t in match.mdns):
        if not match.txt:
            return True
        return all(
            re.search(pattern, evidence.txt.get(key, "\x00")) for key, pattern in match.txt.items()
        )
    if match.txt and not match.mdns and any(key in evidence.txt for key in match.txt):
        return True
    if any(t.lower() in targets for t in match.ssdp):
        return True
    checks = (
        (match.name, evidence.mdns_names),
        (match.manufacturer, {evidence.manufacturer}),
        (match.model, {evidence.model}),
        (match.server, evidence.servers),
        (match.title, evidence.titles),
    )
    return any(
        pattern is not None
        and any(re.search(pattern, text, re.IGNORECASE) for text in texts if text)
        for pattern, texts in checks
    )
