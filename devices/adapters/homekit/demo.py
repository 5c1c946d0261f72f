"""The HomeKit accessories of the virtual house, served by HAP-python in a separate process.

Each accessory's setup code is offered to the adapter in this process, so the demo pairs
them itself the first time it finds them (HomeKit pairing needs the code; a real house
pairs with `dobby pair homekit "<name>" <code>`). Devices a house file puts behind a
bridge (`via: <bridge name>`) are served by one HAP-python Bridge of that name, on one
address, paired once for all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from devices.adapters.homekit.emulator import AccessorySpec, HomeKitEmulator
from devices.adapters.homekit.emulator.spec import HAP_PORT
from devices.adapters.homekit.pairing import offer_setup_code
from devices.testing.addresses import HostAllocator
from devices.testing.house import DemoDevice

DRIFT_SECONDS = 20.0
"""The demo thermostat's room moves 0.1 °C toward the setpoint this often."""

THERMOSTAT_MODES = {"off": 0, "heat": 1, "cool": 2, "auto": 3}
ALARM_STATES = {"armed_home": 0, "armed_away": 1, "armed_night": 2, "disarmed": 3}
TARGET_AND_CURRENT: dict[str, tuple[str, str, dict[str, int], int]] = {
    "lock": ("LockTargetState", "LockCurrentState", {"locked": 1, "unlocked": 0}, 0),
    "garage_door": ("TargetDoorState", "CurrentDoorState", {"open": 0, "closed": 1}, 1),
    "security_system": (
        "SecuritySystemTargetState",
        "SecuritySystemCurrentState",
        ALARM_STATES,
        3,
    ),
}
"""Kinds whose state is a target and a current characteristic with the same code: the
characteristics, the code of each state word, and the code of any other word."""


def characteristics(device: DemoDevice) -> dict[str, Any]:
    """A demo device's start state (capability words) as HomeKit characteristics."""
    state: dict[str, Any] = dict(device.state)
    headline = str(state.get("state", ""))
    if device.kind == "thermostat":
        mode = THERMOSTAT_MODES.get(headline, 1)
        values: dict[str, Any] = {"TargetHeatingCoolingState": mode}
        if "temperature" in state:
            values["TargetTemperature"] = float(state["temperature"])
        if "current_temperature" in state:
            values["CurrentTemperature"] = float(state["current_temperature"])
        room = values.get("CurrentTemperature", 20.5)
        heating = mode == 1 and room < values.get("TargetTemperature", 21.0)
        values["CurrentHeatingCoolingState"] = 1 if heating else 0
        return values
    if device.kind in TARGET_AND_CURRENT:
        target, current, codes, default = TARGET_AND_CURRENT[device.kind]
        code = codes.get(headline, default)
        return {target: code, current: code}
    if device.kind == "contact_sensor":
        return {"ContactSensorState": 1 if headline == "on" else 0}
    if device.kind in ("lightbulb", "switch", "outlet"):
        return {"On": headline == "on"}
    return {}


def accessory_spec(device: DemoDevice, host: str) -> AccessorySpec:
    """The emulated accessory for one device of a house file (its kind is the HAP kind)."""
    return AccessorySpec(
        name=device.name,
        kind=device.kind,  # type: ignore[arg-type]
        host=host,
        state=characteristics(device),
        drift_seconds=DRIFT_SECONDS if device.kind == "thermostat" else 0.0,
    )


def accessory_specs(devices: Sequence[DemoDevice], hosts: HostAllocator) -> list[AccessorySpec]:
    """The emulated accessories of a house file's HomeKit devices: one per device that
    stands alone, and one bridge per `via` name holding its devices (in the file's order)."""
    specs: list[AccessorySpec] = []
    bridges: dict[str, AccessorySpec] = {}
    for device in devices:
        if device.via is None:
            specs.append(accessory_spec(device, hosts.allocate(tcp=[HAP_PORT])))
            continue
        bridge = bridges.get(device.via)
        if bridge is None:
            bridge = AccessorySpec(device.via, "bridge", hosts.allocate(tcp=[HAP_PORT]))
            bridges[device.via] = bridge
            specs.append(bridge)
        bridge.bridged.append(accessory_spec(device, bridge.host))
    return specs


async def start_demo(
    devices: Sequence[DemoDevice], hosts: HostAllocator, *, interface: str
) -> HomeKitEmulator:
    """Start every HomeKit accessory of the house (bridges with the accessories behind
    them), announced by mDNS on `interface`."""
    specs = accessory_specs(devices, hosts)
    for spec in specs:
        offer_setup_code(spec.device_id, spec.setup_code)
    emulator = HomeKitEmulator(specs, interface=interface)
    await emulator.start()
    return emulator
