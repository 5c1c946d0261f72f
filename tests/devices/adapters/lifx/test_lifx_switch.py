"""A LIFX Switch: its relays as switch entities, read and switched over loopback UDP with
aiolifx's GetRPower and SetRPower (the emulator's relays: devices/adapters/lifx/relays.py)."""

from __future__ import annotations

from devices.adapters.lifx.demo import BulbSpec, LifxEmulation
from devices.capabilities import validate_command
from devices.registry import Registry
from devices.testing import fresh_hosts
from skills.actions import Action, Path, Plan, Requester
from skills.executor import Executor
from tests.devices.adapters.lifx.test_lifx_adapter import lifx

RELAYS = [True, False, False, True]


def switch_and_bulb() -> tuple[LifxEmulation, list[bool]]:
    """A four-relay switch in the hall beside a bulb in the study."""
    relays = list(RELAYS)
    hosts = fresh_hosts()
    emulation = LifxEmulation(
        [BulbSpec("Hall Switch", "Hall", relays=relays), BulbSpec("Desk Lamp", "Study")],
        hosts.allocate(),
        broadcast=hosts.broadcast,
    )
    return emulation, relays


def headlines(registry: Registry) -> dict[str, str]:
    return {
        e.entity_id: e.state.state
        for e in registry.entities.values()
        if e.domain.value == "switch" and e.state is not None
    }


async def test_a_switchs_relays_are_switches_in_its_room() -> None:
    emulation, _ = switch_and_bulb()
    async with lifx(emulation) as (registry, _):
        assert await registry.wait_until(lambda: len(registry.entities) == 5, 10)
        assert headlines(registry) == {
            "switch.hall_switch_1": "on",
            "switch.hall_switch_2": "off",
            "switch.hall_switch_3": "off",
            "switch.hall_switch_4": "on",
        }
        relay = registry.entity("switch.hall_switch_2")
        assert registry.area_name(relay) == "Hall"
        assert registry.devices[relay.device_id].info.model == "LIFX Switch"
        assert registry.entity("light.desk_lamp").state.state == "on"  # type: ignore[union-attr]


async def test_a_relay_is_switched_and_read_back() -> None:
    emulation, relays = switch_and_bulb()
    async with lifx(emulation) as (registry, adapter):
        assert await registry.wait_until(lambda: len(registry.entities) == 5, 10)
        executor = Executor(registry, {"lifx": adapter})
        plan = Plan(
            [
                Action(entity_id="switch.hall_switch_2", command="switch.turn_on"),
                Action(entity_id="switch.hall_switch_4", command="switch.turn_off"),
            ],
            Requester.local_admin(),
            Path.INTENT,
        )
        results = await executor.run(plan)
        assert all(r.ok for r in results), results
        assert relays == [True, True, False, False]
        assert headlines(registry)["switch.hall_switch_2"] == "on"
        assert headlines(registry)["switch.hall_switch_4"] == "off"
        relays[0] = False  # pressed at the wall
        await adapter.refresh()
        assert headlines(registry)["switch.hall_switch_1"] == "off"
        entity = registry.entity("switch.hall_switch_1")
        spec, typed = validate_command(
            entity.entity_id, entity.domain, entity.features, "switch.toggle", {}
        )
        await adapter.execute(entity, spec, typed)
        assert relays[0] is True
