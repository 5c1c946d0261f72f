"""screenlogicpy's decoded data in the capability model's words, and back.

Circuits become switches (pump, cleaner, jets, waterfall, ...) or lights (colour lights
offer the controller's shows as effects); each body of water's heat becomes a heat-only
climate entity; air and water temperatures, and the chemistry the controller reports
(pH, ORP, salt), and each IntelliFlo pump's speed and power become sensors. What a person
sets as a number becomes a number entity: the chlorinator's output for pool and spa (in
percent), and the speed each pump runs at for each of its presets (a preset is a circuit
the pump runs for, at a speed in RPM or GPM). Temperatures are converted between the
controller's unit and the household's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from screenlogicpy.const.data import ATTR, DEVICE, GROUP, VALUE  # type: ignore[import-untyped]
from screenlogicpy.device_const.circuit import (  # type: ignore[import-untyped]
    FUNCTION,
    INTERFACE,
)
from screenlogicpy.device_const.heat import HEAT_MODE, HEAT_STATE  # type: ignore[import-untyped]
from screenlogicpy.device_const.system import (  # type: ignore[import-untyped]
    COLOR_MODE,
    EQUIPMENT_FLAG,
)

from devices.capabilities import (
    ClimateState,
    Domain,
    HVACMode,
    LightState,
    NumberState,
    SensorState,
    State,
    SwitchState,
)
from devices.capabilities.climate import ClimateFeature
from devices.capabilities.light import LightFeature
from devices.entities import EntitySpec

Unit = Literal["°C", "°F"]

LIGHT_FUNCTIONS = frozenset(
    {
        FUNCTION.LIGHT,
        FUNCTION.DIMMER,
        FUNCTION.SAM_LIGHT,
        FUNCTION.SAL_LIGHT,
        FUNCTION.PHOTONGEN,
        FUNCTION.COLOR_WHEEL,
        FUNCTION.INTELLIBRITE,
        FUNCTION.MAGICSTREAM,
        FUNCTION.DIMMER_25,
    }
)
COLOR_FUNCTIONS = frozenset(
    {
        FUNCTION.SAM_LIGHT,
        FUNCTION.SAL_LIGHT,
        FUNCTION.PHOTONGEN,
        FUNCTION.COLOR_WHEEL,
        FUNCTION.INTELLIBRITE,
        FUNCTION.MAGICSTREAM,
    }
)
"""Lights the controller's light commands (colour shows) reach."""
HIDDEN = frozenset({INTERFACE.DONT_SHOW, INTERFACE.INVALID})
SHOWS: dict[str, int] = {
    mode.title: mode.value
    for mode in (
        COLOR_MODE.PARTY,
        COLOR_MODE.ROMANCE,
        COLOR_MODE.CARIBBEAN,
        COLOR_MODE.AMERICAN,
        COLOR_MODE.SUNSET,
        COLOR_MODE.ROYAL,
        COLOR_MODE.BLUE,
        COLOR_MODE.GREEN,
        COLOR_MODE.RED,
        COLOR_MODE.WHITE,
        COLOR_MODE.MAGENTA,
        COLOR_MODE.COLOR_SWIM,
        COLOR_MODE.COLOR_SYNC,
        COLOR_MODE.COLOR_SET,
    )
}
"""The colour shows and fixed colours a light command selects, by the name people see."""
BODY_NAMES = {0: "Pool", 1: "Spa"}
PUMP_SPEEDS = {True: (450, 3450, 10, "RPM"), False: (15, 130, 1, "GPM")}
"""The speeds an IntelliFlo preset takes (min, max, step, unit), in RPM or in GPM."""
HEAT_MODES = [HVACMode.OFF, HVACMode.HEAT]


@dataclass(frozen=True)
class Target:
    """What an entity's unique id points at on its gateway."""

    kind: Literal["circuit", "body", "sensor"]
    """`sensor`: a named reading or setting of the controller (`salt`,
    `pool_chlorinator_output`, `pump0_preset1`), whatever its domain."""
    number: int = 0
    sensor: str = ""


def unique_id(mac: str, target: Target) -> str:
    """The entity's unique id: the gateway's MAC address and what it is there."""
    if target.kind == "sensor":
        return f"{mac}-{target.sensor}"
    return f"{mac}-{target.kind}-{target.number}"


def target_of(unique: str, mac: str) -> Target:
    """The target an entity's unique id names (ValueError if it is not one of ours)."""
    rest = unique.removeprefix(f"{mac}-")
    kind, _, number = rest.partition("-")
    if kind in ("circuit", "body") and number.isdigit():
        return Target(kind, int(number))  # type: ignore[arg-type]
    if not number:
        return Target("sensor", sensor=kind)
    raise ValueError(f"not a ScreenLogic entity: {unique}")


