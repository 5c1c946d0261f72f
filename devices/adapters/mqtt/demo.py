"""The virtual house's Zigbee corner: a Mosquitto broker and an emulated Zigbee2MQTT bridge.

A house file lists Zigbee devices with adapter `mqtt` and a kind of `MODELS` (bulb, plug,
door_sensor, trv, blind, remote). Each device's friendly name is "<area>/<rest of its
name>" ("Hallway/Radiator" for Hallway Radiator), the folder structure Zigbee2MQTT users
give their devices, from which the adapter proposes the area.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from devices.adapters.mqtt.emulator import MODELS, Zigbee2MqttEmulator
from devices.adapters.mqtt.emulator.announcer import DiscoveryEmulator
from devices.testing.addresses import HostAllocator
from devices.testing.faults import Faults
from devices.testing.house import DemoDevice
from devices.testing.mosquitto import Mosquitto


class MqttDemo:
    """The running broker and bridge, and the adapter settings that reach them."""

    def __init__(self, broker: Mosquitto, bridge: Zigbee2MqttEmulator) -> None:
        self.broker = broker
        self.bridge = bridge
        self.adapter_settings: dict[str, Any] = {
            "broker": broker.host,
            "port": broker.port,
            "base_topic": bridge.base,
            "reconnect_min": 0.5,
            "reconnect_max": 5.0,
        }

    def all_faults(self) -> list[Faults]:
        """The faults switch of every Zigbee device."""
        return self.bridge.all_faults()

    async def stop(self) -> None:
        """Stop the bridge, then the broker."""
        await self.bridge.stop()
        await self.broker.stop()


class DiscoveryDemo:
    """The running broker and the devices that announce themselves with Home Assistant MQTT
    discovery (a Tasmota plug, an ESPHome node)."""

    def __init__(self, broker: Mosquitto, announcer: DiscoveryEmulator) -> None:
        self.broker = broker
        self.announcer = announcer

    def all_faults(self) -> list[Faults]:
        """The faults switch of each device."""
        return self.announcer.all_faults()

    async def stop(self) -> None:
        """Stop the devices, then the broker."""
        await self.announcer.stop()
        await self.broker.stop()


async def start_discovery(hosts: HostAllocator) -> DiscoveryDemo:
    """A broker on an address of its own and the Home Assistant discovery devices on it."""
    broker = Mosquitto(hosts.allocate())
    await broker.start()
    try:
        announcer = DiscoveryEmulator(broker.host, broker.port)
        await announcer.start()
    except BaseException:
        await broker.stop()
        raise
    return DiscoveryDemo(broker, announcer)


def friendly_name(device: DemoDevice) -> str:
    """ "Hallway Radiator" in the Hallway is "Hallway/Radiator"."""
    rest = device.name.removeprefix(device.area).strip()
    return f"{device.area}/{rest}" if rest and rest != device.name else device.name


def start_state(device: DemoDevice) -> dict[str, Any]:
    """The model's start state, changed by what the house file says (in Dobby's words)."""
    state = dict(MODELS[device.kind].start)
    said = device.state
    on = said.get("state")
    if device.kind in ("bulb", "plug") and on in ("on", "off"):
        state["state"] = str(on).upper()
    if device.kind == "bulb" and "brightness" in said:
        state["brightness"] = round(float(str(said["brightness"])) * 254 / 100)
    if device.kind == "door_sensor" and on in ("on", "off"):
        state["contact"] = on == "off"
    if device.kind == "trv":
        if on in ("off", "heat", "auto"):
            state["system_mode"] = on
        for ours, theirs in (("temperature", "occupied_heating_setpoint"),
                             ("current_temperature", "local_temperature")):  # fmt: skip
            if ours in said:
                state[theirs] = float(str(said[ours]))
    if device.kind == "blind" and "position" in said:
        state["position"] = int(str(said["position"]))
        state["state"] = "OPEN" if state["position"] > 0 else "CLOSE"
    return state


async def start_zigbee(
    hosts: HostAllocator,
    named: Sequence[tuple[str, str]],
    *,
    users: dict[str, str] | None = None,
) -> MqttDemo:
    """A broker on an address of its own and a bridge with (friendly name, kind) devices."""
    broker = Mosquitto(hosts.allocate(), users=users)
    await broker.start()
    try:
        bridge = Zigbee2MqttEmulator.of_kinds(broker.host, broker.port, named, login=users)
        await bridge.start()
    except BaseException:
        await broker.stop()
        raise
    return MqttDemo(broker, bridge)


async def start_demo(
    devices: Sequence[DemoDevice], hosts: HostAllocator, *, interface: str
) -> MqttDemo:
    """Start Mosquitto on an address of its own and a Zigbee2MQTT bridge with the devices."""
    del interface  # MQTT has no announcement to make: the broker is configured
    unknown = sorted({d.kind for d in devices} - set(MODELS))
    if unknown:
        raise ValueError(f"unknown Zigbee device kinds {unknown}; known: {sorted(MODELS)}")
    broker = Mosquitto(hosts.allocate())
    await broker.start()
    try:
        bridge = Zigbee2MqttEmulator.of_kinds(
            broker.host, broker.port, [(friendly_name(d), d.kind) for d in devices]
        )
        for emulated, device in zip(bridge.devices.values(), devices, strict=True):
            emulated.state = start_state(device)
        await bridge.start()
    except BaseException:
        await broker.stop()
        raise
    return MqttDemo(broker, bridge)
