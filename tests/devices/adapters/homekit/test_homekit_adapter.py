"""The HomeKit adapter beyond the contract: pairing, events, restarts, resets, °F, policy."""

from __future__ import annotations

import asyncio
import logging
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from devices.adapters.homekit import HomeKitConfig, pairing
from devices.adapters.homekit.adapter import HomeKitAdapter
from devices.adapters.homekit.demo import start_demo
from devices.adapters.homekit.emulator import AccessorySpec, HomeKitEmulator
from devices.adapters.homekit.pairing import (
    PairingError,
    PairingStore,
    find,
    is_unpaired,
    pair,
    pair_found,
    unpair,
)
from devices.blocking import BlockingRunner
from devices.capabilities import validate_command
from devices.discovery import Discovery
from devices.entities import Entity
from devices.plugin import AdapterContext
from devices.registry import Registry
from devices.testing import fresh_hosts
from devices.testing.addresses import HostAllocator
from devices.testing.house import DemoDevice
from skills.actions import Action, Plan, Requester
from skills.actions import Path as ActionPath
from skills.executor import Executor
from skills.house import House
from skills.policy import Policy, PolicyConfig

LOOPBACK = "127.0.0.1"
PAIRINGS = "homekit-pairings.json"


@dataclass
class Running:
    registry: Registry
    adapter: HomeKitAdapter
    emulator: HomeKitEmulator

    def entity(self, entity_id: str) -> Entity:
        return self.registry.entity(entity_id)

    def fields(self, entity_id: str) -> dict[str, Any]:
        state = self.entity(entity_id).state
        assert state is not None
        return {"state": state.state, **state.attributes()}

    async def send(self, entity_id: str, command: str, **params: Any) -> None:
        entity = self.entity(entity_id)
        spec, typed = validate_command(
            entity_id, entity.domain, entity.features, command, params, state=entity.state
        )
        await self.adapter.execute(entity, spec, typed)

    async def until(self, entity_id: str, *, refresh: bool = False, **want: Any) -> None:
        """Wait until the entity shows `want` (by push alone unless `refresh`)."""
        entity = self.entity(entity_id)

        def shows() -> bool:
            got = self.fields(entity_id)
            return entity.available and all(got.get(k) == v for k, v in want.items())

        async with asyncio.timeout(20):
            while not shows():
                if refresh:
                    await self.adapter.refresh()
                await self.registry.wait_until(shows, 0.5)


@asynccontextmanager
async def running(
    emulator: HomeKitEmulator, state_dir: Path | None, count: int, **config: Any
) -> AsyncIterator[Running]:
    """The adapter and discovery on loopback until `count` entities are found."""
    registry = Registry()
    blocking = BlockingRunner()
    context = AdapterContext("homekit", registry, blocking, [LOOPBACK], state_dir=state_dir)
    adapter = HomeKitAdapter(context, HomeKitConfig(request_timeout=2.0, **config))
    discovery = Discovery({"homekit": adapter.manifest}, adapter.discovered, interfaces=[LOOPBACK])
    try:
        await adapter.start()
        await discovery.start()
        assert await registry.wait_until(lambda: len(registry.entities) >= count, 30)
        yield Running(registry, adapter, emulator)
    finally:
        await discovery.stop()
        await adapter.stop()
        blocking.shutdown()


def demo_specs(hosts: HostAllocator) -> list[AccessorySpec]:
    return [
        AccessorySpec("Hallway Thermostat", "thermostat", hosts.allocate()),
        AccessorySpec("Front Door", "lock", hosts.allocate()),
        AccessorySpec("House Alarm", "security_system", hosts.allocate()),
        AccessorySpec("Patio Door", "contact_sensor", hosts.allocate()),
    ]


async def pair_every(emulator: HomeKitEmulator, state_dir: Path) -> None:
    for spec in emulator.specs:
        # Only this test's accessory: another house on this machine has the same names.
        await pairing.pair(
            spec.name,
            spec.setup_code,
            state_dir=state_dir,
            interfaces=[LOOPBACK],
            only_hosts=[spec.host],
        )


async def announces_unpaired(name: str, host: str, tries: int = 50) -> bool:
    """Whether the accessory at `host` soon announces itself unpaired by mDNS.

    The accessory updates its TXT record after answering the unpairing.
    """
    for _ in range(tries):
        found = await find(name, [LOOPBACK], only_hosts=[host])
        if is_unpaired(found):
            return True
        await asyncio.sleep(0.1)
    return False


