"""Lightbulb → light (with brightness where it dims); Switch and Outlet → switch."""

from __future__ import annotations

from typing import ClassVar

from aiohomekit.model.characteristics import CharacteristicsTypes as C
from aiohomekit.model.services import ServicesTypes as S

from devices.adapters.homekit.mapping.base import Family, View, Write
from devices.capabilities import CommandSpec, Domain, LightState, Params, SwitchState, light, switch
from devices.capabilities.light import LightFeature, LightTurnOn


class LightFamily(Family):
    """A bulb: on and off, dimmable where it has a brightness."""

    domain: ClassVar = Domain.LIGHT
    service_types: ClassVar = (S.LIGHTBULB,)

    def features(self, view: View) -> frozenset[str]:
        """Brightness where the bulb dims."""
        return frozenset({LightFeature.BRIGHTNESS.value} if view.has(C.BRIGHTNESS) else set())

    def state(self, view: View) -> LightState:
        """On or off, and the brightness."""
        brightness = view.value(C.BRIGHTNESS)
        return LightState(
            state="on" if view.value(C.ON) else "off",
            brightness=int(brightness) if brightness is not None else None,
        )

    def writes(self, view: View, command: CommandSpec, params: Params) -> list[Write]:
        """On, off, toggle; brightness (or a step of it) with turn_on."""
        if command == light.TOGGLE:
            return [view.write(C.ON, not view.value(C.ON))]
        if command == light.TURN_OFF:
            return [view.write(C.ON, False)]
        writes = [view.write(C.ON, True)]
        if isinstance(params, LightTurnOn):
            level = params.brightness
            if params.brightness_step is not None:
                level = max(0, min(100, view.value(C.BRIGHTNESS, 0) + params.brightness_step))
            if level is not None:
                writes.append(view.write(C.BRIGHTNESS, level))
        return writes


class SwitchFamily(Family):
    """A switch or an outlet: on and off."""

    domain: ClassVar = Domain.SWITCH
    service_types: ClassVar = (S.SWITCH, S.OUTLET)

    def state(self, view: View) -> SwitchState:
        """On or off."""
        return SwitchState(state="on" if view.value(C.ON) else "off")

    def writes(self, view: View, command: CommandSpec, params: Params) -> list[Write]:
        """On, off or the other way round."""
        on = {switch.TURN_ON: True, switch.TURN_OFF: False}.get(command, not view.value(C.ON))
        return [view.write(C.ON, on)]