@dataclass(frozen=True)
class PumpPreset:
    """One preset of one pump: the speed it runs at for one circuit."""

    pump: int
    preset: int

    @property
    def key(self) -> str:
        """How its entity's unique id names it."""
        return f"pump{self.pump}_preset{self.preset}"


CHLORINATOR_OUTPUTS = {"pool_chlorinator_output": "Pool", "spa_chlorinator_output": "Spa"}
"""The chlorinator's settings by the name their unique ids give them, and their body."""


def pump_preset_of(target: Target) -> PumpPreset | None:
    """The pump preset a target names, or None."""
    pump, _, preset = target.sensor.partition("_preset")
    index = pump.removeprefix("pump")
    if target.kind == "sensor" and pump.startswith("pump") and index.isdigit() and preset.isdigit():
        return PumpPreset(int(index), int(preset))
    return None


def pump_preset(data: dict[str, Any], preset: PumpPreset) -> dict[str, Any]:
    """What screenlogicpy read of a pump preset (its circuit, setpoint and unit)."""
    pump = data.get(DEVICE.PUMP, {}).get(preset.pump, {})
    found = pump.get(VALUE.PRESET, {}).get(preset.preset)
    return found if isinstance(found, dict) else {}


def controller_unit(data: dict[str, Any]) -> Unit:
    """The unit the controller speaks."""
    config = data.get(DEVICE.CONTROLLER, {}).get(GROUP.CONFIGURATION, {})
    return "°C" if config.get(VALUE.IS_CELSIUS, {}).get(ATTR.VALUE) else "°F"


def convert(value: float, source: Unit, target: Unit) -> float:
    """A temperature from one unit to another, to one decimal."""
    if source == target:
        return round(float(value), 1)
    if target == "°C":
        return round((value - 32) * 5 / 9, 1)
    return round(value * 9 / 5 + 32, 1)


def _value(node: Any) -> Any:
    return node.get(ATTR.VALUE) if isinstance(node, dict) else None


def color_mode(data: dict[str, Any]) -> int | None:
    """The last light command the controller reported (or that Dobby sent)."""
    lights = data.get(DEVICE.CONTROLLER, {}).get(GROUP.COLOR_LIGHTS, {})
    mode = lights.get(ATTR.COLOR_MODE)
    return int(mode) if isinstance(mode, int) else None


def _light_state(circuit: dict[str, Any], data: dict[str, Any]) -> LightState:
    on = bool(circuit.get(ATTR.VALUE))
    if circuit.get(ATTR.FUNCTION) not in COLOR_FUNCTIONS:
        return LightState(state="on" if on else "off")
    effect = None
    mode = color_mode(data)
    if on and mode is not None:
        effect = next((name for name, value in SHOWS.items() if value == mode), None)
    return LightState(state="on" if on else "off", effect=effect, effect_list=list(SHOWS))


def _climate_state(body: dict[str, Any], source: Unit, unit: Unit) -> ClimateState:
    mode = _value(body.get(VALUE.HEAT_MODE)) or HEAT_MODE.OFF
    heating = (_value(body.get(VALUE.HEAT_STATE)) or HEAT_STATE.OFF) != HEAT_STATE.OFF
    setpoint = _value(body.get(VALUE.HEAT_SETPOINT))
    water = _value(body.get(VALUE.LAST_TEMPERATURE))
    low, high = body.get(ATTR.MIN_SETPOINT), body.get(ATTR.MAX_SETPOINT)
    on = mode != HEAT_MODE.OFF
    return ClimateState(
        state=HVACMode.HEAT if on else HVACMode.OFF,
        hvac_modes=HEAT_MODES,
        hvac_action=("heating" if heating else "idle") if on else "off",
        temperature=convert(setpoint, source, unit) if setpoint is not None else None,
        current_temperature=convert(water, source, unit) if water is not None else None,
        min_temp=convert(low, source, unit) if low is not None else None,
        max_temp=convert(high, source, unit) if high is not None else None,
        temperature_unit=unit,
    )


def _sensor(value: float, unit: str | None, problem: str | None = None) -> SensorState:
    return SensorState(state=f"{value:g}", unit_of_measurement=unit, problem=problem)


OUT_OF_RANGE = "out of range"
CHEMISTRY_ALARMS = {
    "ph": (VALUE.PH_HIGH_ALARM, VALUE.PH_LOW_ALARM),
    "orp": (VALUE.ORP_HIGH_ALARM, VALUE.ORP_LOW_ALARM),
}
"""IntelliChem's alarms that say a reading is out of its range, by reading."""


