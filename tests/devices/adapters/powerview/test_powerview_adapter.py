"""The PowerView adapter beyond the contract: bounds, motion, scenes, vanishing hubs, demo."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from devices.adapters.powerview import PowerViewConfig
from devices.adapters.powerview.adapter import PowerViewAdapter
from devices.adapters.powerview.demo import start_demo
from devices.adapters.powerview.emulator import Generation, PowerViewHub, SceneSpec, ShadeSpec
from devices.blocking import BlockingRunner
from devices.capabilities import validate_command
from devices.discovery import Discovery
from devices.errors import UnsupportedCommandError
from devices.plugin import FAILURES_BEFORE_UNAVAILABLE, AdapterContext
from devices.registry import Registry
from devices.testing import fresh_hosts
from devices.testing.house import DemoDevice
from skills.actions import Action, ActionResult, Path, Plan, Requester
from skills.executor import Executor

PORT = 8080
SHADES = [
    ShadeSpec("Living Room Shade", "Living Room", position=100, battery=None),  # hardwired
    ShadeSpec("Bedroom Blackout", "Bedroom", position=100),
]
SCENES = [
    SceneSpec("Close All", "Living Room", {"Living Room Shade": 0, "Bedroom Blackout": 0}),
    SceneSpec("Open All", "Living Room", {"Living Room Shade": 100, "Bedroom Blackout": 100}),
]


@dataclass
class Rig:
    """A hub, the adapter on it (found by mDNS), and the registry it fills."""

    hub: PowerViewHub
    adapter: PowerViewAdapter
    registry: Registry
    discovery: Discovery

    async def until(self, predicate: Callable[[], bool], within: float = 15.0) -> None:
        """Poll the adapter until `predicate` holds (as Dobby's poller would)."""
        async with asyncio.timeout(within):
            while not predicate():
                await self.adapter.refresh()
                await asyncio.sleep(0.05)

    def state(self, entity_id: str) -> dict[str, object]:
        """The entity's state and attributes."""
        entity = self.registry.entity(entity_id)
        assert entity.state is not None
        return {"state": entity.state.state, **entity.state.attributes()}


@asynccontextmanager
async def rig(generation: Generation = 3, *, travel_time: float = 1.0) -> AsyncIterator[Rig]:
    """A hub of `generation` with the demo shades, and the adapter that found it."""
    hosts = fresh_hosts()
    host = hosts.allocate()
    hub = PowerViewHub(
        host,
        SHADES,
        generation=generation,
        name=f"Test Hub {host}",
        scenes=SCENES,
        port=PORT,
        travel_time=travel_time,
    )
    await hub.start()
    registry = Registry()
    blocking = BlockingRunner()
    adapter = PowerViewAdapter(
        AdapterContext("powerview", registry, blocking, ["127.0.0.1"]),
        PowerViewConfig(request_timeout=1.0),
    )
    manifests = {"powerview": PowerViewAdapter.manifest}
    # This test's hub only: other hubs may be on the loopback network (another test run).
    discovery = Discovery(
        manifests, adapter.discovered, interfaces=["127.0.0.1"], only_hosts={host}
    )
    try:
        await adapter.start()
        await discovery.start()
        assert await registry.wait_until(
            lambda: len(registry.entities) == 4, 10
        )  # two shades, two scenes
        yield Rig(hub, adapter, registry, discovery)
    finally:
        await discovery.stop()
        await adapter.stop()
        await hub.stop()
        blocking.shutdown()


def run(rig: Rig, entity_id: str, command: str, **params: object) -> Plan:
    """A one-action plan, as the house owner asking."""
    action = Action(entity_id=entity_id, command=command, params=params)
    return Plan([action], Requester.local_admin(), Path.INTENT)


@pytest.mark.parametrize("generation", [2, 3])
async def test_shades_arrive_with_their_hub_rooms_as_areas(generation: Generation) -> None:
    async with rig(generation) as r:
        shade = r.registry.entity("cover.living_room_shade")
        assert r.registry.area_name(shade) == "Living Room"
        assert r.registry.area_name(r.registry.entity("cover.bedroom_blackout")) == "Bedroom"
        assert r.state("cover.bedroom_blackout") == {
            "state": "open",
            "position": 100,
            "battery_level": 100,
        }
        assert "set_tilt" not in shade.features  # a roller has no vanes
        with pytest.raises(UnsupportedCommandError, match="set_tilt"):
            validate_command(
                shade.entity_id, shade.domain, shade.features, "cover.set_tilt", {"tilt": 5}
            )


async def test_150_percent_is_refused_before_anything_is_sent() -> None:
    async with rig() as r:
        sent_before = list(r.hub.requests)
        executor = Executor(r.registry, {"powerview": r.adapter})
        [result] = await executor.run(
            run(r, "cover.bedroom_blackout", "cover.set_position", position=150)
        )
        assert not result.ok
        assert result.error is not None
        assert "less than or equal to 100" in result.error
        assert r.hub.requests == sent_before
        assert r.hub.shade("Bedroom Blackout").percent == 100
        assert not r.hub.shade("Bedroom Blackout").moving


async def test_a_moving_shade_is_reported_on_its_way() -> None:
    async with rig(travel_time=3.0) as r:
        executor = Executor(r.registry, {"powerview": r.adapter})
        [result] = await executor.run(run(r, "cover.living_room_shade", "cover.close"))
        assert result.ok
        assert r.state("cover.living_room_shade")["state"] == "closing"
        seen: list[object] = []

        def arrived() -> bool:
            seen.append(r.state("cover.living_room_shade")["position"])
            return r.state("cover.living_room_shade") == {"state": "closed", "position": 0}

        await r.until(arrived)
        between = [p for p in seen if isinstance(p, int) and 0 < p < 100]
        assert between, f"no position between the ends was ever read: {seen}"
        assert between == sorted(between, reverse=True)


@pytest.mark.parametrize("generation", [2, 3])
async def test_stop_leaves_a_shade_where_it_was(generation: Generation) -> None:
    async with rig(generation, travel_time=10.0) as r:
        shade = r.hub.shade("Living Room Shade")
        executor = Executor(r.registry, {"powerview": r.adapter})
        await executor.run(run(r, "cover.living_room_shade", "cover.close"))
        await r.until(lambda: shade.percent <= 90)
        [result] = await executor.run(run(r, "cover.living_room_shade", "cover.stop"))
        assert result.ok
        assert not shade.moving
        await r.until(lambda: r.state("cover.living_room_shade")["state"] == "open")
        position = r.state("cover.living_room_shade")["position"]
        assert isinstance(position, int)
        assert 0 < position < 100
        assert position == shade.percent


@pytest.mark.parametrize("generation", [2, 3])
async def test_scenes_are_activated_by_name(generation: Generation) -> None:
    async with rig(generation) as r:
        assert r.adapter.scene_names() == ["Close All", "Open All"]
        moved = await r.adapter.activate_scene("close all")
        assert sorted(moved) == ["cover.bedroom_blackout", "cover.living_room_shade"]
        await r.until(
            lambda: all(
                r.state(e)["state"] == "closed" and r.state(e)["position"] == 0 for e in moved
            )
        )
        with pytest.raises(UnsupportedCommandError, match="Close All, Open All"):
            await r.adapter.activate_scene("Disco")


async def test_a_hub_that_vanishes_comes_back_by_itself() -> None:
    async with rig() as r:
        entities = list(r.registry.entities.values())
        await r.hub.vanish()
        for _ in range(FAILURES_BEFORE_UNAVAILABLE - 1):
            await r.adapter.refresh()
        assert all(e.available for e in entities), "one failure too few to give up"
        await r.adapter.refresh()
        assert not any(e.available for e in entities)
        executor = Executor(r.registry, {"powerview": r.adapter})
        [result] = await executor.run(run(r, "cover.bedroom_blackout", "cover.close"))
        assert not result.ok
        assert result.error == "Bedroom Blackout: cannot be reached (nothing was sent)."
        await r.hub.reappear()
        await r.until(lambda: all(e.available for e in entities))
        [result] = await executor.run(run(r, "cover.bedroom_blackout", "cover.close"))
        assert result.ok
        await r.until(lambda: r.state("cover.bedroom_blackout")["state"] == "closed")


async def test_a_hub_back_at_a_new_address_is_followed_through_mdns() -> None:
    async with rig() as r:
        entities = list(r.registry.entities.values())
        await r.hub.vanish()
        for _ in range(FAILURES_BEFORE_UNAVAILABLE):
            await r.adapter.refresh()
        assert not any(e.available for e in entities)
        new_host = fresh_hosts().allocate()
        r.discovery.only_hosts.add(new_host)
        await r.hub.reappear(new_host)
        await r.until(lambda: all(e.available for e in entities))
        device = r.registry.devices[entities[0].device_id]
        assert device.info.host == f"{new_host}:{PORT}"
        assert len(r.registry.entities) == 4


async def test_a_configured_hub_that_is_not_up_yet_is_added_when_it_is() -> None:
    host = fresh_hosts().allocate()
    hub = PowerViewHub(host, SHADES, generation=2, port=PORT, announce=False, name="Late Hub")
    registry = Registry()
    blocking = BlockingRunner()
    config = PowerViewConfig(hosts=[f"{host}:{PORT}"], request_timeout=1.0)
    adapter = PowerViewAdapter(AdapterContext("powerview", registry, blocking), config)
    try:
        await adapter.start()
        assert registry.entities == {}
        await hub.start()
        await adapter.refresh()
        assert sorted(registry.entities) == ["cover.bedroom_blackout", "cover.living_room_shade"]
    finally:
        await adapter.stop()
        await hub.stop()
        blocking.shutdown()


async def test_the_demo_hub_is_found_with_the_houses_shades() -> None:
    devices = [
        DemoDevice("Living Room Shade", "Living Room", "shade", {"state": "open", "position": 100}),
        DemoDevice("Bedroom Blackout", "Bedroom", "shade", {"state": "open", "position": 100}),
    ]
    hosts = fresh_hosts()
    emulation = await start_demo(devices, hosts, interface="127.0.0.1")
    registry = Registry()
    blocking = BlockingRunner()
    adapter = PowerViewAdapter(
        AdapterContext("powerview", registry, blocking, ["127.0.0.1"]), PowerViewConfig()
    )
    manifests = {"powerview": PowerViewAdapter.manifest}
    discovery = Discovery(
        manifests, adapter.discovered, interfaces=["127.0.0.1"], only_hosts=hosts.allocated
    )
    try:
        await discovery.start()
        assert await registry.wait_until(
            lambda: len(registry.entities) == 4, 10
        )  # two shades, two scenes
        for entity_id, area in (
            ("cover.living_room_shade", "Living Room"),
            ("cover.bedroom_blackout", "Bedroom"),
        ):
            entity = registry.entity(entity_id)
            assert registry.area_name(entity) == area
            assert entity.state is not None
            assert entity.state.model_dump(exclude_none=True) == {
                "state": "open",
                "position": 100,
                "battery_level": 100,
            }
        assert (
            len({e.device_id for e in registry.entities.values()}) == 3
        )  # two shades and the hub (its scenes)
        assert {d.info.host for d in registry.devices.values()} == {emulation.hubs[0].address}
    finally:
        await discovery.stop()
        await adapter.stop()
        await emulation.stop()
        blocking.shutdown()


@dataclass
class Harness:
    """The adapter with configured hub addresses, its registry and an executor."""

    adapter: PowerViewAdapter
    registry: Registry
    executor: Executor

    def state(self, entity_id: str) -> dict[str, object]:
        """The entity's state and attributes."""
        entity = self.registry.entity(entity_id)
        assert entity.state is not None
        return {"state": entity.state.state, **entity.state.attributes()}

    async def run(self, actions: list[tuple[str, str, dict[str, object]]]) -> list[ActionResult]:
        """Run actions as the house owner asking."""
        plan = Plan(
            [Action(entity_id=e, command=c, params=p) for e, c, p in actions],
            Requester.local_admin(),
            Path.INTENT,
        )
        return await self.executor.run(plan)

    async def until_at_rest(self, within: float = 15.0) -> None:
        """Poll (as Dobby's poller would) until no shade is on its way."""
        async with asyncio.timeout(within):
            while any(self.state(e)["state"] in MOVING for e in self.registry.entities):
                await self.adapter.refresh()
                await asyncio.sleep(0.05)


MOVING = ("opening", "closing")


@asynccontextmanager
async def harness(addresses: list[str]) -> AsyncIterator[Harness]:
    """The adapter, told the hubs' addresses in config."""
    registry = Registry()
    blocking = BlockingRunner()
    adapter = PowerViewAdapter(
        AdapterContext("powerview", registry, blocking, ["127.0.0.1"]),
        PowerViewConfig(hosts=addresses, request_timeout=2.0),
    )
    try:
        await adapter.start()
        yield Harness(adapter, registry, Executor(registry, {"powerview": adapter}))
    finally:
        await adapter.stop()
        blocking.shutdown()


EVERY_KIND = [
    ShadeSpec("Duette", "Bedroom", position=0, top=71, kind="top_down_bottom_up"),
    ShadeSpec("Duolite", "Bedroom", position=100, kind="dual_overlapped", type_id=999),
    ShadeSpec("Silhouette Duolite", "Den", position=80, kind="dual_overlapped_tilt"),
    ShadeSpec("Aura", "Den", position=60, kind="illuminated"),
    ShadeSpec("Shutters", "Den", kind="tilt_only", tilt=30),
    ShadeSpec("Top Down", "Den", position=40, kind="top_down"),
    ShadeSpec("Twist", "Den", position=0, kind="twist", tilt=40),
    ShadeSpec("Venetian", "Den", position=70, kind="venetian", tilt=20),
    ShadeSpec("Curtain", "Den", position=100, kind="vertical"),
    ShadeSpec("Slats", "Den", position=50, kind="vertical_tilt", tilt=60),
    ShadeSpec("Silhouette", "Den", position=30, kind="tilt_on_closed"),
    ShadeSpec("Lost", "Repeaters", position=None),
]


@asynccontextmanager
async def every_kind(generation: Generation) -> AsyncIterator[tuple[PowerViewHub, Harness]]:
    """A hub with a shade of every kind, the adapter configured with its address (and, on
    generation 3, with its secondary gateway's too)."""
    hosts = fresh_hosts()
    host = hosts.allocate()
    second = hosts.allocate() if generation == 3 else None
    hub = PowerViewHub(
        host,
        EVERY_KIND,
        generation=generation,
        name=f"Kinds Hub {host}",
        port=PORT,
        travel_time=0.5,
        announce=False,
        second_gateway=second,
    )
    addresses = [f"{h}:{PORT}" for h in (host, second) if h is not None]
    async with hub, harness(addresses) as house:
        assert await house.registry.wait_until(
            lambda: len(house.registry.entities) == len(EVERY_KIND), 10
        )
        yield hub, house


@pytest.mark.parametrize("generation", [2, 3])
async def test_every_kind_reads_as_a_person_sees_it(generation: Generation) -> None:
    async with every_kind(generation) as (hub, house):
        state = house.state
        # After "Open All" the top rail of a top-down/bottom-up shade is 71% down: open.
        assert state("cover.duette") | {"battery_level": 0} == {
            "state": "open",
            "position": 0,
            "top_position": 71,
            "battery_level": 0,
        }
        assert state("cover.duolite")["position"] == 100
        assert state("cover.aura")["position"] == 60
        assert state("cover.silhouette_duolite")["position"] == 80
        # A tilt-only shade's position is its vanes', not 100.
        assert (state("cover.shutters")["position"], state("cover.shutters")["tilt"]) == (30, 30)
        assert state("cover.top_down")["position"] == 40
        assert state("cover.twist") | {"battery_level": 0} == {
            "state": "closed",
            "position": 0,
            "tilt": 40,
            "battery_level": 0,
        }
        # Null positions are unknown, not closed; the Repeaters room is no area.
        assert state("cover.lost") == {"state": "unknown", "battery_level": 100}
        assert house.registry.area_name(house.registry.entity("cover.lost")) is None
        assert "set_top_position" in house.registry.entity("cover.duette").features
        assert "set_top_position" not in house.registry.entity("cover.duolite").features
        assert {d.info.host for d in house.registry.devices.values()} == {hub.address}


@pytest.mark.parametrize("generation", [2, 3])
async def test_close_closes_every_kind(generation: Generation) -> None:
    async with every_kind(generation) as (hub, house):
        results = await house.run([(e, "cover.close", {}) for e in sorted(house.registry.entities)])
        assert all(r.ok for r in results), [r.error for r in results if not r.ok]
        await house.until_at_rest()
        for shade in hub.shades:
            assert (shade.percent, shade.top, shade.name) == (0, shade.top and 0, shade.name)
        for entity_id in house.registry.entities:
            assert house.state(entity_id)["state"] == "closed", entity_id
            assert house.state(entity_id)["position"] == 0, entity_id


@pytest.mark.parametrize("generation", [2, 3])
async def test_the_top_rail_is_set_and_read_back(generation: Generation) -> None:
    async with every_kind(generation) as (hub, house):
        [result] = await house.run([("cover.duette", "cover.set_top_position", {"position": 100})])
        assert result.ok
        await house.until_at_rest()
        assert hub.shade("Duette").top == 100
        assert house.state("cover.duette")["top_position"] == 100
        # The bottom rail stops at the top rail: asked for 60%, it goes as far as it can.
        [result] = await house.run([("cover.duette", "cover.set_position", {"position": 60})])
        await house.until_at_rest()
        assert (hub.shade("Duette").percent, hub.shade("Duette").top) == (0, 100)
        [result] = await house.run([("cover.duette", "cover.set_top_position", {"position": 40})])
        await house.until_at_rest()
        [result] = await house.run([("cover.duette", "cover.set_position", {"position": 60})])
        await house.until_at_rest()
        assert (house.state("cover.duette")["position"], hub.shade("Duette").top) == (60, 40)
        [result] = await house.run([("cover.duette", "cover.open", {})])
        await house.until_at_rest()
        assert house.state("cover.duette") | {"battery_level": 0} == {
            "state": "open",
            "position": 100,
            "top_position": 0,
            "battery_level": 0,
        }


@pytest.mark.parametrize("generation", [2, 3])
async def test_hub_scenes_are_scene_entities_read_back_through_their_shades(
    generation: Generation,
) -> None:
    async with rig(generation) as r:
        scene = r.registry.entity("scene.close_all")
        assert scene.state is not None
        assert scene.state.state == "unknown"
        assert r.registry.area_name(scene) == "Living Room"
        executor = Executor(r.registry, {"powerview": r.adapter})
        [result] = await executor.run(run(r, "scene.close_all", "scene.activate"))
        assert result.ok, result.error
        assert r.state("scene.close_all")["state"] != "unknown"  # when it was activated
        # The shades it moves are read back from the hub at once, then followed.
        assert r.state("cover.living_room_shade")["state"] in ("open", "closing")
        await r.until(
            lambda: all(
                r.state(e)["state"] == "closed"
                for e in ("cover.living_room_shade", "cover.bedroom_blackout")
            )
        )
        assert r.hub.shade("Living Room Shade").percent == 0
        assert r.state("scene.open_all")["state"] == "unknown"
