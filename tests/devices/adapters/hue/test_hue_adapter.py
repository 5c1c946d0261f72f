"""The Hue adapter: the contract kit against the emulated bridge, push, groups, scenes, keys."""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import stat
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from agent.intents import IntentReader
from devices.adapters.hue import HueConfig
from devices.adapters.hue.adapter import HueAdapter
from devices.adapters.hue.demo import start_demo
from devices.adapters.hue.emulator import HueBridgeEmulator, LightSpec, SceneSpec
from devices.adapters.hue.emulator.v1 import render_light
from devices.adapters.hue.pairing import PAIR_AGAIN, StoredKey, key_path, load_key, store_key
from devices.blocking import BlockingRunner
from devices.capabilities import Commands, validate_command
from devices.errors import DeviceAuthError, UnsupportedCommandError
from devices.plugin import AdapterContext
from devices.registry import Registry
from devices.testing import AdapterContract, CommandCase, fresh_hosts
from devices.testing.addresses import HostAllocator
from devices.testing.faults import Faults
from devices.testing.house import DemoDevice

KEY = "dobby-test-application-key-0123456789ab"


def study_lights() -> list[LightSpec]:
    return [
        LightSpec("Alpha", "Study", kind="color", on=True, brightness=60.0),
        LightSpec("Beta", "Study", kind="ambiance", on=True, brightness=50.0, mirek=370),
        LightSpec("Gamma", "Hall", kind="white", on=False),
    ]


@dataclass
class PairedBridge:
    """A running bridge and a key dir that holds Dobby's key for it."""

    bridge: HueBridgeEmulator
    key_dir: Path

    def all_faults(self) -> list[Faults]:
        return self.bridge.all_faults()

    async def stop(self) -> None:
        await self.bridge.stop()
        shutil.rmtree(self.key_dir, ignore_errors=True)


async def paired_bridge(hosts: HostAllocator, **options: Any) -> PairedBridge:
    bridge = HueBridgeEmulator(hosts.allocate(), study_lights(), keys=[KEY], **options)
    await bridge.start()
    key_dir = Path(tempfile.mkdtemp(prefix="hue-keys-"))
    store_key(key_dir, StoredKey(bridge.bridge_id, KEY, None, bridge.address))
    return PairedBridge(bridge, key_dir)


class TestHueContract(AdapterContract):
    adapter_class = HueAdapter
    entity_count = 3
    command_cases = [  # noqa: RUF012 - the kit's declared shape
        CommandCase("light.turn_off", expect={"state": "off"}),
        CommandCase("light.turn_on", expect={"state": "on", "brightness": 60}),
        CommandCase("light.turn_on", {"brightness": 40}, expect={"brightness": 40}),
        CommandCase("light.turn_on", {"brightness_step": -10}, expect={"brightness": 30}),
        CommandCase(
            "light.turn_on",
            {"color_temp_kelvin": 2500},
            expect={"color_temp_kelvin": 2500, "rgb_color": None},
        ),
        CommandCase(
            "light.turn_on",
            {"rgb_color": [255, 0, 0]},
            expect={"rgb_color": [255, 0, 0], "color_temp_kelvin": None},
        ),
        CommandCase("light.turn_on", {"brightness": 70, "transition": 1.5}, {"brightness": 70}),
        CommandCase("light.toggle", expect={"state": "off", "brightness": None}),
        CommandCase("light.toggle", expect={"state": "on", "brightness": 70}),
        CommandCase("light.turn_off", {"transition": 2}, expect={"state": "off"}),
    ]

    async def start_emulator(self, hosts: HostAllocator) -> PairedBridge:
        return await paired_bridge(hosts)

    def adapter_config(self, emulated: Any) -> HueConfig:
        return HueConfig(request_timeout=self.timeout, key_dir=emulated.key_dir)

    async def change_on_device(self, emulated: Any) -> tuple[str, dict[str, Any]]:
        emulated.bridge.set_light("Beta", brightness=20.0, mirek=250)
        beta = emulated.bridge.model.light("Beta")
        return beta.id, {"brightness": 20, "color_temp_kelvin": 4000}


