"""Dobby on the bus: its entities announced with Home Assistant MQTT discovery and commanded
from their command topics through the policy, seen by a real aiomqtt client through
Mosquitto."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import aiomqtt
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from agent.app import Dobby
from agent.bus import LEAVES, DobbyBus, order_for
from agent.channels.members import Members
from agent.config import BusConfig, ConfigError, MemberConfig, load_config
from agent.demo import running_demo
from devices.adapters.mqtt.demo import MqttDemo, start_zigbee
from devices.adapters.mqtt.link import BrokerSettings
from devices.capabilities import Domain, NumberState, validate_command
from devices.capabilities.climate import ClimateFeature
from devices.capabilities.media_player import MediaPlayerFeature
from devices.capabilities.security import AlarmPanelFeature
from devices.entities import Entity
from devices.errors import UnsupportedCommandError
from devices.plugin import LoadedAdapters, load_adapters
from devices.testing import HostAllocator
from skills.actions import Role
from skills.audit import AuditLog
from skills.executor import Executor
from skills.house import House
from skills.policy import Policy, PolicyConfig, SensitiveRule

from .helpers import Bus, running_bus, until

CONFIG = "homeassistant/switch/dobby/hallway_plug/config"
PLUG = "dobby/switch/hallway_plug"
DEMO_CONFIG = Path(__file__).resolve().parents[4] / "config"
BUS_MEMBER = "mqtt:homeassistant"
"""The household member the bus acts as, in these tests."""


def bus_config(**settings: object) -> BusConfig:
    """The bus enabled, acting as BUS_MEMBER."""
    return BusConfig.model_validate({"enabled": True, "member": BUS_MEMBER, **settings})


class Heard:
    """What a client of the broker heard, by topic (the last message of each)."""

    def __init__(self) -> None:
        self.messages: dict[str, bytes] = {}


@asynccontextmanager
async def hearing(client: aiomqtt.Client, *topics: str) -> AsyncIterator[Heard]:
    """What `client` hears on `topics` from now on, until the block ends."""
    for topic in topics:
        await client.subscribe(topic)
    heard = Heard()

    async def listen() -> None:
        async for message in client.messages:
            payload = message.payload if isinstance(message.payload, bytes) else b""
            heard.messages[str(message.topic)] = payload

    listening = asyncio.create_task(listen())
    try:
        yield heard
    finally:
        listening.cancel()
        with suppress(asyncio.CancelledError):
            await listening


@asynccontextmanager
async def on_the_bus(
    bus: Bus,
    config: BusConfig,
    policy: PolicyConfig,
    state: Path,
    role: Role = Role.MEMBER,
) -> AsyncIterator[tuple[DobbyBus, aiomqtt.Client, Heard]]:
    """Dobby's bus on the broker of `bus`, acting as BUS_MEMBER with `role`, its audit log
    and members in `state`; a client that hears everything Dobby says there."""
    broker = bus.zigbee.broker
    audit = AuditLog(state / "db")
    house = House(
        bus.registry,
        Policy(bus.registry, policy),
        Executor(bus.registry, {"mqtt": bus.adapter}, timeout=5, audit=audit),
    )
    members = Members(state / "db", [MemberConfig(id=BUS_MEMBER, name="Home Assistant", role=role)])
    settings = BrokerSettings(broker.host, broker.port, reconnect_min=0.1)
    dobby = DobbyBus(house, settings, config, members)
    async with (
        aiomqtt.Client(broker.host, broker.port) as client,
        hearing(client, "homeassistant/#", "dobby/#") as heard,
    ):
        dobby.start()
        try:
            yield dobby, client, heard
        finally:
            await dobby.stop()
            members.close()
            audit.close()


async def test_dobbys_entities_are_announced_and_commanded_through_the_policy(
    tmp_path: Path,
) -> None:
    async with running_bus() as bus:
        sensitive = SensitiveRule(command="switch.turn_on", reason="switching on the hallway plug")
        policy = PolicyConfig(confirm=[*PolicyConfig().confirm, sensitive])
        async with on_the_bus(bus, bus_config(), policy, tmp_path) as (dobby, client, heard):
            assert await until(
                lambda: CONFIG in heard.messages and f"{PLUG}/state" in heard.messages
            )
            config = json.loads(heard.messages[CONFIG])
            assert config["command_topic"] == f"{PLUG}/set"
            assert config["state_topic"] == f"{PLUG}/state"
            assert config["device"]["name"] == "Hallway Plug"
            assert heard.messages[f"{PLUG}/state"] == b"ON"
            assert heard.messages["dobby/status"] == b"online"

            await client.publish(f"{PLUG}/set", b"OFF")  # allowed: done, at the device
            plug = bus.zigbee.bridge.devices["Hallway/Plug"]
            assert await until(lambda: plug.state["state"] == "OFF")
            assert await until(lambda: heard.messages.get(f"{PLUG}/state") == b"OFF")
            # The audit log names the member the bus acts as, their role and the channel.
            audit = dobby.house.executor.audit
            assert audit is not None
            assert await until(lambda: bool(audit.recent()))  # written once it is done
            [entry] = audit.recent()
            assert (entry.requester, entry.name, entry.role, entry.channel) == (
                BUS_MEMBER,
                "Home Assistant",
                "member",
                "mqtt",
            )
            assert (entry.command, entry.path) == ("switch.turn_off", "mqtt")

            await client.publish(f"{PLUG}/set", b"ON")  # sensitive here: refused, said why
            assert await until(lambda: f"{PLUG}/refused" in heard.messages)
            refused = json.loads(heard.messages[f"{PLUG}/refused"])
            assert refused["command"] == "switch.turn_on"
            assert "switching on the hallway plug needs a person to approve it" in refused["reason"]
            assert plug.state["state"] == "OFF"

            await client.publish(f"{PLUG}/set", b"EXPLODE")
            assert await until(
                lambda: "does not take 'EXPLODE'" in heard.messages[f"{PLUG}/refused"].decode()
            )

            # The adapter on the same broker does not take Dobby's own announcements for
            # devices of the house.
            assert not [e for e in bus.registry.entities if e.startswith("switch.hallway_plug_")]

            await dobby.unpublish()
            assert await until(lambda: heard.messages.get(CONFIG) == b"")
            assert dobby.published == {}


async def test_sensitive_commands_from_the_bus_when_configured(tmp_path: Path) -> None:
    async with running_bus() as bus:
        sensitive = SensitiveRule(command="switch.turn_off", reason="switching off the plug")
        policy = PolicyConfig(confirm=[sensitive])
        config = bus_config(sensitive="allow")
        async with on_the_bus(bus, config, policy, tmp_path) as (_dobby, client, heard):
            assert await until(lambda: CONFIG in heard.messages)
            await client.publish(f"{PLUG}/set", b"OFF")
            plug = bus.zigbee.bridge.devices["Hallway/Plug"]
            assert await until(lambda: plug.state["state"] == "OFF")
            assert f"{PLUG}/refused" not in heard.messages


async def test_a_member_who_may_not_is_refused_and_told(tmp_path: Path) -> None:
    """The bus's member is a guest, who may not switch: refused, and the reason published."""
    async with running_bus() as bus:
        policy = PolicyConfig()
        policy.roles[Role.GUEST].denied_domains.append(Domain.SWITCH)
        guest = Role.GUEST
        async with on_the_bus(bus, bus_config(), policy, tmp_path, guest) as (_, client, heard):
            assert await until(lambda: CONFIG in heard.messages)
            await client.publish(f"{PLUG}/set", b"OFF")
            assert await until(lambda: f"{PLUG}/refused" in heard.messages)
            reason = json.loads(heard.messages[f"{PLUG}/refused"])["reason"]
            assert reason == "a guest may not control Hallway Plug"
            assert bus.zigbee.bridge.devices["Hallway/Plug"].state["state"] == "ON"


