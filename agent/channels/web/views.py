"""What the page shows, as plain data for the templates: the house at a glance with each
entity's quick controls, and the audit trail.

A control names what a tap does (`light.turn_off`, `cover.set_position` with the value of
its slider). Whether the person may use it is the policy's answer, asked the way the
control will be carried out (`Path.WEB`, as this person): a guest sees the lock's buttons
but cannot press them, with the reason; an unlock is marked as asking for an approval.
A page asks it through one `Permissions` for the person, which reads their role's rules
and matches each command once, however many buttons the house has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from devices.capabilities import Domain, NumberState, State
from devices.entities import Entity
from devices.registry import Registry
from skills.actions import Action, Requester
from skills.actions import Path as ActionPath
from skills.audit import AuditEntry, DeviceChange
from skills.policy import Permissions, Policy, Verdict


@dataclass(frozen=True)
class Control:
    """One quick control of a domain: what a tap (or a slider) does."""

    key: str
    label: str
    command: str
    params: tuple[tuple[str, Any], ...] = ()
    """Fixed parameters (the alarm's mode)."""
    value: str | None = None
    """The parameter a slider or number field sets, if any."""
    feature: str | None = None
    """The feature the entity needs for it."""
    low: float = 0
    high: float = 100
    step: float = 1

    def action(self, entity_id: str, value: float | None = None) -> Action:
        """The action this control asks for."""
        return Action(entity_id=entity_id, command=self.command, params=self.params_for(value))

    def params_for(self, value: float | None = None) -> Mapping[str, Any]:
        """The command's parameters, with the slider's value if it has one."""
        params = dict(self.params)
        if self.value is not None and value is not None:
            params[self.value] = value
        return params


CONTROLS: dict[Domain, tuple[Control, ...]] = {
    Domain.LIGHT: (
        Control("on", "On", "light.turn_on"),
        Control("off", "Off", "light.turn_off"),
        Control(
            "brightness",
            "Brightness",
            "light.turn_on",
            value="brightness",
            feature="brightness",
            low=1,
        ),
    ),
    Domain.SWITCH: (
        Control("on", "On", "switch.turn_on"),
        Control("off", "Off", "switch.turn_off"),
    ),
    Domain.COVER: (
        Control("open", "Open", "cover.open", feature="open"),
        Control("close", "Close", "cover.close", feature="close"),
        Control(
            "position", "Position", "cover.set_position", value="position", feature="set_position"
        ),
    ),
    Domain.MEDIA_PLAYER: (
        Control("play", "Play", "media_player.play", feature="play"),
        Control("pause", "Pause", "media_player.pause", feature="pause"),
        Control(
            "volume", "Volume", "media_player.set_volume", value="volume", feature="volume_set"
        ),
    ),
    Domain.CLIMATE: (
        Control(
            "setpoint",
            "Set to",
            "climate.set_temperature",
            value="temperature",
            low=5,
            high=40,
            step=0.5,
        ),
    ),
    Domain.LOCK: (
        Control("lock", "Lock", "lock.lock"),
        Control("unlock", "Unlock", "lock.unlock"),
    ),
    Domain.ALARM_PANEL: (
        Control("arm_night", "Arm night", "alarm_panel.arm", (("mode", "night"),)),
        Control("arm_away", "Arm away", "alarm_panel.arm", (("mode", "away"),)),
        Control("disarm", "Disarm", "alarm_panel.disarm"),
    ),
    # Its range, step and unit are the entity's own (a pump's 450-3450 RPM in steps of 10).
    Domain.NUMBER: (Control("value", "Set to", "number.set_value", value="value"),),
}
"""The quick controls of each domain; sensors have none."""

_ACTIVE = {
    "on": "on",
    "off": "off",
    "open": "open",
    "close": "closed",
    "play": "playing",
    "pause": "paused",
    "lock": "locked",
    "unlock": "unlocked",
    "arm_night": "armed_night",
    "arm_away": "armed_away",
    "disarm": "disarmed",
}
"""The state a button brings: pressed-looking when the entity is in it."""
LIT = frozenset({"on", "open", "playing", "unlocked", "heat", "cool", "auto", "triggered"})
"""States shown as "something is on": lit, open, playing, unlocked."""
_DOMAIN_ORDER = {d: n for n, d in enumerate(CONTROLS)}
_OPENINGS = frozenset({"door", "window", "garage_door", "opening"})
"""Contact sensors, whose "on" is "open"."""


def control(domain: Domain, key: str) -> Control | None:
    """The quick control `key` of a domain."""
    return next((c for c in CONTROLS.get(domain, ()) if c.key == key), None)


@dataclass
class Button:
    """A control as the page shows it to one person."""

    key: str
    label: str
    allowed: bool
    why: str = ""
    """Why it may not be used (the policy's words), or that it asks for an approval."""
    asks: bool = False
    """It waits for someone's Approve."""
    active: bool = False
    slider: bool = False
    value: float | None = None
    low: float = 0
    high: float = 100
    step: float = 1
    unit: str = ""
    """What the slider's value is in, when it is not plain (a number's `RPM`)."""


@dataclass
class Card:
    """One entity at a glance."""

    entity_id: str
    name: str
    domain: str
    state: str
    """Its state in words ("on", "unavailable")."""
    detail: str
    """What else matters at a glance: "80%", "target 21 °C, room 20.5 °C"."""
    lit: bool
    available: bool
    reason: str = ""
    """Why it is unavailable."""
    buttons: list[Button] = field(default_factory=list)

    @property
    def refused(self) -> str:
        """Why this person may not use its controls (the first refused one's reason), when
        it is available and one is refused; else empty."""
        if self.available:
            for button in self.buttons:
                if not button.allowed:
                    return button.why
        return ""


@dataclass
class Room:
    """An area with its cards (made as the page is written, so its first bytes go out
    before the last card is made)."""

    name: str
    cards: Iterable[Card]


@dataclass
class Level:
    """A floor with its areas."""

    name: str
    rooms: list[Room]


def _detail(state: State | None, a: Mapping[str, Any], unit: str) -> str:
    """What else a card says at a glance, from the state and its attributes (`a`)."""
    if state is None:
        return ""
    parts: list[str] = []
    if "brightness" in a and state.state == "on":
        parts.append(f"{a['brightness']}%")
    if "position" in a:
        parts.append(f"{a['position']}% open")
    if "volume" in a:
        parts.append(f"volume {a['volume']}")
    if "media_title" in a and state.state == "playing":
        parts.append(str(a["media_title"]))
    if "temperature" in a:
        parts.append(f"target {a['temperature']:g} {unit}")
    if "current_temperature" in a:
        parts.append(f"now {a['current_temperature']:g} {unit}")
    if "unit_of_measurement" in a:
        return f"{state.state} {a['unit_of_measurement']}"
    return ", ".join(parts)


def _value(state: State | None, attributes: Mapping[str, Any], control: Control) -> float | None:
    if control.value is None:
        return None
    if isinstance(state, NumberState):  # its value is its state, as text
        return state.value
    value = attributes.get(control.value)
    return float(value) if isinstance(value, int | float) else None


class Glance:
    """Builds the cards of the house for one person."""

    def __init__(self, registry: Registry, policy: Policy, unit: str = "°C") -> None:
        self.registry, self.policy, self.unit = registry, policy, unit

    def permissions(self, requester: Requester) -> Permissions:
        """What the policy says of this person's controls on the page (one per render)."""
        return self.policy.permissions(requester.role, ActionPath.WEB)

    def card(self, entity: Entity, permissions: Permissions) -> Card:
        """One entity's card, its controls as this person may use them."""
        state = entity.state
        attributes = state.attributes() if state is not None else {}  # once: a model dump
        device = self.registry.devices.get(entity.device_id)
        reason = ""
        if not entity.available:
            reason = (device.unavailable_reason if device else None) or "it does not answer"
        shown = state.state if state is not None and entity.available else "unavailable"
        reads = entity.domain in (Domain.SENSOR, Domain.NUMBER)  # a value with its unit
        if state is not None and entity.available and reads:
            shown = _detail(state, attributes, self.unit) or state.state  # pH has no unit
        if entity.domain is Domain.BINARY_SENSOR and entity.device_class in _OPENINGS:
            shown = {"on": "open", "off": "closed"}.get(shown, shown)
        card = Card(
            entity.entity_id,
            entity.name,
            entity.domain.value,
            shown.replace("_", " "),
            "" if reads else _detail(state, attributes, self.unit),
            entity.available and shown in LIT,
            entity.available,
            reason.rstrip("."),
        )
        for each in CONTROLS.get(entity.domain, ()):
            if each.feature is not None and entity.features and each.feature not in entity.features:
                continue
            button = self._button(entity, each, _value(state, attributes, each), permissions)
            if button is not None:
                card.buttons.append(button)
        return card

    def _button(
        self, entity: Entity, each: Control, value: float | None, permissions: Permissions
    ) -> Button | None:
        """A control as this person may use it (None: a number whose range is not known)."""
        low, high, step, unit = each.low, each.high, each.step, ""
        if entity.domain is Domain.CLIMATE:
            bounds = self.policy.bounds_for(entity.entity_id)
            low, high = bounds.min, bounds.max
        if entity.domain is Domain.NUMBER:
            allowed = self.policy.number_range(entity)
            if allowed is None or not isinstance(entity.state, NumberState):
                return None
            low, high = entity.state.on_steps(*allowed)
            step, unit = entity.state.step, entity.state.unit_of_measurement or ""
        # A slider is asked about at its value brought within its range: a chlorinator at
        # 80 % under a household's 60 % limit can still be turned down from the page.
        asked = None if value is None else min(max(value, low), high)
        verdict, why = permissions.verdict(entity, each.command, each.params_for(asked))
        return Button(
            each.key,
            each.label,
            allowed=entity.available and verdict is not Verdict.REFUSE,
            why=why,
            asks=verdict is Verdict.CONFIRM,
            active=entity.state is not None and _ACTIVE.get(each.key) == entity.state.state,
            slider=each.value is not None,
            value=value,
            low=low,
            high=high,
            step=step,
            unit=unit,
        )

    def levels(self, requester: Requester) -> list[Level]:
        """Floors, their areas, and every entity's card, as a person walks the house."""
        registry = self.registry
        rooms: dict[str | None, list[Entity]] = {}
        ordered = sorted(
            registry.entities.values(),
            key=lambda e: (_DOMAIN_ORDER.get(e.domain, 99), e.name.casefold()),
        )
        for entity in ordered:
            rooms.setdefault(entity.area_id, []).append(entity)
        permissions = self.permissions(requester)

        def room(name: str, entities: list[Entity]) -> Room:
            return Room(name, (self.card(e, permissions) for e in entities))

        floors: dict[str | None, list[Room]] = {}
        for area in registry.areas.values():
            if area.id in rooms:
                floors.setdefault(area.floor_id, []).append(room(area.name, rooms.pop(area.id)))
        if rooms:
            loose = [e for entities in rooms.values() for e in entities]
            floors.setdefault(None, []).append(room("Elsewhere", loose))
        levels = [
            Level(floor.name, floors.pop(floor.id))
            for floor in sorted(registry.floors.values(), key=lambda f: f.level or 0)
            if floor.id in floors
        ]
        if floors:
            levels.append(Level("Other places", [r for rs in floors.values() for r in rs]))
        return levels

    def summary(self) -> list[str]:
        """A line or two at the top: what is on, open, unlocked, playing, unreachable."""
        entities = self.registry.entities.values()
        counts: dict[str, int] = {}
        for e in entities:
            if e.available and e.state is not None and e.state.state in LIT:
                if e.domain in (Domain.SENSOR, Domain.BINARY_SENSOR):
                    continue
                counts[f"{e.domain.value}:{e.state.state}"] = (
                    counts.get(f"{e.domain.value}:{e.state.state}", 0) + 1
                )
        words = {
            "light:on": "lights on",
            "switch:on": "switches on",
            "media_player:playing": "playing",
            "cover:open": "shades open",
            "lock:unlocked": "unlocked",
            "climate:heat": "heating",
            "climate:cool": "cooling",
            "climate:auto": "on auto",
        }
        lines = [f"{n} {words.get(k, k.split(':')[1])}" for k, n in sorted(counts.items())]
        away = sum(1 for e in entities if not e.available)
        if away:
            lines.append(f"{away} unavailable")
        return lines or ["Everything is off, closed and quiet."]


@dataclass(frozen=True)
class AuditRow:
    """One line of the audit trail."""

    at: datetime
    device: str
    command: str
    result: str
    ok: bool
    who: str
    channel: str
    approved_by: str
    path: str
    routine: str


def audit_rows(
    entries: Iterable[AuditEntry],
    changes: Iterable[DeviceChange],
    name: Any,
    zone: Any,
) -> list[AuditRow]:
    """Dobby's actions and the changes at the devices, newest first, in local time."""
    rows = [
        AuditRow(
            e.at.astimezone(zone),
            name(e.entity_id),
            e.command + (f" {_params(e.params)}" if e.params else ""),
            "ok" if e.ok else (e.error or "failed"),
            e.ok,
            e.name or e.requester,
            e.channel,
            e.approver_name or e.approved_by or "",
            e.path,
            e.routine or "",
        )
        for e in entries
    ]
    rows.extend(
        AuditRow(
            c.at.astimezone(zone),
            name(c.entity_id),
            f"{c.old_state or '?'} → {c.new_state}"
            + (f" {_params(c.attributes)}" if c.attributes else ""),
            "changed at the device",
            True,
            "nobody (at the device)",
            "",
            "",
            "device",
            "",
        )
        for c in changes
    )
    return sorted(rows, key=lambda r: r.at, reverse=True)


def _params(params: dict[str, object]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())
