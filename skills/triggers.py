"""Routines run by device events: "when the bedside button is pressed, sleepy time".

A routine's `triggers` name an entity and the action it reports (`{device: Hallway Remote,
action: toggle}`). When a device fires that event (`Registry.fire_event`, from the adapter),
the routine runs as its owner, the way its own schedules do: the member who made it in chat,
with the role they have now, or routines.yaml's admin for a routine written there. A button
never makes anyone more than they are. The run is a plan of its own way in (`trigger`):
nobody is at the button to press Approve, so a sensitive step runs only on the standing
approval its owner gave the routine. What ran is told to the owner as a notice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from devices.background import Background
from devices.registry import DeviceEvent, Registry
from skills.actions import Directory, Requester, Unchanged
from skills.notifications import Notice, NoticeKind
from skills.routines import EventTrigger, Routine
from skills.scheduler import Notify, RunRoutine, routine_owner

_LOGGER = logging.getLogger(__name__)


@dataclass(eq=False)
class RoutineTriggers:
    """Listens for device events and runs the routines they trigger."""

    registry: Registry
    routines: Callable[[], Sequence[Routine]]
    run_routine: RunRoutine
    notify: Notify
    directory: Directory = field(default_factory=Unchanged)
    _stop: Callable[[], None] | None = None
    _running: Background = field(default_factory=Background)

    def start(self) -> None:
        """Listen for device events."""
        if self._stop is None:
            self._stop = self.registry.listen_events(self._fired)

    async def stop(self) -> None:
        """Stop listening, and end the runs under way."""
        if self._stop is not None:
            self._stop()
            self._stop = None
        await self._running.cancel()

    async def finish(self) -> None:
        """Wait for the runs under way (tests, and a clean stop)."""
        await self._running.finish()

    def _fired(self, event: DeviceEvent) -> None:
        entity = event.entity
        for routine in self.routines():
            for trigger in routine.triggers:
                if trigger.matches(entity.entity_id, entity.name, event.value):
                    _LOGGER.info("%s: %s", routine.name, trigger.describe())
                    self._running.spawn(self._run(routine, trigger))
                    break

    async def _run(self, routine: Routine, trigger: EventTrigger) -> None:
        owner = routine_owner(routine)
        current = self.directory.current(owner)
        if current is None:
            name = owner.name or owner.id
            await self._tell(
                f"{routine.name} ({trigger.describe()}) did not run: {name} is no longer a "
                "member of this household, so nothing was done.",
                owner,
            )
            return
        who: Requester = replace(current, channel=owner.channel, chat=owner.chat)
        report = await self.run_routine(routine, who, None)
        said = trigger.describe()
        await self._tell(f"{said[:1].upper()}{said[1:]}: {report.summary()}", who)

    async def _tell(self, text: str, to: Requester) -> None:
        await self.notify(Notice(NoticeKind.SCHEDULE, text, to=to.address))
