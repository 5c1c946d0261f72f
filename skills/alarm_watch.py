"""Tell the household when the alarm goes off, or a sensor trips while the house is armed.

The watcher listens to the registry, so it works for every alarm panel whatever its
adapter (Envisalink, HomeKit): an alarm_panel turning `triggered` is news, and so is a
binary sensor turning `on` while a panel that guards it is armed; so are a panel's troubles
(AC power lost, a low battery) and their clearing, and a reading the device's own alarm
calls a problem ("Pool pH 8.1 is out of range"). A sensor is guarded by
the panels of its own device (an Envisalink's zones and partitions), or, when its device
has none, by every panel of the house. Motion and occupancy do not count while the house
is armed home: people are in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from devices.capabilities import Domain, State
from devices.entities import Entity
from devices.registry import Change, Registry
from skills.notifications import Notice, NoticeKind, Notifications

_LOGGER = logging.getLogger(__name__)

ARMED = frozenset({"armed_away", "armed_home", "armed_night", "pending"})
INDOOR = frozenset({"motion", "occupancy"})
"""Sensors that people at home set off: they count only when nobody should be in."""
ON_WORDS = {
    "door": "opened",
    "window": "opened",
    "opening": "opened",
    "garage_door": "opened",
    "motion": "detected motion",
    "occupancy": "detected someone",
    "smoke": "detected smoke",
    "gas": "detected gas",
    "moisture": "detected water",
}


class AlarmWatch:
    """Publishes an ALARM notice for every trip and every sensor set off while armed."""

    def __init__(self, registry: Registry, notifications: Notifications) -> None:
        self.registry = registry
        self.notifications = notifications
        self._tasks: set[asyncio.Task[None]] = set()
        self._unlisten: Callable[[], None] | None = registry.listen(self._on_change)

    def _on_change(self, change: Change) -> None:
        entity, old = change.entity, change.old_state
        new = entity.state
        if old is None or new is None or not entity.available:
            return
        if entity.domain is Domain.ALARM_PANEL:
            self._panel_news(entity, old, new)
            return
        if entity.domain is Domain.SENSOR:
            self._reading_news(entity, old, new)
            return
        if old.state == new.state:
            return
        if entity.domain is Domain.BINARY_SENSOR and new.state == "on":
            text = self._sensor_text(entity)
            if text is not None:
                self._publish(text)

    def _reading_news(self, sensor: Entity, old: State, new: State) -> None:
        problem, was = getattr(new, "problem", None), getattr(old, "problem", None)
        if problem == was:
            return
        unit = getattr(new, "unit_of_measurement", None)
        reading = f"{new.state} {unit}" if unit else new.state
        if problem:
            self._publish(f"{sensor.name} {reading} is {problem}.")
        else:
            self._publish(f"{sensor.name} is back to normal ({reading}).")

    def _panel_news(self, panel: Entity, old: State, new: State) -> None:
        source = getattr(new, "alarm_source", None)
        if new.state == "triggered" and (
            old.state != "triggered" or source != getattr(old, "alarm_source", None)
        ):
            self._publish(f"ALARM: {source}" if source else self._trip_text(panel))
        trouble, was = getattr(new, "trouble", None), getattr(old, "trouble", None)
        if trouble != was and trouble:
            self._publish(f"{panel.name} reports a trouble: {trouble}.")
        elif trouble != was:
            self._publish(f"{panel.name}: the trouble is over ({was}).")

    def _panels_for(self, sensor: Entity) -> list[Entity]:
        panels = [
            e for e in self.registry.entities_of(sensor.device_id) if e.domain is Domain.ALARM_PANEL
        ]
        return panels or [
            e for e in self.registry.entities.values() if e.domain is Domain.ALARM_PANEL
        ]

    def _sensor_text(self, sensor: Entity) -> str | None:
        armed = [
            panel
            for panel in self._panels_for(sensor)
            if panel.available
            and panel.state is not None
            and panel.state.state in ARMED
            and not (panel.state.state == "armed_home" and sensor.device_class in INDOOR)
        ]
        if not armed:
            return None
        what = ON_WORDS.get(sensor.device_class or "", "was set off")
        panel = armed[0]
        assert panel.state is not None
        mode = panel.state.state.replace("_", " ")
        return f"{sensor.name} {what} while {panel.name} is {mode}."

    def _trip_text(self, panel: Entity) -> str:
        tripped = [
            e.name
            for e in self.registry.entities_of(panel.device_id)
            if e.domain is Domain.BINARY_SENSOR and e.state is not None and e.state.state == "on"
        ]
        where = f" ({', '.join(sorted(tripped))})" if tripped else ""
        return f"{panel.name} is going off{where}!"

    def _publish(self, text: str) -> None:
        _LOGGER.info("Alarm notice: %s", text)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a change made outside the event loop: nobody to tell
            _LOGGER.warning("No event loop to deliver an alarm notice on")
            return
        task = loop.create_task(self.notifications.publish(Notice(NoticeKind.ALARM, text)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def settle(self) -> None:
        """Wait until every notice so far is delivered."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        """Stop listening, after delivering what is under way."""
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None
        await self.settle()


def watch_alarms(registry: Registry, notifications: Notifications) -> AlarmWatch:
    """Start watching the registry for alarm news (call with a running event loop nearby)."""
    return AlarmWatch(registry, notifications)
