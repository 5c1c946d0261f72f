"""What happened in the house, and why: the audit log and the changes made at the devices,
read back as events a person asks about.

"why did the kitchen lights go off?", "who unlocked the front door today?", "what happened
last night?", "what did sleepy time do?": local understanding (agent/intents/history.py)
asks a `History`; the LLM's and MCP's audit log tool (skills/toolsets/history.py) and the
web page's audit view read the same log and the same changes at the devices.

An `Event` is what a person thinks of as one thing that happened: the actions of one plan
(one command to several lights), one run of a routine (its steps, which may be minutes
apart), or one change made at a device.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from devices.registry import Registry
from skills.audit import AuditEntry, AuditLog, DeviceChange

RUN_GAP = timedelta(minutes=10)
"""Entries of one routine by one person this close together are one run of it."""
SCAN = 2000
"""Audit rows read for one question at most."""

STATE_COMMANDS: dict[str, frozenset[str]] = {
    "off": frozenset(
        {"light.turn_off", "switch.turn_off", "climate.turn_off", "light.toggle", "switch.toggle"}
    ),
    "on": frozenset({"light.turn_on", "switch.turn_on", "light.toggle", "switch.toggle"}),
    "open": frozenset({"cover.open", "cover.set_position"}),
    "closed": frozenset({"cover.close", "cover.set_position"}),
    "locked": frozenset({"lock.lock"}),
    "unlocked": frozenset({"lock.unlock"}),
    "armed": frozenset({"alarm_panel.arm"}),
    "disarmed": frozenset({"alarm_panel.disarm"}),
    "playing": frozenset({"media_player.play"}),
    "paused": frozenset({"media_player.pause"}),
    "stopped": frozenset({"media_player.stop", "media_player.pause"}),
    "changed": frozenset(),
}
"""The commands that bring an entity into a state people ask about ("changed": any)."""
STATES: dict[str, frozenset[str]] = {
    "off": frozenset({"off", "idle"}),
    "on": frozenset({"on", "heat", "cool", "auto"}),
    "open": frozenset({"open", "opening"}),
    "closed": frozenset({"closed", "closing"}),
    "locked": frozenset({"locked", "locking"}),
    "unlocked": frozenset({"unlocked", "unlocking"}),
    "armed": frozenset({"armed_home", "armed_away", "armed_night", "arming"}),
    "disarmed": frozenset({"disarmed"}),
    "playing": frozenset({"playing"}),
    "paused": frozenset({"paused"}),
    "stopped": frozenset({"stopped", "paused", "idle"}),
}
"""The device states that are such a state, for changes made at the device."""


PERIODS = ("today", "yesterday", "last_night", "this_morning", "this_evening")
"""The spans `period` knows."""


def period(name: str, now: datetime) -> tuple[datetime, datetime]:
    """The span a word means, in `now`'s time zone: today, yesterday, last_night (18:00
    yesterday to 06:00 today), this_morning (05:00 to 12:00), this_evening (from 18:00)."""
    midnight = datetime.combine(now.date(), time(0), now.tzinfo)
    spans = {
        "today": (midnight, now),
        "yesterday": (midnight - timedelta(days=1), midnight),
        "last_night": (midnight - timedelta(hours=6), min(now, midnight + timedelta(hours=6))),
        "this_morning": (midnight + timedelta(hours=5), min(now, midnight + timedelta(hours=12))),
        "this_evening": (midnight + timedelta(hours=18), now),
    }
    if name not in spans:
        raise ValueError(f"unknown period {name!r}: one of {', '.join(spans)}")
    return spans[name]


@dataclass(frozen=True)
class Event:
    """One thing that happened: actions Dobby carried out, or a change at a device."""

    at: datetime
    """When it started, in the house's time zone."""
    entries: tuple[AuditEntry, ...] = ()
    """Dobby's actions, oldest first (empty for a change at a device)."""
    change: DeviceChange | None = None

    @property
    def outside(self) -> bool:
        """Made at the device, not through Dobby."""
        return self.change is not None

    @property
    def first(self) -> AuditEntry:
        """The first action (who asked, through which way in)."""
        return self.entries[0]

    @property
    def routine(self) -> str | None:
        """The routine these actions were steps of."""
        return self.entries[0].routine if self.entries else None

    @property
    def entity_ids(self) -> list[str]:
        """The entities it touched, in order, once each."""
        if self.change is not None:
            return [self.change.entity_id]
        return list(dict.fromkeys(e.entity_id for e in self.entries))

    @property
    def failed(self) -> list[AuditEntry]:
        """The actions that failed."""
        return [e for e in self.entries if not e.ok]

    def as_json(self, names: Callable[[str], str]) -> dict[str, Any]:
        """The event for a tool or an API: local times, names, who and how."""
        if self.change is not None:
            return {
                "at": self.at.isoformat(timespec="seconds"),
                "at_the_device": True,
                "entity": names(self.change.entity_id),
                "from": self.change.old_state,
                "to": self.change.new_state,
                "settings": self.change.attributes,
            }
        first = self.first
        shown: dict[str, Any] = {
            "at": self.at.isoformat(timespec="seconds"),
            "asked_by": first.name or first.requester,
            "channel": first.channel,
            "path": first.path,
            "actions": [
                {
                    "entity": names(e.entity_id),
                    "command": e.command,
                    **({"params": e.params} if e.params else {}),
                    "ok": e.ok,
                    **({"error": e.error} if e.error else {}),
                }
                for e in self.entries
            ],
        }
        if first.approver_name or first.approved_by:
            shown["approved_by"] = first.approver_name or first.approved_by
        if first.routine:
            shown["routine"] = first.routine
        return shown


