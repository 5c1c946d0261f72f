"""Pool and spa heat through the one path: limits refused by name, confirmations held."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path as FilePath

import pytest
import yaml

from devices.adapters.screenlogic import ScreenLogicConfig
from devices.adapters.screenlogic.adapter import ScreenLogicAdapter
from devices.adapters.screenlogic.emulator import ScreenLogicEmulator, pool_and_spa
from devices.blocking import BlockingRunner
from devices.plugin import AdapterContext
from devices.registry import Registry
from devices.testing import fresh_hosts
from skills.actions import Action, Path, Plan, Requester, Role
from skills.executor import Executor
from skills.house import House
from skills.policy import NumberBounds, Policy, PolicyConfig, TemperatureBounds

ADMIN = Requester("admin", Role.ADMIN)
MEMBER = Requester("member", Role.MEMBER)
POOL_HEAT_LIMITS = {
    "climate.pool_heater": TemperatureBounds(min=10, max=34),
    "climate.spa_heater": TemperatureBounds(min=10, max=40),
}
"""What config/home.yaml says under policy.temperature_by_entity."""
HOME_YAML = FilePath(__file__).resolve().parents[4] / "config" / "home.yaml"
"""Its policy section is read here exactly as written there."""


@dataclass
class Pool:
    registry: Registry
    gateway: ScreenLogicEmulator
    house: House


async def pool_house(policy: PolicyConfig) -> AsyncIterator[Pool]:
    gateway = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa())
    await gateway.start()
    registry, blocking = Registry(), BlockingRunner()
    adapter = ScreenLogicAdapter(
        AdapterContext("screenlogic", registry, blocking, []),
        ScreenLogicConfig(hosts=[f"{gateway.host}:{gateway.port}"], request_timeout=2.0),
    )
    try:
        await adapter.start()
        executor = Executor(registry, {"screenlogic": adapter}, timeout=5.0)
        yield Pool(registry, gateway, House(registry, Policy(registry, policy), executor))
    finally:
        await adapter.stop()
        await gateway.stop()
        blocking.shutdown()


@pytest.fixture
async def bounded() -> AsyncIterator[Pool]:
    async for pool in pool_house(PolicyConfig(temperature_by_entity=POOL_HEAT_LIMITS)):
        yield pool


@pytest.fixture
async def confirming() -> AsyncIterator[Pool]:
    policy = PolicyConfig.model_validate(yaml.safe_load(HOME_YAML.read_text())["policy"])
    assert policy.temperature_by_entity == POOL_HEAT_LIMITS
    defaults = PolicyConfig().confirm
    assert policy.confirm[: len(defaults)] == defaults, "the defaults are kept"
    async for pool in pool_house(policy):
        yield pool


def heat(entity_id: str, temperature: float, who: Requester = ADMIN) -> Plan:
    action = Action(
        entity_id=entity_id,
        command="climate.set_temperature",
        params={"temperature": temperature, "hvac_mode": "heat"},
    )
    return Plan([action], who, Path.INTENT)


async def test_pool_heat_above_its_limit_is_refused_naming_the_limit(bounded: Pool) -> None:
    outcome = await bounded.house.carry_out(heat("climate.pool_heater", 35))
    assert [d.reason for d in outcome.refused] == [
        "35° is outside the allowed range for Pool Heater (10° to 34°)"
    ]
    assert outcome.results == []
    assert bounded.gateway.equipment.body(0).setpoint == 80, "nothing reached the controller"
    assert bounded.gateway.equipment.body(0).heat_mode == 0


async def test_spa_heat_above_40_is_refused_and_within_it_runs(bounded: Pool) -> None:
    refused = await bounded.house.carry_out(heat("climate.spa_heater", 41))
    assert [d.reason for d in refused.refused] == [
        "41° is outside the allowed range for Spa Heater (10° to 40°)"
    ]
    assert bounded.gateway.equipment.body(1).setpoint == 100
    allowed = await bounded.house.carry_out(heat("climate.spa_heater", 38))
    assert [r.ok for r in allowed.results] == [True]
    assert bounded.gateway.equipment.body(1).setpoint == 100  # 38 °C is 100.4 °F → 100
    assert bounded.gateway.equipment.body(1).heat_mode == 3
    state = bounded.registry.entity("climate.spa_heater").state
    assert state is not None
    assert state.attributes()["temperature"] == 37.8


async def test_pool_heat_at_its_limit_runs(bounded: Pool) -> None:
    outcome = await bounded.house.carry_out(heat("climate.pool_heater", 34))
    assert [r.ok for r in outcome.results] == [True]
    assert bounded.gateway.equipment.body(0).setpoint == 93  # 34 °C is 93.2 °F


async def test_turning_the_pool_heater_on_waits_for_a_confirmation(confirming: Pool) -> None:
    outcome = await confirming.house.carry_out(heat("climate.pool_heater", 28, MEMBER))
    assert outcome.results == []
    assert outcome.pending is not None
    assert outcome.pending.question == (
        "Please confirm: turning up the pool heater needs a confirmation."
    )
    assert confirming.gateway.equipment.body(0).heat_mode == 0
    approved = await confirming.house.confirm(outcome.pending.token, ADMIN, approve=True)
    assert [r.ok for r in approved.results] == [True]
    assert confirming.gateway.equipment.body(0).heat_mode == 3
    assert confirming.gateway.equipment.body(0).setpoint == 82  # 28 °C is 82.4 °F


async def test_the_spa_heater_needs_no_confirmation_when_only_the_pool_is_listed(
    confirming: Pool,
) -> None:
    outcome = await confirming.house.carry_out(heat("climate.spa_heater", 38))
    assert outcome.pending is None
    assert [r.ok for r in outcome.results] == [True]


async def test_a_confirmed_plan_above_the_limit_is_still_refused(confirming: Pool) -> None:
    outcome = await confirming.house.carry_out(heat("climate.pool_heater", 36))
    assert outcome.pending is None
    assert [d.reason for d in outcome.refused] == [
        "36° is outside the allowed range for Pool Heater (10° to 34°)"
    ]


async def test_turning_the_pool_heater_down_or_off_never_asks(confirming: Pool) -> None:
    """The rule reads the direction, not the command: lower setpoints and "off" run at
    once, for a member, on every path; raising it again asks."""
    on = await confirming.house.carry_out(heat("climate.pool_heater", 30, MEMBER))
    assert on.pending is not None
    await confirming.house.confirm(on.pending.token, ADMIN, approve=True)
    assert confirming.gateway.equipment.body(0).heat_mode == 3
    for path in Path:
        lower = Action(
            entity_id="climate.pool_heater",
            command="climate.set_temperature",
            params={"temperature": 25},
        )
        outcome = await confirming.house.carry_out(Plan([lower], MEMBER, path))
        assert outcome.pending is None, path
        assert [r.ok for r in outcome.results] == [True], path
    assert confirming.gateway.equipment.body(0).setpoint == 77  # 25 °C
    off = Action(
        entity_id="climate.pool_heater",
        command="climate.set_hvac_mode",
        params={"hvac_mode": "off"},
    )
    outcome = await confirming.house.carry_out(Plan([off], MEMBER, Path.LLM))
    assert outcome.pending is None
    assert [r.ok for r in outcome.results] == [True]
    assert confirming.gateway.equipment.body(0).heat_mode == 0
    up = Action(
        entity_id="climate.pool_heater",
        command="climate.set_temperature",
        params={"temperature": 26},
    )
    assert (await confirming.house.carry_out(Plan([up], MEMBER, Path.LLM))).pending is not None


def set_value(entity_id: str, value: float, who: Requester = MEMBER) -> Plan:
    action = Action(entity_id=entity_id, command="number.set_value", params={"value": value})
    return Plan([action], who, Path.INTENT)


async def test_a_pump_speed_outside_the_pumps_range_is_refused_naming_it(bounded: Pool) -> None:
    outcome = await bounded.house.carry_out(set_value("number.pool_pump_speed_for_pool", 3500))
    assert [d.reason for d in outcome.refused] == [
        "3500 RPM is outside the allowed range for Pool Pump Speed for Pool (450 RPM to 3450 RPM)"
    ]
    assert outcome.results == []
    assert bounded.gateway.equipment.presets[0][0].speed == 2500, "nothing reached the pump"
    allowed = await bounded.house.carry_out(set_value("number.pool_pump_speed_for_pool", 3450))
    assert [r.ok for r in allowed.results] == [True]
    assert bounded.gateway.equipment.presets[0][0].speed == 3450


async def test_the_households_number_bounds_narrow_the_devices() -> None:
    policy = PolicyConfig(numbers={"number.pool_chlorinator_output": NumberBounds(max=60)})
    async for pool in pool_house(policy):
        plan = set_value("number.pool_chlorinator_output", 70)
        refused = await pool.house.carry_out(plan)
        assert [d.reason for d in refused.refused] == [
            "70 % is outside the allowed range for Pool Chlorinator Output (0 % to 60 %)"
        ]
        assert pool.gateway.equipment.chemistry.chlorinator_pool == 50
        outcome = await pool.house.carry_out(set_value("number.pool_chlorinator_output", 60))
        assert [r.ok for r in outcome.results] == [True]
        assert pool.gateway.equipment.chemistry.chlorinator_pool == 60
