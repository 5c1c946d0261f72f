"""The recipe adapter: a learned, saved recipe is an ordinary entity, driven by its recipe.

Each device is learned the way a household would (read-only probing, then each command
tried after its approval), saved to a config dir, and then loaded by the adapter.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from devices.adapters.recipe.adapter import RecipeAdapter
from devices.adapters.recipe.manifest import RecipeConfig
from devices.blocking import BlockingRunner
from devices.capabilities import Commands, LightState, SwitchState
from devices.capabilities.light import LightTurnOn
from devices.errors import UnsupportedCommandError
from devices.explore.learn import Learner
from devices.explore.trial import Approve, RecipeClient, save_recipe, trial
from devices.plugin import AdapterContext
from devices.recipe import RECIPES_DIR, load_recipes
from devices.registry import Registry
from devices.testing.addresses import HostAllocator
from devices.testing.unknown.house import (
    UnknownDevice,
    UnknownEmulator,
    UnknownKind,
    mac_of,
    make,
    udn_of,
)
from devices.testing.unknown.shelly import ShellyPlus1
from devices.testing.unknown.upnp_fan import UpnpFan
from devices.testing.unknown.wled import WledStrip

LOOPBACK = "127.0.0.1"
LOOK_FOR = 10.0
"""Seconds a look for a moved device listens (less once the device is heard)."""


class UpdatedStrip(WledStrip):
    """A strip whose firmware changed after it was learned (set `change`)."""

    change = ""

    def state(self) -> dict[str, object]:
        if self.change == "shape":
            return {"power": self.on, "level": self.bri}
        return super().state()

    async def _state(self, request: web.Request) -> web.Response:
        if self.change == "gone":
            return web.json_response({"error": "Not implemented"}, status=404)
        return await super()._state(request)


async def yes(question: str) -> bool:
    del question
    return True


async def only_on(question: str) -> bool:
    return "turn on" in question


async def learn(
    config: Path,
    host: str,
    port: int,
    area: str,
    *,
    location: str | None = None,
    approve: Approve = yes,
) -> None:
    """Learn the device at host:port without a model, try its commands, save the recipe."""
    learned = await Learner(host, port, location=location).learn(area=area)
    assert learned.draft is not None, learned.notes
    tried = await trial(RecipeClient(learned.draft), approve)
    save_recipe(config, tried.recipe)


@dataclass
class Running:
    adapter: RecipeAdapter
    registry: Registry


@pytest.fixture
async def strip() -> AsyncIterator[UpdatedStrip]:
    device = UpdatedStrip(HostAllocator().allocate(), "Desk Strip", mac_of("Desk Strip"))
    await device.server.start()
    yield device
    await device.server.stop()


async def start(
    config: Path,
    *,
    only_hosts: set[str] | None = None,
    look_for: float = LOOK_FOR,
    look_again: float = 300.0,
) -> Running:
    """The recipe adapter on the recipes of `config`; a device it looks for is looked for
    on loopback, at `only_hosts` (other tests' devices share loopback, some with the
    same MAC)."""
    registry = Registry()
    context = AdapterContext(
        "recipe",
        registry,
        BlockingRunner(1),
        interfaces=[LOOPBACK],
        only_hosts=only_hosts,
        config_dir=config,
    )
    adapter = RecipeAdapter(
        context, RecipeConfig(request_timeout=2.0, look_for=look_for, look_again=look_again)
    )
    await adapter.start()
    await adapter.looked()
    return Running(adapter, registry)


async def test_a_learned_strip_is_a_light_with_its_area(
    tmp_path: Path, strip: UpdatedStrip
) -> None:
    await learn(tmp_path, strip.host, strip.port, "Office")
    running = await start(tmp_path)
    try:
        light = running.registry.entity("light.desk_strip")
        assert running.registry.area_name(light) == "Office"
        assert light.state == LightState(state="off", brightness=78)  # 200 of 255
        changes = len(strip.changing_requests())

        await running.adapter.execute(
            light, Commands.get("light.turn_on"), LightTurnOn(brightness=50)
        )
        assert (strip.on, strip.bri) == (True, 128)
        assert light.state == LightState(state="on", brightness=50)

        turn_off = Commands.get("light.turn_off")
        await running.adapter.execute(light, turn_off, turn_off.params())
        assert strip.on is False
        # turn_on without a brightness leaves it as the strip has it (read, not guessed)
        await running.adapter.execute(light, Commands.get("light.turn_on"), LightTurnOn())
        assert (strip.on, strip.bri) == (True, 128)
        assert len(strip.changing_requests()) == changes + 3
    finally:
        await running.adapter.stop()


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("gone", "GET /json/state answered HTTP 404"),
        ("shape", "GET /json/state has no /on"),
    ],
)
async def test_a_device_that_changed_is_unavailable_with_the_reason(
    tmp_path: Path, strip: UpdatedStrip, change: str, reason: str
) -> None:
    await learn(tmp_path, strip.host, strip.port, "Office")
    running = await start(tmp_path)
    try:
        light = running.registry.entity("light.desk_strip")
        assert light.available
        strip.change = change
        await running.adapter.refresh()
        assert not light.available
        device = running.registry.devices[light.device_id]
        assert device.unavailable_reason is not None
        assert "no longer answers as its recipe says" in device.unavailable_reason
        assert reason in device.unavailable_reason
        assert light.state == LightState(state="off", brightness=78)  # the last known, kept

        strip.change = ""
        await running.adapter.refresh()
        assert light.available
    finally:
        await running.adapter.stop()


async def test_another_device_at_the_recipe_s_address_is_not_driven(
    tmp_path: Path, strip: UpdatedStrip
) -> None:
    await learn(tmp_path, strip.host, strip.port, "Office")
    strip.mac = "02aabbccddee"  # another strip now answers at that address
    changes = len(strip.changing_requests())
    asked_before = len(strip.requests)
    running = await start(tmp_path, only_hosts={strip.host}, look_for=1.0)
    try:
        assert running.registry.entities == {}
        # Asked who it is once, by the set-up; the look that follows does not ask again.
        asked = [r.path for r in strip.requests[asked_before:]]
        assert asked, "the set-up asked nothing"
        assert len(asked) == len(set(asked)), asked
    finally:
        await running.adapter.stop()
    assert len(strip.changing_requests()) == changes


async def test_the_relay_and_the_fan_are_switches(tmp_path: Path) -> None:
    hosts = HostAllocator()
    relay = ShellyPlus1(hosts.allocate(), "Porch Relay", mac_of("Porch Relay"), on=False)
    fan = UpnpFan(hosts.allocate(), "Bedroom Fan", udn_of("Bedroom Fan"), on=False, speed=40)
    await relay.server.start()
    await fan.server.start()
    try:
        await learn(tmp_path, relay.host, relay.port, "Porch", approve=only_on)
        await learn(tmp_path, fan.host, fan.port, "Bedroom", location=fan.location)
        running = await start(tmp_path)
        try:
            porch = running.registry.entity("switch.porch_relay")
            bedroom = running.registry.entity("switch.bedroom_fan")
            assert running.registry.area_name(porch) == "Porch"
            assert running.registry.area_name(bedroom) == "Bedroom"
            turn_on, turn_off = Commands.get("switch.turn_on"), Commands.get("switch.turn_off")
            await running.adapter.execute(bedroom, turn_on, turn_on.params())
            assert fan.power is True
            assert bedroom.state == SwitchState(state="on")
            await running.adapter.execute(bedroom, turn_off, turn_off.params())
            assert fan.power is False
            # turning the relay off was not approved, so not tried, so not taught: refused
            sent = len(relay.changing_requests())
            with pytest.raises(UnsupportedCommandError, match="not taught to turn off"):
                await running.adapter.execute(porch, turn_off, turn_off.params())
            assert len(relay.changing_requests()) == sent
            await running.adapter.execute(porch, turn_on, turn_on.params())
            assert relay.output is True
            assert porch.state == SwitchState(state="on")
        finally:
            await running.adapter.stop()
    finally:
        await fan.server.stop()
        await relay.server.stop()


def is_on(device: UnknownEmulator) -> bool:
    """Whether the emulated device is on, as it says itself."""
    match device:
        case WledStrip():
            return device.on
        case ShellyPlus1():
            return device.output
        case UpnpFan():
            return device.power


async def learn_device(config: Path, device: UnknownEmulator) -> None:
    location = device.location if isinstance(device, UpnpFan) else None
    await learn(config, device.host, device.port, "Office", location=location)


@pytest.mark.parametrize("kind", ["wled", "shelly_plus_1", "upnp_fan"])
async def test_a_device_at_a_new_address_is_found_by_its_identity(
    tmp_path: Path, kind: UnknownKind
) -> None:
    hosts, seed = HostAllocator(), secrets.token_hex(6)
    device = UnknownDevice(name="Desk Thing", area="Office", kind=kind)
    before = make(device, hosts.allocate(), seed)
    await before.start(LOOPBACK)
    try:
        await learn_device(tmp_path, before)
    finally:
        await before.stop()
    # The same device (its MAC, Shelly id or UDN) with a new DHCP lease, and nothing at
    # the old address.
    after = make(device, hosts.allocate(), seed)
    await after.start(LOOPBACK)
    try:
        running = await start(tmp_path, only_hosts={before.host, after.host})
        try:
            [entity] = running.registry.entities.values()
            assert entity.available
            assert running.registry.devices[entity.device_id].info.host == after.host
            turn_on = Commands.get(f"{entity.domain.value}.turn_on")
            await running.adapter.execute(entity, turn_on, turn_on.params())
            assert is_on(after)
            assert entity.state is not None
            assert entity.state.state == "on"
            [recipe] = load_recipes(tmp_path)
            assert (recipe.host, recipe.port) == (after.host, after.port)
        finally:
            await running.adapter.stop()
    finally:
        await after.stop()


async def test_a_device_that_moves_while_dobby_runs_is_followed(tmp_path: Path) -> None:
    hosts, seed = HostAllocator(), secrets.token_hex(6)
    device = UnknownDevice(name="Desk Strip", area="Office", kind="wled")
    before = make(device, hosts.allocate(), seed)
    after = make(device, hosts.allocate(), seed)
    await before.start(LOOPBACK)
    try:
        await learn_device(tmp_path, before)
        running = await start(tmp_path, only_hosts={before.host, after.host}, look_again=0.01)
    finally:
        await before.stop()
    try:
        light = running.registry.entity("light.desk_strip")
        assert running.registry.devices[light.device_id].info.host == before.host
        await after.start(LOOPBACK)
        await running.adapter.refresh()  # the poll: nothing where it was; found elsewhere
        await running.adapter.looked()
        assert light.available
        assert running.registry.devices[light.device_id].info.host == after.host
        turn_off = Commands.get("light.turn_off")
        await running.adapter.execute(light, turn_off, turn_off.params())
        assert not is_on(after)
        assert [r.method for r in after.changing_requests()] == ["POST"]
    finally:
        await running.adapter.stop()
        await after.stop()


async def test_a_device_that_is_nowhere_is_left_where_it_was(tmp_path: Path) -> None:
    hosts, seed = HostAllocator(), secrets.token_hex(6)
    device = UnknownDevice(name="Desk Strip", area="Office", kind="wled")
    gone = make(device, hosts.allocate(), seed)
    other = make(device, hosts.allocate(), secrets.token_hex(6))  # another strip, its own MAC
    await gone.start(LOOPBACK)
    try:
        await learn_device(tmp_path, gone)
    finally:
        await gone.stop()
    saved = (tmp_path / RECIPES_DIR / "desk_strip.yaml").read_text(encoding="utf-8")
    await other.start(LOOPBACK)
    try:
        running = await start(tmp_path, only_hosts={gone.host, other.host})
        try:
            assert running.registry.entities == {}  # not set up, and not another strip
        finally:
            await running.adapter.stop()
    finally:
        await other.stop()
    assert other.changing_requests() == []
    assert (tmp_path / RECIPES_DIR / "desk_strip.yaml").read_text(encoding="utf-8") == saved


async def test_a_recipe_saved_while_dobby_runs_is_taken_up_at_the_next_poll(
    tmp_path: Path, strip: UpdatedStrip
) -> None:
    running = await start(tmp_path)
    try:
        assert running.registry.entities == {}
        # `dobby explore HOST` in a terminal saves it while this Dobby runs
        await learn(tmp_path, strip.host, strip.port, "Office")
        await running.adapter.refresh()
        light = running.registry.entity("light.desk_strip")
        turn_off = Commands.get("light.turn_off")
        await running.adapter.execute(light, turn_off, turn_off.params())
        assert strip.on is False
        broken = tmp_path / RECIPES_DIR / "broken.yaml"
        broken.write_text("recipe: 1\nname: Broken\n", encoding="utf-8")
        await running.adapter.refresh()  # logged and left out; the strip is still driven
        assert [r.name for r in running.adapter.recipes] == ["Desk Strip"]
        assert light.available
    finally:
        await running.adapter.stop()
