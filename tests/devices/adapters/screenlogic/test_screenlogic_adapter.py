"""The ScreenLogic adapter beyond the contract: push, drops, units, readings, the demo."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import yaml

from devices.adapters.screenlogic import ScreenLogicConfig
from devices.adapters.screenlogic.adapter import GatewayLink, ScreenLogicAdapter
from devices.adapters.screenlogic.emulator import ScreenLogicEmulator, pool_and_spa
from devices.blocking import BlockingRunner
from devices.capabilities import validate_command
from devices.entities import Entity
from devices.errors import DeviceAuthError, UnsupportedCommandError
from devices.plugin import AdapterContext
from devices.registry import Registry
from devices.testing import fresh_hosts
from devices.testing.contract import state_fields
from devices.virtual_house import HouseFile, VirtualHouse

WATERFALL = 506


@asynccontextmanager
async def running(
    gateway: ScreenLogicEmulator, *, discover: bool = True, **config: Any
) -> AsyncIterator[tuple[Registry, ScreenLogicAdapter]]:
    """The gateway and an adapter that has found it (by discovery or as a configured host)."""
    await gateway.start()
    registry, blocking = Registry(), BlockingRunner()
    if not discover:
        config.setdefault("hosts", [f"{gateway.host}:{gateway.port}"])
    adapter = ScreenLogicAdapter(
        AdapterContext("screenlogic", registry, blocking, [gateway.host] if discover else []),
        ScreenLogicConfig(request_timeout=2.0, reconnect_interval=0.1, **config),
    )
    try:
        await adapter.start()
        assert await registry.wait_until(lambda: len(registry.entities) > 0, 10)
        yield registry, adapter
    finally:
        await adapter.stop()
        await gateway.stop()
        blocking.shutdown()


async def send(adapter: ScreenLogicAdapter, entity: Entity, command: str, **params: Any) -> None:
    spec, typed = validate_command(
        entity.entity_id, entity.domain, entity.features, command, params, state=entity.state
    )
    await adapter.execute(entity, spec, typed)


def fields(registry: Registry, entity_id: str) -> dict[str, Any]:
    return state_fields(registry.entity(entity_id))


async def test_entities_map_the_controller_in_the_households_unit() -> None:
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa())
    async with running(gateway) as (registry, _):
        assert sorted(registry.entities) == [
            "climate.pool_heater",
            "climate.spa_heater",
            "light.pool_light",
            "light.spa_light",
            "number.pool_chlorinator_output",
            "number.pool_pump_speed_for_pool",
            "number.pool_pump_speed_for_spa",
            "number.spa_chlorinator_output",
            "sensor.air_temperature",
            "sensor.pool_orp",
            "sensor.pool_ph",
            "sensor.pool_pump_power",
            "sensor.pool_pump_speed",
            "sensor.pool_salt",
            "sensor.pool_temperature",
            "sensor.spa_temperature",
            "switch.cleaner",
            "switch.pool",
            "switch.spa",
            "switch.spa_jets",
            "switch.waterfall",
        ]
        pool = registry.entity("climate.pool_heater")
        assert pool.device_class == "pool_heater"
        assert registry.entity("climate.spa_heater").device_class == "spa_heater"
        # 77 °F water, 80 °F target, heat off; the controller accepts 40-104 °F.
        assert fields(registry, "climate.pool_heater") == {
            "state": "off",
            "hvac_modes": ["off", "heat"],
            "hvac_action": "off",
            "temperature": 26.7,
            "current_temperature": 25.0,
            "min_temp": 4.4,
            "max_temp": 40.0,
            "temperature_unit": "°C",
        }
        assert fields(registry, "sensor.air_temperature") == {
            "state": "23.9",
            "unit_of_measurement": "°C",
        }
        assert fields(registry, "sensor.pool_ph")["state"] == "7.4"
        assert fields(registry, "sensor.pool_orp") == {"state": "720", "unit_of_measurement": "mV"}
        assert fields(registry, "sensor.pool_salt") == {
            "state": "3200",
            "unit_of_measurement": "ppm",
        }
        assert fields(registry, "switch.pool") == {"state": "on"}
        assert fields(registry, "number.pool_chlorinator_output") == {
            "state": "50",
            "min": 0,
            "max": 100,
            "step": 1,
            "unit_of_measurement": "%",
        }
        assert fields(registry, "number.spa_chlorinator_output")["state"] == "10"
        # One IntelliFlo, with a preset for each body's circuit: 2500 RPM for the pool and
        # 3000 for the spa, in steps of 10 RPM between 450 and 3450.
        assert fields(registry, "number.pool_pump_speed_for_pool") == {
            "state": "2500",
            "min": 450,
            "max": 3450,
            "step": 10,
            "unit_of_measurement": "RPM",
        }
        assert fields(registry, "number.pool_pump_speed_for_spa")["state"] == "3000"
        light = fields(registry, "light.pool_light")
        assert light["state"] == "off"
        assert "Party" in light["effect_list"]
        assert registry.area_name(pool) == "Pool"


async def test_a_celsius_controller_seen_in_fahrenheit() -> None:
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa(celsius=True))
    async with running(gateway, temperature_unit="°F") as (registry, adapter):
        assert fields(registry, "climate.pool_heater")["current_temperature"] == 77.0
        await send(
            adapter,
            registry.entity("climate.pool_heater"),
            "climate.set_temperature",
            temperature=84,
        )
        # 84 °F is 28.9 °C; the controller keeps whole degrees: 29 °C, which reads 84.2 °F.
        assert gateway.equipment.body(0).setpoint == 29
        assert fields(registry, "climate.pool_heater")["temperature"] == 84.2


async def test_a_setpoint_outside_the_controllers_range_is_refused_before_sending() -> None:
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa())
    sent: list[int] = []
    gateway.on_request = lambda code, _: sent.append(code)
    async with running(gateway) as (registry, adapter):
        sent.clear()
        with pytest.raises(
            UnsupportedCommandError, match=re.escape("accepts 4.4 to 40 °C, not 45 °C")
        ):
            await send(
                adapter,
                registry.entity("climate.spa_heater"),
                "climate.set_temperature",
                temperature=45,
            )
        assert 12528 not in sent
        assert gateway.equipment.body(1).setpoint == 100


async def test_changes_at_the_controller_are_pushed_without_polling() -> None:
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa())
    async with running(gateway) as (registry, _):
        assert gateway.subscribers == 1
        gateway.set_circuit(WATERFALL, True)
        assert await registry.wait_until(
            lambda: fields(registry, "switch.waterfall")["state"] == "on", 5
        )


async def test_the_water_warms_toward_the_setpoint_while_the_heater_runs() -> None:
    equipment = pool_and_spa()
    equipment.heating_rate = 20.0
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), equipment, tick=0.05)
    async with running(gateway) as (registry, adapter):
        heater = registry.entity("climate.pool_heater")
        await send(adapter, heater, "climate.set_temperature", temperature=30, hvac_mode="heat")
        assert fields(registry, "climate.pool_heater")["hvac_action"] == "heating"
        assert await registry.wait_until(
            lambda: fields(registry, "climate.pool_heater")["current_temperature"] == 30.0, 10
        )
        assert await registry.wait_until(
            lambda: fields(registry, "climate.pool_heater")["hvac_action"] == "idle", 10
        )
        assert fields(registry, "sensor.pool_temperature")["state"] == "30"


async def test_a_dropped_gateway_turns_unavailable_and_recovers() -> None:
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa())
    async with running(gateway) as (registry, _):
        await gateway.go_offline()
        assert await registry.wait_until(
            lambda: not any(e.available for e in registry.entities.values()), 5
        )
        gateway.equipment.circuit(WATERFALL).on = True  # changed while we were away
        await gateway.come_back()
        assert await registry.wait_until(
            lambda: all(e.available for e in registry.entities.values()), 10
        )
        assert fields(registry, "switch.waterfall")["state"] == "on"
        assert gateway.subscribers == 1, "pushed updates resume after the reconnection"


async def test_a_configured_host_needs_no_discovery() -> None:
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa())
    async with running(gateway, discover=False) as (registry, adapter):
        assert len(registry.entities) == 21
        assert set(adapter.devices.coordinators) == {gateway.mac}
        device = registry.devices[f"screenlogic:{gateway.mac}"]
        assert device.info.model == "EasyTouch2 8"
        assert device.info.name == gateway.name


async def test_a_rejected_login_is_an_auth_error(caplog: pytest.LogCaptureFixture) -> None:
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa(), password="1234")
    await gateway.start()
    registry, blocking = Registry(), BlockingRunner()
    adapter = ScreenLogicAdapter(
        AdapterContext("screenlogic", registry, blocking, []), ScreenLogicConfig()
    )
    try:
        await adapter.add_gateway(gateway.host, gateway.port)  # logged, not raised
        assert registry.entities == {}
        [line] = [r for r in caplog.records if "refused the login" in r.getMessage()]
        assert line.exc_info is None, "one line, no traceback"
        link = GatewayLink(gateway.host, gateway.port, "", ScreenLogicConfig())
        with pytest.raises(DeviceAuthError, match="refused the login"):
            await link.connect()
        await link.close()
    finally:
        await adapter.stop()
        await gateway.stop()
        blocking.shutdown()


HOUSE_LINES = """
devices:
  - {name: Pool Pump, area: Backyard, adapter: screenlogic, kind: pump, domain: switch,
     state: {state: "on"}}
  - {name: Pool Heater, area: Backyard, adapter: screenlogic, kind: heater, domain: climate,
     state: {state: heat, temperature: 27, current_temperature: 25}}
  - {name: Pool Light, area: Backyard, adapter: screenlogic, kind: light, domain: light,
     state: {state: "off"}}
