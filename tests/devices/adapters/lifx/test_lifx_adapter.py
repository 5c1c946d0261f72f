"""The LIFX adapter: the contract kit, and more, against lifx-emulator over loopback UDP."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from devices.adapters.lifx import LifxConfig
from devices.adapters.lifx.adapter import LifxAdapter, discovery_targets
from devices.adapters.lifx.color import percent_to_word
from devices.adapters.lifx.demo import LIFX_PORT, BulbSpec, LifxEmulation, start_demo
from devices.blocking import BlockingRunner
from devices.capabilities import validate_command
from devices.capabilities.light import LightTurnOn
from devices.errors import UnsupportedCommandError
from devices.plugin import FAILURES_BEFORE_UNAVAILABLE, AdapterContext
from devices.registry import Registry
from devices.testing import AdapterContract, CommandCase, Harness, fresh_hosts
from devices.testing.addresses import HostAllocator
from devices.testing.house import DemoDevice
from tests.scripted_model import model_calls

STRIP, LAMP = "Counter Strip", "Desk Lamp"


def two_bulbs(hosts: HostAllocator) -> LifxEmulation:
    """A colour strip in the kitchen at 60 % and a white lamp in the study."""
    return LifxEmulation(
        [
            BulbSpec(STRIP, "Kitchen", brightness=60),
            BulbSpec(LAMP, "Study", color=False, kelvin=2700),
        ],
        hosts.allocate(),
        broadcast=hosts.broadcast,
    )


class TestLifxContract(AdapterContract):
    adapter_class = LifxAdapter
    entity_count = 2
    command_cases = [  # noqa: RUF012 - the kit's declared shape
        CommandCase(
            "light.turn_on", {"rgb_color": [255, 0, 0]}, {"state": "on", "rgb_color": [255, 0, 0]}
        ),
        CommandCase(
            "light.turn_on",
            {"color_temp_kelvin": 2700, "brightness": 30},
            {"color_temp_kelvin": 2700, "brightness": 30, "rgb_color": None},
        ),
        CommandCase("light.turn_on", {"brightness_step": -10}, {"brightness": 20}),
        CommandCase("light.turn_off", expect={"state": "off", "brightness": None}),
        CommandCase("light.toggle", expect={"state": "on", "brightness": 20}),
        CommandCase("light.turn_on", {"brightness": 0}, {"state": "off"}),
    ]

    async def start_emulator(self, hosts: HostAllocator) -> LifxEmulation:
        emulation = two_bulbs(hosts)
        await emulation.start()
        return emulation

    def adapter_config(self, emulated: Any) -> LifxConfig:
        # The bulbs hear the house's broadcast address: the adapter searches there.
        return LifxConfig(request_timeout=self.timeout, **emulated.adapter_settings)

    async def change_on_device(self, emulated: Any) -> tuple[str, dict[str, Any]]:
        lamp = emulated.bulb(LAMP)
        lamp.state.power_level = 0
        strip = emulated.bulb(STRIP)
        strip.state.color = type(strip.state.color)(0, 0, percent_to_word(45), 4000)
        return lamp.state.serial, {"state": "off"}

    async def discover_again(self, harness: Harness) -> None:
        heard = await harness.adapter.search()  # type: ignore[attr-defined]
        assert heard == {bulb.state.serial for bulb in harness.emulated.devices.values()}  # type: ignore[attr-defined]


@asynccontextmanager
async def lifx(
    emulation: LifxEmulation, *, interfaces: list[str] | None = None, **config: Any
) -> AsyncIterator[tuple[Registry, LifxAdapter]]:
    """The emulation and an adapter that has found its bulbs (by the house's broadcast
    address unless `config` says otherwise)."""
    await emulation.start()
    registry, blocking = Registry(), BlockingRunner()
    interfaces = ["127.0.0.1"] if interfaces is None else interfaces
    adapter = LifxAdapter(
        AdapterContext("lifx", registry, blocking, interfaces),
        LifxConfig(request_timeout=1.0, **{**emulation.adapter_settings, **config}),
    )
    try:
        await adapter.start()
        want = len(emulation.specs)
        assert await registry.wait_until(lambda: len(registry.entities) >= want, 10)
        yield registry, adapter
    finally:
        await adapter.stop()
        await emulation.stop()
        blocking.shutdown()


async def send(registry: Registry, adapter: LifxAdapter, entity_id: str, **params: Any) -> None:
    entity = registry.entity(entity_id)
    spec, typed = validate_command(
        entity_id, entity.domain, entity.features, "light.turn_on", params, state=entity.state
    )
    await adapter.execute(entity, spec, typed)


async def test_bulbs_propose_their_lifx_group_as_area_and_their_product_as_features() -> None:
    async with lifx(two_bulbs(fresh_hosts())) as (registry, _):
        strip = registry.entity("light.counter_strip")
        lamp = registry.entity("light.desk_lamp")
        assert registry.area_name(strip) == "Kitchen"
        assert registry.area_name(lamp) == "Study"
        assert strip.features == {"brightness", "color", "color_temp", "transition", "effect"}
        assert lamp.features == {"brightness", "color_temp", "transition", "effect"}
        assert strip.state is not None
        assert strip.state.attributes() == {
            "brightness": 60,
            "color_temp_kelvin": 3500,
            "min_color_temp_kelvin": 1500,
            "max_color_temp_kelvin": 9000,
            "effect_list": ["breathe", "pulse"],
        }
        assert registry.devices[strip.device_id].info.manufacturer == "LIFX"


async def test_a_beams_zones_take_colours_of_their_own() -> None:
    hosts = fresh_hosts()
    emulation = LifxEmulation(
        [BulbSpec("Shelf Beam", "Living Room", zones=16, on=False, kelvin=2700)],
        hosts.allocate(),
        broadcast=hosts.broadcast,
    )
    async with lifx(emulation) as (registry, adapter):
        beam = registry.entity("light.shelf_beam")
        assert "zones" in beam.features
        assert beam.state is not None
        assert beam.state.attributes()["zone_count"] == 16
        await send(registry, adapter, "light.shelf_beam", rgb_color=[0, 0, 255], zones=[3, 5])
        device = emulation.bulb("Shelf Beam").state
        blue = {n for n, c in enumerate(device.zone_colors) if c.saturation and c.hue > 40000}
        assert blue == {2, 3, 4}  # zones 3 to 5, counted from 1
        assert device.power_level > 0  # the strip came on for them
        # A zone beyond the strip is refused before anything is sent.
        with pytest.raises(UnsupportedCommandError, match="zones 1 to 16, not 17"):
            await send(registry, adapter, "light.shelf_beam", rgb_color=[255, 0, 0], zones=[1, 17])
        # The model's light tool reaches the zones too.
        zones = {"entity_ids": ["light.shelf_beam"], "rgb_color": [255, 0, 0], "zones": [15, 16]}
        answers = await model_calls(registry, {"lifx": adapter}, ("control_light", zones))
        assert answers == ["Done: turn on on Shelf Beam."]
        device = emulation.bulb("Shelf Beam").state  # the emulator keeps a new one
        red = {n for n, c in enumerate(device.zone_colors) if c.saturation and c.hue < 1000}
        assert red == {14, 15}
        # Only a strip has zones.
        emulation_bulbs = two_bulbs(fresh_hosts())
        async with lifx(emulation_bulbs) as (bulbs, bulb_adapter):
            with pytest.raises(UnsupportedCommandError, match="zones"):
                await send(bulbs, bulb_adapter, "light.counter_strip", zones=[1, 2])


async def test_a_colour_temperature_outside_the_bulbs_range_is_refused_before_sending() -> None:
    emulation = two_bulbs(fresh_hosts())
    async with lifx(emulation) as (registry, adapter):
        strip = registry.entity("light.counter_strip")
        with pytest.raises(UnsupportedCommandError, match="from 1500 K to 9000 K, not 12000 K"):
            await send(registry, adapter, "light.counter_strip", color_temp_kelvin=12000)
        # The adapter refuses too when a caller skipped the policy (no state to check).
        spec, _ = validate_command(
            strip.entity_id, strip.domain, strip.features, "light.turn_on", {}
        )
        with pytest.raises(UnsupportedCommandError, match="not 1200 K"):
            await adapter.execute(strip, spec, LightTurnOn(color_temp_kelvin=1200))
        assert emulation.bulb(STRIP).state.color.kelvin == 3500


async def test_a_white_bulb_refuses_colour() -> None:
    async with lifx(two_bulbs(fresh_hosts())) as (registry, adapter):
        with pytest.raises(UnsupportedCommandError, match="no color support"):
            await send(registry, adapter, "light.desk_lamp", rgb_color=[0, 255, 0])


async def test_rgb_becomes_hsbk_on_the_bulb_and_comes_back() -> None:
    emulation = two_bulbs(fresh_hosts())
    async with lifx(emulation) as (registry, adapter):
        await send(registry, adapter, "light.counter_strip", rgb_color=[0, 0, 255], brightness=50)
        color = emulation.bulb(STRIP).state.color
        assert (color.hue, color.saturation, color.brightness) == (43691, 65535, 32768)
        state = registry.entity("light.counter_strip").state
        assert state is not None
        assert state.attributes()["rgb_color"] == [0, 0, 255]
        assert state.attributes()["brightness"] == 50


async def test_a_transition_is_sent_as_the_fade_duration() -> None:
    emulation = two_bulbs(fresh_hosts())
    async with lifx(emulation) as (registry, adapter):
        await send(registry, adapter, "light.counter_strip", rgb_color=[0, 255, 0], transition=600)
        fades = emulation.bulb(STRIP).state.transition.zones
        [fade] = fades.values()
        assert fade.end_ns - fade.start_ns == 600 * 10**9
        assert fade.to_color.saturation == 65535
        entity = registry.entity("light.desk_lamp")
        spec, typed = validate_command(
            entity.entity_id, entity.domain, entity.features, "light.turn_off", {"transition": 90}
        )
        await adapter.execute(entity, spec, typed)
        power = emulation.bulb(LAMP).state.transition.power
        assert power is not None
        assert (power.to_level, power.end_ns - power.start_ns) == (0, 90 * 10**9)


async def test_a_silent_bulb_is_unavailable_and_comes_back_by_itself() -> None:
    emulation = two_bulbs(fresh_hosts())
    async with lifx(emulation) as (registry, adapter):
        emulation.faults[LAMP].drop = True
        await adapter.refresh()
        assert registry.entity("light.desk_lamp").available, "one silent poll is not gone"
        for _ in range(FAILURES_BEFORE_UNAVAILABLE - 1):
            await adapter.refresh()
        assert not registry.entity("light.desk_lamp").available
        assert registry.entity("light.counter_strip").available
        emulation.faults[LAMP].clear()
        emulation.bulb(LAMP).state.power_level = 0
        await adapter.refresh()
        lamp = registry.entity("light.desk_lamp")
        assert lamp.available
        assert lamp.state is not None
        assert lamp.state.state == "off"


async def test_configured_hosts_are_asked_directly() -> None:
    emulation = two_bulbs(fresh_hosts())
    emulation.broadcast = None  # no broadcast to hear: only the host's own port 56700
    async with lifx(emulation, interfaces=[], hosts=[emulation.host]) as (registry, _):
        assert sorted(registry.entities) == ["light.counter_strip", "light.desk_lamp"]


async def test_the_demo_house_counter_strip_is_found_from_the_loopback_interface() -> None:
    counter = DemoDevice(STRIP, "Kitchen", "color_light", {"state": "on", "brightness": 60})
    hosts = HostAllocator()
    emulation = await start_demo([counter], hosts, interface="127.0.0.1")
    await emulation.stop()  # `lifx` starts it again
    assert emulation.adapter_settings == {"broadcast_address": hosts.broadcast}
    assert emulation.host != hosts.broadcast
    async with lifx(emulation, interfaces=["127.0.0.1"]) as (registry, _):
        entity = registry.entity("light.counter_strip")
        assert registry.area_name(entity) == "Kitchen"
        assert entity.state is not None
        assert (entity.state.state, entity.state.attributes()["brightness"]) == ("on", 60)
        assert "color" in entity.features


def test_discovery_is_aimed_at_loopback_on_loopback_and_configurable() -> None:
    assert discovery_targets(["127.0.0.1"], LifxConfig()) == [("127.0.0.1", "127.0.0.1")]
    config = LifxConfig(broadcast_address="127.3.3.10", hosts=["127.4.4.10"])
    assert discovery_targets(["127.0.0.1"], config) == [
        ("127.0.0.1", "127.3.3.10"),
        ("127.0.0.1", "127.4.4.10"),
    ]


async def test_bulbs_are_found_while_another_process_holds_port_56700() -> None:
    """What a LIFX app (or an older emulator) holds on loopback does not stop a house."""
    holders = []
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        holder = socket.socket(family, socket.SOCK_DGRAM)
        try:
            holder.bind((host, LIFX_PORT))
        except OSError:  # someone holds it already: just as good for this test
            holder.close()
            continue
        holders.append(holder)
    try:
        async with lifx(two_bulbs(fresh_hosts())) as (registry, _):
            assert sorted(registry.entities) == ["light.counter_strip", "light.desk_lamp"]
    finally:
        for holder in holders:
            holder.close()
