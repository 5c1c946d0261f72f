"""Dobby on the bus: its entities announced with Home Assistant MQTT discovery and commanded
from their command topics through the policy, seen by a real aiomqtt client through
Mosquitto."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiomqtt
import yaml

from agent.app import Dobby
from agent.bus import DobbyBus
from agent.config import BusConfig, load_config
from devices.adapters.mqtt.demo import start_zigbee
from devices.adapters.mqtt.link import BrokerSettings
from devices.capabilities import Domain
from devices.plugin import LoadedAdapters, load_adapters
from devices.testing import HostAllocator
from skills.actions import Role
from skills.executor import Executor
from skills.house import House
from skills.policy import Policy, PolicyConfig, SensitiveRule

from .helpers import Bus, running_bus, until

CONFIG = "homeassistant/switch/dobby/hallway_plug/config"
PLUG = "dobby/switch/hallway_plug"


class Heard:
    """What a client of the broker heard, by topic (the last message of each)."""

    def __init__(self) -> None:
        self.messages: dict[str, bytes] = {}


@asynccontextmanager
async def on_the_bus(
    bus: Bus, config: BusConfig, policy: PolicyConfig
) -> AsyncIterator[tuple[DobbyBus, aiomqtt.Client, Heard]]:
    broker = bus.zigbee.broker
    house = House(
        bus.registry,
        Policy(bus.registry, policy),
        Executor(bus.registry, {"mqtt": bus.adapter}, timeout=5),
    )
    dobby = DobbyBus(house, BrokerSettings(broker.host, broker.port, reconnect_min=0.1), config)
    heard = Heard()
    async with aiomqtt.Client(broker.host, broker.port) as client:
        await client.subscribe("homeassistant/#")
        await client.subscribe("dobby/#")

        async def listen() -> None:
            async for message in client.messages:
                payload = message.payload if isinstance(message.payload, bytes) else b""
                heard.messages[str(message.topic)] = payload

        listening = asyncio.create_task(listen())
        dobby.start()
        try:
            yield dobby, client, heard
        finally:
            await dobby.stop()
            listening.cancel()


async def test_dobbys_entities_are_announced_and_commanded_through_the_policy() -> None:
    async with running_bus() as bus:
        sensitive = SensitiveRule(command="switch.turn_on", reason="switching on the hallway plug")
        policy = PolicyConfig(confirm=[*PolicyConfig().confirm, sensitive])
        async with on_the_bus(bus, BusConfig(enabled=True), policy) as (dobby, client, heard):
            assert await until(
                lambda: CONFIG in heard.messages and f"{PLUG}/state" in heard.messages
            )
            config = json.loads(heard.messages[CONFIG])
            assert config["command_topic"] == f"{PLUG}/set"
            assert config["state_topic"] == f"{PLUG}/state"
            assert config["device"]["name"] == "Hallway Plug"
            assert heard.messages[f"{PLUG}/state"] == b"ON"
            assert heard.messages["dobby/status"] == b"online"
            assert "homeassistant/climate/dobby/hallway_radiator/config" not in heard.messages

            await client.publish(f"{PLUG}/set", b"OFF")  # allowed: done, at the device
            plug = bus.zigbee.bridge.devices["Hallway/Plug"]
            assert await until(lambda: plug.state["state"] == "OFF")
            assert await until(lambda: heard.messages.get(f"{PLUG}/state") == b"OFF")

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


async def test_sensitive_commands_from_the_bus_when_configured() -> None:
    async with running_bus() as bus:
        sensitive = SensitiveRule(command="switch.turn_off", reason="switching off the plug")
        policy = PolicyConfig(confirm=[sensitive])
        config = BusConfig(enabled=True, sensitive="allow")
        async with on_the_bus(bus, config, policy) as (_dobby, client, heard):
            assert await until(lambda: CONFIG in heard.messages)
            await client.publish(f"{PLUG}/set", b"OFF")
            plug = bus.zigbee.bridge.devices["Hallway/Plug"]
            assert await until(lambda: plug.state["state"] == "OFF")
            assert f"{PLUG}/refused" not in heard.messages


async def test_a_role_that_may_not_is_refused_and_told() -> None:
    async with running_bus() as bus:
        policy = PolicyConfig()
        policy.roles[Role.GUEST].denied_domains.append(Domain.SWITCH)
        config = BusConfig(enabled=True, role=Role.GUEST)
        async with on_the_bus(bus, config, policy) as (_dobby, client, heard):
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
    home = {"adapters": {"mqtt": broker}, "bus": {"enabled": True, "base_topic": "house"}}
    (directory / "home.yaml").write_text(yaml.safe_dump(home))
    manifests = {"mqtt": load_adapters().manifests["mqtt"]}
    dobby = Dobby(load_config(directory), tmp_path / "state", loaded=LoadedAdapters(manifests, []))
    heard = Heard()
    try:
        async with aiomqtt.Client(zigbee.broker.host, zigbee.broker.port) as client:
            await client.subscribe("homeassistant/switch/dobby/#")

            async def listen() -> None:
                async for message in client.messages:
                    payload = message.payload if isinstance(message.payload, bytes) else b""
                    heard.messages[str(message.topic)] = payload

            listening = asyncio.create_task(listen())
            await dobby.start(discover=False, freeze=False)
            assert await dobby.registry.wait_until(
                lambda: "switch.hallway_plug" in dobby.registry.entities, 10
            )
            assert await until(lambda: CONFIG in heard.messages)
            assert json.loads(heard.messages[CONFIG])["command_topic"] == (
                "house/switch/hallway_plug/set"
            )
            listening.cancel()
    finally:
        await dobby.stop()
        await zigbee.stop()
