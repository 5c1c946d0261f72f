"""Numbers on the bus: the demo pool's pump speed and chlorinator output announced as Home
Assistant `number` components, with the range the device and the household allow, and set
from their command topics through the policy as the bus's member, seen by a real aiomqtt
client through the demo's Mosquitto and checked at the emulated ScreenLogic gateway."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from agent.bus import DobbyBus, order_for
from agent.config import MemberConfig, load_config
from agent.demo import RunningDemo, running_demo
from devices.adapters.mqtt.demo import MqttDemo
from devices.adapters.mqtt.link import BrokerSettings
from devices.adapters.screenlogic.emulator import ScreenLogicEmulator
from devices.capabilities import Domain, NumberState
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry
from skills.actions import Role, Unchanged
from skills.executor import Executor
from skills.house import House
from skills.policy import NumberBounds, Policy, PolicyConfig, SensitiveRule

from .helpers import until
from .test_mqtt_dobby_bus import BUS_MEMBER, DEMO_CONFIG, SPEED, Heard, bus_config, hearing

pytestmark = pytest.mark.timeout(120)  # the demo house starts (and waits for LIFX's port)

PUMP = "pool_pump_target_speed"
CHLORINATOR = "pool_chlorinator_output"
PUMP_CONFIG = f"homeassistant/number/dobby/{PUMP}/config"
CHLORINATOR_CONFIG = f"homeassistant/number/dobby/{CHLORINATOR}/config"


@asynccontextmanager
async def demo_on_the_bus(
    tmp_path: Path, role: Role = Role.MEMBER, **policy: Any
) -> AsyncIterator[tuple[RunningDemo, aiomqtt.Client, Heard]]:
    """The demo house with Dobby on its broker, acting as BUS_MEMBER with `role` under the
    demo's policy changed by `policy`; a client that hears everything said there."""
    config = load_config(DEMO_CONFIG)
    config.home.members.append(MemberConfig(id=BUS_MEMBER, name="Home Assistant", role=role))
    config.home.bus = bus_config()
    for key, value in policy.items():
        setattr(config.home.policy, key, value)
    async with running_demo(config, tmp_path) as demo:
        assert demo.missing == []
        [zigbee] = [e for e in demo.house.running if isinstance(e, MqttDemo)]
        async with (
            aiomqtt.Client(zigbee.broker.host, zigbee.broker.port) as client,
            hearing(client, "homeassistant/number/#", "dobby/number/#") as heard,
        ):
            assert await until(lambda: PUMP_CONFIG in heard.messages)
            yield demo, client, heard


def pump_at_device(demo: RunningDemo) -> int:
    """The pool preset's speed in the emulated gateway, in RPM."""
    [gateway] = [e for e in demo.house.running if isinstance(e, ScreenLogicEmulator)]
    [preset] = gateway.equipment.presets[0]
    assert preset.rpm
    return int(preset.speed)


def refusal(heard: Heard, object_id: str) -> dict[str, str]:
    return json.loads(heard.messages.get(f"dobby/number/{object_id}/refused", b"{}"))


async def test_the_pools_numbers_on_the_bus_are_set_through_the_policy(tmp_path: Path) -> None:
    bounds = {f"number.{CHLORINATOR}": NumberBounds(max=60)}
    async with demo_on_the_bus(tmp_path, numbers=bounds) as (demo, client, heard):
        pump = json.loads(heard.messages[PUMP_CONFIG])
        assert {k: pump[k] for k in ("command_topic", "state_topic", "min", "max", "step")} == {
            "command_topic": f"dobby/number/{PUMP}/set",
            "state_topic": f"dobby/number/{PUMP}/state",
            "min": 450,
            "max": 3450,
            "step": 10,
        }
        assert (pump["unit_of_measurement"], pump["mode"]) == ("RPM", "box")  # 300 steps
        assert pump["unique_id"] == f"dobby_number_{PUMP}"
        assert await until(lambda: CHLORINATOR_CONFIG in heard.messages)
        output = json.loads(heard.messages[CHLORINATOR_CONFIG])
        # The household's bound narrows the range Home Assistant offers.
        assert (output["min"], output["max"], output["step"]) == (0, 60, 1)
        assert (output["unit_of_measurement"], output["mode"]) == ("%", "slider")
        assert await until(lambda: f"dobby/number/{PUMP}/state" in heard.messages)
        assert float(heard.messages[f"dobby/number/{PUMP}/state"]) == pump_at_device(demo)

        # The household narrows the pump too: said again with the next change, the set.
        demo.dobby.house.policy.config.numbers[f"number.{PUMP}"] = NumberBounds(max=3000)
        await client.publish(f"dobby/number/{PUMP}/set", b"2800")  # done, at the device
        assert await until(lambda: pump_at_device(demo) == 2800)
        assert await until(lambda: heard.messages.get(f"dobby/number/{PUMP}/state") == b"2800")
        assert await until(lambda: json.loads(heard.messages[PUMP_CONFIG])["max"] == 3000)
        [entry] = [e for e in demo.dobby.audit.recent() if e.entity_id == f"number.{PUMP}"]
        assert (entry.requester, entry.channel, entry.path) == (BUS_MEMBER, "mqtt", "mqtt")
        assert (entry.command, entry.params) == ("number.set_value", {"value": 2800})

        await client.publish(f"dobby/number/{PUMP}/set", b"5000")  # outside the range
        assert await until(lambda: bool(refusal(heard, PUMP)))
        assert refusal(heard, PUMP) == {
            "command": "number.set_value",
            "reason": "5000 RPM is outside the allowed range for Pool Pump Target Speed "
            "(450 RPM to 3000 RPM)",
        }
        await client.publish(f"dobby/number/{PUMP}/set", b"2805")  # between the steps
        assert await until(lambda: "steps of 10 RPM" in refusal(heard, PUMP).get("reason", ""))
        await client.publish(f"dobby/number/{PUMP}/set", b"fast")
        assert await until(lambda: "does not take 'fast'" in refusal(heard, PUMP)["reason"])
        await client.publish(f"dobby/number/{CHLORINATOR}/set", b"70")  # above the household's
        assert await until(lambda: "(0 % to 60 %)" in refusal(heard, CHLORINATOR).get("reason", ""))
        await asyncio.sleep(0.3)
        assert pump_at_device(demo) == 2800
        chlorinator = demo.dobby.registry.entity(f"number.{CHLORINATOR}").state
        assert isinstance(chlorinator, NumberState)
        assert chlorinator.value == 50


