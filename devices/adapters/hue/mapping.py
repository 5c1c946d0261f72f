"""Hue resources (aiohue's models) in Dobby's words, and Dobby's commands in Hue's.

A light's state: `on`, `dimming.brightness` (0-100, a float), `color_temperature.mirek`
(valid only while the light shows a white) and `color.xy`. Dobby reads them as `state`,
`brightness` in whole percent, `color_temp_kelvin` with the light's range, and `rgb_color`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from aiohue.v2.models.feature import ColorPoint  # type: ignore[import-untyped]
from aiohue.v2.models.grouped_light import GroupedLight  # type: ignore[import-untyped]
from aiohue.v2.models.light import Light  # type: ignore[import-untyped]

from devices.adapters.hue.color import kelvin_to_mirek, mirek_to_kelvin, rgb_to_xy, xy_to_rgb
from devices.capabilities import CommandSpec, LightState, Params
from devices.capabilities import light as light_commands
from devices.capabilities.light import LightFeature, LightTurnOff, LightTurnOn
from devices.errors import UnsupportedCommandError


def percent(brightness: float, *, on: bool) -> int:
    """Hue's float brightness as whole percent; a lit light never reads 0 %."""
    value = round(brightness)
    return max(1, value) if on else value


def features(*, brightness: bool, temperature: bool, color: bool) -> frozenset[str]:
    """What a Hue light (or group) can do beyond on and off (every Hue light fades)."""
    wanted = {
        LightFeature.TRANSITION: True,
        LightFeature.BRIGHTNESS: brightness,
        LightFeature.COLOR_TEMP: temperature,
        LightFeature.COLOR: color,
    }
    return frozenset(feature.value for feature, has in wanted.items() if has)


GROUP_FEATURES = features(brightness=True, temperature=True, color=True)
"""What a room or zone offers as one light."""


def light_features(light: Light) -> frozenset[str]:
    """What a v2 light can do beyond on and off."""
    return features(
        brightness=light.dimming is not None,
        temperature=light.color_temperature is not None,
        color=light.color is not None,
    )


def light_state(light: Light) -> LightState:
    """The state of one light; colour attributes only while it is on."""
    on = light.on.on
    state = LightState(state="on" if on else "off")
    temperature = light.color_temperature
    if temperature is not None:
        schema = temperature.mirek_schema
        state.min_color_temp_kelvin = mirek_to_kelvin(schema.mirek_maximum)
        state.max_color_temp_kelvin = mirek_to_kelvin(schema.mirek_minimum)
    if not on:
        return state
    if light.dimming is not None:
        state.brightness = percent(light.dimming.brightness, on=True)
    white = temperature is not None and temperature.mirek_valid and temperature.mirek
    if white and temperature is not None and temperature.mirek is not None:
        state.color_temp_kelvin = mirek_to_kelvin(temperature.mirek)
    elif light.color is not None:
        state.rgb_color = xy_to_rgb((light.color.xy.x, light.color.xy.y))
    return state


def group_state(group: GroupedLight, members: list[Light]) -> LightState:
    """A room's or zone's lights as one: on if any is, the average brightness of those on."""
    on = group.on.on if group.on is not None else any(m.on.on for m in members)
    state = LightState(state="on" if on else "off")
    if on and group.dimming is not None:
        state.brightness = percent(group.dimming.brightness, on=True)
    return state


@dataclass
class HueCommand:
    """What to send: the keyword arguments of aiohue's `set_state`."""

    on: bool | None = None
    brightness: float | None = None
    color_xy: tuple[float, float] | None = None
    color_temp: int | None = None
    transition_time: int | None = None

    def kwargs(self) -> dict[str, object]:
        """As keyword arguments, leaving out what stays unchanged."""
        return {k: v for k, v in vars(self).items() if v is not None}


def command_for(
    spec: CommandSpec,
    params: Params,
    current: LightState | None,
    mirek_range: tuple[int, int] = (153, 500),
) -> HueCommand:
    """Translate a validated light command into what Hue understands. For a toggle,
    `current` must be what the light shows now (read from the bridge, not a cache)."""
    match spec, params:
        case light_commands.TOGGLE, _:
            return HueCommand(on=current is None or current.state != "on")
        case light_commands.TURN_OFF, LightTurnOff(transition=transition):
            return HueCommand(on=False, transition_time=_milliseconds(transition))
        case light_commands.TURN_ON, LightTurnOn():
            pass
        case _:
            raise UnsupportedCommandError(f"A Hue light cannot do {spec.name}.")
    assert isinstance(params, LightTurnOn)
    if params.effect is not None:
        raise UnsupportedCommandError("A Hue light has no effects Dobby knows.")
    command = HueCommand(on=True, transition_time=_milliseconds(params.transition))
    brightness: float | None = params.brightness
    if params.brightness_step is not None:
        now = current.brightness if current and current.state == "on" else 0
        brightness = max(0, min(100, (now or 0) + params.brightness_step))
    if brightness is not None:
        if brightness <= 0:
            return HueCommand(on=False, transition_time=command.transition_time)
        command.brightness = float(brightness)
    if params.color_temp_kelvin is not None:
        command.color_temp = kelvin_to_mirek(params.color_temp_kelvin, *mirek_range)
    if params.rgb_color is not None:
        command.color_xy = rgb_to_xy(params.rgb_color)
    return command


def _milliseconds(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1000)


def expected_light(light: Light, command: HueCommand) -> Light:
    """The light as it will be once the bridge has carried out `command`."""
    after = copy.deepcopy(light)
    if command.on is not None:
        after.on.on = command.on
    if command.brightness is not None and after.dimming is not None:
        after.dimming.brightness = command.brightness
    if command.color_temp is not None and after.color_temperature is not None:
        after.color_temperature.mirek = command.color_temp
        after.color_temperature.mirek_valid = True
    if command.color_xy is not None and after.color is not None:
        after.color.xy = ColorPoint(*command.color_xy)
        if after.color_temperature is not None:
            after.color_temperature.mirek = None
            after.color_temperature.mirek_valid = False
    return after
