"""The Envisalink adapter beyond the contract: pushes, delays, refusals, drops, secrets, policy."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import ValidationError

from devices.adapters.envisalink import CODE_ENV, EnvisalinkConfig
from devices.adapters.envisalink.adapter import EnvisalinkAdapter
from devices.adapters.envisalink.demo import start_demo
from devices.adapters.envisalink.emulator import EnvisalinkEmulator
from devices.adapters.envisalink.emulator.sample import sample_emulator, sample_settings
from devices.blocking import BlockingRunner
from devices.capabilities import validate_command
from devices.coordinator import FAILURES_BEFORE_UNAVAILABLE, deliver
from devices.errors import DeviceAuthError, DeviceRefusedError, DeviceUnconfirmedError
from devices.plugin import AdapterContext
from devices.registry import Registry
from devices.testing import fresh_hosts
from devices.testing.house import DemoDevice
from skills.actions import Action, Path, Plan, Requester, Role
from skills.executor import Executor
from skills.house import ConfirmationError, House
from skills.policy import Policy, PolicyConfig

PASSWORD, CODE = "s3cr3tpw", "4725"  # as conftest.py puts them in the environment
FAMILIES = pytest.mark.parametrize("panel_type", ["honeywell", "dsc"])
ALARM, PATIO, MOTION = (
    "alarm_panel.house_alarm",
    "binary_sensor.patio_door",
    "binary_sensor.hall_motion",
)


@dataclass
class Running:
    registry: Registry
    adapter: EnvisalinkAdapter
    emulator: EnvisalinkEmulator

    def fields(self, entity_id: str) -> dict[str, Any]:
        state = self.registry.entity(entity_id).state
        assert state is not None
        return {"state": state.state, **state.attributes()}

    async def send(self, entity_id: str, command: str, **params: Any) -> None:
        entity = self.registry.entity(entity_id)
        spec, typed = validate_command(
            entity_id, entity.domain, entity.features, command, params, state=entity.state
        )
        await self.adapter.execute(entity, spec, typed)

    async def until(self, entity_id: str, state: str, *, available: bool = True) -> None:
        """Wait for a pushed state (nothing polls here)."""
        entity = self.registry.entity(entity_id)

        def shows() -> bool:
            return entity.available == available and (
                not available or (entity.state is not None and entity.state.state == state)
            )

        assert await self.registry.wait_until(shows, 10), (
            entity_id,
            entity.state,
            entity.available,
        )


@asynccontextmanager
async def running(
    panel_type: str, *, emulator_options: Any = None, **settings: Any
) -> AsyncIterator[Running]:
    emulator = sample_emulator(
        fresh_hosts().allocate(),
        panel_type,  # type: ignore[arg-type]
        password=PASSWORD,
        code=CODE,
        **(emulator_options or {}),
    )
    await emulator.start()
    registry = Registry()
    blocking = BlockingRunner()
    options = {"request_timeout": 3.0, "reconnect_interval": 0.1, **settings}
    config = EnvisalinkConfig.model_validate(sample_settings(emulator, **options))
    adapter = EnvisalinkAdapter(AdapterContext("envisalink", registry, blocking), config)
    try:
        await adapter.start()
        yield Running(registry, adapter, emulator)
    finally:
        await adapter.stop()
        await emulator.stop()
        blocking.shutdown()


@FAMILIES
async def test_the_panel_and_its_zones_appear_with_their_areas(panel_type: str) -> None:
    async with running(panel_type) as house:
        assert sorted(house.registry.entities) == [
            ALARM,
            "binary_sensor.front_door",
            MOTION,
            PATIO,
        ]
        assert house.fields(ALARM)["state"] == "disarmed"
        assert house.registry.area_name(house.registry.entity(PATIO)) == "Living Room"
        assert house.registry.entity(MOTION).device_class == "motion"
        assert house.emulator.clients == 1


@FAMILIES
async def test_commands_reach_the_panel(panel_type: str) -> None:
    async with running(panel_type) as house:
        await house.send(ALARM, "alarm_panel.arm", mode="home")
        assert house.emulator.panel.partitions[1].mode == "stay"
        assert house.fields(ALARM)["state"] == "armed_home"
        await house.send(ALARM, "alarm_panel.disarm")
        assert house.emulator.panel.partitions[1].mode == "disarmed"
        await house.send(ALARM, "alarm_panel.arm", mode="night")
        assert house.emulator.panel.partitions[1].mode in ("night", "max")
        sent = house.emulator.commands
        if panel_type == "dsc":  # the panel asked for the code (900) and got it (200)
            assert any(line.startswith("200" + CODE) for line in sent)
        else:  # one keypress per line: the code, then the function key (7: instant)
            assert [line for line in sent if line.startswith("^03,1,")][-5:] == [
                *(f"^03,1,{digit}$" for digit in CODE),
                "^03,1,7$",
            ]


@FAMILIES
async def test_zone_changes_and_alarms_are_pushed(panel_type: str) -> None:
    async with running(panel_type, zone_dump_interval=0) as house:
        house.emulator.fault_zone(3)
        await house.until(PATIO, "on")
        house.emulator.restore_zone(3)
        await house.until(PATIO, "off")
        house.emulator.arm("away")
        await house.until(ALARM, "armed_away")
        house.emulator.fault_zone(2)
        await house.until(ALARM, "triggered")
        await house.until(MOTION, "on")


@FAMILIES
async def test_the_exit_delay_is_arming(panel_type: str) -> None:
    async with running(panel_type, emulator_options={"exit_delay": 0.5}) as house:
        await house.send(ALARM, "alarm_panel.arm", mode="away")
        assert house.fields(ALARM)["state"] == "arming"
        await house.until(ALARM, "armed_away")


@FAMILIES
async def test_an_open_door_refuses_arming_and_names_it(panel_type: str) -> None:
    async with running(panel_type) as house:
        house.emulator.fault_zone(3)
        await house.until(PATIO, "on")
        before = len(house.emulator.commands)
        with pytest.raises(DeviceRefusedError, match="cannot arm while Patio Door is open"):
            await house.send(ALARM, "alarm_panel.arm", mode="away")
        assert house.emulator.commands[before:] == []
        assert house.emulator.panel.partitions[1].mode == "disarmed"


@FAMILIES
async def test_an_acknowledged_arm_that_never_shows_is_unconfirmed_not_a_timeout(
    panel_type: str,
) -> None:
    """The module took the arm (it acknowledged) and the panel never armed: reported so,
    sent once, and the panel stays available (it answered)."""
    async with running(panel_type, request_timeout=1.0) as house:
        house.emulator.faults.stuck = True
        before = len(house.emulator.commands)
        entity = house.registry.entity(ALARM)
        spec, typed = validate_command(
            ALARM, entity.domain, entity.features, "alarm_panel.arm", {"mode": "night"}
        )
        with pytest.raises(DeviceUnconfirmedError, match="accepted the command"):
            await deliver(
                lambda: house.adapter.execute(entity, spec, typed),
                spec,
                available=True,
                within=5.0,
            )
        sent = house.emulator.commands[before:]
        if panel_type == "dsc":
            assert [line[:3] for line in sent if line[:3] in ("030", "031", "032")] == ["032"]
        else:
            assert [line for line in sent if line.startswith("^03,1,")] == [
                *(f"^03,1,{digit}$" for digit in CODE),
                "^03,1,7$",
            ]
        assert house.emulator.panel.partitions[1].mode == "disarmed"
        assert house.registry.entity(ALARM).available


@FAMILIES
async def test_a_wrong_code_is_refused_without_showing_it(
    panel_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DSC says 670 (invalid access code); a Vista only beeps three times: both are a
    wrong code, not a timeout."""
    async with running(panel_type) as house:
        house.emulator.arm("away")
        await house.until(ALARM, "armed_away")
        monkeypatch.setenv(CODE_ENV, "9999")
        with pytest.raises(DeviceRefusedError) as refused:
            await house.send(ALARM, "alarm_panel.disarm")
        assert str(refused.value) == "the panel did not accept the user code."
        assert house.emulator.panel.partitions[1].mode == "away"