def chemistry_problem(data: dict[str, Any], reading: str) -> str | None:
    """ "out of range" while IntelliChem's high or low alarm for the reading is on."""
    alarms = data.get(DEVICE.INTELLICHEM, {}).get(GROUP.ALARM, {})
    if any(_value(alarms.get(key)) for key in CHEMISTRY_ALARMS[reading]):
        return OUT_OF_RANGE
    return None


def entity_specs(data: dict[str, Any], mac: str, unit: Unit) -> list[EntitySpec]:
    """Every entity the gateway's controller has, with its state, in the household's unit."""
    return list(_specs(data, mac, unit))


def _specs(data: dict[str, Any], mac: str, unit: Unit) -> Iterator[EntitySpec]:
    source = controller_unit(data)
    for number, circuit in sorted(data.get(DEVICE.CIRCUIT, {}).items()):
        if circuit.get(ATTR.INTERFACE) in HIDDEN or ATTR.NAME not in circuit:
            continue
        uid = unique_id(mac, Target("circuit", number))
        name = str(circuit[ATTR.NAME])
        if circuit.get(ATTR.FUNCTION) in LIGHT_FUNCTIONS:
            state = _light_state(circuit, data)
            features = frozenset({LightFeature.EFFECT.value} if state.effect_list else ())
            yield EntitySpec(uid, Domain.LIGHT, name, features, state=state)
        else:
            on = "on" if circuit.get(ATTR.VALUE) else "off"
            yield EntitySpec(uid, Domain.SWITCH, name, state=SwitchState(state=on))
    for number, body in sorted(data.get(DEVICE.BODY, {}).items()):
        kind = BODY_NAMES.get(int(body.get(ATTR.BODY_TYPE, number)), f"Body {number}")
        yield EntitySpec(
            unique_id(mac, Target("body", number)),
            Domain.CLIMATE,
            f"{kind} Heater",
            frozenset({ClimateFeature.TARGET_TEMPERATURE.value, ClimateFeature.HVAC_MODE.value}),
            device_class=f"{kind.lower()}_heater",
            state=_climate_state(body, source, unit),
        )
        water = _value(body.get(VALUE.LAST_TEMPERATURE))
        if water is not None:
            yield EntitySpec(
                unique_id(mac, Target("sensor", sensor=f"{kind.lower()}_temperature")),
                Domain.SENSOR,
                f"{kind} Temperature",
                device_class="temperature",
                state=_sensor(convert(water, source, unit), unit),
            )
    yield from _readings(data, mac, source, unit)


def _readings(data: dict[str, Any], mac: str, source: Unit, unit: Unit) -> Iterator[EntitySpec]:
    controller = data.get(DEVICE.CONTROLLER, {})
    air = _value(controller.get(GROUP.SENSOR, {}).get(VALUE.AIR_TEMPERATURE))
    if air is not None:
        yield EntitySpec(
            unique_id(mac, Target("sensor", sensor="air_temperature")),
            Domain.SENSOR,
            "Air Temperature",
            device_class="temperature",
            state=_sensor(convert(air, source, unit), unit),
        )
    flags = EQUIPMENT_FLAG(controller.get(GROUP.EQUIPMENT, {}).get(VALUE.FLAGS, 0))
    chem = data.get(DEVICE.INTELLICHEM, {}).get(GROUP.SENSOR, {})
    ph, orp = _value(chem.get(VALUE.PH_NOW)), _value(chem.get(VALUE.ORP_NOW))
    if EQUIPMENT_FLAG.INTELLICHEM in flags and ph is not None and orp is not None:
        yield EntitySpec(
            unique_id(mac, Target("sensor", sensor="ph")),
            Domain.SENSOR,
            "Pool pH",
            device_class="ph",
            state=_sensor(round(ph, 2), None, chemistry_problem(data, "ph")),
        )
        yield EntitySpec(
            unique_id(mac, Target("sensor", sensor="orp")),
            Domain.SENSOR,
            "Pool ORP",
            state=_sensor(orp, "mV", chemistry_problem(data, "orp")),
        )
    scg = data.get(DEVICE.SCG, {})
    salt = _value(scg.get(GROUP.SENSOR, {}).get(VALUE.SALT_PPM))
    if EQUIPMENT_FLAG.CHLORINATOR in flags and scg.get(VALUE.SCG_PRESENT) and salt is not None:
        yield EntitySpec(
            unique_id(mac, Target("sensor", sensor="salt")),
            Domain.SENSOR,
            "Pool Salt",
            state=_sensor(salt, "ppm"),
        )
        bodies = {
            BODY_NAMES.get(int(body.get(ATTR.BODY_TYPE, number)), "")
            for number, body in data.get(DEVICE.BODY, {}).items()
        }
        yield from _chlorinator(data, mac, bodies)
    yield from _pumps(data, mac, int(flags))