class TestHueV1Contract(TestHueContract):
    """A bridge from before API v2: plain HTTP, `/api/<key>`, found by its configured
    address, polled."""

    async def start_emulator(self, hosts: HostAllocator) -> PairedBridge:
        return await paired_bridge(hosts, api="v1")

    def adapter_config(self, emulated: Any) -> HueConfig:
        return HueConfig(
            hosts=[emulated.bridge.address],
            request_timeout=self.timeout,
            key_dir=emulated.key_dir,
        )

    async def change_on_device(self, emulated: Any) -> tuple[str, dict[str, Any]]:
        emulated.bridge.set_light("Beta", brightness=20.0, mirek=250)
        beta = emulated.bridge.model.light("Beta")
        return render_light(beta)["uniqueid"], {"brightness": 20, "color_temp_kelvin": 4000}


async def test_a_bridge_without_api_v2_is_driven_through_v1_and_polled() -> None:
    paired = await paired_bridge(fresh_hosts(), api="v1")
    async with hue(paired) as (registry, adapter):
        assert sorted(registry.entities) == ["light.alpha", "light.beta", "light.gamma"]
        assert registry.area_name(registry.entity("light.alpha")) == "Study"
        assert adapter.poll_interval == 5.0
        paired.bridge.requests.clear()
        await send(adapter, registry, "light.alpha", "light.turn_on", brightness=25, transition=2)
        assert paired.bridge.requests == [
            ("PUT", "v1/lights/1", {"on": True, "bri": 64, "transitiontime": 20})
        ]
        assert registry.entity("light.alpha").state.brightness == 25  # type: ignore[union-attr]
        paired.bridge.set_light("Gamma", on=True, brightness=50.0)  # at the wall switch
        await adapter.refresh()
        assert registry.entity("light.gamma").state.state == "on"  # type: ignore[union-attr]
        assert adapter.scene_names() == []


@pytest.mark.parametrize("port", [None, 0], ids=["port 80", "another port"])
async def test_falling_back_to_api_v1_is_logged_once_with_the_reason(
    port: int | None, caplog: pytest.LogCaptureFixture
) -> None:
    """A bridge whose v2 probe fails (on port 80, or on a port other than 443 that it says
    it serves on): one warning that says why, however often the bridge is found again."""
    paired = await paired_bridge(fresh_hosts(), api="v1", port=port)
    caplog.set_level(logging.WARNING, logger="devices.adapters.hue.adapter")
    address = paired.bridge.address
    async with hue(paired) as (registry, adapter):
        for _ in range(3):
            await adapter.add_bridge(address, None)
        assert sorted(registry.entities) == ["light.alpha", "light.beta", "light.gamma"]
    said = [r.getMessage() for r in caplog.records if "API v1" in r.getMessage()]
    assert len(said) == 1, said
    probe = f"the API v2 probe (https://{address}/clip/v2/resource) did not find it: it failed ("
    if ":" not in address:  # on port 80
        assert said[0].startswith(f"Hue bridge at {address} is driven through API v1: {probe}")
    else:
        announced = address.rpartition(":")[2]
        assert said[0].startswith(
            f"Hue bridge at {address} is driven through API v1: it serves on port {announced} "
            f"(announced or configured), not 443 where API v2 is served; {probe}"
        )


async def test_a_v2_bridge_is_not_logged_as_falling_back(
    caplog: pytest.LogCaptureFixture,
) -> None:
    paired = await paired_bridge(fresh_hosts())
    caplog.set_level(logging.WARNING, logger="devices.adapters.hue.adapter")
    async with hue(paired) as (registry, _):
        assert len(registry.entities) == 3
    assert not [r for r in caplog.records if "API v1" in r.getMessage()]


@asynccontextmanager
async def hue(paired: PairedBridge, **options: Any) -> AsyncIterator[tuple[Registry, HueAdapter]]:
    """A Hue adapter connected to `paired` through its configured address."""
    registry = Registry()
    blocking = BlockingRunner()
    config = HueConfig(hosts=[paired.bridge.address], key_dir=paired.key_dir, **options)
    adapter = HueAdapter(AdapterContext("hue", registry, blocking), config)
    try:
        await adapter.start()
        yield registry, adapter
    finally:
        await adapter.stop()
        await paired.stop()
        blocking.shutdown()


