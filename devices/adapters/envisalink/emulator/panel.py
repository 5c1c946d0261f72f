"""The alarm panel behind the emulated Envisalink: partitions, zones, codes and timers.

The panel knows nothing of the wire. It keeps the state a DSC or Honeywell Vista panel
keeps (armed modes, exit and entry delays, alarms, open zones) and tells its observers
what happened; each TPI dialect turns those events into its own messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Mode = Literal["disarmed", "away", "stay", "night", "max"]
"""`night` is stay with no entry delay (Vista "instant"), `max` away with none (DSC)."""
ZoneKind = Literal["door", "window", "motion", "smoke"]
EventKind = Literal[
    "zone",
    "arming",
    "armed",
    "disarmed",
    "alarm",
    "zone_alarm",
    "entry_delay",
    "bad_code",
    "trouble",
    "bypass",
]

INTERIOR: frozenset[str] = frozenset({"motion"})
"""Zones a stay-type arming (stay, night) leaves out, as real panels do."""


@dataclass
class ZoneSpec:
    """One zone of the panel: a sensor wired to (or enrolled in) it."""

    number: int
    name: str
    kind: ZoneKind = "door"
    partition: int = 1
    open: bool = False
    bypassed: bool = False
    """Left out of arming and alarms until the partition is next disarmed."""


@dataclass
class PartitionSpec:
    """One partition: an area of the house armed and disarmed as one."""

    number: int = 1
    name: str = "House Alarm"
    mode: Mode = "disarmed"
    exit_delay: bool = False
    entry_delay: bool = False
    alarm: bool = False
    alarm_zone: int = 0
    """The zone that set the alarm off (0: none, a panic)."""
    last_user: int = 0


@dataclass(frozen=True)
class PanelEvent:
    """Something that happened on the panel, for the dialects to announce."""

    kind: EventKind
    number: int
    """The zone number for `zone` and `zone_alarm` events, the partition number for the
    others."""


Observer = Callable[[PanelEvent], None]


@dataclass
class Panel:
    """A panel's state and its rules (ready to arm, delays, which zones count when)."""

    partitions: dict[int, PartitionSpec]
    zones: dict[int, ZoneSpec]
    codes: dict[int, str]
    """User number → user code."""
    exit_delay: float = 0.0
    """Seconds between an arm command and the partition being armed."""
    entry_delay: float = 0.0
    """Seconds between a door opening on an armed partition and the alarm."""
    ac_power: bool = True
    """False while the panel runs on its battery (a trouble)."""
    observers: list[Observer] = field(default_factory=list)
    _timers: dict[int, asyncio.TimerHandle] = field(default_factory=dict)

    # -- reading ------------------------------------------------------------------------

    def user_of(self, code: str) -> int | None:
        """The user number whose code this is (a DSC pads 4-digit codes with "00")."""
        for user, known in self.codes.items():
            if code in (known, known + "00"):
                return user
        return None

    def open_zones(self, partition: int) -> list[ZoneSpec]:
        """The zones of a partition that are open now."""
        return [z for z in self.zones.values() if z.partition == partition and z.open]

    def ready(self, partition: int) -> bool:
        """Whether the partition may be armed: disarmed, with every zone closed."""
        opened = [z for z in self.open_zones(partition) if not z.bypassed]
        return self.partitions[partition].mode == "disarmed" and not opened

    # -- what a person does at the keypad, or the module on a TPI command ---------------

    def arm(self, partition: int, mode: Mode, user: int) -> bool:
        """Arm a partition; False (and nothing changes) when it is not ready."""
        part = self.partitions[partition]
        if mode == "disarmed" or not self.ready(partition):
            return False
        part.mode, part.last_user, part.alarm = mode, user, False
        if self.exit_delay > 0:
            part.exit_delay = True
            self._emit("arming", partition)
            self._later(partition, self.exit_delay, self._armed)
        else:
            self._armed(partition)
        return True

    def disarm(self, partition: int, code: str) -> bool:
        """Disarm with a user code; False (and a `bad_code` event) when it is wrong."""
        user = self.user_of(code)
        if user is None:
            self.bad_code(partition)
            return False
        self._cancel(partition)
        part = self.partitions[partition]
        part.mode, part.last_user = "disarmed", user
        part.exit_delay = part.entry_delay = part.alarm = False
        part.alarm_zone = 0
        self._emit("disarmed", partition)
        bypassed = [z for z in self.zones.values() if z.partition == partition and z.bypassed]
        for zone in bypassed:  # a disarm ends every bypass of the partition
            zone.bypassed = False
        if bypassed:
            self._emit("bypass", partition)
        return True

    def bad_code(self, partition: int) -> None:
        """Someone entered a code the panel does not know: it beeps and changes nothing."""
        self._emit("bad_code", partition)

    def trip(self, partition: int = 1, zone: int = 0) -> None:
        """Sound the alarm on a partition: set off by `zone`, or a panic key (0)."""
        self._cancel(partition)
        part = self.partitions[partition]
        part.alarm, part.entry_delay, part.exit_delay = True, False, False
        part.alarm_zone = zone
        if zone:
            self._emit("zone_alarm", zone)
        self._emit("alarm", partition)

    def toggle_bypass(self, number: int) -> bool:
        """Bypass a zone, or end its bypass; False (nothing changes) unless its partition
        is disarmed, as at a real keypad."""
        zone = self.zones.get(number)
        if zone is None or self.partitions[zone.partition].mode != "disarmed":
            return False
        zone.bypassed = not zone.bypassed
        self._emit("bypass", zone.partition)
        return True

    def set_ac_power(self, *, present: bool) -> None:
        """Lose or regain mains power: a trouble every partition's keypad shows."""
        if self.ac_power != present:
            self.ac_power = present
            for number in self.partitions:
                self._emit("trouble", number)

    def set_zone(self, number: int, *, is_open: bool) -> None:
        """Open (fault) or close (restore) a zone, with what the panel does about it."""
        zone = self.zones[number]
        if zone.open == is_open:
            return
        zone.open = is_open
        self._emit("zone", number)
        part = self.partitions[zone.partition]
        if zone.bypassed or not is_open or part.mode == "disarmed" or part.exit_delay or part.alarm:
            return
        if part.mode in ("stay", "night") and zone.kind in INTERIOR:
            return
        if self.entry_delay > 0 and zone.kind == "door" and part.mode in ("away", "stay"):
            if not part.entry_delay:
                part.entry_delay = True
                self._emit("entry_delay", zone.partition)
                self._later(zone.partition, self.entry_delay, lambda p: self.trip(p, number))
            return
        self.trip(zone.partition, number)

    def cancel_timers(self) -> None:
        """Forget every pending delay (the emulator is stopping)."""
        for partition in list(self._timers):
            self._cancel(partition)

    # -- internals ----------------------------------------------------------------------

    def _armed(self, partition: int) -> None:
        self._timers.pop(partition, None)
        self.partitions[partition].exit_delay = False
        self._emit("armed", partition)

    def _later(self, partition: int, delay: float, then: Callable[[int], None]) -> None:
        self._cancel(partition)
        loop = asyncio.get_running_loop()
        self._timers[partition] = loop.call_later(delay, then, partition)

    def _cancel(self, partition: int) -> None:
        timer = self._timers.pop(partition, None)
        if timer is not None:
            timer.cancel()

    def _emit(self, kind: EventKind, number: int) -> None:
        event = PanelEvent(kind, number)
        for observer in list(self.observers):
            observer(event)
