"""What a card says at a glance, read from `Glance` over a registry of its own."""

from __future__ import annotations

from devices.capabilities import Domain, SensorState
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry
from skills.actions import Role
from tests.agent.channels.web.test_web_numbers import card_for


def test_a_reading_shows_its_value_with_its_unit_or_without_one() -> None:
    registry = Registry()
    registry.upsert_device(
        "screenlogic",
        DeviceInfo(unique_id="controller", name="Pentair"),
        [
            EntitySpec("ph", Domain.SENSOR, "Pool pH", state=SensorState(state="7.4")),
            EntitySpec(
                "salt",
                Domain.SENSOR,
                "Pool Salt",
                state=SensorState(state="3200", unit_of_measurement="ppm"),
            ),
        ],
    )
    assert card_for(registry, "sensor.pool_ph", Role.GUEST).state == "7.4"
    assert card_for(registry, "sensor.pool_salt", Role.GUEST).state == "3200 ppm"
