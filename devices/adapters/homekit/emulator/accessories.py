"""HAP-python accessories for every service family the adapter maps, with device behaviour.

A target written by a controller becomes the current state at once (a lock locks, a shade
arrives), and a heating thermostat's room temperature drifts toward its setpoint.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pyhap import const  # type: ignore[import-untyped]
from pyhap.accessory import Accessory, Bridge  # type: ignore[import-untyped]

from devices.adapters.homekit.emulator.spec import AccessorySpec

# kind: (category, service, optional characteristics, start values)
KINDS: dict[str, tuple[int, str, list[str], dict[str, Any]]] = {
    "thermostat": (
        const.CATEGORY_THERMOSTAT,
        "Thermostat",
        [
            "CoolingThresholdTemperature",
            "HeatingThresholdTemperature",
            "CurrentRelativeHumidity",
            "TargetRelativeHumidity",
        ],
        {
            "TargetHeatingCoolingState": 1,
            "CurrentHeatingCoolingState": 1,
            "TargetTemperature": 21.0,
            "CurrentTemperature": 20.5,
            "HeatingThresholdTemperature": 19.0,
            "CoolingThresholdTemperature": 25.0,
            "CurrentRelativeHumidity": 45.0,
            "TargetRelativeHumidity": 40.0,
        },
    ),
    "heater_cooler": (
        const.CATEGORY_AIR_CONDITIONER,
        "HeaterCooler",
        ["CoolingThresholdTemperature", "HeatingThresholdTemperature"],
        {
            "Active": 1,
            "TargetHeaterCoolerState": 1,
            "CurrentHeaterCoolerState": 2,
            "CurrentTemperature": 20.0,
            "HeatingThresholdTemperature": 21.0,
            "CoolingThresholdTemperature": 25.0,
        },
    ),
    "lock": (
        const.CATEGORY_DOOR_LOCK,
        "LockMechanism",
        [],
        {"LockTargetState": 0, "LockCurrentState": 0},
    ),
    "security_system": (
        const.CATEGORY_ALARM_SYSTEM,
        "SecuritySystem",
        [],
        {"SecuritySystemTargetState": 3, "SecuritySystemCurrentState": 3},
    ),
    "window_covering": (
        const.CATEGORY_WINDOW_COVERING,
        "WindowCovering",
        ["HoldPosition"],
        {"TargetPosition": 100, "CurrentPosition": 100, "PositionState": 2},
    ),
    "garage_door": (
        const.CATEGORY_GARAGE_DOOR_OPENER,
        "GarageDoorOpener",
        [],
        {"TargetDoorState": 1, "CurrentDoorState": 1, "ObstructionDetected": False},
    ),
    "contact_sensor": (const.CATEGORY_SENSOR, "ContactSensor", [], {"ContactSensorState": 0}),
    "motion_sensor": (const.CATEGORY_SENSOR, "MotionSensor", [], {"MotionDetected": False}),
    "leak_sensor": (const.CATEGORY_SENSOR, "LeakSensor", [], {"LeakDetected": 0}),
    "temperature_sensor": (
        const.CATEGORY_SENSOR,
        "TemperatureSensor",
        [],
        {"CurrentTemperature": 19.0},
    ),
    "humidity_sensor": (
        const.CATEGORY_SENSOR,
        "HumiditySensor",
        [],
        {"CurrentRelativeHumidity": 50.0},
    ),
    "lightbulb": (const.CATEGORY_LIGHTBULB, "Lightbulb", ["Brightness"], {"On": False}),
    "color_lightbulb": (
        const.CATEGORY_LIGHTBULB,
        "Lightbulb",
        ["Brightness", "Hue", "Saturation", "ColorTemperature"],
        {"On": False, "Brightness": 100, "Hue": 0.0, "Saturation": 0.0, "ColorTemperature": 370},
    ),
    "switch": (const.CATEGORY_SWITCH, "Switch", [], {"On": False}),
    "outlet": (const.CATEGORY_OUTLET, "Outlet", [], {"On": False, "OutletInUse": True}),
}

RANGES: dict[str, dict[str, float]] = {
    "TargetTemperature": {"minValue": 7.0, "maxValue": 35.0, "minStep": 0.5},
    "HeatingThresholdTemperature": {"minValue": 7.0, "maxValue": 30.0, "minStep": 0.5},
    "CoolingThresholdTemperature": {"minValue": 15.0, "maxValue": 35.0, "minStep": 0.5},
}

# When a controller writes the first, the device sets the second (same value).
FOLLOWS = {
    "LockTargetState": "LockCurrentState",
    "SecuritySystemTargetState": "SecuritySystemCurrentState",
    "TargetPosition": "CurrentPosition",
    "TargetDoorState": "CurrentDoorState",
}


def _identify(accessory: Accessory, spec: AccessorySpec) -> None:
    accessory.set_info_service(
        firmware_revision="4.8.70226",
        manufacturer="Dobby Emulators",
        model=f"HAP-{spec.kind}",
        serial_number=spec.device_id.replace(":", ""),
    )


class EmulatedBridge(Bridge):  # type: ignore[misc]
    """A bridge: one HAP server for the accessories behind it (aids 2, 3, ...)."""

    def __init__(self, driver: Any, spec: AccessorySpec) -> None:
        super().__init__(driver, spec.name)
        self.spec = spec
        _identify(self, spec)
        self.bridged: list[EmulatedAccessory] = []
        for child in spec.bridged:
            accessory = EmulatedAccessory(driver, child)
            self.add_accessory(accessory)
            self.bridged.append(accessory)

    def setup_message(self) -> None:
        """Quiet: the emulator's stdout is its control channel."""

    def start_drift(self) -> None:
        """Start the drift of the thermostats behind the bridge."""
        for accessory in self.bridged:
            accessory.start_drift()

    def stop_drift(self) -> None:
        """Stop their drift."""
        for accessory in self.bridged:
            accessory.stop_drift()