"""
"""The lines proposed for config/demo/house.yaml."""


async def test_the_demo_pool_starts_as_the_demo_house_says() -> None:
    house = VirtualHouse(
        HouseFile.model_validate(yaml.safe_load(HOUSE_LINES)),
        {"screenlogic": ScreenLogicAdapter.manifest},
        interface=fresh_hosts().allocate(),
    )
    await house.start()
    registry, blocking = Registry(), BlockingRunner()
    registry.add_area("Backyard", aliases=["garden", "pool"])
    assert house.settings["screenlogic"] == {"broadcast_address": house.hosts.broadcast}
    adapter = ScreenLogicAdapter(
        AdapterContext("screenlogic", registry, blocking, [house.interface]),
        ScreenLogicConfig(**house.settings["screenlogic"]),
    )
    try:
        await adapter.start()
        wanted = set(house.entity_ids)
        assert wanted == {"switch.pool_pump", "climate.pool_heater", "light.pool_light"}
        assert await registry.wait_until(lambda: wanted <= set(registry.entities), 10)
        assert fields(registry, "switch.pool_pump") == {"state": "on"}
        heater = fields(registry, "climate.pool_heater")
        assert (heater["state"], heater["temperature"], heater["current_temperature"]) == (
            "heat",
            27.0,
            25.0,
        )
        assert fields(registry, "light.pool_light")["state"] == "off"
        assert {registry.area_name(registry.entity(e)) for e in wanted} == {"Backyard"}
    finally:
        await adapter.stop()
        await house.stop()
        blocking.shutdown()


async def test_the_pump_reports_its_speed_and_power_as_it_runs() -> None:
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa())
    async with running(gateway) as (registry, adapter):
        speed, power = "sensor.pool_pump_speed", "sensor.pool_pump_power"
        assert fields(registry, speed) == {"state": "2500", "unit_of_measurement": "RPM"}
        assert fields(registry, power) == {"state": "850", "unit_of_measurement": "W"}
        assert registry.entity(power).device_class == "power"
        await send(adapter, registry.entity("switch.pool"), "switch.turn_off")
        await adapter.refresh()
        assert fields(registry, speed)["state"] == "0"
        assert fields(registry, power)["state"] == "0"
