"""The registry: every floor, area, device and entity, and the last known state of each.

Adapters feed it (push where the protocol has it, polling where not); everything above
reads it. Devices are keyed by the unique id the device itself gives, so a device that
reappears at a new address is updated in place, never added twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from devices.capabilities import State
from devices.entities import Area, Device, DeviceInfo, Entity, EntitySpec, Floor, slugify

_LOGGER = logging.getLogger(__name__)


_Named = TypeVar("_Named", bound=Area | Floor)


def _find_named(items: Iterable[_Named], name: str) -> _Named | None:
    wanted = name.strip().casefold()
    for item in items:
        if wanted in (n.casefold() for n in (item.id, item.name, *item.aliases)):
            return item
    return None


@dataclass(frozen=True)
class EntityOverride:
    """What the household's config says about an entity, over what its adapter proposed."""

    name: str | None = None
    area: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Change:
    """One change the registry announces: a new entity, a new state, or availability."""

    entity: Entity
    old_state: State | None
    old_available: bool


Listener = Callable[[Change], None]


@dataclass(frozen=True)
class DeviceEvent:
    """Something a device did that is no state: a button pressed, a remote's action."""

    entity: Entity
    value: str
    """What happened, in the device's words ("toggle", "single", "arrow_left_click")."""


EventListener = Callable[[DeviceEvent], None]