async def send(
    adapter: HueAdapter, registry: Registry, entity_id: str, command: str, **params: Any
):
    entity = registry.entity(entity_id)
    spec, typed = validate_command(
        entity_id, entity.domain, entity.features, command, params, state=entity.state
    )
    await adapter.execute(entity, spec, typed)


async def test_a_change_at_the_wall_switch_arrives_by_the_event_stream() -> None:
    paired = await paired_bridge(fresh_hosts())
    async with hue(paired) as (registry, _):
        await paired.bridge.wait_for_listener()
        paired.bridge.set_light("Alpha", on=False)
        assert await registry.wait_until(
            lambda: registry.entity("light.alpha").state.state == "off",  # type: ignore[union-attr]
            10,
        )
        paired.bridge.set_light("Gamma", on=True, brightness=35.0)
        assert await registry.wait_until(
            lambda: registry.entity("light.gamma").state.attributes().get("brightness") == 35,  # type: ignore[union-attr]
            10,
        )


async def test_a_toggle_right_after_a_command_flips_what_the_light_shows() -> None:
    """The bridge sends the event of a change after its reply, as real bridges do: a
    toggle sent before that event has arrived still reads the light as it is now."""
    paired = await paired_bridge(fresh_hosts())
    async with hue(paired) as (registry, adapter):
        alpha = paired.bridge.model.light("Alpha")
        for _ in range(5):
            await send(adapter, registry, "light.alpha", "light.turn_off")
            await send(adapter, registry, "light.alpha", "light.toggle")
            assert alpha.on, "toggled right after turn_off: on"
            await send(adapter, registry, "light.alpha", "light.toggle")
            assert not alpha.on


async def test_lights_propose_their_hue_room_and_declare_what_they_can_do() -> None:
    paired = await paired_bridge(fresh_hosts())
    async with hue(paired) as (registry, adapter):
        areas = {e: registry.area_name(registry.entity(e)) for e in registry.entities}
        assert areas == {"light.alpha": "Study", "light.beta": "Study", "light.gamma": "Hall"}
        assert registry.entity("light.alpha").features >= {"brightness", "color", "color_temp"}
        assert "color" not in registry.entity("light.beta").features
        assert registry.entity("light.gamma").features == {"brightness", "transition"}
        beta = registry.entity("light.beta").state
        assert beta is not None
        assert beta.attributes() == {
            "brightness": 50,
            "color_temp_kelvin": 2703,
            "min_color_temp_kelvin": 2203,
            "max_color_temp_kelvin": 6536,
        }
        with pytest.raises(UnsupportedCommandError, match="2203 K to 6536 K"):
            await send(adapter, registry, "light.beta", "light.turn_on", color_temp_kelvin=1800)


async def test_a_transition_reaches_the_bridge_in_milliseconds() -> None:
    paired = await paired_bridge(fresh_hosts())
    async with hue(paired) as (registry, adapter):
        await send(adapter, registry, "light.alpha", "light.turn_on", brightness=10, transition=2.5)
        alpha = paired.bridge.model.light("Alpha")
        assert (alpha.brightness, alpha.last_transition_ms) == (10.0, 2500)


async def test_rooms_and_zones_as_lights_when_asked() -> None:
    paired = await paired_bridge(fresh_hosts(), zones={"Desk Corner": ["Alpha", "Gamma"]})
    async with hue(paired, groups=True) as (registry, adapter):
        assert {"light.study_lights", "light.hall_lights", "light.desk_corner_lights"} <= set(
            registry.entities
        )
        assert registry.area_name(registry.entity("light.study_lights")) == "Study"
        await paired.bridge.wait_for_listener()
        await send(adapter, registry, "light.study_lights", "light.turn_off")
        assert [light.on for light in paired.bridge.model.lights] == [False, False, False]
        assert await registry.wait_until(
            lambda: (
                registry.entity("light.beta").state.state == "off"  # type: ignore[union-attr]
                and registry.entity("light.study_lights").state.state == "off"
            ),  # type: ignore[union-attr]
            10,
        )
        await send(adapter, registry, "light.desk_corner_lights", "light.turn_on", brightness=30)
        assert [(light.on, light.brightness) for light in paired.bridge.model.lights] == [
            (True, 30.0),
            (False, 50.0),
            (True, 30.0),
        ]


