"""Thermostat and HeaterCooler services → climate (HomeKit speaks °C; we show the household's)."""

from __future__ import annotations

from typing import Any, ClassVar

from aiohomekit.model.characteristics import CharacteristicsTypes as C
from aiohomekit.model.services import ServicesTypes as S

from devices.adapters.homekit.mapping.base import Family, View, Write
from devices.capabilities import ClimateState, CommandSpec, Domain, HVACMode, Params
from devices.capabilities import climate as climate_commands
from devices.capabilities.climate import (
    ClimateDeviceClass,
    ClimateFeature,
    SetFanMode,
    SetHumidity,
    SetHVACMode,
    SetTemperature,
)
from devices.errors import UnsupportedCommandError

THERMOSTAT_MODES = {0: HVACMode.OFF, 1: HVACMode.HEAT, 2: HVACMode.COOL, 3: HVACMode.AUTO}
THERMOSTAT_TARGETS = {mode: code for code, mode in THERMOSTAT_MODES.items()}
THERMOSTAT_ACTIONS: dict[int, Any] = {0: "idle", 1: "heating", 2: "cooling"}
HEATER_COOLER_MODES = {0: HVACMode.AUTO, 1: HVACMode.HEAT, 2: HVACMode.COOL}
HEATER_COOLER_TARGETS = {mode: code for code, mode in HEATER_COOLER_MODES.items()}
HEATER_COOLER_ACTIONS: dict[int, Any] = {0: "off", 1: "idle", 2: "heating", 3: "cooling"}
RANGE = (C.TEMPERATURE_HEATING_THRESHOLD, C.TEMPERATURE_COOLING_THRESHOLD)


FAN_MODES = {0: "on", 1: "auto"}
"""A linked fan's TargetFanState: manual (on) or auto."""
FAN_TARGETS = {mode: code for code, mode in FAN_MODES.items()}


def _humidity(view: View, ctype: str = C.RELATIVE_HUMIDITY_CURRENT) -> int | None:
    value = view.value(ctype)
    return round(value) if value is not None else None


def _fan(view: View) -> View | None:
    """The fan the thermostat's accessory has (a Fanv2 service, linked or beside it), if its
    mode (TargetFanState) can be set."""
    for service in (*view.service.linked, *view.service.accessory.services):
        if service.type == S.FAN_V2 and service.has(C.FAN_STATE_TARGET):
            return View(view.aid, service, view.unit)
    return None


def _fan_mode(view: View) -> str | None:
    fan = _fan(view)
    if fan is None:
        return None
    if not fan.value(C.ACTIVE, 1):
        return "off"
    return FAN_MODES.get(fan.value(C.FAN_STATE_TARGET, 1), "auto")


class ThermostatFamily(Family):
    """A thermostat: off, heat, cool or auto around a target, or a range in auto."""

    domain: ClassVar = Domain.CLIMATE
    service_types: ClassVar = (S.THERMOSTAT,)

    def device_class(self, view: View) -> str:
        """A thermostat, as routines tell it from pool and spa heat."""
        del view
        return ClimateDeviceClass.THERMOSTAT.value

    def features(self, view: View) -> frozenset[str]:
        """A target and a mode always; a range where both thresholds exist."""
        features = {ClimateFeature.TARGET_TEMPERATURE.value, ClimateFeature.HVAC_MODE.value}
        if all(view.has(c) for c in RANGE):
            features.add(ClimateFeature.TARGET_TEMPERATURE_RANGE.value)
        if view.has(C.RELATIVE_HUMIDITY_TARGET):
            features.add(ClimateFeature.TARGET_HUMIDITY.value)
        if _fan(view) is not None:
            features.add(ClimateFeature.FAN_MODE.value)
        return frozenset(features)

    def state(self, view: View) -> ClimateState:
        """Mode, target, range, room temperature, humidity (and its target), fan mode."""
        mode = THERMOSTAT_MODES.get(view.value(C.HEATING_COOLING_TARGET, 0), HVACMode.OFF)
        valid = view.service[C.HEATING_COOLING_TARGET].valid_values
        action = THERMOSTAT_ACTIONS.get(view.value(C.HEATING_COOLING_CURRENT, 0), "idle")
        return ClimateState(
            state=mode,
            hvac_modes=[THERMOSTAT_MODES[v] for v in valid or THERMOSTAT_MODES],
            hvac_action="off" if mode is HVACMode.OFF else action,
            temperature=view.temperature(C.TEMPERATURE_TARGET),
            current_temperature=view.temperature(C.TEMPERATURE_CURRENT),
            target_temp_low=view.temperature(C.TEMPERATURE_HEATING_THRESHOLD),
            target_temp_high=view.temperature(C.TEMPERATURE_COOLING_THRESHOLD),
            current_humidity=_humidity(view),
            humidity=_humidity(view, C.RELATIVE_HUMIDITY_TARGET),
            fan_mode=_fan_mode(view),
            fan_modes=["auto", "on"] if _fan(view) is not None else None,
            min_temp=view.bound(C.TEMPERATURE_TARGET, "minValue"),
            max_temp=view.bound(C.TEMPERATURE_TARGET, "maxValue"),
            temperature_unit=view.unit,
        )

    def writes(self, view: View, command: CommandSpec, params: Params) -> list[Write]:
        """Mode and targets onto the thermostat's characteristics."""
        if command == climate_commands.TURN_OFF:
            return [view.write(C.HEATING_COOLING_TARGET, 0)]
        if isinstance(params, SetHVACMode):
            return [view.write(C.HEATING_COOLING_TARGET, THERMOSTAT_TARGETS[params.hvac_mode])]
        if isinstance(params, SetHumidity):
            return [view.write(C.RELATIVE_HUMIDITY_TARGET, float(params.humidity))]
        if isinstance(params, SetFanMode):
            fan = _fan(view)
            if fan is None:
                raise UnsupportedCommandError("this thermostat has no fan mode.")
            return [
                fan.write(C.ACTIVE, 1),
                fan.write(C.FAN_STATE_TARGET, FAN_TARGETS[params.fan_mode]),
            ]
        assert isinstance(params, SetTemperature)
        writes: list[Write] = []
        if params.temperature is not None:
            writes.append(view.write_temperature(C.TEMPERATURE_TARGET, params.temperature))
        if params.target_temp_low is not None and params.target_temp_high is not None:
            writes.append(view.write_temperature(RANGE[0], params.target_temp_low))
            writes.append(view.write_temperature(RANGE[1], params.target_temp_high))
        if params.hvac_mode is not None:
            writes.append(
                view.write(C.HEATING_COOLING_TARGET, THERMOSTAT_TARGETS[params.hvac_mode])
            )
        return writes