def pump_indexes(flags: int) -> list[int]:
    """The IntelliFlo pumps the controller's equipment flags name (indexes 0 to 7)."""
    return [index for index in range(8) if flags & (EQUIPMENT_FLAG.INTELLIFLO_0 << index)]


def _pumps(data: dict[str, Any], mac: str, flags: int) -> Iterator[EntitySpec]:
    """Each pump's speed (RPM) and power (W), as sensors, and the speed of each preset in
    use, as a number."""
    pumps = data.get(DEVICE.PUMP, {})
    circuits = {
        circuit.get(ATTR.DEVICE_ID): str(circuit.get(ATTR.NAME, ""))
        for circuit in data.get(DEVICE.CIRCUIT, {}).values()
    }
    for index in pump_indexes(flags):
        pump = pumps.get(index, {})
        rpm, watts = _value(pump.get(VALUE.RPM_NOW)), _value(pump.get(VALUE.WATTS_NOW))
        if rpm is None or watts is None:
            continue  # not read yet
        # screenlogicpy names a pump after the first circuit it runs for, plus " Pump".
        name = str(pump.get(VALUE.STATE, {}).get(ATTR.NAME) or f"Pump {index + 1}")
        name = name.replace(" Pump Pump", " Pump")
        yield EntitySpec(
            unique_id(mac, Target("sensor", sensor=f"pump{index}_speed")),
            Domain.SENSOR,
            f"{name} Speed",
            state=_sensor(rpm, "RPM"),
        )
        yield EntitySpec(
            unique_id(mac, Target("sensor", sensor=f"pump{index}_power")),
            Domain.SENSOR,
            f"{name} Power",
            device_class="power",
            state=_sensor(watts, "W"),
        )
        for number, preset in sorted(pump.get(VALUE.PRESET, {}).items()):
            circuit = circuits.get(preset.get(ATTR.DEVICE_ID))
            speed = preset.get(ATTR.SETPOINT)
            if not preset.get(ATTR.DEVICE_ID) or not circuit or not isinstance(speed, int):
                continue  # an unused preset
            low, high, step, unit = PUMP_SPEEDS[bool(preset.get(ATTR.IS_RPM))]
            yield EntitySpec(
                unique_id(mac, Target("sensor", sensor=PumpPreset(index, number).key)),
                Domain.NUMBER,
                _preset_name(name, circuit),
                device_class="speed",
                state=NumberState(
                    state=f"{speed:g}", min=low, max=high, step=step, unit_of_measurement=unit
                ),
            )


def _preset_name(pump: str, circuit: str) -> str:
    """What a person calls the speed a pump runs at for a circuit: "Pool Pump Speed for
    Spa", or, for the circuit the pump is named after ("Pool Pump"), "Pool Pump Target
    Speed" (not "... Speed for Pool Pump", and not "Pool Pump Speed": that is the sensor of
    the speed it runs at now)."""
    if circuit.casefold() == pump.casefold():
        return f"{pump} Target Speed"
    return f"{pump} Speed for {circuit}"


def _chlorinator(data: dict[str, Any], mac: str, bodies: set[str]) -> Iterator[EntitySpec]:
    """The chlorinator's output (percent of the time it makes chlorine) for each body, as a
    number in the range screenlogicpy reports."""
    config = data.get(DEVICE.SCG, {}).get(GROUP.CONFIGURATION, {})
    for kind, key in (("Pool", VALUE.POOL_SETPOINT), ("Spa", VALUE.SPA_SETPOINT)):
        node = config.get(key, {})
        output = _value(node)
        if output is None or kind not in bodies:
            continue
        yield EntitySpec(
            unique_id(mac, Target("sensor", sensor=f"{kind.lower()}_chlorinator_output")),
            Domain.NUMBER,
            f"{kind} Chlorinator Output",
            state=NumberState(
                state=f"{output:g}",
                min=node.get(ATTR.MIN_SETPOINT, 0),
                max=node.get(ATTR.MAX_SETPOINT, 100),
                step=node.get(ATTR.STEP, 1),
                unit_of_measurement="%",
            ),
        )


def states(data: dict[str, Any], mac: str, unit: Unit) -> dict[str, State]:
    """Every entity's state, by unique id."""
    return {spec.unique_id: spec.state for spec in _specs(data, mac, unit) if spec.state}