def puts(bridge: HueBridgeEmulator) -> list[str]:
    """What the bridge was sent since the last call: "<type> <name>" per PUT."""
    names = {light.id: light.name for light in bridge.model.lights}
    names |= {g.grouped_light_id: g.name for g in (*bridge.model.groups, bridge.model.home)}
    sent = [f"{path.split('/')[0]} {names[path.split('/')[1]]}" for _, path, _ in bridge.requests]
    bridge.requests.clear()
    return sorted(sent)


async def test_lights_told_the_same_thing_at_once_go_out_as_group_commands() -> None:
    paired = await paired_bridge(fresh_hosts())
    async with hue(paired) as (registry, adapter):
        everything = ["light.alpha", "light.beta", "light.gamma"]
        paired.bridge.requests.clear()
        await asyncio.gather(*(send(adapter, registry, e, "light.turn_off") for e in everything))
        assert puts(paired.bridge) == ["grouped_light Home"]
        assert [light.on for light in paired.bridge.model.lights] == [False, False, False]
        assert [registry.entity(e).state.state for e in everything] == ["off"] * 3  # type: ignore[union-attr]

        await asyncio.gather(
            send(adapter, registry, "light.alpha", "light.turn_on", brightness=40),
            send(adapter, registry, "light.beta", "light.turn_on", brightness=40),
            send(adapter, registry, "light.gamma", "light.turn_on", brightness=70),
        )
        assert puts(paired.bridge) == ["grouped_light Study", "light Gamma"]
        assert [(light.on, light.brightness) for light in paired.bridge.model.lights] == [
            (True, 40.0),
            (True, 40.0),
            (True, 70.0),
        ]

        await asyncio.gather(
            *(send(adapter, registry, e, "light.turn_off") for e in ["light.alpha", "light.gamma"])
        )
        assert puts(paired.bridge) == ["light Alpha", "light Gamma"]  # no group is all theirs


async def test_a_group_command_that_fails_fails_every_light_it_carried() -> None:
    paired = await paired_bridge(fresh_hosts())
    async with hue(paired) as (registry, adapter):
        paired.bridge.faults.error = True
        outcomes = await asyncio.gather(
            *(send(adapter, registry, e, "light.turn_off") for e in ["light.alpha", "light.beta"]),
            return_exceptions=True,
        )
        assert [type(o).__name__ for o in outcomes] == ["DeviceRefusedError"] * 2
        paired.bridge.faults.clear()
        assert [light.on for light in paired.bridge.model.lights] == [True, True, False]


async def test_scenes_are_activated_by_name() -> None:
    scenes = [
        SceneSpec("Relax", "Study", {"Alpha": {"on": {"on": True}, "dimming": {"brightness": 25}}}),
        SceneSpec("Bright", "Study", {"Beta": {"on": {"on": True}, "dimming": {"brightness": 90}}}),
        SceneSpec("Bright", "Hall", {"Gamma": {"on": {"on": True}, "dimming": {"brightness": 80}}}),
    ]
    paired = await paired_bridge(fresh_hosts(), scenes=scenes)
    async with hue(paired) as (_, adapter):
        assert adapter.scene_names() == [
            ("Bright", "Hall"),
            ("Bright", "Study"),
            ("Relax", "Study"),
        ]
        await adapter.activate_scene("relax")
        assert paired.bridge.model.light("Alpha").brightness == 25.0
        with pytest.raises(UnsupportedCommandError, match="Hall, Study: say which one"):
            await adapter.activate_scene("Bright")
        await adapter.activate_scene("Bright", area="hall")
        gamma = paired.bridge.model.light("Gamma")
        assert (gamma.on, gamma.brightness) == (True, 80.0)
        assert paired.bridge.model.light("Beta").brightness == 50.0
        with pytest.raises(UnsupportedCommandError, match="no Hue scene called 'Party'"):
            await adapter.activate_scene("Party")


STUDY_SCENES = [
    SceneSpec("Relax", "Study", {"Alpha": {"on": {"on": True}, "dimming": {"brightness": 25}}}),
    SceneSpec("Bright", "Study", {"Beta": {"on": {"on": True}, "dimming": {"brightness": 90}}}),
    SceneSpec("Bright", "Hall", {"Gamma": {"on": {"on": True}, "dimming": {"brightness": 80}}}),
]


