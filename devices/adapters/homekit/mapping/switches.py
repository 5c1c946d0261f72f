"""Lightbulb → light (brightness, colour and colour temperature where the bulb has them);
Switch and Outlet → switch."""

from __future__ import annotations

import colorsys
from typing import ClassVar

from aiohomekit.model.characteristics import CharacteristicsTypes as C
from aiohomekit.model.services import ServicesTypes as S

from devices.adapters.homekit.mapping.base import Family, View, Write
from devices.capabilities import CommandSpec, Domain, LightState, Params, SwitchState, light, switch
from devices.capabilities.light import LightFeature, LightTurnOn

MIREDS = 1_000_000
"""HomeKit's colour temperature is in mireds (a million over the kelvin)."""


def _has_colour(view: View) -> bool:
    return view.has(C.HUE) and view.has(C.SATURATION)


def rgb_of(hue: float, saturation: float) -> tuple[int, int, int]:
    """HomeKit's hue (degrees) and saturation (percent) as an RGB colour at full value
    (the brightness is reported apart, as for Hue and LIFX)."""
    red, green, blue = colorsys.hsv_to_rgb(hue / 360, saturation / 100, 1.0)
    return (round(red * 255), round(green * 255), round(blue * 255))


def hue_saturation_of(rgb: tuple[int, int, int]) -> tuple[float, float]:
    """An RGB colour as HomeKit's hue (0-360 degrees) and saturation (0-100 percent)."""
    hue, saturation, _ = colorsys.rgb_to_hsv(*(channel / 255 for channel in rgb))
    return (round(hue * 360, 1), round(saturation * 100, 1))


class LightFamily(Family):
    """A bulb: on and off; dimmable, coloured and tunable white where it has the
    characteristics (Brightness; Hue and Saturation; ColorTemperature)."""

    domain: ClassVar = Domain.LIGHT
    service_types: ClassVar = (S.LIGHTBULB,)

    def features(self, view: View) -> frozenset[str]:
        """Brightness where the bulb dims, colour and colour temperature where it has them."""
        features = set()
        if view.has(C.BRIGHTNESS):
            features.add(LightFeature.BRIGHTNESS.value)
        if _has_colour(view):
            features.add(LightFeature.COLOR.value)
        if view.has(C.COLOR_TEMPERATURE):
            features.add(LightFeature.COLOR_TEMP.value)
        return frozenset(features)

    def state(self, view: View) -> LightState:
        """On or off, the brightness, and the colour: an RGB colour while it is saturated,
        else its colour temperature (HomeKit does not say which mode a bulb is in)."""
        brightness = view.value(C.BRIGHTNESS)
        saturation = float(view.value(C.SATURATION, 0) or 0)
        coloured = _has_colour(view) and saturation > 0
        rgb = rgb_of(float(view.value(C.HUE, 0) or 0), saturation) if coloured else None
        kelvin = low = high = None
        if view.has(C.COLOR_TEMPERATURE):
            mireds = view.value(C.COLOR_TEMPERATURE)
            if mireds and not coloured:
                kelvin = round(MIREDS / float(mireds))
            characteristic = view.service[C.COLOR_TEMPERATURE]
            warmest, coolest = characteristic.maxValue or 500, characteristic.minValue or 140
            low, high = round(MIREDS / float(warmest)), round(MIREDS / float(coolest))
        return LightState(
            state="on" if view.value(C.ON) else "off",
            brightness=int(brightness) if brightness is not None else None,
            rgb_color=rgb,
            color_temp_kelvin=kelvin,
            min_color_temp_kelvin=low,
            max_color_temp_kelvin=high,
        )

    def writes(self, view: View, command: CommandSpec, params: Params) -> list[Write]:
        """On, off, toggle; brightness (or a step of it), colour or colour temperature
        with turn_on."""
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
            if params.rgb_color is not None:
                hue, saturation = hue_saturation_of(params.rgb_color)
                writes += [view.write(C.HUE, hue), view.write(C.SATURATION, saturation)]
            if params.color_temp_kelvin is not None:
                writes.append(
                    view.write(C.COLOR_TEMPERATURE, round(MIREDS / params.color_temp_kelvin))
                )
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
