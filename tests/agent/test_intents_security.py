"""Dobby's own intents: arming and disarming the alarm, and the climate mode."""

from __future__ import annotations

import pytest

from agent.intents import IntentReader
from devices.capabilities import AlarmPanelState, ClimateState, Domain, HVACMode
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry


@pytest.fixture
def reader() -> IntentReader:
    registry = Registry()
    registry.add_area("Entrance")
    registry.add_area("Hallway")
    registry.upsert_device(
        "t",
        DeviceInfo(unique_id="alarm", name="House Alarm", suggested_area="Entrance"),
        [
            EntitySpec(
                unique_id="alarm",
                domain=Domain.ALARM_PANEL,
                name="House Alarm",
                features=frozenset({"arm_home", "arm_away", "arm_night"}),
                state=AlarmPanelState(state="disarmed"),
            )
        ],
    )
    registry.upsert_device(
        "t",
        DeviceInfo(unique_id="th", name="Hallway Thermostat", suggested_area="Hallway"),
        [
            EntitySpec(
                unique_id="th",
                domain=Domain.CLIMATE,
                name="Hallway Thermostat",
                device_class="thermostat",
                features=frozenset({"target_temperature", "hvac_mode"}),
                state=ClimateState(state=HVACMode.HEAT, temperature=21),
            )
        ],
    )
    return IntentReader(registry, "en")


@pytest.mark.parametrize(
    ("text", "command", "params"),
    [
        ("arm the alarm for the night", "alarm_panel.arm", {"mode": "night"}),
        ("arm the alarm", "alarm_panel.arm", {"mode": "away"}),
        ("set the alarm to home", "alarm_panel.arm", {"mode": "home"}),
        ("arm the house alarm in away mode", "alarm_panel.arm", {"mode": "away"}),
        ("disarm the alarm", "alarm_panel.disarm", {}),
        ("disarm the house alarm", "alarm_panel.disarm", {}),
    ],
)
def test_the_alarm(reader: IntentReader, text: str, command: str, params: dict[str, str]) -> None:
    found = reader.read(text)
    assert found is not None
    assert [(a.entity_id, a.command, a.params) for a in found.actions] == [
        ("alarm_panel.house_alarm", command, params)
    ]


@pytest.mark.parametrize(
    ("text", "mode"),
    [
        ("set the hallway thermostat to cool", "cool"),
        ("switch the heating to auto", "auto"),
        ("put the thermostat into heat mode", "heat"),
    ],
)
def test_the_climate_mode(reader: IntentReader, text: str, mode: str) -> None:
    found = reader.read(text)
    assert found is not None
    assert found.intent == "DobbyClimateSetMode"
    assert [(a.entity_id, a.command, a.params) for a in found.actions] == [
        ("climate.hallway_thermostat", "climate.set_hvac_mode", {"hvac_mode": mode})
    ]