@pytest.mark.parametrize("api", ["v2", "v1"])
async def test_scenes_are_scene_entities_read_back_through_their_lights(api: str) -> None:
    paired = await paired_bridge(fresh_hosts(), scenes=STUDY_SCENES, api=api)
    async with hue(paired) as (registry, adapter):
        scenes = {e.entity_id: e for e in registry.entities.values() if e.domain.value == "scene"}
        assert sorted((e.name, registry.area_name(e)) for e in scenes.values()) == [
            ("Bright", "Hall"),
            ("Bright", "Study"),
            ("Relax", "Study"),
        ]
        assert {e.state.state for e in scenes.values()} == {"unknown"}
        hall = next(e for e in scenes.values() if registry.area_name(e) == "Hall")
        await send(adapter, registry, hall.entity_id, "scene.activate")
        gamma = paired.bridge.model.light("Gamma")
        assert (gamma.on, gamma.brightness) == (True, 80.0)
        assert paired.bridge.model.light("Beta").brightness == 50.0  # the Study's Bright: not
        light = registry.entity("light.gamma").state
        assert (light.state, light.attributes().get("brightness")) == ("on", 80)  # type: ignore[union-attr]
        recalled = registry.entity(hall.entity_id).state.state
        assert recalled != "unknown"
        assert datetime.fromisoformat(recalled).tzinfo is not None
        spec = Commands.get("light.turn_on")
        with pytest.raises(UnsupportedCommandError, match=r"cannot do light\.turn_on"):
            await adapter.execute(registry.entity(hall.entity_id), spec, spec.params())


async def test_a_scene_recalled_in_the_hue_app_arrives_by_the_event_stream() -> None:
    paired = await paired_bridge(fresh_hosts(), scenes=STUDY_SCENES)
    async with hue(paired) as (registry, _):
        await paired.bridge.wait_for_listener()
        relax = paired.bridge.model.scene("Relax")
        with paired.bridge.changing():
            paired.bridge.model.recall(relax, {"recall": {"action": "active"}})
        entity = registry.by_unique_id(f"hue:{relax.id}")
        assert entity is not None
        assert await registry.wait_until(lambda: entity.state.state != "unknown", 30)
        assert await registry.wait_until(
            lambda: registry.entity("light.alpha").state.attributes().get("brightness") == 25,  # type: ignore[union-attr]
            30,
        )


async def test_a_hue_scene_is_activated_from_a_sentence() -> None:
    paired = await paired_bridge(fresh_hosts(), scenes=STUDY_SCENES)
    async with hue(paired) as (registry, adapter):
        reader = IntentReader(registry, "en", routines=[])
        result = reader.read("bright scene in the hall")
        assert result is not None
        assert [(a.command, registry.entity(a.entity_id).name) for a in result.actions] == [
            ("scene.activate", "Bright")
        ]
        await send(adapter, registry, result.actions[0].entity_id, "scene.activate")
        assert paired.bridge.model.light("Gamma").brightness == 80.0


async def add_unpaired(
    adapter: HueAdapter, address: str, caplog: pytest.LogCaptureFixture, match: str
) -> None:
    """Add a bridge that cannot be set up: logged in one line that says why, not raised
    (the coordinator tries it again at each poll)."""
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="devices.coordinator"):
        await adapter.add_bridge(address)
    said = [r.getMessage() for r in caplog.records if "Hue bridge" in r.getMessage()]
    assert len(said) == 1, said
    assert re.search(match, said[0]), said[0]


def bare_adapter(key_dir: Path, **options: Any) -> tuple[Registry, HueAdapter, BlockingRunner]:
    registry, blocking = Registry(), BlockingRunner()
    config = HueConfig(key_dir=key_dir, **options)
    return registry, HueAdapter(AdapterContext("hue", registry, blocking), config), blocking


async def test_a_rejected_key_says_pair_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bridge = HueBridgeEmulator(fresh_hosts().allocate(), study_lights(), keys=[KEY])
    await bridge.start()
    store_key(tmp_path, StoredKey(bridge.bridge_id, "a-key-the-bridge-forgot", None, bridge.host))
    registry, adapter, blocking = bare_adapter(tmp_path)
    try:
        await add_unpaired(adapter, bridge.address, caplog, r"pair again with `dobby pair hue`")
        assert not registry.entities
    finally:
        await adapter.stop()
        await bridge.stop()
        blocking.shutdown()