async def test_pairing_by_name_is_kept_in_a_private_file_across_restarts(
    start_emulator: Any, hosts: HostAllocator, tmp_path: Path
) -> None:
    emulator = await start_emulator(demo_specs(hosts))
    await pair_every(emulator, tmp_path)
    pairings = tmp_path / PAIRINGS
    assert stat.S_IMODE(pairings.stat().st_mode) == 0o600
    stored = PairingStore(pairings).load()
    assert sorted(stored) == sorted(s.device_id.lower() for s in emulator.specs)
    for _ in range(2):  # Dobby starts twice on the same state dir, with no code offered
        async with running(emulator, tmp_path, 4) as house:
            assert house.fields("climate.hallway_thermostat") == {
                **house.fields("climate.hallway_thermostat"),
                "state": "heat",
                "temperature": 21.0,
                "current_temperature": 20.5,
            }
            assert house.fields("lock.front_door")["state"] == "unlocked"
            assert house.fields("alarm_panel.house_alarm")["state"] == "disarmed"
            assert house.fields("binary_sensor.patio_door")["state"] == "off"
            assert house.entity("binary_sensor.patio_door").device_class == "door"
    assert await unpair("Front Door", state_dir=tmp_path, interfaces=[LOOPBACK])
    assert "Front Door" not in {d["Name"] for d in PairingStore(pairings).load().values()}
    front_door = next(spec for spec in emulator.specs if spec.name == "Front Door")
    assert await announces_unpaired("Front Door", front_door.host)
    with pytest.raises(PairingError, match="not paired with 'Front Door'"):
        await unpair("Front Door", state_dir=tmp_path)


async def test_a_wrong_setup_code_is_refused_and_nothing_is_stored(
    start_emulator: Any, hosts: HostAllocator, tmp_path: Path
) -> None:
    emulator = await start_emulator([AccessorySpec("Front Door", "lock", hosts.allocate())])
    store = PairingStore(tmp_path / PAIRINGS)
    found = await find("front door", [LOOPBACK], only_hosts=[emulator.specs[0].host])
    with pytest.raises(PairingError, match="setup code is wrong for Front Door"):
        await pair_found(found, "111-22-333", store)
    with pytest.raises(PairingError, match="not a setup code"):
        await pair_found(found, "12345", store)
    assert store.load() == {}
    assert not (tmp_path / PAIRINGS).exists()
    with pytest.raises(PairingError, match="No HomeKit accessory called 'Back Door'"):
        await pair("Back Door", "031-45-154", state_dir=tmp_path, interfaces=[LOOPBACK])
    device_id = await pair_found(found, emulator.specs[0].setup_code, store)
    assert store.get(device_id) is not None


async def test_changes_at_the_device_are_pushed_by_events(
    start_emulator: Any, hosts: HostAllocator, tmp_path: Path
) -> None:
    emulator = await start_emulator(demo_specs(hosts))
    await pair_every(emulator, tmp_path)
    async with running(emulator, tmp_path, 4) as house:
        await emulator.set("Patio Door", ContactSensorState=1)
        await house.until("binary_sensor.patio_door", state="on")
        await emulator.set("House Alarm", SecuritySystemCurrentState=4)
        await house.until("alarm_panel.house_alarm", state="triggered")
        await emulator.set("Hallway Thermostat", CurrentTemperature=19.5)
        await house.until("climate.hallway_thermostat", current_temperature=19.5)


async def test_an_accessory_that_restarts_is_unavailable_then_reconnected(
    start_emulator: Any, hosts: HostAllocator, tmp_path: Path
) -> None:
    emulator = await start_emulator(demo_specs(hosts))
    await pair_every(emulator, tmp_path)
    async with running(emulator, tmp_path, 4) as house:
        await emulator.power_off()
        await house.adapter.refresh()
        lock = house.entity("lock.front_door")
        assert not lock.available
        device = house.registry.devices[lock.device_id]
        assert device.unavailable_reason == "cannot be reached."
        with pytest.raises(Exception, match=r"cannot be reached|did not answer"):
            await house.send("lock.front_door", "lock.lock")
        await emulator.start()
        await house.until("lock.front_door", refresh=True, state="unlocked")
        await emulator.set("Front Door", LockCurrentState=1, LockTargetState=1)
        await house.until("lock.front_door", state="locked")  # events flow again
        await house.send("lock.front_door", "lock.unlock")
        assert (await emulator.values("Front Door"))["LockCurrentState"] == 0


