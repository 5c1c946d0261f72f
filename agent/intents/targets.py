"""Which entities a sentence means, for the intents that name a domain or a device class.

Home Assistant's sentences say what kind of thing is meant in their own domains: `light`,
`fan`, `cover` with a device class ("the bedroom blinds"), or a name whose template allows
some domains ("open {name}": covers and valves). Here they become Dobby's domains (a fan is a
switch whose device class is `fan`), and the name, area and floor slots pick the entities:

- a name first (resolved among the domains the template allows), then area, then floor;
- a device class with no exact match in the place falls back to its family ("blinds" finds
  the shades when the house has no blinds);
- no place at all is the handler's call (`Unplaced`): everything ("turn off all the lights"),
  the busy ones ("turn off the lights": those that are on), or the ones in the only room
  that has any, else a question back.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from agent.intents.base import (
    IntentRequest,
    Phrases,
    Targets,
    ask,
    common_phrase,
    join_names,
    kind_of,
    loose_targets,
)
from devices.capabilities import Domain
from devices.entities import Entity, Floor
from devices.registry import Registry

HA_DOMAINS: dict[str, tuple[Domain, str | None]] = {
    "light": (Domain.LIGHT, None),
    "switch": (Domain.SWITCH, None),
    "input_boolean": (Domain.SWITCH, None),
    "fan": (Domain.SWITCH, "fan"),
    "cover": (Domain.COVER, None),
    "lock": (Domain.LOCK, None),
    "media_player": (Domain.MEDIA_PLAYER, None),
    "climate": (Domain.CLIMATE, None),
    "sensor": (Domain.SENSOR, None),
    "binary_sensor": (Domain.BINARY_SENSOR, None),
    "alarm_control_panel": (Domain.ALARM_PANEL, None),
    "scene": (Domain.SCENE, None),
    "number": (Domain.NUMBER, None),
}
"""Home Assistant's domain → Dobby's domain and the device class that marks it."""

HA_DOMAIN_OF_CLASS = {(Domain.SWITCH, "fan"): "fan"}
"""The other way: which Dobby entities Home Assistant's templates know by another domain."""

COVER_FAMILIES: tuple[frozenset[str], ...] = (
    frozenset({"blind", "shade", "curtain", "shutter", "awning"}),
    frozenset({"garage", "gate", "door"}),
)
"""Device classes people use for one another: "the blinds" for shades."""

_PHRASES: Phrases = {
    "en": {
        "no_domain": "I can't control any {domain} here: Dobby has no such devices.",
        "which_place": "Which {kind}: in the {places}? Or say all of them.",
        "none": "There is no {kind} here.",
    },
    "de": {
        "no_domain": (
            "Ich kann hier nichts vom Typ {domain} steuern: Dobby kennt solche Geräte nicht."
        ),
        "which_place": "Welche ({kind}): im Bereich {places}? Oder sag „alle“.",
        "none": "Hier gibt es kein passendes Gerät ({kind}).",
    },
}


@dataclass(frozen=True)
class Scope:
    """The kind of entity a request is about."""

    domains: frozenset[Domain]
    device_class: str | None = None
    """An exact device class to prefer (from the sentence or the domain)."""
    strict_class: bool = False
    """True when entities without that class do not count at all (a fan among switches)."""

    def admits(self, entity: Entity) -> bool:
        """True when the entity is of this scope, its device class aside."""
        if entity.domain not in self.domains:
            return False
        return not self.strict_class or entity.device_class == self.device_class


Unplaced = Callable[[IntentRequest, list[Entity], str], Targets]
"""What a request with no name, area or floor means, given every entity of its scope and
what to call them."""


def scope_of(request: IntentRequest, allowed: Collection[Domain]) -> Scope | str:
    """The scope the request's domain, device class and template allow, or why there is none."""
    allowed = frozenset(allowed)
    ha_domain = request.slots.get("domain")
    device_class = request.slots.get("device_class")
    if isinstance(ha_domain, str):
        mapped = HA_DOMAINS.get(ha_domain)
        if mapped is None or mapped[0] not in allowed:
            return request.say(_PHRASES, "no_domain", domain=ha_domain)
        domain, implied = mapped
        if implied is not None:
            return Scope(frozenset({domain}), implied, strict_class=True)
        return Scope(frozenset({domain}), device_class if isinstance(device_class, str) else None)
    domains = allowed
    if request.context_domains:
        domains = (
            frozenset(HA_DOMAINS[d][0] for d in request.context_domains if d in HA_DOMAINS)
            & allowed
        )
    return Scope(domains, device_class if isinstance(device_class, str) else None)


def select(request: IntentRequest, allowed: Collection[Domain], unplaced: Unplaced) -> Targets:
    """The entities the request means, or the question or problem to answer with."""
    scope = scope_of(request, allowed)
    if isinstance(scope, str):
        return Targets(problem=scope)
    loose = loose_targets(request, scope.domains)
    if loose is not None:
        loose.entities = [e for e in loose.entities if scope.admits(e)] if loose.entities else []
        if not loose.entities and not loose.question and not loose.problem:
            loose.problem = request.say(_PHRASES, "none", kind=_kind(request, scope))
        return loose
    name = request.slots.get("name")
    if name is not None:
        return _named(request, str(name), scope)
    return _placed(request, scope, unplaced)