class HeaterCoolerFamily(Family):
    """A heater-cooler: active or not; heat, cool or auto; its thresholds are its targets."""

    domain: ClassVar = Domain.CLIMATE
    service_types: ClassVar = (S.HEATER_COOLER,)

    def device_class(self, view: View) -> str:
        """A thermostat, as routines tell it from pool and spa heat."""
        del view
        return ClimateDeviceClass.THERMOSTAT.value

    def features(self, view: View) -> frozenset[str]:
        """A target and a mode; a range where both thresholds exist."""
        return ThermostatFamily().features(view)

    def _mode(self, view: View) -> HVACMode:
        if not view.value(C.ACTIVE, 0):
            return HVACMode.OFF
        return HEATER_COOLER_MODES.get(view.value(C.TARGET_HEATER_COOLER_STATE, 0), HVACMode.AUTO)

    def state(self, view: View) -> ClimateState:
        """Mode, the threshold that is the target in heat or cool, the range in auto."""
        mode = self._mode(view)
        low = view.temperature(RANGE[0])
        high = view.temperature(RANGE[1])
        target = {HVACMode.HEAT: low, HVACMode.COOL: high}.get(mode)
        return ClimateState(
            state=mode,
            hvac_modes=[HVACMode.OFF, HVACMode.HEAT, HVACMode.COOL, HVACMode.AUTO],
            hvac_action=HEATER_COOLER_ACTIONS.get(view.value(C.CURRENT_HEATER_COOLER_STATE, 0)),
            temperature=target,
            current_temperature=view.temperature(C.TEMPERATURE_CURRENT),
            target_temp_low=low,
            target_temp_high=high,
            current_humidity=_humidity(view),
            temperature_unit=view.unit,
        )

    def writes(self, view: View, command: CommandSpec, params: Params) -> list[Write]:
        """Active, the target state and the thresholds."""
        if command == climate_commands.TURN_OFF:
            return [view.write(C.ACTIVE, 0)]
        mode = params.hvac_mode if isinstance(params, SetHVACMode | SetTemperature) else None
        writes: list[Write] = []
        if mode is HVACMode.OFF:
            return [view.write(C.ACTIVE, 0)]
        if mode is not None:
            writes += [
                view.write(C.ACTIVE, 1),
                view.write(C.TARGET_HEATER_COOLER_STATE, HEATER_COOLER_TARGETS[mode]),
            ]
        if isinstance(params, SetTemperature):
            mode = mode or self._mode(view)
            if params.temperature is not None:
                which = RANGE[1] if mode is HVACMode.COOL else RANGE[0]
                writes.append(view.write_temperature(which, params.temperature))
            if params.target_temp_low is not None and params.target_temp_high is not None:
                writes.append(view.write_temperature(RANGE[0], params.target_temp_low))
                writes.append(view.write_temperature(RANGE[1], params.target_temp_high))
        return writes