async def test_a_key_revoked_later_says_pair_again(caplog: pytest.LogCaptureFixture) -> None:
    paired = await paired_bridge(fresh_hosts())
    async with hue(paired) as (registry, adapter):
        paired.bridge.keys.clear()
        with (
            caplog.at_level(logging.WARNING),
            pytest.raises(DeviceAuthError, match=r"pair again with `dobby pair hue`"),
        ):
            await send(adapter, registry, "light.alpha", "light.turn_off")
        assert paired.bridge.model.light("Alpha").on
        # Unavailable at once (the bridge drops its event stream too): each light's device
        # says why in one line, with the command that mends it, and keeps saying it.
        await adapter.refresh()
        devices = list(registry.devices.values())
        assert [d.available for d in devices] == [False] * len(devices)
        assert {d.unavailable_reason for d in devices} == {PAIR_AGAIN}
        said = [r.getMessage() for r in caplog.records if PAIR_AGAIN in r.getMessage()]
        assert sorted(said) == sorted(
            f"{d.info.name} is unavailable: {PAIR_AGAIN}" for d in devices
        )
        assert not any(r.exc_info for r in caplog.records)


async def test_a_bridge_found_with_its_button_pressed_pairs_by_itself(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bridge = HueBridgeEmulator(fresh_hosts().allocate(), study_lights())
    await bridge.start()
    registry, adapter, blocking = bare_adapter(tmp_path)
    try:
        await add_unpaired(adapter, bridge.address, caplog, "has not been paired")
        bridge.press_link_button()
        await adapter.refresh()  # the coordinator tries the bridge again at the poll
        assert sorted(registry.entities) == ["light.alpha", "light.beta", "light.gamma"]
        stored = load_key(tmp_path, bridge.bridge_id)
        assert stored is not None
        assert stored.application_key in bridge.keys
        assert stat.S_IMODE(key_path(tmp_path, bridge.bridge_id).stat().st_mode) == 0o600
    finally:
        await adapter.stop()
        await bridge.stop()
        blocking.shutdown()


async def test_without_auto_pairing_a_pressed_button_is_not_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bridge = HueBridgeEmulator(fresh_hosts().allocate(), study_lights())
    await bridge.start()
    bridge.press_link_button()
    _, adapter, blocking = bare_adapter(tmp_path, pair_when_button_pressed=False)
    try:
        await add_unpaired(adapter, bridge.address, caplog, "dobby pair hue")
        await adapter.refresh()
        assert bridge.paired == []
    finally:
        await adapter.stop()
        await bridge.stop()
        blocking.shutdown()


async def test_the_demo_house_lights(tmp_path: Path) -> None:
    devices = [
        DemoDevice(
            "Living Room Ceiling", "Living Room", "light", {"state": "on", "brightness": 80}
        ),
        DemoDevice(
            "Floor Lamp",
            "Living Room",
            "light",
            {"state": True, "brightness": 40, "color_temp_kelvin": 2700},
        ),
        DemoDevice("Kitchen Pendant", "Kitchen", "light", {"state": "on", "brightness": 100}),
        DemoDevice("Bedside Lamp", "Bedroom", "light", {"state": "off"}),
    ]
    bridge = await start_demo(devices, fresh_hosts(), interface="127.0.0.1")
    registry, adapter, blocking = bare_adapter(tmp_path)
    try:
        await adapter.add_bridge(bridge.address)  # the demo pressed the link button
        states = {
            e.entity_id: (registry.area_name(e), e.state.state if e.state else None)
            for e in registry.entities.values()
        }
        assert states == {
            "light.living_room_ceiling": ("Living Room", "on"),
            "light.floor_lamp": ("Living Room", "on"),
            "light.kitchen_pendant": ("Kitchen", "on"),
            "light.bedside_lamp": ("Bedroom", "off"),
            "scene.relax": ("Living Room", "unknown"),  # the bridge's scene for the room
        }
        lamp = registry.entity("light.floor_lamp").state
        assert lamp is not None
        assert lamp.attributes()["brightness"] == 40
        assert lamp.attributes()["color_temp_kelvin"] == 2703
    finally:
        await adapter.stop()
        await bridge.stop()
        blocking.shutdown()