async def test_dobby_publishes_on_the_bus_when_home_yaml_says_so(tmp_path: Path) -> None:
    """home.yaml's `bus: {enabled: true}` with the mqtt adapter's broker: Dobby's entities
    on the bus, the Zigbee plug among them."""
    zigbee = await start_zigbee(HostAllocator(), [("Hallway/Plug", "plug")])
    directory = tmp_path / "config"
    directory.mkdir()
    broker = {"broker": zigbee.broker.host, "port": zigbee.broker.port}
    home = {
        "adapters": {"mqtt": broker},
        "members": [{"id": BUS_MEMBER, "name": "Home Assistant", "role": "member"}],
        "bus": {"enabled": True, "base_topic": "house", "member": BUS_MEMBER},
    }
    (directory / "home.yaml").write_text(yaml.safe_dump(home))
    manifests = {"mqtt": load_adapters().manifests["mqtt"]}
    dobby = Dobby(load_config(directory), tmp_path / "state", loaded=LoadedAdapters(manifests, []))
    try:
        async with (
            aiomqtt.Client(zigbee.broker.host, zigbee.broker.port) as client,
            hearing(client, "homeassistant/switch/dobby/#") as heard,
        ):
            await dobby.start(discover=False, freeze=False)
            assert await dobby.registry.wait_until(
                lambda: "switch.hallway_plug" in dobby.registry.entities, 10
            )
            assert await until(lambda: CONFIG in heard.messages)
            assert json.loads(heard.messages[CONFIG])["command_topic"] == (
                "house/switch/hallway_plug/set"
            )
            await client.publish("house/switch/hallway_plug/set", b"OFF")
            plug = zigbee.bridge.devices["Hallway/Plug"]
            assert await until(lambda: plug.state["state"] == "OFF")
            assert await until(lambda: bool(dobby.audit.recent()))
            [entry] = dobby.audit.recent()
            assert (entry.requester, entry.role, entry.channel) == (BUS_MEMBER, "member", "mqtt")
    finally:
        await dobby.stop()
        await zigbee.stop()