def _named(request: IntentRequest, name: str, scope: Scope) -> Targets:
    """A name, within the area or floor the sentence also says."""
    registry, slots, language = request.registry, request.slots, request.language
    area, floor = slots.get("area"), slots.get("floor")
    found = request.resolve(name, area=area, floor=floor, domains=scope.domains)
    if found.ambiguous:
        return Targets(question=ask(registry, found.candidates, language))
    named = [e for e in found.entities if scope.admits(e)]
    if not named:
        return Targets(problem=phrase_unknown(request, name, scope))
    if found.how == "name" and len(named) > 1 and len({e.name for e in named}) == 1:
        return Targets(question=ask(registry, named, language))
    if {e.name.casefold() for e in named} == {name.casefold()}:
        slots["name"] = named[0].name  # as the home spells it: "Motion Sensor"
    return Targets(sorted(named, key=lambda e: e.entity_id))


def _placed(request: IntentRequest, scope: Scope, unplaced: Unplaced) -> Targets:
    """Everything of the scope in the sentence's area or floor, or what no place means."""
    registry, slots = request.registry, request.slots
    area, floor = slots.get("area"), slots.get("floor")
    pool = list(registry.entities.values())
    # The place first: of 2,000 entities, it leaves a few to ask the scope about.
    if area is not None:
        place = registry.find_area(str(area))
        pool = [e for e in pool if place is not None and e.area_id == place.id]
    if floor is not None:
        level = registry.find_floor(str(floor))
        on_floor = _areas_on(registry, level) if level is not None else frozenset()
        pool = [e for e in pool if e.area_id in on_floor]
    pool = [e for e in pool if scope.admits(e)]
    pool = sorted(_by_class(pool, scope), key=lambda e: e.entity_id)
    if area is None and floor is None:
        return unplaced(request, pool, _kind(request, scope))
    if not pool:
        key, where = ("none_in_area", area) if area is not None else ("none_on_floor", floor)
        return Targets(problem=_common(request, key, scope, where))
    return Targets(pool)


def _areas_on(registry: Registry, floor: Floor) -> frozenset[str]:
    """The ids of the areas on `floor`: an entity in one of them is on it (`floor_of`)."""
    return frozenset(a.id for a in registry.areas.values() if a.id and a.floor_id == floor.id)


def everything(request: IntentRequest, pool: list[Entity], kind: str) -> Targets:
    """No place means all of them ("turn off all the lights", "which lights are on")."""
    if not pool:
        return Targets(problem=request.say(_PHRASES, "none", kind=kind))
    return Targets(pool)


def busy_or_ask(states: Collection[str]) -> Unplaced:
    """No place means the ones in `states` (the lights that are on); if none, ask where."""

    def unplaced(request: IntentRequest, pool: list[Entity], kind: str) -> Targets:
        busy = [e for e in pool if e.available and e.state is not None and e.state.state in states]
        return Targets(busy) if busy else one_place_or_ask(request, pool, kind)

    return unplaced


def one_place_or_ask(request: IntentRequest, pool: list[Entity], kind: str) -> Targets:
    """No place means the one room that has any; with several rooms, ask which."""
    if request.combination == "domain_all" or not pool:
        return everything(request, pool, kind)
    registry = request.registry
    places = sorted({registry.area_name(e) or "" for e in pool})
    if len(places) == 1:
        return Targets(pool)
    if len(pool) <= 3:
        return Targets(question=ask(registry, pool, request.language))
    listed = join_names([p for p in places if p], request.language, "or")
    return Targets(question=request.say(_PHRASES, "which_place", kind=kind, places=listed))


def only_or_ask(request: IntentRequest, pool: list[Entity], kind: str) -> Targets:
    """No place means the only one; with several, ask which."""
    if len(pool) == 1 or not pool:
        return everything(request, pool, kind)
    return Targets(question=ask(request.registry, pool, request.language))


def phrase_unknown(request: IntentRequest, name: str, scope: Scope) -> str:
    """ "I don't know a light called X." """
    return common_phrase(request.language, "unknown_name", kind=_kind(request, scope), name=name)


def _common(request: IntentRequest, key: str, scope: Scope, where: object) -> str:
    field = "area" if key == "none_in_area" else "floor"
    values = {"kind": _kind(request, scope), field: str(where)}
    return common_phrase(request.language, key, **values)


def _kind(request: IntentRequest, scope: Scope) -> str:
    if scope.strict_class and scope.device_class:
        return scope.device_class
    return kind_of(scope.domains, request.language) if scope.domains else "device"


def _by_class(pool: list[Entity], scope: Scope) -> list[Entity]:
    """Keep the entities of the scope's device class, or of its family when none is exact."""
    wanted = scope.device_class
    if wanted is None or scope.strict_class:
        return pool
    exact = [e for e in pool if e.device_class == wanted]
    if exact:
        return exact
    family = next((f for f in COVER_FAMILIES if wanted in f), frozenset({wanted}))
    return [e for e in pool if e.device_class in family or e.device_class is None]