@dataclass
class Registry:
    """The home as Dobby knows it."""

    floors: dict[str, Floor] = field(default_factory=dict)
    areas: dict[str, Area] = field(default_factory=dict)
    devices: dict[str, Device] = field(default_factory=dict)
    entities: dict[str, Entity] = field(default_factory=dict)
    overrides: dict[str, EntityOverride] = field(default_factory=dict)
    """Keyed by the entity id the adapter's name would give, or by unique id."""
    _by_unique_id: dict[str, str] = field(default_factory=dict)
    _listeners: list[Listener] = field(default_factory=list)
    _event_listeners: list[EventListener] = field(default_factory=list)

    # -- floors and areas ---------------------------------------------------------------

    def add_floor(
        self, name: str, *, aliases: Sequence[str] = (), level: int | None = None
    ) -> Floor:
        """Add a floor (from config); its id is the slug of its name."""
        floor = Floor(slugify(name), name, tuple(aliases), level)
        self.floors[floor.id] = floor
        return floor

    def add_area(self, name: str, *, floor: str | None = None, aliases: Sequence[str] = ()) -> Area:
        """Add an area (from config or proposed by a device)."""
        floor_id = None
        if floor is not None:
            found = self.find_floor(floor)
            if found is None:
                raise KeyError(f"unknown floor {floor!r}")
            floor_id = found.id
        area = Area(slugify(name), name, floor_id, tuple(aliases))
        self.areas[area.id] = area
        return area

    def find_area(self, name: str) -> Area | None:
        """The area called `name` (or with that alias, or that id), ignoring case."""
        return _find_named(self.areas.values(), name)

    def find_floor(self, name: str) -> Floor | None:
        """The floor called `name` (or with that alias, or that id), ignoring case."""
        return _find_named(self.floors.values(), name)

    def area_name(self, entity: Entity) -> str | None:
        """The name of the entity's area, if it has one."""
        area = self.areas.get(entity.area_id) if entity.area_id else None
        return area.name if area else None

    # -- devices and entities -----------------------------------------------------------

    def upsert_device(
        self, adapter: str, info: DeviceInfo, specs: Sequence[EntitySpec]
    ) -> list[Entity]:
        """Add a device and its entities, or update them if the device is known already."""
        device_id = f"{adapter}:{info.unique_id}"
        device = self.devices.get(device_id)
        if device is None:
            device = Device(device_id, adapter, info)
            self.devices[device_id] = device
            _LOGGER.info("New device %s (%s) at %s", info.name, device_id, info.host)
        else:
            if device.info.host != info.host:
                _LOGGER.info(
                    "Device %s moved from %s to %s", info.name, device.info.host, info.host
                )
            device.info = info
        entities = [self._upsert_entity(device, spec) for spec in specs]
        self.set_device_available(device_id, available=True)
        return entities

    def _upsert_entity(self, device: Device, spec: EntitySpec) -> Entity:
        unique_id = f"{device.adapter}:{spec.unique_id}"
        known = self._by_unique_id.get(unique_id)
        if known is not None:
            entity = self.entities[known]
            entity.features = spec.features
            entity.device_class = spec.device_class
            if spec.state is not None:
                self.update_state(entity.entity_id, spec.state)
            return entity
        proposed_id = f"{spec.domain.value}.{slugify(spec.name)}"
        override = self.overrides.get(unique_id) or self.overrides.get(proposed_id)
        override = override or EntityOverride()
        name = override.name or spec.name
        entity_id = self._free_entity_id(f"{spec.domain.value}.{slugify(name)}")
        area_name = override.area or spec.suggested_area or device.info.suggested_area
        area_id = None
        if area_name:
            area = self.find_area(area_name) or self.add_area(area_name)
            area_id = area.id
        entity = Entity(
            entity_id=entity_id,
            unique_id=unique_id,
            domain=spec.domain,
            name=name,
            device_id=device.id,
            area_id=area_id,
            aliases=override.aliases,
            features=spec.features,
            device_class=spec.device_class,
            state=spec.state,
        )
        self.entities[entity_id] = entity
        self._by_unique_id[unique_id] = entity_id
        self._announce(Change(entity, None, old_available=False))
        return entity

    def remove_entity(self, unique_id: str) -> Entity | None:
        """Forget an entity its device no longer announces (and its device, left empty).

        Listeners hear it go as a last change to unavailable."""
        entity_id = self._by_unique_id.pop(unique_id, None)
        if entity_id is None:
            return None
        entity = self.entities.pop(entity_id)
        if not self.entities_of(entity.device_id):
            self.devices.pop(entity.device_id, None)
        _LOGGER.info("Removed %s (%s)", entity.name, entity.entity_id)
        old = entity.available
        entity.available = False
        self._announce(Change(entity, entity.state, old))
        return entity

    def _free_entity_id(self, wanted: str) -> str:
        candidate, number = wanted, 2
        while candidate in self.entities:
            candidate, number = f"{wanted}_{number}", number + 1
        return candidate

    def entity(self, entity_id: str) -> Entity:
        """The entity with this id, or KeyError."""
        return self.entities[entity_id]

    def by_unique_id(self, unique_id: str) -> Entity | None:
        """The entity an adapter knows as `<adapter>:<unique id>`."""
        entity_id = self._by_unique_id.get(unique_id)
        return self.entities.get(entity_id) if entity_id else None

    def entities_of(self, device_id: str) -> list[Entity]:
        """Every entity of one device."""
        return [e for e in self.entities.values() if e.device_id == device_id]

    def floor_of(self, entity: Entity) -> str | None:
        """The id of the floor the entity's area is on."""
        area = self.areas.get(entity.area_id) if entity.area_id else None
        return area.floor_id if area else None

    # -- state --------------------------------------------------------------------------

    def update_state(self, entity_id: str, state: State) -> None:
        """Record a new state (pushed or polled) and tell the listeners if it changed."""
        entity = self.entities[entity_id]
        old_state, old_available = entity.state, entity.available
        if old_state == state and old_available:
            return
        entity.state = state
        entity.available = True
        entity.last_changed = datetime.now(UTC)
        self._announce(Change(entity, old_state, old_available))

    def set_device_available(
        self, device_id: str, *, available: bool, reason: str | None = None
    ) -> None:
        """Mark a device and all its entities reachable or not."""
        device = self.devices[device_id]
        flipped = device.available != available
        new_reason = not available and bool(reason) and reason != device.unavailable_reason
        if flipped or new_reason:  # a new reason is news too ("pair again" after "lost")
            log = _LOGGER.info if available else _LOGGER.warning
            log(
                "%s is %s%s",
                device.info.name,
                "back" if available else "unavailable",
                f": {reason}" if reason else "",
            )
        device.available = available
        device.unavailable_reason = None if available else reason
        for entity in self.entities_of(device_id):
            # A state pushed while the device was down marks its entity available already;
            # the device coming back is still news to listeners that watch devices.
            if entity.available != available or flipped:
                old = entity.available
                entity.available = available
                entity.last_changed = datetime.now(UTC)
                self._announce(Change(entity, entity.state, old))

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` on every change; returns a function that stops it."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def fire_event(self, entity_id: str, value: str) -> None:
        """Tell the event listeners that an entity's device did `value` (a press)."""
        event = DeviceEvent(self.entities[entity_id], value)
        for listener in list(self._event_listeners):
            try:
                listener(event)
            except Exception:
                _LOGGER.exception("An event listener failed")

    def listen_events(self, listener: EventListener) -> Callable[[], None]:
        """Call `listener` on every device event; returns a function that stops it."""
        self._event_listeners.append(listener)
        return lambda: self._event_listeners.remove(listener)

    async def wait_until(self, predicate: Callable[[], bool], within: float) -> bool:
        """Wait until `predicate()` holds after some change, at most `within` seconds."""
        held = asyncio.Event()

        def check(_: Change | None = None) -> None:
            if predicate():
                held.set()

        stop = self.listen(check)
        check()
        try:
            async with asyncio.timeout(within):
                await held.wait()
        except TimeoutError:
            return False
        finally:
            stop()
        return True

    def _announce(self, change: Change) -> None:
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                _LOGGER.exception("A state listener failed")