async def test_with_nobody_named_the_bus_refuses_every_command(tmp_path: Path) -> None:
    """Identity travels with every action: a bus acting as nobody does nothing."""
    async with running_bus() as bus:
        config = BusConfig(enabled=True)
        async with on_the_bus(bus, config, PolicyConfig(), tmp_path) as (_, client, heard):
            assert await until(lambda: CONFIG in heard.messages)
            await client.publish(f"{PLUG}/set", b"OFF")
            assert await until(lambda: f"{PLUG}/refused" in heard.messages)
            reason = json.loads(heard.messages[f"{PLUG}/refused"])["reason"]
            assert "the bus acts as nobody" in reason
            assert bus.zigbee.bridge.devices["Hallway/Plug"].state["state"] == "ON"


def test_config_check_wants_the_bus_member_named_and_known(tmp_path: Path) -> None:
    members = "members:\n  - {id: 'telegram:1', name: Ann, role: admin}\n"
    (tmp_path / "home.yaml").write_text(f"{members}bus:\n  enabled: true\n")
    with pytest.raises(ConfigError) as missing:
        load_config(tmp_path)
    assert (missing.value.line, missing.value.field) == (4, "bus.member")
    assert "is required with the bus enabled" in str(missing.value)
    assert "telegram:1" in str(missing.value)

    (tmp_path / "home.yaml").write_text(f"{members}bus:\n  enabled: true\n  member: mqtt:ha\n")
    with pytest.raises(ConfigError) as unknown:
        load_config(tmp_path)
    assert (unknown.value.line, unknown.value.field) == (5, "bus.member")
    assert "unknown member 'mqtt:ha' (members: telegram:1)" in str(unknown.value)

    (tmp_path / "home.yaml").write_text(f"{members}bus:\n  enabled: true\n  member: telegram:1\n")
    assert load_config(tmp_path).home.bus.member == "telegram:1"
    (tmp_path / "home.yaml").write_text(f"{members}bus:\n  enabled: true\n  role: member\n")
    with pytest.raises(ConfigError) as old:
        load_config(tmp_path)
    assert (old.value.line, old.value.field) == (5, "bus.role")


