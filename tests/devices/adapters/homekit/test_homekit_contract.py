"""The contract kit against HAP-python accessories served by a separate process."""

from __future__ import annotations

from typing import Any

from devices.adapters.homekit import HomeKitConfig
from devices.adapters.homekit.adapter import HomeKitAdapter
from devices.adapters.homekit.emulator import AccessorySpec, HomeKitEmulator
from devices.adapters.homekit.pairing import offer_setup_code
from devices.testing import AdapterContract, CommandCase
from devices.testing.addresses import HostAllocator

LOOPBACK = "127.0.0.1"
KINDS: list[tuple[str, Any]] = [
    ("Hallway Thermostat", "thermostat"),
    ("Front Door", "lock"),
    ("House Alarm", "security_system"),
    ("Patio Door", "contact_sensor"),
    ("Study Blind", "window_covering"),
    ("Porch Light", "lightbulb"),
    ("Garden Fountain", "switch"),
    ("Hall Motion", "motion_sensor"),
    ("Basement Leak", "leak_sensor"),
    ("Attic Temperature", "temperature_sensor"),
    ("Attic Humidity", "humidity_sensor"),
]


class TestHomeKitContract(AdapterContract):
    adapter_class = HomeKitAdapter
    entity_count = len(KINDS)
    discovery_timeout = 30.0
    command_cases = [  # noqa: RUF012 - the kit's declared shape
        CommandCase("climate.set_hvac_mode", {"hvac_mode": "cool"}, expect={"state": "cool"}),
        CommandCase("climate.set_temperature", {"temperature": 22.5}, {"temperature": 22.5}),
        CommandCase(
            "climate.set_temperature",
            {"target_temp_low": 18, "target_temp_high": 24},
            expect={"target_temp_low": 18.0, "target_temp_high": 24.0},
        ),
        CommandCase("climate.set_humidity", {"humidity": 55}, {"humidity": 55}),
        CommandCase("climate.set_fan_mode", {"fan_mode": "on"}, {"fan_mode": "on"}),
        CommandCase("climate.set_fan_mode", {"fan_mode": "auto"}, {"fan_mode": "auto"}),
        CommandCase("climate.turn_off", expect={"state": "off", "hvac_action": "off"}),
        CommandCase("climate.set_hvac_mode", {"hvac_mode": "heat"}, expect={"state": "heat"}),
        CommandCase("lock.lock", expect={"state": "locked"}),
        CommandCase("lock.unlock", expect={"state": "unlocked"}),
        CommandCase("alarm_panel.arm", {"mode": "night"}, expect={"state": "armed_night"}),
        CommandCase("alarm_panel.arm", {"mode": "home"}, expect={"state": "armed_home"}),
        CommandCase("alarm_panel.arm", {"mode": "away"}, expect={"state": "armed_away"}),
        CommandCase("alarm_panel.disarm", expect={"state": "disarmed"}),
        CommandCase("cover.close", expect={"state": "closed", "position": 0}),
        CommandCase("cover.set_position", {"position": 40}, {"state": "open", "position": 40}),
        CommandCase("cover.stop", expect={"state": "open", "position": 40}),
        CommandCase("cover.open", expect={"state": "open", "position": 100}),
        CommandCase("light.turn_on", {"brightness": 40}, {"state": "on", "brightness": 40}),
        CommandCase("light.turn_off", expect={"state": "off"}),
        CommandCase("light.toggle", expect={"state": "on"}),
        CommandCase("switch.turn_on", expect={"state": "on"}),
        CommandCase("switch.turn_off", expect={"state": "off"}),
        CommandCase("switch.toggle", expect={"state": "on"}),
    ]

    async def start_emulator(self, hosts: HostAllocator) -> HomeKitEmulator:
        specs = [AccessorySpec(name, kind, hosts.allocate()) for name, kind in KINDS]
        emulator = HomeKitEmulator(specs, interface=LOOPBACK)
        for spec in specs:  # the adapter pairs each one itself, as in the demo
            offer_setup_code(spec.device_id, spec.setup_code)
        await emulator.start()
        return emulator

    def adapter_config(self, emulated: Any) -> HomeKitConfig:
        return HomeKitConfig(request_timeout=self.timeout)

    async def change_on_device(self, emulated: Any) -> tuple[str, dict[str, Any]]:
        await emulated.set("Patio Door", ContactSensorState=1)
        return await emulated.unique_id("Patio Door"), {"state": "on"}


