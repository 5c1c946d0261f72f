"""WindowCovering → cover: position in percent, 100 open; stop where it can hold."""

from __future__ import annotations

from typing import ClassVar

from aiohomekit.model.characteristics import CharacteristicsTypes as C
from aiohomekit.model.services import ServicesTypes as S

from devices.adapters.homekit.mapping.base import Family, View, Write
from devices.capabilities import CommandSpec, CoverDeviceClass, CoverState, Domain, Params
from devices.capabilities.cover import OPEN, STOP, CoverFeature, SetPosition


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