async def test_the_demo_house_on_the_bus(tmp_path: Path) -> None:
    """Thermostats, the alarm panel and the speakers on the bus too, commanded from it as
    the bus's member: a setpoint, arming, a pause and a volume done and published back; a
    setpoint out of bounds and a disarm refused, with the reason published."""
    config = load_config(DEMO_CONFIG)
    member = MemberConfig(id=BUS_MEMBER, name="Home Assistant", role=Role.MEMBER)
    config.home.members.append(member)
    config.home.bus = bus_config()
    async with running_demo(config, tmp_path) as demo:
        assert demo.missing == []
        [zigbee] = [e for e in demo.house.running if isinstance(e, MqttDemo)]
        registry = demo.dobby.registry
        async with (
            aiomqtt.Client(zigbee.broker.host, zigbee.broker.port) as client,
            hearing(client, "homeassistant/#", "dobby/#") as heard,
        ):
            alarm = "homeassistant/alarm_control_panel/dobby/house_alarm/config"
            thermostat = "homeassistant/climate/dobby/hallway_thermostat/config"
            speaker = "homeassistant/sensor/dobby/living_room/config"
            pause = "homeassistant/button/dobby/living_room_pause/config"
            volume = "homeassistant/number/dobby/living_room_volume/config"
            assert await until(
                lambda: all(
                    t in heard.messages for t in (alarm, thermostat, speaker, pause, volume)
                )
            )
            said = json.loads(heard.messages[alarm])
            assert said["command_topic"] == "dobby/alarm_panel/house_alarm/set"
            assert "arm_night" in said["supported_features"]
            said = json.loads(heard.messages[thermostat])
            assert said["temperature_command_topic"] == (
                "dobby/climate/hallway_thermostat/temperature_set"
            )
            assert "heat" in said["modes"]
            assert (said["min_temp"], said["max_temp"]) == (10, 30)
            assert json.loads(heard.messages[pause])["payload_press"] == "PAUSE"
            assert json.loads(heard.messages[speaker])["value_template"] == (
                "{{ value_json.state }}"
            )

            def state(entity_id: str) -> Any:
                return registry.entity(entity_id).state

            await client.publish("dobby/climate/hallway_thermostat/temperature_set", b"19")
            assert await until(lambda: state("climate.hallway_thermostat").temperature == 19)
            published = "dobby/climate/hallway_thermostat/state"
            assert await until(
                lambda: json.loads(heard.messages.get(published, b"{}")).get("temperature") == 19
            )
            await client.publish("dobby/climate/hallway_thermostat/temperature_set", b"45")
            refused = "dobby/climate/hallway_thermostat/refused"
            assert await until(lambda: refused in heard.messages)
            assert "45" in json.loads(heard.messages[refused])["reason"]
            assert state("climate.hallway_thermostat").temperature == 19

            await client.publish("dobby/alarm_panel/house_alarm/set", b"ARM_NIGHT")
            assert await until(lambda: state("alarm_panel.house_alarm").state == "armed_night")
            published = "dobby/alarm_panel/house_alarm/state"
            assert await until(lambda: heard.messages.get(published) == b"armed_night")
            await client.publish("dobby/alarm_panel/house_alarm/set", b"DISARM")
            refused = "dobby/alarm_panel/house_alarm/refused"
            assert await until(lambda: refused in heard.messages)
            reason = json.loads(heard.messages[refused])["reason"]
            assert reason.startswith("disarming the alarm needs a person to approve it")
            assert state("alarm_panel.house_alarm").state == "armed_night"

            await client.publish("dobby/media_player/living_room/set", b"PAUSE")
            assert await until(lambda: state("media_player.living_room").state == "paused")
            await client.publish("dobby/media_player/living_room/volume_set", b"30")
            assert await until(lambda: state("media_player.living_room").volume == 30)
            published = "dobby/media_player/living_room/state"
            assert await until(
                lambda: json.loads(heard.messages.get(published, b"{}")).get("volume") == 30
            )
        done = {(e.entity_id, e.command) for e in demo.dobby.audit.recent()}
        assert ("alarm_panel.house_alarm", "alarm_panel.arm") in done
        assert ("alarm_panel.house_alarm", "alarm_panel.disarm") not in done
        assert {e.requester for e in demo.dobby.audit.recent()} == {BUS_MEMBER}


