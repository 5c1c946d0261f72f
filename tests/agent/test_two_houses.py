"""Two virtual houses at once in one process: each found by its own Dobby, each on
addresses of its own (broadcast discovery included), and each controlled alone."""

from __future__ import annotations

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


def test_a_port_taken_on_every_address_is_one_line(tmp_path: Path) -> None:
    holder = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        holder.bind(("0.0.0.0", DISCOVERY_PORT))  # a program on all addresses: ScreenLogic's
    except OSError:
        holder.close()
        pytest.skip("another program on this machine holds UDP port 1444 already")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "agent", "demo", "--say", "hello", "--state", str(tmp_path)],
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
            cwd=CONFIG.parent,
        )
    finally:
        holder.close()
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "The virtual house cannot start: UDP port 1444 on every loopback address tried is "
        "taken by another process."
    ]
