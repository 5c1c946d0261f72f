"""WindowCovering → cover: position in percent, 100 open; stop where it can hold.
GarageDoorOpener → cover of class garage: open or closed, nothing between."""

from __future__ import annotations

from typing import ClassVar, Literal

from aiohomekit.model.characteristics import CharacteristicsTypes as C
from aiohomekit.model.services import ServicesTypes as S

from devices.adapters.homekit.mapping.base import Family, View, Write
from devices.capabilities import CommandSpec, CoverDeviceClass, CoverState, Domain, Params
from devices.capabilities.cover import CLOSE, OPEN, STOP, CoverFeature, SetPosition


class CoverFamily(Family):
    """A window covering."""

    domain: ClassVar = Domain.COVER
    service_types: ClassVar = (S.WINDOW_COVERING,)

    def features(self, view: View) -> frozenset[str]:
        """Open, close and set a position; stop where it can hold its position."""
        features = {CoverFeature.OPEN, CoverFeature.CLOSE, CoverFeature.SET_POSITION}
        if view.has(C.POSITION_HOLD):
            features.add(CoverFeature.STOP)
        return frozenset(f.value for f in features)

    def device_class(self, view: View) -> str:
        """A shade."""
        del view
        return CoverDeviceClass.SHADE.value

    def state(self, view: View) -> CoverState:
        """Where it is and where it is going."""
        position = int(view.value(C.POSITION_CURRENT, 0))
        moving = view.value(C.POSITION_STATE, 2)
        if moving in (0, 1):
            return CoverState(state="closing" if moving == 0 else "opening", position=position)
        return CoverState(state="open" if position > 0 else "closed", position=position)

    def writes(self, view: View, command: CommandSpec, params: Params) -> list[Write]:
        """The target position, or hold."""
        if command == STOP:
            return [view.write(C.POSITION_HOLD, True)]
        if isinstance(params, SetPosition):
            return [view.write(C.POSITION_TARGET, params.position)]
        return [view.write(C.POSITION_TARGET, 100 if command == OPEN else 0)]


DOOR_STATES: dict[int, Literal["open", "closed", "opening", "closing"]] = {
    0: "open",
    1: "closed",
    2: "opening",
    3: "closing",
    4: "open",  # stopped part-way: not closed
}
"""HomeKit's CurrentDoorState values, as a cover's state."""


class GarageDoorFamily(Family):
    """A garage door opener: opening it is sensitive (the policy's `garage` rule)."""

    domain: ClassVar = Domain.COVER
    service_types: ClassVar = (S.GARAGE_DOOR_OPENER,)

    def features(self, view: View) -> frozenset[str]:
        """Open and close; a garage door opener has no positions between."""
        del view
        return frozenset({CoverFeature.OPEN.value, CoverFeature.CLOSE.value})

    def device_class(self, view: View) -> str:
        """A garage door."""
        del view
        return CoverDeviceClass.GARAGE.value

    def state(self, view: View) -> CoverState:
        """Open, closed or on its way (open reads as 100, closed as 0)."""
        state = DOOR_STATES.get(int(view.value(C.DOOR_STATE_CURRENT, 1)), "closed")
        position = {"open": 100, "closed": 0}.get(state)
        return CoverState(state=state, position=position)

    def writes(self, view: View, command: CommandSpec, params: Params) -> list[Write]:
        """The target door state."""
        if command not in (OPEN, CLOSE):
            return super().writes(view, command, params)
        return [view.write(C.DOOR_STATE_TARGET, 0 if command == OPEN else 1)]
