"""The pool of the virtual house: one emulated ScreenLogic gateway and its controller.

Kinds in a house file: `pump` (the pool circuit, which runs the filter pump), `circuit`
(a feature circuit: cleaner, waterfall, jets), `light` (an IntelliBrite colour light) and
`heater` (the pool's heat: its `state` heat or off, `temperature` the target and
`current_temperature` the water, in °C). The adapter names the heater "Pool Heater".
The controller speaks Celsius, so the house file's temperatures arrive exactly.
"""

from __future__ import annotations

from collections.abc import Sequence

from devices.adapters.screenlogic.emulator import (
    Body,
    Circuit,
    Equipment,
    ScreenLogicEmulator,
    mac_for,
)
from devices.adapters.screenlogic.emulator.equipment import (
    GENERIC,
    HEAT_OFF,
    HEATER,
    INTELLIBRITE,
    POOL,
    SHOW_FEATURES,
    SHOW_LIGHTS,
    SHOW_POOL,
)
from devices.adapters.screenlogic.emulator.wire import DISCOVERY_PORT
from devices.testing.addresses import HostAllocator
from devices.testing.house import DemoDevice

KINDS = ("pump", "circuit", "light", "heater")
POOL_CIRCUIT = 505
DEMO_SEED = "dobby-demo-screenlogic"
"""The demo gateway's MAC address derives from this, so it stays the same from run to run."""
HEATING_RATE = 0.01
"""°C per second: the demo pool warms by a degree in under two minutes."""


def _is_on(value: object) -> bool:
    # YAML 1.1 reads a bare `on` as True: accept both spellings.
    return value is True or str(value).lower() in ("on", "true", "heat")


def _number(value: object, default: float) -> float:
    return float(value) if isinstance(value, int | float) else default


def demo_equipment(devices: Sequence[DemoDevice]) -> Equipment:
    """A Celsius EasyTouch with the house file's circuits, lights and pool heat."""
    circuits: list[Circuit] = []
    pool = Body(0, POOL_CIRCUIT, temperature=25.0, setpoint=27, min_setpoint=4, max_setpoint=40)
    next_id = 501
    for device in devices:
        kind = device.kind.lower()
        if kind not in KINDS:
            raise ValueError(f"{device.name}: a ScreenLogic device's kind is one of {KINDS}")
        on = _is_on(device.state.get("state"))
        if kind == "heater":
            pool.heat_mode = HEATER if on else HEAT_OFF
            pool.setpoint = round(_number(device.state.get("temperature"), 27))
            pool.temperature = _number(device.state.get("current_temperature"), 25)
        elif kind == "pump":
            circuits.append(Circuit(POOL_CIRCUIT, device.name, POOL, SHOW_POOL, on=on))
        else:
            light = kind == "light"
            function, shown = (INTELLIBRITE, SHOW_LIGHTS) if light else (GENERIC, SHOW_FEATURES)
            circuits.append(Circuit(next_id, device.name, function, shown, on=on))
            next_id += 1
    if not any(c.id == POOL_CIRCUIT for c in circuits):
        circuits.append(Circuit(POOL_CIRCUIT, "Pool", POOL, SHOW_POOL, on=True))
    return Equipment(
        circuits=sorted(circuits, key=lambda c: c.id),
        bodies=[pool],
        model="EasyTouch2 4",
        celsius=True,
        air_temperature=24.0,
        heating_rate=HEATING_RATE,
    )


async def start_demo(
    devices: Sequence[DemoDevice], hosts: HostAllocator, *, interface: str
) -> ScreenLogicEmulator:
    """Start the pool's gateway on an address of its own; it hears the house's broadcast
    address, and `adapter_settings` point the adapter there."""
    del interface
    gateway = ScreenLogicEmulator(
        hosts.allocate(udp=[DISCOVERY_PORT]),
        demo_equipment(devices),
        mac=mac_for(DEMO_SEED),
        broadcast=hosts.broadcast,
    )
    await gateway.start()
    return gateway
