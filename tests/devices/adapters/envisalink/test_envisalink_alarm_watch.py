"""skills.alarm_watch: the household hears of a trip, or a zone set off while armed."""

from __future__ import annotations

import pytest

from devices.adapters.envisalink import EnvisalinkConfig
from devices.adapters.envisalink.adapter import EnvisalinkAdapter
from devices.adapters.envisalink.emulator.sample import sample_emulator, sample_settings
from devices.blocking import BlockingRunner
from devices.capabilities import AlarmPanelState, BinarySensorState, Domain
from devices.entities import DeviceInfo, EntitySpec
from devices.plugin import AdapterContext
from devices.registry import Registry
from devices.testing import fresh_hosts
from skills.alarm_watch import watch_alarms
from skills.notifications import Notice, NoticeKind, Notifications

PASSWORD, CODE = "s3cr3tpw", "4725"  # as conftest.py puts them in the environment
ALARM, PATIO = "alarm_panel.house_alarm", "binary_sensor.patio_door"


def texts(notices: list[Notice]) -> list[str]:
    assert all(n.kind is NoticeKind.ALARM for n in notices)
    return [n.text for n in notices]


@pytest.mark.parametrize("panel_type", ["dsc", "honeywell"])
async def test_an_envisalink_trip_and_a_zone_while_armed_reach_the_household(
    panel_type: str,
) -> None:
    emulator = sample_emulator(
        fresh_hosts().allocate(),
        panel_type,  # type: ignore[arg-type]
        password=PASSWORD,
        code=CODE,
    )
    await emulator.start()
    registry = Registry()
    blocking = BlockingRunner()
    settings = sample_settings(emulator, request_timeout=3.0, zone_dump_interval=0)
    adapter = EnvisalinkAdapter(
        AdapterContext("envisalink", registry, blocking), EnvisalinkConfig.model_validate(settings)
    )
    notifications = Notifications()
    heard: list[Notice] = []

    async def channel(notice: Notice) -> None:
        heard.append(notice)

    notifications.subscribe(channel)
    watch = watch_alarms(registry, notifications)

    def state(entity_id: str) -> str | None:
        current = registry.entity(entity_id).state
        return current.state if current else None

    def trouble(entity_id: str) -> str | None:
        current = registry.entity(entity_id).state
        return getattr(current, "trouble", None)

    try:
        await adapter.start()
        emulator.fault_zone(2)  # motion while disarmed: no news
        emulator.restore_zone(2)
        emulator.arm("stay")
        assert await registry.wait_until(lambda: state(ALARM) == "armed_home", 10)
        emulator.fault_zone(2)  # motion while armed home: people are in, no news
        assert await registry.wait_until(lambda: state("binary_sensor.hall_motion") == "on", 10)
        await watch.settle()
        assert heard == []
        emulator.fault_zone(3)  # the patio door opens while armed: news, then the alarm
        assert await registry.wait_until(lambda: state(ALARM) == "triggered", 10)
        await watch.settle()
        assert texts(heard) == [
            "Patio Door opened while House Alarm is armed home.",
            "ALARM: Patio Door, zone 3",
        ]
        heard.clear()
        emulator.lose_ac_power()
        assert await registry.wait_until(lambda: bool(trouble(ALARM)), 10)
        emulator.restore_ac_power()
        assert await registry.wait_until(lambda: trouble(ALARM) is None, 10)
        await watch.settle()
        assert texts(heard) == [
            "House Alarm reports a trouble: AC power lost.",
            "House Alarm: the trouble is over (AC power lost).",
        ]
    finally:
        await watch.stop()
        await adapter.stop()
        await emulator.stop()
        blocking.shutdown()


def add(registry: Registry, device: str, spec: EntitySpec) -> None:
    registry.upsert_device("fake", DeviceInfo(unique_id=device, name=device), [spec])


async def test_a_sensor_of_another_device_is_guarded_by_every_panel() -> None:
    registry = Registry()
    notifications = Notifications()
    watch = watch_alarms(registry, notifications)
    add(
        registry,
        "panel",
        EntitySpec("p", Domain.ALARM_PANEL, "House Alarm", state=AlarmPanelState(state="disarmed")),
    )
    add(
        registry,
        "sensor",
        EntitySpec(
            "s",
            Domain.BINARY_SENSOR,
            "Patio Door",
            device_class="door",
            state=BinarySensorState(state="off"),
        ),
    )
    registry.update_state(PATIO, BinarySensorState(state="on"))
    registry.update_state(PATIO, BinarySensorState(state="off"))
    registry.update_state(ALARM, AlarmPanelState(state="armed_away"))
    registry.set_device_available("fake:sensor", available=False)
    registry.set_device_available("fake:sensor", available=True)  # back, still off: no news
    registry.update_state(PATIO, BinarySensorState(state="on"))
    registry.update_state(PATIO, BinarySensorState(state="on"))  # the same state twice
    await watch.stop()
    assert texts(notifications.history) == ["Patio Door opened while House Alarm is armed away."]
    registry.update_state(ALARM, AlarmPanelState(state="triggered"))  # stopped: not heard
    assert len(notifications.history) == 1