CLIMATE_ALL = [f.value for f in ClimateFeature]
MEDIA_ALL = [f.value for f in MediaPlayerFeature]
ALARM_ALL = [f.value for f in AlarmPanelFeature]
THERMOSTAT = Entity(
    "climate.hall", "x:hall", Domain.CLIMATE, "Hall", "x:hall", features=frozenset(CLIMATE_ALL)
)
SPEAKER = Entity(
    "media_player.den", "x:den", Domain.MEDIA_PLAYER, "Den", "x:den", features=frozenset(MEDIA_ALL)
)
PANEL = Entity(
    "alarm_panel.house", "x:house", Domain.ALARM_PANEL, "House", "x:house",
    features=frozenset(ALARM_ALL),
)  # fmt: skip
SPEED = Entity(
    "number.pool_pump_speed_for_pool_pump", "x:pump", Domain.NUMBER,
    "Pool Pump Speed for Pool Pump", "x:pump",
    state=NumberState(state="2500", min=450, max=3450, step=10, unit_of_measurement="RPM"),
)  # fmt: skip


@given(
    entity=st.sampled_from([THERMOSTAT, SPEAKER, PANEL, SPEED]),
    leaf=st.sampled_from(sorted(LEAVES)),
    said=st.one_of(
        st.text(max_size=20),
        st.sampled_from(["19", "19.5", "-3", "nan", "inf", "1e400", "HEAT", "dry", "PLAY"]),
        st.sampled_from(["ARM_NIGHT", "DISARM", "30", "150", "PAUSE", "NEXT", "off"]),
        st.sampled_from(["2500", "2505", "2500.0", "0.5", "-1", "1e9"]),
    ),
)
def test_whatever_comes_on_a_command_topic_is_a_command_or_nothing(
    entity: Entity, leaf: str, said: str
) -> None:
    """Any payload on any command topic is a command of the entity's domain with parameters
    that it takes or refuses with a reason, or nothing (refused as not taken); never a crash."""
    order = order_for(entity, leaf, said)
    if order is None:
        return
    command, params = order
    assert command.startswith(f"{entity.domain.value}.")
    with contextlib.suppress(UnsupportedCommandError):  # refused with a reason: published
        validate_command(entity.name, entity.domain, entity.features, command, params)


def test_the_payloads_home_assistant_sends() -> None:
    assert order_for(THERMOSTAT, "temperature_set", "19.5") == (
        "climate.set_temperature",
        {"temperature": 19.5},
    )
    assert order_for(THERMOSTAT, "mode_set", "heat") == (
        "climate.set_hvac_mode",
        {"hvac_mode": "heat"},
    )
    assert order_for(THERMOSTAT, "temperature_set", "nan") is None
    assert order_for(PANEL, "set", "ARM_NIGHT") == ("alarm_panel.arm", {"mode": "night"})
    assert order_for(PANEL, "set", "DISARM") == ("alarm_panel.disarm", {})
    assert order_for(SPEAKER, "volume_set", "30.4") == ("media_player.set_volume", {"volume": 30})
    assert order_for(SPEAKER, "set", "NEXT") == ("media_player.next_track", {})
    assert order_for(SPEAKER, "mode_set", "heat") is None
