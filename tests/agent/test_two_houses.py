"""Two virtual houses at once in one process: each found by its own Dobby, each on
addresses of its own (broadcast discovery included), and each controlled alone."""

from __future__ import annotations

import ipaddress
import os
import random
import socket
import subprocess
import sys
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from agent.config import load_config
from agent.demo import RunningDemo, running_demo
from devices.adapters.lifx.demo import LifxEmulation
from devices.adapters.screenlogic.emulator import ScreenLogicEmulator
from devices.adapters.screenlogic.emulator.wire import DISCOVERY_PORT
from devices.testing.addresses import POOL_VARIABLE
from devices.virtual_house import VirtualHouse
from skills.actions import Requester

CONFIG = Path(__file__).resolve().parents[2] / "config"


def states(demo: RunningDemo) -> dict[str, str]:
    return {s["entity_id"]: s["state"] for s in demo.dobby.states()}


def running(house: VirtualHouse, kind: type[Any]) -> Any:
    return next(e for e in house.running if isinstance(e, kind))


async def test_two_houses_are_found_and_controlled_independently(tmp_path: Path) -> None:
    async with AsyncExitStack() as stack:
        one = await stack.enter_async_context(running_demo(load_config(CONFIG), tmp_path / "a"))
        two = await stack.enter_async_context(running_demo(load_config(CONFIG), tmp_path / "b"))
        assert (one.missing, two.missing) == ([], [])
        assert set(states(one)) == set(states(two))
        assert not one.house.hosts.allocated & two.house.hosts.allocated
        assert one.house.hosts.broadcast != two.house.hosts.broadcast
        # The devices found by broadcast are each house's own, not the other's.
        for house, demo in ((one.house, one), (two.house, two)):
            bulb = running(house, LifxEmulation)
            gateway = running(house, ScreenLogicEmulator)
            hosts = {d.info.host for d in demo.dobby.registry.devices.values()}
            assert {bulb.host, gateway.host} <= hosts
            assert hosts <= house.addresses

        reply = await one.dobby.handle("sleepy time", Requester.local_admin())
        assert all(result["ok"] for result in reply.results), reply.results
        await one.dobby.settle(15)
        asleep, awake = states(one), states(two)
        assert asleep["light.counter_strip"] == asleep["light.living_room_ceiling"] == "off"
        assert asleep["lock.front_door"] == "locked"
        assert awake["light.counter_strip"] == awake["light.living_room_ceiling"] == "on"
        assert awake["lock.front_door"] == "unlocked"
        strip = running(two.house, LifxEmulation).bulb("Counter Strip")
        assert strip.state.power_level > 0  # at the device, not only in Dobby's registry

        reply = await two.dobby.handle("turn on the pool light", Requester.local_admin())
        assert all(result["ok"] for result in reply.results), reply.results
        await two.dobby.settle(15)
        assert states(two)["light.pool_light"] == "on"
        assert states(one)["light.pool_light"] == "off"
        pools = [running(h, ScreenLogicEmulator) for h in (one.house, two.house)]
        lights = [[c.on for c in p.equipment.circuits if c.name == "Pool Light"] for p in pools]
        assert lights == [[False], [True]]


def hold_everywhere(pool: ipaddress.IPv4Network, port: int) -> list[socket.socket]:
    """UDP `port` bound on every address of `pool`: a program that holds it everywhere,
    as far as a house drawing its addresses from `pool` can tell."""
    held: list[socket.socket] = []
    try:
        for host in pool.hosts():
            holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            held.append(holder)
            holder.bind((str(host), port))
    except OSError:
        for holder in held:
            holder.close()
        raise
    return held


def test_a_port_taken_on_every_address_is_one_line(tmp_path: Path) -> None:
    # The port is held on a network of our own, not on 0.0.0.0: the rest of the machine
    # (another test, a `dobby demo`) keeps its ScreenLogic gateways.
    for _ in range(8):
        pool = ipaddress.IPv4Network(f"127.{random.randrange(1, 255)}.{random.randrange(256)}.0/24")
        try:
            held = hold_everywhere(pool, DISCOVERY_PORT)
            break
        except OSError:
            continue  # someone uses an address there: another network
    else:
        pytest.fail("no /24 of loopback addresses is free of UDP port 1444")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "agent", "demo", "--say", "hello", "--state", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
            cwd=CONFIG.parent,
            env={**os.environ, POOL_VARIABLE: str(pool)},
        )
    finally:
        for holder in held:
            holder.close()
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "The virtual house cannot start: UDP port 1444 on every loopback address tried is "
        "taken by another process."
    ]