class EmulatedAccessory(Accessory):  # type: ignore[misc]
    """One accessory of a given kind (standalone or bridged), behaving like the real device."""

    def __init__(self, driver: Any, spec: AccessorySpec) -> None:
        category, service_name, optional, defaults = KINDS[spec.kind]
        super().__init__(driver, spec.name)
        self.category = category
        self.spec = spec
        _identify(self, spec)
        self.service = self.add_preload_service(service_name, chars=optional or None)
        self.services_with_state = [self.service]
        if spec.kind == "thermostat":  # its fan, a linked Fanv2 service: auto, or on
            fan = self.add_preload_service("Fanv2", chars=["TargetFanState", "CurrentFanState"])
            self.service.add_linked_service(fan)
            self.services_with_state.append(fan)
            fan.get_characteristic("Active").set_value(1, should_notify=False)
            fan.get_characteristic("TargetFanState").set_value(1, should_notify=False)
            fan.get_characteristic("CurrentFanState").set_value(2, should_notify=False)
        for name, props in RANGES.items():
            if self._has(name):
                self.service.get_characteristic(name).override_properties(properties=props)
        for name, value in {**defaults, **spec.state}.items():
            if self._has(name):
                self.service.get_characteristic(name).set_value(value, should_notify=False)
        for target, current in FOLLOWS.items():
            if self._has(target):
                self._on_write(target, self._follow(current))
        if spec.kind == "thermostat":
            self._wire_thermostat()
        if self._has("HoldPosition"):
            self._on_write("HoldPosition", lambda _: self.set("PositionState", 2))
        if self._has("ColorTemperature") and self._has("Saturation"):
            # A white is no colour: the bulb leaves its colour mode.
            self._on_write("ColorTemperature", lambda _: self.set("Saturation", 0.0))
        self._drift: asyncio.Task[None] | None = None

    def _has(self, name: str) -> bool:
        return any(c.display_name == name for c in self.service.characteristics)

    def _characteristic(self, name: str) -> Any:
        for service in self.services_with_state:
            if any(c.display_name == name for c in service.characteristics):
                return service.get_characteristic(name)
        raise KeyError(name)

    def _on_write(self, name: str, callback: Callable[[Any], None]) -> None:
        self._characteristic(name).setter_callback = callback

    def _follow(self, current: str) -> Callable[[Any], None]:
        def follow(value: Any) -> None:
            self.set(current, value)
            if self._has("PositionState"):
                self.set("PositionState", 2)

        return follow

    def get(self, name: str) -> Any:
        """The value of one characteristic (of the main service, or a thermostat's fan)."""
        return self._characteristic(name).get_value()

    def set(self, name: str, value: Any) -> None:
        """Change a characteristic at the device; subscribed controllers hear of it."""
        self._characteristic(name).set_value(value)

    def values(self) -> dict[str, Any]:
        """Every characteristic of the main service (and a thermostat's fan), by name."""
        return {
            c.display_name: c.get_value()
            for service in reversed(self.services_with_state)
            for c in service.characteristics
        }

    def _thermostat_action(self) -> None:
        mode = self.get("TargetHeatingCoolingState")
        room, target = self.get("CurrentTemperature"), self.get("TargetTemperature")
        if mode == 3:
            mode = 1 if room < self.get("HeatingThresholdTemperature") else 2
            if room <= self.get("CoolingThresholdTemperature") and mode == 2:
                mode = 0
        elif mode in (1, 2) and (room >= target if mode == 1 else room <= target):
            mode = 0
        self.set("CurrentHeatingCoolingState", mode)

    def _wire_thermostat(self) -> None:
        for name in ("TargetHeatingCoolingState", "TargetTemperature", *RANGES):
            if self._has(name):
                self._on_write(name, lambda _: self._thermostat_action())
        for name in ("Active", "TargetFanState"):  # the fan blows while on, or auto and working
            self._on_write(name, lambda _: self._fan_action())

    def _fan_action(self) -> None:
        if not self.get("Active"):
            blowing = 0
        elif self.get("TargetFanState") == 0 or self.get("CurrentHeatingCoolingState"):
            blowing = 2
        else:
            blowing = 1
        self.set("CurrentFanState", blowing)

    def setup_message(self) -> None:
        """Quiet: the emulator's stdout is its control channel."""

    def start_drift(self) -> None:
        """Let the room temperature follow the setpoint, if this is a drifting thermostat."""
        if self.spec.kind == "thermostat" and self.spec.drift_seconds > 0:
            self._drift = asyncio.get_running_loop().create_task(self._drift_forever())

    def stop_drift(self) -> None:
        """Stop the drift task."""
        if self._drift is not None:
            self._drift.cancel()

    async def _drift_forever(self) -> None:
        while True:
            await asyncio.sleep(self.spec.drift_seconds)
            mode = self.get("TargetHeatingCoolingState")
            if mode == 0:
                continue
            room = self.get("CurrentTemperature")
            target = self.get("TargetTemperature")
            if mode == 3:
                low = self.get("HeatingThresholdTemperature")
                high = self.get("CoolingThresholdTemperature")
                target = min(max(room, low), high)
            step = max(-0.1, min(0.1, target - room))
            if abs(step) >= 0.05:
                self.set("CurrentTemperature", round(room + step, 1))
                self._thermostat_action()