async def test_an_accessory_that_was_reset_asks_to_pair_again(
    start_emulator: Any, hosts: HostAllocator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    emulator = await start_emulator(demo_specs(hosts)[1:2])
    await pair_every(emulator, tmp_path)
    async with running(emulator, tmp_path, 1) as house:
        await emulator.power_off()
        for persisted in emulator.state_dir.glob("*.state"):
            persisted.unlink()  # a factory reset forgets every controller
        await emulator.start()
        device = house.registry.devices[house.entity("lock.front_door").device_id]
        with caplog.at_level(logging.WARNING):
            async with asyncio.timeout(20):
                while "pair again" not in (device.unavailable_reason or ""):
                    await house.adapter.refresh()
                    await asyncio.sleep(0.2)
            for _ in range(3):  # polls that meet the same refusal say nothing new
                await house.adapter.refresh()
        assert not house.entity("lock.front_door").available
        reason = (
            'no longer knows Dobby (was it reset?); pair again: dobby pair homekit "Front Door" '
            "<setup code>."
        )
        assert device.unavailable_reason == reason
        said = [r.getMessage() for r in caplog.records if "pair again" in r.getMessage()]
        assert said == [f"Front Door is unavailable: {reason}"]
        assert not any(r.exc_info for r in caplog.records)


async def test_temperatures_in_fahrenheit(
    start_emulator: Any, hosts: HostAllocator, tmp_path: Path
) -> None:
    emulator = await start_emulator(demo_specs(hosts)[:1])
    await pair_every(emulator, tmp_path)
    async with running(emulator, tmp_path, 1, temperature_unit="°F") as house:
        got = house.fields("climate.hallway_thermostat")
        assert (got["temperature"], got["current_temperature"]) == (69.8, 68.9)
        assert got["temperature_unit"] == "°F"
        await house.send("climate.hallway_thermostat", "climate.set_temperature", temperature=72)
        assert (await emulator.values("Hallway Thermostat"))["TargetTemperature"] == 22.0
        assert house.fields("climate.hallway_thermostat")["temperature"] == 71.6
        await house.send(
            "climate.hallway_thermostat",
            "climate.set_temperature",
            target_temp_low=64.4,
            target_temp_high=77,
        )
        values = await emulator.values("Hallway Thermostat")
        assert (values["HeatingThresholdTemperature"], values["CoolingThresholdTemperature"]) == (
            18.0,
            25.0,
        )


async def test_unlocking_the_front_door_needs_a_confirmation(
    start_emulator: Any, hosts: HostAllocator, tmp_path: Path
) -> None:
    spec = AccessorySpec("Front Door", "lock", hosts.allocate(), state={"LockTargetState": 1})
    emulator = await start_emulator([spec])
    await emulator.set("Front Door", LockCurrentState=1)
    await pair_every(emulator, tmp_path)
    async with running(emulator, tmp_path, 1) as house:
        door = House(
            house.registry,
            Policy(house.registry, PolicyConfig()),
            Executor(house.registry, {"homekit": house.adapter}),
        )
        unlock = Action(entity_id="lock.front_door", command="lock.unlock")
        outcome = await door.carry_out(Plan([unlock], Requester.local_admin(), ActionPath.INTENT))
        assert outcome.pending is not None
        assert outcome.results == []
        assert (await emulator.values("Front Door"))["LockCurrentState"] == 1
        confirmed = await door.confirm(outcome.pending.token, Requester.local_admin(), approve=True)
        assert [r.ok for r in confirmed.results] == [True]
        assert (await emulator.values("Front Door"))["LockCurrentState"] == 0


async def test_heater_cooler_and_outlet(
    start_emulator: Any, hosts: HostAllocator, tmp_path: Path
) -> None:
    emulator = await start_emulator(
        [
            AccessorySpec("Study Heat Pump", "heater_cooler", hosts.allocate()),
            AccessorySpec("Desk Outlet", "outlet", hosts.allocate()),
        ]
    )
    await pair_every(emulator, tmp_path)
    async with running(emulator, tmp_path, 2) as house:
        pump = "climate.study_heat_pump"
        assert house.fields(pump)["state"] == "heat"
        assert house.fields(pump)["temperature"] == 21.0
        await house.send(pump, "climate.set_hvac_mode", hvac_mode="cool")
        await house.send(pump, "climate.set_temperature", temperature=24)
        assert house.fields(pump) | {"state": "cool", "temperature": 24.0} == house.fields(pump)
        assert (await emulator.values("Study Heat Pump"))["CoolingThresholdTemperature"] == 24.0
        await house.send(pump, "climate.turn_off")
        assert (await emulator.values("Study Heat Pump"))["Active"] == 0
        assert house.fields(pump)["state"] == "off"
        await house.send("switch.desk_outlet", "switch.turn_on")
        assert (await emulator.values("Desk Outlet"))["On"] is True


async def test_the_demo_pairs_its_accessories_itself(tmp_path: Path) -> None:
    devices = [
        DemoDevice(
            "Hallway Thermostat",
            "Hallway",
            "thermostat",
            {"state": "heat", "temperature": 21, "current_temperature": 20.5},
        ),
        DemoDevice("Front Door", "Entrance", "lock", {"state": "unlocked"}),
        DemoDevice("House Alarm", "Entrance", "security_system", {"state": "disarmed"}),
        DemoDevice("Patio Door", "Living Room", "contact_sensor", {"state": "off"}),
        # Behind one bridge: one address and one pairing for both.
        DemoDevice("Entrance Lamp", "Entrance", "lightbulb", {"state": "on"}, via="Hub"),
        DemoDevice("Side Door", "Garage", "contact_sensor", {"state": "off"}, via="Hub"),
    ]
    emulator = await start_demo(devices, fresh_hosts(), interface=LOOPBACK)
    try:
        bridge = emulator.spec("Entrance Lamp")
        assert (bridge.name, bridge.kind, len(emulator.specs)) == ("Hub", "bridge", 5)
        assert [a.host for a in bridge.bridged] == [bridge.host, bridge.host]
        async with running(emulator, tmp_path, 6) as house:
            assert house.fields("light.entrance_lamp")["state"] == "on"
            await house.send("light.entrance_lamp", "light.turn_off")
            assert (await emulator.values("Entrance Lamp"))["On"] is False
            assert house.fields("binary_sensor.side_door")["state"] == "off"
            assert house.fields("climate.hallway_thermostat")["temperature"] == 21.0
            await house.send(
                "climate.hallway_thermostat", "climate.set_temperature", temperature=18
            )
            await house.send("lock.front_door", "lock.lock")
            await house.send("alarm_panel.house_alarm", "alarm_panel.arm", mode="night")
            await house.adapter.refresh()
            assert house.fields("climate.hallway_thermostat")["temperature"] == 18.0
            assert house.fields("lock.front_door")["state"] == "locked"
            assert house.fields("alarm_panel.house_alarm")["state"] == "armed_night"
        assert len(PairingStore(tmp_path / PAIRINGS).load()) == 5, "the bridge paired once"
    finally:
        await emulator.stop()


async def test_a_bridge_is_available_or_not_as_one(
    start_emulator: Any, hosts: HostAllocator, tmp_path: Path
) -> None:
    host = hosts.allocate()
    bridged = [
        AccessorySpec("Reading Lamp", "color_lightbulb", host),
        AccessorySpec("Kettle", "switch", host),
    ]
    emulator = await start_emulator([AccessorySpec("Bridge", "bridge", host, bridged=bridged)])
    await pair_every(emulator, tmp_path)
    async with running(emulator, tmp_path, 2) as house:
        lamp, kettle = house.entity("light.reading_lamp"), house.entity("switch.kettle")
        assert lamp.device_id != kettle.device_id
        await emulator.set("Reading Lamp", On=True, Hue=120.0, Saturation=100.0)
        await house.until("light.reading_lamp", state="on", rgb_color=[0, 255, 0])
        await emulator.power_off()
        await house.adapter.refresh()
        assert not lamp.available
        assert not kettle.available
        await emulator.start()
        await house.until("switch.kettle", refresh=True, state="off")
        assert lamp.available
