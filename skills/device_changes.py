"""Changes made outside Dobby: a registry listener that writes them beside the audit log.

Every state the registry hears of is either the echo of a command Dobby sent (the light it
was told to turn off reports "off") or something done at the device: a wall switch, the
vendor's app, a hand on the shade. An entity's change counts as Dobby's while a command
Dobby sent to it is recent (`Executor.sent`): within `window` seconds, plus the poll
interval of an adapter that is polled (the new state arrives with the next poll), and for
as long as the entity is still moving (a shade travelling); and only if the new state is
one that command brings (a light told to turn off that reports "on" was switched at the
wall). Anything else is recorded as a `DeviceChange` with no requester.

Only what a person sets is recorded: the headline state, and the settings a person changes
(brightness, colour, volume, position, setpoint), not readings (a room's temperature, the
track playing). Sensors are readings throughout. A dimmer turned in small steps is one
change: steps within `merge` seconds fold into the last one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from devices.capabilities import Domain, State
from devices.registry import Change, Registry
from skills.audit import AuditLog, DeviceChange
from skills.executor import Executor
from skills.history import STATE_COMMANDS, STATES

_LOGGER = logging.getLogger(__name__)

SETTINGS = frozenset(
    {
        "brightness",
        "color_temp_kelvin",
        "rgb_color",
        "volume",
        "muted",
        "temperature",
        "target_temp_low",
        "target_temp_high",
        "position",
        "tilt",
    }
)
"""Attributes a person sets; a change of any other attribute is a reading, not recorded."""
MOVING = frozenset({"opening", "closing", "locking", "unlocking", "arming", "pending"})
"""States that go on changing by themselves after a command."""
WINDOW = 30.0
"""Seconds after a command during which the entity's changes are its echo."""
MERGE = 5.0
"""Seconds within which a device's further changes fold into its last recorded one."""


def settings_of(state: State | None) -> dict[str, object]:
    """The attributes of a state that a person sets."""
    if state is None:
        return {}
    return {k: v for k, v in state.attributes().items() if k in SETTINGS}


@dataclass
class OutsideChanges:
    """Records the changes made at the devices, not through Dobby."""

    registry: Registry
    executor: Executor
    audit: AuditLog
    window: float = WINDOW
    merge: float = MERGE
    _last: dict[str, tuple[int, float]] = field(default_factory=dict)
    """The last change recorded per entity: its row, and when."""
    _stop: Callable[[], None] | None = None

    def start(self) -> None:
        """Listen to the registry."""
        if self._stop is None:
            self._stop = self.registry.listen(self._changed)

    def stop(self) -> None:
        """Stop listening."""
        if self._stop is not None:
            self._stop()
            self._stop = None

    def _changed(self, change: Change) -> None:
        entity, old, new = change.entity, change.old_state, change.entity.state
        if old is None or new is None or not change.old_available or not entity.available:
            return  # new to Dobby, or back from unavailable: when it changed is unknown
        if entity.domain is Domain.SENSOR:
            return
        if old.state == new.state and settings_of(old) == settings_of(new):
            return  # a reading changed, nothing a person set
        if self._dobbys(entity.entity_id, entity.adapter, new.state):
            return
        now = self.executor.clock()
        recorded = DeviceChange(
            datetime.now(UTC), entity.entity_id, entity.name, old.state, new.state, settings_of(new)
        )
        last = self._last.get(entity.entity_id)
        try:
            if last is not None and now - last[1] <= self.merge:
                self.audit.amend_change(last[0], recorded)
                self._last[entity.entity_id] = (last[0], now)
            else:
                self._last[entity.entity_id] = (self.audit.record_change(recorded), now)
        except Exception:  # the database closing at shutdown; the house goes on
            _LOGGER.exception("Recording a change at %s failed", entity.entity_id)

    def _dobbys(self, entity_id: str, adapter: str, state: str) -> bool:
        """Whether a change to this entity is the echo of a command Dobby sent."""
        sent = self.executor.sent.get(entity_id)
        if sent is None:
            return False
        at, command = sent
        if state in MOVING:
            self.executor.sent[entity_id] = (self.executor.clock(), command)  # still on its way
            return True
        brings = [STATES[key] for key, commands in STATE_COMMANDS.items() if command in commands]
        if brings and not any(state in states for states in brings):
            return False  # not what the command does: someone at the device
        running = self.executor.adapters.get(adapter)
        poll = running.poll_interval if running is not None else None
        return self.executor.clock() - at <= self.window + (poll or 0.0)