async def test_without_a_code_in_the_environment_nothing_is_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with running("honeywell") as house:
        monkeypatch.delenv(CODE_ENV)
        before = len(house.emulator.commands)
        with pytest.raises(DeviceAuthError, match=f"set {CODE_ENV} in the environment"):
            await house.send(ALARM, "alarm_panel.arm", mode="away")
        assert house.emulator.commands[before:] == []


@FAMILIES
async def test_a_wrong_password_leaves_the_panel_unavailable(
    panel_type: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOBBY_ENVISALINK_PASSWORD", "wrong")
    async with running(panel_type, reconnect_interval=30) as house:
        entity = house.registry.entity(ALARM)
        assert not entity.available
        reason = house.registry.devices[entity.device_id].unavailable_reason
        assert reason == "refused the password in DOBBY_ENVISALINK_PASSWORD."
        assert house.emulator.clients == 0


@FAMILIES
async def test_the_module_going_away_and_coming_back(panel_type: str) -> None:
    async with running(panel_type) as house:
        await house.emulator.go_offline()
        for entity_id in (ALARM, PATIO):
            await house.until(entity_id, "", available=False)
        house.emulator.fault_zone(3)  # happens while the module is away
        await house.emulator.come_back()
        await house.until(ALARM, "disarmed")
        await house.until(PATIO, "on")
        await house.emulator.drop_connections()  # the module hangs up but still listens
        await house.until(ALARM, "", available=False)
        await house.until(ALARM, "disarmed")
        house.emulator.restore_zone(3)
        await house.until(PATIO, "off")
        await house.send(ALARM, "alarm_panel.arm", mode="night")
        assert house.fields(ALARM)["state"] == "armed_night"


@FAMILIES
async def test_the_secrets_never_reach_the_logs(
    panel_type: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running(panel_type, zone_dump_interval=0) as house:
        await house.send(ALARM, "alarm_panel.arm", mode="away")
        await house.send(ALARM, "alarm_panel.disarm")
        await house.adapter.refresh()
    library = [r for r in caplog.records if r.name.startswith("pyenvisalink")]
    assert any(r.getMessage().startswith("TX > (not logged") for r in library)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert CODE not in text
    assert PASSWORD not in text
    assert "^03,1," not in text  # no Honeywell keypress, which carries one digit each


def test_settings_name_variables_never_secrets() -> None:
    with pytest.raises(ValidationError, match=r"secrets never go in home\.yaml"):
        EnvisalinkConfig(code_env="4725")
    with pytest.raises(ValidationError, match="one Envisalink module"):
        EnvisalinkConfig(hosts=["127.0.0.1", "127.0.0.2"])
    assert CODE not in str(EnvisalinkAdapter.manifest.describe())


async def test_disarming_from_chat_waits_for_an_authorised_member() -> None:
    async with running("honeywell") as house:
        house.emulator.arm("away")
        await house.until(ALARM, "armed_away")
        executor = Executor(house.registry, {"envisalink": house.adapter})
        door = House(house.registry, Policy(house.registry, PolicyConfig()), executor)
        asker = Requester("tg:7", Role.MEMBER, "Ann")
        plan = Plan([Action(entity_id=ALARM, command="alarm_panel.disarm")], asker, Path.LLM)
        outcome = await door.carry_out(plan)
        assert outcome.results == []
        assert outcome.pending is not None
        assert "disarming the alarm" in outcome.pending.question
        assert house.emulator.panel.partitions[1].mode == "away"
        with pytest.raises(ConfirmationError, match="guest may not approve"):
            await door.confirm(outcome.pending.token, Requester("tg:9", Role.GUEST), approve=True)
        assert house.emulator.panel.partitions[1].mode == "away"
        approved = await door.confirm(
            outcome.pending.token, Requester("tg:8", Role.ADMIN, "Bo"), approve=True
        )
        assert [r.ok for r in approved.results] == [True]
        assert house.emulator.panel.partitions[1].mode == "disarmed"
        assert house.fields(ALARM)["state"] == "disarmed"
        assert CODE not in str([r.as_json() for r in approved.results])


async def test_the_demo_hook_starts_a_panel_the_adapter_reaches() -> None:
    devices = [
        DemoDevice("House Alarm", "Entrance", "dsc_panel", {"state": "disarmed"}),
        DemoDevice("Patio Door", "Living Room", "door", {"state": "off"}),
    ]
    demo = await start_demo(devices, fresh_hosts(), interface="127.0.0.1")
    registry = Registry()
    blocking = BlockingRunner()
    config = EnvisalinkConfig.model_validate(demo.adapter_settings)
    adapter = EnvisalinkAdapter(AdapterContext("envisalink", registry, blocking), config)
    try:
        await adapter.start()
        assert sorted(registry.entities) == [ALARM, PATIO]
        assert registry.area_name(registry.entity(ALARM)) == "Entrance"
        demo.emulator.fault_zone(1)
        assert await registry.wait_until(
            lambda: getattr(registry.entity(PATIO).state, "state", None) == "on", 10
        )
        assert "password" not in str(demo.adapter_settings).lower()
    finally:
        await adapter.stop()
        await demo.stop()
        blocking.shutdown()


async def test_unanswered_polls_mark_the_panel_unavailable_until_it_answers() -> None:
    async with running("dsc", request_timeout=0.5) as house:
        house.emulator.faults.latency = 2.0
        for _ in range(FAILURES_BEFORE_UNAVAILABLE - 1):
            await house.adapter.refresh()
            assert house.registry.entity(PATIO).available, "one slow answer is not enough"
        await house.adapter.refresh()
        assert not house.registry.entity(PATIO).available
        house.emulator.faults.clear()
        await asyncio.sleep(2.0)  # let the slow answer arrive and pass
        await house.adapter.refresh()
        assert house.registry.entity(PATIO).available


async def test_bypassing_a_zone_asks_first_lets_the_panel_arm_and_ends_at_disarm() -> None:
    bypass = "switch.patio_door_bypass"
    async with running("dsc", zone_bypass=True) as house:
        house.emulator.fault_zone(3)
        await house.until(PATIO, "on")
        executor = Executor(house.registry, {"envisalink": house.adapter})
        door = House(house.registry, Policy(house.registry, PolicyConfig()), executor)
        ann, bo = Requester("tg:7", Role.MEMBER, "Ann"), Requester("tg:8", Role.ADMIN, "Bo")
        on = Plan([Action(entity_id=bypass, command="switch.turn_on")], ann, Path.LLM)
        outcome = await door.carry_out(on)
        assert outcome.pending is not None
        assert "bypassing an alarm zone" in outcome.pending.question
        assert house.emulator.bypassed() == []
        approved = await door.confirm(outcome.pending.token, bo, approve=True)
        assert [r.ok for r in approved.results] == [True]
        assert house.emulator.bypassed() == [3]
        assert house.fields(bypass)["state"] == "on"
        await house.send(bypass, "switch.turn_on")  # once more: the panel only toggles
        assert house.emulator.bypassed() == [3]
        off = Plan([Action(entity_id=bypass, command="switch.turn_off")], ann, Path.LLM)
        ended = await door.carry_out(off)  # protecting the zone again never asks
        assert ended.pending is None
        assert [r.ok for r in ended.results] == [True]
        assert house.emulator.bypassed() == []
        await house.send(bypass, "switch.turn_on")
        await house.send(ALARM, "alarm_panel.arm", mode="away")  # the open door is bypassed
        assert house.emulator.panel.partitions[1].mode == "away"
        with pytest.raises(DeviceRefusedError, match="while the alarm is armed"):
            await house.send(bypass, "switch.turn_off")
        await house.send(ALARM, "alarm_panel.disarm")
        await house.until(bypass, "off")  # a disarm ends every bypass
        assert house.emulator.bypassed() == []
