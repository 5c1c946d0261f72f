"""Floors, areas, devices and entities: the nouns of the home."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devices.capabilities import Domain, State


def slugify(text: str) -> str:
    """`Living Room Ceiling` → `living_room_ceiling`, the way entity ids are made."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", folded.lower()).strip("_") or "unnamed"


@dataclass
class Floor:
    """A floor of the house."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    level: int | None = None


@dataclass
class Area:
    """A room or a part of the grounds."""

    id: str
    name: str
    floor_id: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass
class DeviceInfo:
    """A physical device as its adapter describes it."""

    unique_id: str
    """Stable across addresses and restarts: a serial, a MAC, a UPnP UDN."""
    name: str
    host: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    sw_version: str | None = None
    suggested_area: str | None = None
    """The room the device itself knows it is in (a Sonos zone, a Hue room)."""


@dataclass
class EntitySpec:
    """An entity as its adapter proposes it; the registry gives it an id and an area."""

    unique_id: str
    domain: Domain
    name: str
    features: frozenset[str] = frozenset()
    device_class: str | None = None
    state: State | None = None
    suggested_area: str | None = None


@dataclass
class Device:
    """A physical device in the registry."""

    id: str
    """`<adapter>:<unique id>`."""
    adapter: str
    info: DeviceInfo
    available: bool = True
    unavailable_reason: str | None = None


@dataclass
class Entity:
    """One controllable or readable thing: a light, a speaker, a door sensor."""

    entity_id: str
    unique_id: str
    """`<adapter>:<the adapter's unique id for it>`."""
    domain: Domain
    name: str
    device_id: str
    area_id: str | None = None
    aliases: tuple[str, ...] = ()
    features: frozenset[str] = frozenset()
    device_class: str | None = None
    state: State | None = None
    available: bool = True
    last_changed: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def adapter(self) -> str:
        """The name of the adapter that serves this entity."""
        return self.unique_id.split(":", 1)[0]

    @property
    def adapter_unique_id(self) -> str:
        """The unique id as the adapter knows it, without the adapter prefix."""
        return self.unique_id.split(":", 1)[1]

    def as_json(self, area_name: str | None) -> dict[str, Any]:
        """The shape `dobby devices --json` and `demo --json` print."""
        return {
            "entity_id": self.entity_id,
            "name": self.name,
            "area": area_name,
            "domain": self.domain.value,
            "state": self.state.state if self.state is not None and self.available else None,
            "attributes": self.state.attributes() if self.state is not None else {},
            "available": self.available,
        }
