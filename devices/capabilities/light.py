"""Lights: on and off, brightness in percent, colour temperature in kelvin, RGB colour, and
the zones of a strip."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field

from devices.capabilities.base import Commands, Domain, Params, State

Percent = Annotated[int, Field(ge=0, le=100)]
Channel = Annotated[int, Field(ge=0, le=255)]


class LightFeature(StrEnum):
    """What a light may be able to do beyond on and off."""

    BRIGHTNESS = "brightness"
    COLOR_TEMP = "color_temp"
    COLOR = "color"
    TRANSITION = "transition"
    EFFECT = "effect"
    ZONES = "zones"
    """A strip or beam whose zones take colours of their own."""


class LightState(State):
    """A light's state."""

    state: Literal["on", "off"]
    brightness: Percent | None = None
    """Brightness in percent, when the light dims."""
    color_temp_kelvin: int | None = None
    rgb_color: tuple[Channel, Channel, Channel] | None = None
    min_color_temp_kelvin: int | None = None
    max_color_temp_kelvin: int | None = None
    effect: str | None = None
    effect_list: list[str] | None = None
    zone_count: int | None = None
    """How many zones a strip or beam has (numbered from 1), when they can differ."""


Zone = Annotated[int, Field(ge=1, le=1024)]


class LightTurnOn(Params):
    """Turn on, optionally changing brightness, colour temperature or colour."""

    brightness: Percent | None = None
    brightness_step: Annotated[int, Field(ge=-100, le=100)] | None = None
    color_temp_kelvin: Annotated[int, Field(ge=1000, le=12000)] | None = None
    rgb_color: tuple[Channel, Channel, Channel] | None = None
    transition: Annotated[float, Field(ge=0, le=3600)] | None = None
    effect: str | None = None
    zones: tuple[Zone, Zone] | None = None
    """The first and last zone (from 1) of a strip that take the colour and brightness;
    the other zones keep theirs. Without it the whole light changes."""

    def needs(self) -> set[str]:
        """Dimming needs brightness support, and so on."""
        needed = set()
        if self.brightness is not None or self.brightness_step is not None:
            needed.add(LightFeature.BRIGHTNESS.value)
        if self.color_temp_kelvin is not None:
            needed.add(LightFeature.COLOR_TEMP.value)
        if self.rgb_color is not None:
            needed.add(LightFeature.COLOR.value)
        if self.transition is not None:
            needed.add(LightFeature.TRANSITION.value)
        if self.effect is not None:
            needed.add(LightFeature.EFFECT.value)
        if self.zones is not None:
            needed.add(LightFeature.ZONES.value)
        return needed

    def refusal(self, state: State | None) -> str | None:
        """A colour temperature or an effect the bulb cannot show is refused."""
        if not isinstance(state, LightState):
            return None
        low, high = state.min_color_temp_kelvin, state.max_color_temp_kelvin
        kelvin = self.color_temp_kelvin
        in_range = kelvin is None or low is None or high is None or low <= kelvin <= high
        if not in_range:
            return f"it shows colour temperatures from {low} K to {high} K, not {kelvin} K"
        effects = state.effect_list
        if self.effect is not None and effects is not None and self.effect not in effects:
            return f"it has no effect called {self.effect!r}"
        if self.zones is not None:
            first, last = self.zones
            count = state.zone_count
            if first > last:
                return f"zone {first} comes after zone {last}"
            if count is not None and last > count:
                return f"it has zones 1 to {count}, not {last}"
        return None


class LightTurnOff(Params):
    """Turn off, optionally fading out."""

    transition: Annotated[float, Field(ge=0, le=3600)] | None = None

    def needs(self) -> set[str]:
        """A fade needs transition support."""
        return {LightFeature.TRANSITION.value} if self.transition is not None else set()


def _on_unless_dimmed_out(params: Params) -> Mapping[str, Collection[Any]]:
    """turn_on is confirmed by the light being on, unless it was dimmed to nothing."""
    dims_out = isinstance(params, LightTurnOn) and (
        params.brightness == 0 or params.brightness_step is not None
    )
    return {} if dims_out else {"state": ("on",)}


def _off_unless_fading(params: Params) -> Mapping[str, Collection[Any]]:
    """turn_off is confirmed by the light being off, unless it fades out (it is on, dimmer
    and dimmer, until the fade ends)."""
    fading = isinstance(params, LightTurnOff) and bool(params.transition)
    return {} if fading else {"state": ("off",)}


TURN_ON = Commands.define(
    Domain.LIGHT,
    "turn_on",
    LightTurnOn,
    summary="Turn a light on.",
    idempotent=True,
    expect=_on_unless_dimmed_out,
)
TURN_OFF = Commands.define(
    Domain.LIGHT,
    "turn_off",
    LightTurnOff,
    summary="Turn a light off.",
    idempotent=True,
    expect=_off_unless_fading,
)
TOGGLE = Commands.define(Domain.LIGHT, "toggle", summary="Switch a light to the other state.")
