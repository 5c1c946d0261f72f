"""What a person sets as a number on a ScreenLogic controller: each pump preset's speed
(message 12586, which screenlogicpy lacks) and the chlorinator's output (screenlogicpy's
set-SCG request), read back from the emulated controller over loopback."""

from __future__ import annotations

import struct

import pytest

from devices.adapters.screenlogic.emulator import ScreenLogicEmulator, pool_and_spa
from devices.adapters.screenlogic.emulator.equipment import PumpPreset
from devices.errors import DeviceRefusedError, UnsupportedCommandError
from devices.testing import fresh_hosts
from tests.devices.adapters.screenlogic.test_screenlogic_adapter import fields, running, send

SET_PUMP_FLOW = 12586
SET_SCG = 12576


async def test_a_pump_presets_speed_is_set_on_the_wire_and_read_back() -> None:
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa())
    sent: list[tuple[int, bytes]] = []
    gateway.on_request = lambda code, payload: sent.append((code, payload))
    async with running(gateway) as (registry, adapter):
        spa_speed = registry.entity("number.pool_pump_speed_for_spa")
        await send(adapter, spa_speed, "number.set_value", value=3200)
        # Controller 0, pump 0, preset 1 (the spa's), 3200, in RPM.
        assert (SET_PUMP_FLOW, struct.pack("<5I", 0, 0, 1, 3200, 1)) in sent
        assert gateway.equipment.presets[0][1].speed == 3200
        assert fields(registry, "number.pool_pump_speed_for_spa")["state"] == "3200"
        assert fields(registry, "number.pool_pump_speed_for_pool")["state"] == "2500"
        # The pump runs at the preset of the circuit that is on: the pool's, now faster.
        await send(
            adapter,
            registry.entity("number.pool_pump_speed_for_pool"),
            "number.set_value",
            value=2800,
        )
        await adapter.refresh()
        assert fields(registry, "sensor.pool_pump_speed")["state"] == "2800"


async def test_a_gpm_preset_is_set_in_gpm() -> None:
    equipment = pool_and_spa()
    equipment.presets[0] = [PumpPreset(505, 40, rpm=False)]
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), equipment)
    async with running(gateway) as (registry, adapter):
        speed = registry.entity("number.pool_pump_speed_for_pool")
        assert fields(registry, speed.entity_id) == {
            "state": "40",
            "min": 15,
            "max": 130,
            "step": 1,
            "unit_of_measurement": "GPM",
        }
        assert "number.pool_pump_speed_for_spa" not in registry.entities
        await send(adapter, speed, "number.set_value", value=55)
        assert (equipment.presets[0][0].speed, equipment.presets[0][0].rpm) == (55, False)
        assert fields(registry, speed.entity_id)["state"] == "55"


async def test_the_chlorinator_output_is_set_per_body_keeping_the_other() -> None:
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa())
    sent: list[tuple[int, bytes]] = []
    gateway.on_request = lambda code, payload: sent.append((code, payload))
    async with running(gateway) as (registry, adapter):
        await send(
            adapter, registry.entity("number.pool_chlorinator_output"), "number.set_value", value=40
        )
        # Pool 40 %, spa as it was (10 %), super-chlorination off for 0 hours, as it was.
        assert (SET_SCG, struct.pack("<5I", 0, 40, 10, 0, 0)) in sent
        await send(
            adapter, registry.entity("number.spa_chlorinator_output"), "number.set_value", value=5
        )
        chemistry = gateway.equipment.chemistry
        assert (chemistry.chlorinator_pool, chemistry.chlorinator_spa) == (40, 5)
        assert fields(registry, "number.pool_chlorinator_output")["state"] == "40"
        assert fields(registry, "number.spa_chlorinator_output")["state"] == "5"


async def test_a_speed_between_steps_is_refused_before_anything_is_sent() -> None:
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa())
    sent: list[int] = []
    async with running(gateway) as (registry, adapter):
        gateway.on_request = lambda code, _: sent.append(code)
        speed = registry.entity("number.pool_pump_speed_for_pool")
        with pytest.raises(
            UnsupportedCommandError, match="steps of 10 RPM from 450 RPM, so not 2505 RPM"
        ):
            await send(adapter, speed, "number.set_value", value=2505)
        assert SET_PUMP_FLOW not in sent
        assert gateway.equipment.presets[0][0].speed == 2500


async def test_the_controller_refusing_a_speed_is_reported_as_refused() -> None:
    # Past the policy (which refuses it first, see test_screenlogic_policy), the controller
    # itself answers a speed outside the pump's range with its bad-parameter code.
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa())
    async with running(gateway) as (registry, adapter):
        speed = registry.entity("number.pool_pump_speed_for_pool")
        with pytest.raises(DeviceRefusedError):
            await send(adapter, speed, "number.set_value", value=3500)
        assert gateway.equipment.presets[0][0].speed == 2500


async def test_a_pumps_speed_for_its_own_circuit_is_its_target_speed() -> None:
    # The demo's pool circuit is called "Pool Pump", and so is the pump it runs: its preset
    # is the pump's Target Speed, not "Pool Pump Speed for Pool Pump", and not "Pool Pump
    # Speed", the sensor of the speed it runs at now.
    equipment = pool_and_spa()
    pool = next(c for c in equipment.circuits if c.name == "Pool")
    pool.name = "Pool Pump"
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), equipment)
    async with running(gateway) as (registry, adapter):
        target = registry.entity("number.pool_pump_target_speed")
        assert (target.name, fields(registry, target.entity_id)["state"]) == (
            "Pool Pump Target Speed",
            "2500",
        )
        assert registry.entity("number.pool_pump_speed_for_spa").name == "Pool Pump Speed for Spa"
        assert registry.entity("sensor.pool_pump_speed").name == "Pool Pump Speed"
        await send(adapter, target, "number.set_value", value=2700)
        assert fields(registry, target.entity_id)["state"] == "2700"