async def test_a_sensitive_number_waits_for_nobody_on_the_bus(tmp_path: Path) -> None:
    """A household that asks for an approval before the pump speeds up: refused on the bus,
    where nobody can approve, with the reason; slowing it down is done."""
    faster = SensitiveRule(
        command="number.set_value", reason="speeding up the pool pump", when="raising"
    )
    async with demo_on_the_bus(tmp_path, confirm=[faster]) as (demo, client, heard):
        await client.publish(f"dobby/number/{PUMP}/set", b"3000")
        assert await until(lambda: bool(refusal(heard, PUMP)))
        assert refusal(heard, PUMP)["reason"].startswith(
            "speeding up the pool pump needs a person to approve it"
        )
        assert pump_at_device(demo) == 2500
        await client.publish(f"dobby/number/{PUMP}/set", b"1200")
        assert await until(lambda: pump_at_device(demo) == 1200)


async def test_a_guest_on_the_bus_may_not_set_the_pump(tmp_path: Path) -> None:
    async with demo_on_the_bus(tmp_path, Role.GUEST) as (demo, client, heard):
        await client.publish(f"dobby/number/{PUMP}/set", b"3000")
        assert await until(lambda: bool(refusal(heard, PUMP)))
        assert refusal(heard, PUMP)["reason"] == ("a guest may not control Pool Pump Target Speed")
        assert pump_at_device(demo) == 2500


def test_the_payloads_home_assistant_sends_a_number() -> None:
    assert order_for(SPEED, "set", "2800") == ("number.set_value", {"value": 2800})
    assert order_for(SPEED, "set", "2800.0") == ("number.set_value", {"value": 2800})
    assert order_for(SPEED, "set", "7.5") == ("number.set_value", {"value": 7.5})
    assert order_for(SPEED, "set", "nan") is None
    assert order_for(SPEED, "set", "ON") is None
    assert order_for(SPEED, "volume_set", "30") is None


def test_a_number_is_announced_once_its_range_is_known_and_again_when_it_changes() -> None:
    """No broker needed: what Dobby would publish for the pump's speed, as its device says
    more. Before the device has said its range there is nothing to offer Home Assistant."""
    registry = Registry()
    [speed] = registry.upsert_device(
        "screenlogic",
        DeviceInfo(unique_id="controller", name="Pentair"),
        [EntitySpec("speed", Domain.NUMBER, "Pool Pump Target Speed")],
    )
    policy = PolicyConfig(numbers={speed.entity_id: NumberBounds(max=3200)})
    house = House(registry, Policy(registry, policy), Executor(registry, {}))
    bus = DobbyBus(house, BrokerSettings("127.0.0.1", 1), bus_config(), Unchanged())
    assert bus.configs_for(speed) == {}
    speed.state = NumberState(state="unknown", min=450, max=3450, step=10)
    [config] = bus.configs_for(speed).values()
    assert (config["min"], config["max"], config["mode"]) == (450, 3200, "box")  # 275 steps
    assert "unit_of_measurement" not in config
    assert bus.state_for(speed) == "None"  # Home Assistant's word for "not known"
    speed.state = NumberState(state="40", min=15, max=130, unit_of_measurement="GPM")
    [config] = bus.configs_for(speed).values()
    assert (config["min"], config["max"], config["step"]) == (15, 130, 1)
    assert (config["unit_of_measurement"], config["mode"]) == ("GPM", "slider")
    assert bus.state_for(speed) == "40"
    # A household bound between the device's steps: the range offered is on them, so every
    # value Home Assistant sends is one the device takes (as the web page's slider).
    policy.numbers[speed.entity_id] = NumberBounds(min=455, max=3205)
    speed.state = NumberState(state="2500", min=450, max=3450, step=10)
    [config] = bus.configs_for(speed).values()
    assert (config["min"], config["max"]) == (460, 3200)
