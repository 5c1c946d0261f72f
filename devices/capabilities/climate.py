"""Climate: thermostats and pool or spa heat. Temperatures are in the household's unit."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from devices.capabilities.base import Commands, Domain, Params, State, headline_is

Humidity = Annotated[int, Field(ge=0, le=100)]


class HVACMode(StrEnum):
    """What the climate device is set to do."""

    OFF = "off"
    HEAT = "heat"
    COOL = "cool"
    AUTO = "auto"


class ClimateDeviceClass(StrEnum):
    """What a climate entity heats or cools: routines tell the house from the pool."""

    THERMOSTAT = "thermostat"
    POOL_HEATER = "pool_heater"
    SPA_HEATER = "spa_heater"


class ClimateFeature(StrEnum):
    """What a climate device may be able to do."""

    TARGET_TEMPERATURE = "target_temperature"
    TARGET_TEMPERATURE_RANGE = "target_temperature_range"
    HVAC_MODE = "hvac_mode"
    TARGET_HUMIDITY = "target_humidity"
    """A humidity to keep (a thermostat that humidifies or dehumidifies)."""
    FAN_MODE = "fan_mode"
    """A fan whose mode is set apart from heating and cooling (auto, or on)."""


class ClimateState(State):
    """A climate device's state: its mode, targets and readings."""

    state: HVACMode
    hvac_modes: list[HVACMode] | None = None
    hvac_action: Literal["heating", "cooling", "idle", "off"] | None = None
    temperature: float | None = None
    """The target temperature."""
    current_temperature: float | None = None
    target_temp_low: float | None = None
    target_temp_high: float | None = None
    current_humidity: Humidity | None = None
    humidity: Humidity | None = None
    """The target humidity, where the device keeps one."""
    fan_mode: str | None = None
    fan_modes: list[str] | None = None
    min_temp: float | None = None
    max_temp: float | None = None
    temperature_unit: Literal["°C", "°F"] | None = None


class SetTemperature(Params):
    """Set the target temperature, or the low and high targets in auto mode."""

    temperature: float | None = None
    target_temp_low: float | None = None
    target_temp_high: float | None = None
    hvac_mode: HVACMode | None = None

    @model_validator(mode="after")
    def _one_kind_of_target(self) -> SetTemperature:
        has_range = self.target_temp_low is not None or self.target_temp_high is not None
        if self.temperature is None and not has_range:
            raise ValueError("give a temperature, or a low and a high target")
        if self.temperature is not None and has_range:
            raise ValueError("give either a temperature or a low and high target, not both")
        if has_range and (self.target_temp_low is None or self.target_temp_high is None):
            raise ValueError("a range needs both a low and a high target")
        if has_range and self.target_temp_low > self.target_temp_high:  # type: ignore[operator]
            raise ValueError("the low target must not be above the high target")
        return self

    def needs(self) -> set[str]:
        """A range needs range support; a mode change needs mode support."""
        needed = {
            ClimateFeature.TARGET_TEMPERATURE.value
            if self.temperature is not None
            else ClimateFeature.TARGET_TEMPERATURE_RANGE.value
        }
        if self.hvac_mode is not None:
            needed.add(ClimateFeature.HVAC_MODE.value)
        return needed

    def refusal(self, state: State | None) -> str | None:
        """A mode the device does not offer is refused."""
        if self.hvac_mode is None:
            return None
        return _mode_refusal(self.hvac_mode, state)


class SetHVACMode(Params):
    """Change what the device is set to do."""

    hvac_mode: HVACMode

    def refusal(self, state: State | None) -> str | None:
        """A mode the device does not offer is refused."""
        return _mode_refusal(self.hvac_mode, state)


class SetHumidity(Params):
    """Set the humidity to keep, in percent."""

    humidity: Humidity


class SetFanMode(Params):
    """Set the fan's mode (one of the device's `fan_modes`)."""

    fan_mode: str

    def refusal(self, state: State | None) -> str | None:
        """A fan mode the device does not offer is refused."""
        modes = state.fan_modes if isinstance(state, ClimateState) else None
        if modes is not None and self.fan_mode not in modes:
            return f"its fan modes are {', '.join(modes)}, not {self.fan_mode}"
        return None


def _humidity_is(params: Params) -> Mapping[str, Collection[Any]]:
    """set_humidity is confirmed by the target it set."""
    assert isinstance(params, SetHumidity)
    return {"humidity": (params.humidity,)}


def _fan_mode_is(params: Params) -> Mapping[str, Collection[Any]]:
    """set_fan_mode is confirmed by the fan mode it set."""
    assert isinstance(params, SetFanMode)
    return {"fan_mode": (params.fan_mode,)}


def _mode_is(params: Params) -> Mapping[str, Collection[Any]]:
    """set_hvac_mode is confirmed by the mode it set."""
    assert isinstance(params, SetHVACMode)
    return {"state": (params.hvac_mode.value,)}


def _mode_refusal(mode: HVACMode, state: State | None) -> str | None:
    if isinstance(state, ClimateState) and state.hvac_modes and mode not in state.hvac_modes:
        offered = ", ".join(m.value for m in state.hvac_modes)
        return f"it offers the modes {offered}, not {mode.value}"
    return None


SET_TEMPERATURE = Commands.define(
    Domain.CLIMATE,
    "set_temperature",
    SetTemperature,
    summary="Set the target temperature.",
    idempotent=True,
)
SET_HVAC_MODE = Commands.define(
    Domain.CLIMATE,
    "set_hvac_mode",
    SetHVACMode,
    feature=ClimateFeature.HVAC_MODE,
    idempotent=True,
    expect=_mode_is,
    summary="Set the mode: off, heat, cool or auto.",
)
TURN_OFF = Commands.define(
    Domain.CLIMATE,
    "turn_off",
    feature=ClimateFeature.HVAC_MODE,
    idempotent=True,
    expect=headline_is("off"),
    summary="Turn heating and cooling off.",
)
SET_HUMIDITY = Commands.define(
    Domain.CLIMATE,
    "set_humidity",
    SetHumidity,
    feature=ClimateFeature.TARGET_HUMIDITY,
    idempotent=True,
    expect=_humidity_is,
    summary="Set the humidity to keep, in percent.",
)
SET_FAN_MODE = Commands.define(
    Domain.CLIMATE,
    "set_fan_mode",
    SetFanMode,
    feature=ClimateFeature.FAN_MODE,
    idempotent=True,
    expect=_fan_mode_is,
    summary="Set the fan's mode (auto, or on).",
)