class TestHomeKitGarageDoorContract(AdapterContract):
    """A garage door opener is a cover of class garage that only opens and closes."""

    adapter_class = HomeKitAdapter
    entity_count = 1
    discovery_timeout = 30.0
    command_cases = [  # noqa: RUF012 - the kit's declared shape
        CommandCase("cover.open", expect={"state": "open", "position": 100}),
        CommandCase("cover.close", expect={"state": "closed", "position": 0}),
    ]

    async def start_emulator(self, hosts: HostAllocator) -> HomeKitEmulator:
        spec = AccessorySpec("Garage Door", "garage_door", hosts.allocate())
        emulator = HomeKitEmulator([spec], interface=LOOPBACK)
        offer_setup_code(spec.device_id, spec.setup_code)
        await emulator.start()
        return emulator

    def adapter_config(self, emulated: Any) -> HomeKitConfig:
        return HomeKitConfig(request_timeout=self.timeout)

    async def change_on_device(self, emulated: Any) -> tuple[str, dict[str, Any]]:
        # The remote in the car: the door opens without Dobby.
        await emulated.set("Garage Door", TargetDoorState=0, CurrentDoorState=0)
        return await emulated.unique_id("Garage Door"), {"state": "open", "position": 100}

    async def test_it_is_a_garage_door_with_no_positions(self) -> None:
        async with self.running() as harness:
            (entity,) = harness.registry.entities.values()
            assert entity.entity_id == "cover.garage_door"
            assert entity.device_class == "garage"
            assert entity.features == frozenset({"open", "close"})


BRIDGED: list[tuple[str, Any]] = [
    ("Reading Lamp", "color_lightbulb"),
    ("Kettle", "switch"),
    ("Fan", "outlet"),
]


class TestHomeKitBridgeContract(AdapterContract):
    """A bridge: one HAP server, one pairing, one session for the accessories behind it;
    each of them is a device of its own. The colour bulb takes colours and whites."""

    adapter_class = HomeKitAdapter
    entity_count = len(BRIDGED)
    discovery_timeout = 30.0
    command_cases = [  # noqa: RUF012 - the kit's declared shape
        CommandCase("light.turn_on", {"brightness": 40}, {"state": "on", "brightness": 40}),
        CommandCase(
            "light.turn_on",
            {"rgb_color": [0, 0, 255]},
            {"state": "on", "rgb_color": [0, 0, 255], "color_temp_kelvin": None},
        ),
        CommandCase(
            "light.turn_on",
            {"color_temp_kelvin": 2500},
            {"state": "on", "color_temp_kelvin": 2500, "rgb_color": None},
        ),
        CommandCase("light.turn_off", expect={"state": "off"}),
        CommandCase("light.toggle", expect={"state": "on"}),
        CommandCase("switch.turn_on", expect={"state": "on"}),
        CommandCase("switch.turn_off", expect={"state": "off"}),
        CommandCase("switch.toggle", expect={"state": "on"}),
    ]

    async def start_emulator(self, hosts: HostAllocator) -> HomeKitEmulator:
        host = hosts.allocate()
        bridged = [AccessorySpec(name, kind, host) for name, kind in BRIDGED]
        spec = AccessorySpec("Living Room Bridge", "bridge", host, bridged=bridged)
        emulator = HomeKitEmulator([spec], interface=LOOPBACK)
        offer_setup_code(spec.device_id, spec.setup_code)
        await emulator.start()
        return emulator

    def adapter_config(self, emulated: Any) -> HomeKitConfig:
        return HomeKitConfig(request_timeout=self.timeout)

    async def change_on_device(self, emulated: Any) -> tuple[str, dict[str, Any]]:
        await emulated.set("Fan", On=True)  # switched on at the plug
        return await emulated.unique_id("Fan"), {"state": "on"}

    async def test_each_bridged_accessory_is_a_device_of_its_own(self) -> None:
        async with self.running() as harness:
            registry = harness.registry
            devices = {registry.devices[e.device_id].info.name for e in registry.entities.values()}
            assert devices == {name for name, _ in BRIDGED}
            lamp = registry.entity("light.reading_lamp")
            assert lamp.features == frozenset({"brightness", "color", "color_temp"})
            assert lamp.state is not None
            assert lamp.state.attributes()["min_color_temp_kelvin"] == 2000
            assert lamp.state.attributes()["max_color_temp_kelvin"] == 7143