def _same_event(entry: AuditEntry, group: list[AuditEntry]) -> bool:
    """Whether `entry` (older) belongs with `group` (a newer event under construction)."""
    head = group[-1]
    if (entry.requester, entry.routine, entry.path) != (head.requester, head.routine, head.path):
        return False
    if entry.routine:
        return head.at - entry.at <= RUN_GAP
    return entry.at == head.at and entry.command == head.command


def group(entries: Iterable[AuditEntry]) -> list[list[AuditEntry]]:
    """Entries (newest first) as events: newest first, each oldest first."""
    groups: list[list[AuditEntry]] = []
    for entry in entries:
        if groups and _same_event(entry, groups[-1]):
            groups[-1].append(entry)
        else:
            groups.append([entry])
    return [list(reversed(g)) for g in groups]


def brings_to(entry: AuditEntry, state: str) -> bool:
    """Whether a carried-out action brought its entity into `state`."""
    if not entry.ok:
        return False
    if state == "changed":
        return True
    if entry.command not in STATE_COMMANDS.get(state, frozenset()):
        return False
    if entry.command == "cover.set_position":
        position = entry.params.get("position")
        return isinstance(position, int | float) and (position > 0) == (state == "open")
    return True


class History:
    """Questions about the past, answered from the audit log and the changes at devices."""

    def __init__(
        self, audit: AuditLog, registry: Registry, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.audit, self.registry = audit, registry
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now().astimezone())
        """The time in the house's time zone."""

    def now(self) -> datetime:
        """Now, in the house's time zone."""
        return self.clock()

    def name(self, entity_id: str) -> str:
        """An entity's name now (its id once it is gone)."""
        entity = self.registry.entities.get(entity_id)
        return entity.name if entity is not None else entity_id

    def _local(self, at: datetime) -> datetime:
        return at.astimezone(self.now().tzinfo)

    def _event(self, entries: Sequence[AuditEntry]) -> Event:
        return Event(self._local(entries[0].at), tuple(entries))

    def _change(self, change: DeviceChange) -> Event:
        return Event(self._local(change.at), change=change)

    def events(
        self,
        *,
        entity_ids: Sequence[str] | None = None,
        person: str | None = None,
        routine: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> list[Event]:
        """What happened, newest first: Dobby's actions by event, and (unless a person or
        a routine is asked about) the changes made at the devices."""
        entries = self.audit.query(
            entity_ids=entity_ids,
            person=person,
            routine=routine,
            since=since,
            until=until,
            limit=SCAN,
        )
        found = [self._event(g) for g in group(entries)]
        if not person and not routine:
            changes = self.audit.changes(
                entity_ids=entity_ids, since=since, until=until, limit=limit
            )
            found.extend(self._change(c) for c in changes)
        found.sort(key=lambda e: e.at, reverse=True)
        return found[:limit]

    def why(self, entity_ids: Sequence[str], state: str) -> Event | None:
        """The latest event that brought any of these entities into `state`: the actions of
        that one plan or routine run on them, or the change made at the device."""
        entries = [
            e for e in self.audit.query(entity_ids=entity_ids, limit=SCAN) if brings_to(e, state)
        ]
        changes = [
            c
            for c in self.audit.changes(entity_ids=entity_ids, limit=50)
            if state == "changed" or c.new_state in STATES.get(state, frozenset())
        ]
        latest = next(iter(group(entries)), None)
        change = changes[0] if changes else None
        if change is not None and (latest is None or change.at > latest[-1].at):
            return self._change(change)
        return self._event(latest) if latest else None

    def who(
        self,
        entity_ids: Sequence[str],
        state: str,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[Event]:
        """Every event in the span that brought these entities into `state`, newest first."""
        entries = [
            e
            for e in self.audit.query(entity_ids=entity_ids, since=since, until=until, limit=SCAN)
            if brings_to(e, state)
        ]
        found = [self._event(g) for g in group(entries)]
        found.extend(
            self._change(c)
            for c in self.audit.changes(entity_ids=entity_ids, since=since, until=until)
            if state == "changed" or c.new_state in STATES.get(state, frozenset())
        )
        return sorted(found, key=lambda e: e.at, reverse=True)

    def last_run(self, routine: str) -> Event | None:
        """The latest run of a routine, with every action it took."""
        runs = group(self.audit.query(routine=routine, limit=SCAN))
        return self._event(runs[0]) if runs else None
