"""`python -m bench routine`: "sleepy time" over N emulated devices with latency L.

Every emulated device answers with an injected latency (50 ms by default). Reported:

- speakers: N = 1, 3, 10 and 30 Sonos speakers, each wall time over the one-speaker
  wall time of the same run;
- mixed: 30 devices of four kinds (Sonos, Hue, LIFX, PowerView), its wall time over the
  slowest single device's (one of each kind, measured in the same run).

- zigbee: 1 and 100 Zigbee2MQTT bulbs behind one emulated bridge and one Mosquitto
  broker, each wall time over the one-bulb wall time (the latency is the bridge's, per
  command), with where the time goes: the CPU time Dobby's process used during the
  routine (`dobby_cpu_ms`) and the house's, bridge and broker (`house_cpu_ms`, from /proc,
  in clock ticks of 10 ms). A wall time well above latency plus both is time spent
  waiting for a core.

A blocking client library must not be throttled by a small thread pool, nor one slow
kind hold up the others: the target is a ratio of at most 1.5 at 30 devices.

Beside the zigbee rows, `zigbee-calls`: the same bulbs, each sent its /set (off) by the
adapter's own broker session (aiomqtt, on paho) and waited for until it reports its state,
without the rest of Dobby: what the client library, the broker and the emulated bridge
cost at this latency here (the bridge, one Python process, handles each /set and state
message too), with the CPU time of that session's process (`client_cpu_ms`: the library's
share of `dobby_cpu_ms`) and the house's; and `zigbee_dobby_over_library`, each zigbee
wall time over the zigbee-calls one with as many bulbs.

Beside them, `sonos-calls`: the same speakers, each sent only the adapter's own blocking
calls (stop, then the transport state read back) from Dobby's thread pool, without the
rest of Dobby. Its ratio is the floor the released SoCo (and `requests`, 1.3 to 2 ms of
CPU per request under one GIL, as the host allows) leaves at this latency here; and
`dobby_over_library`, each speakers wall time over the sonos-calls one with as many
speakers: what Dobby adds to what SoCo costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from agent.app import Dobby
from agent.config import load_config
from bench import report
from bench.house import HouseProcess
from devices.blocking import BlockingRunner
from devices.capabilities import CommandSpec, media_player
from devices.capabilities.base import NoParams
from devices.virtual_house import HouseDevice
from skills.actions import Action, Plan, Requester
from skills.actions import Path as ActionPath

CONFIG = Path(__file__).resolve().parent.parent / "config"
ME = Requester.local_admin()


KINDS: dict[str, tuple[str, str, str, dict[str, Any]]] = {
    "sonos": ("Speaker", "speaker", "media_player", {"state": "playing", "volume": 20}),
    "hue": ("Lamp", "light", "light", {"state": "on", "brightness": 80}),
    "lifx": ("Bulb", "color_light", "light", {"state": "on", "brightness": 60}),
    "powerview": ("Shade", "shade", "cover", {"state": "open", "position": 100}),
}
"""Per adapter: the device's name, house-file kind, domain, and its awake state."""
ZIGBEE = ("Zigbee Bulb", "bulb", "light", {"state": "on", "brightness": 80})
"""Zigbee2MQTT bulbs, all behind one emulated bridge and one Mosquitto broker."""


def device(adapter: str, n: int) -> HouseDevice:
    """The `n`th device of one adapter's kind, awake (playing, on, open), in a room of its own."""
    name, kind, domain, state = KINDS[adapter]
    return HouseDevice(
        name=f"{name} {n}", area=f"Room {n}", adapter=adapter, kind=kind, domain=domain, state=state
    )


def zigbee_bulb(n: int) -> HouseDevice:
    """The `n`th Zigbee bulb, on, in a room of its own."""
    name, kind, domain, state = ZIGBEE
    return HouseDevice(
        name=f"{name} {n}", area=f"Room {n}", adapter="mqtt", kind=kind, domain=domain, state=state
    )


def speaker(n: int) -> HouseDevice:
    """A playing Sonos speaker."""
    return device("sonos", n)


def mixed(count: int) -> list[HouseDevice]:
    """`count` devices, the four kinds in turn."""
    adapters = list(KINDS)
    return [device(adapters[n % len(adapters)], n + 1) for n in range(count)]


def wake_up(dobby: Dobby) -> Plan:
    """The opposite of sleepy time, to run (untimed) before each timed run."""
    commands = {
        "media_player": "media_player.play",
        "light": "light.turn_on",
        "cover": "cover.open",
    }
    actions = [
        Action(entity_id=e.entity_id, command=commands[e.domain.value])
        for e in dobby.registry.entities.values()
        if e.domain.value in commands
    ]
    return Plan(actions, ME, ActionPath.ROUTINE, approved_by=ME)


async def measure(devices: list[HouseDevice], latency: float, repeats: int, work: Path) -> float:
    """The median wall time of "sleepy time" over these devices, in milliseconds."""
    return (await measure_cpu(devices, latency, repeats, work))[0]


async def measure_cpu(
    devices: list[HouseDevice], latency: float, repeats: int, work: Path
) -> tuple[float, float, float]:
    """The medians of "sleepy time" over these devices, in milliseconds: its wall time, the
    CPU time Dobby's process used meanwhile, and the house's (emulators and broker)."""
    with HouseProcess(devices, latency) as house:
        config = load_config(CONFIG)
        for name, extra in house.settings.items():
            config.home.adapters[name] = {**config.home.adapters.get(name, {}), **extra}
        state = Path(tempfile.mkdtemp(dir=work))
        # The house's own devices only: each answers from an address of its own.
        dobby = Dobby(config, state, interfaces=["127.0.0.1"], only_hosts=set(house.hosts))
        await dobby.start()
        try:
            missing = await dobby.wait_for(house.entity_ids, 60)
            if missing:
                raise RuntimeError(f"not found by discovery: {', '.join(missing)}")
            times, dobby_cpu, house_cpu = [], [], []
            for _ in range(repeats):
                await dobby.house.carry_out(wake_up(dobby))
                house_before, dobby_before = house.cpu_seconds(), time.process_time()
                started = time.perf_counter()
                reply = await dobby.handle("sleepy time", ME)
                times.append((time.perf_counter() - started) * 1000)
                dobby_cpu.append((time.process_time() - dobby_before) * 1000)
                house_cpu.append((house.cpu_seconds() - house_before) * 1000)
                failed = [r for r in reply.results if not r["ok"]]
                reached = {r["entity_id"] for r in reply.results}
                if reached != set(house.entity_ids) or failed:
                    raise RuntimeError(
                        f"sleepy time reached {sorted(reached)} of {house.entity_ids}: {failed}"
                    )
            median = statistics.median
            return median(times), median(dobby_cpu), median(house_cpu)
        finally:
            await dobby.stop()


async def library_floor(counts: list[int], latency: float, repeats: int) -> dict[int, float]:
    """The median wall time of the Sonos adapter's own blocking calls (stop, then the
    transport state read back) on N speakers at once, in Dobby's thread pool but without
    the rest of Dobby: what SoCo itself costs, in milliseconds by N."""
    from devices.adapters.sonos.speaker import Speaker

    def unused(uid: str) -> Any:  # play and stop name no group members
        raise KeyError(uid)

    with HouseProcess([speaker(k + 1) for k in range(max(counts))], latency) as house:
        pool = BlockingRunner()
        try:
            speakers = [Speaker(host) for host in house.hosts]
            await asyncio.gather(*(pool.run(s.describe) for s in speakers))
            walls: dict[int, float] = {}

            async def every(chosen: list[Speaker], command: CommandSpec) -> None:
                await asyncio.gather(
                    *(pool.run(s.run, command, NoParams(), unused) for s in chosen)
                )

            for count in counts:
                times = []
                for _ in range(repeats):
                    await every(speakers[:count], media_player.PLAY)
                    await asyncio.sleep(0.2)
                    started = time.perf_counter()
                    await every(speakers[:count], media_player.STOP)
                    times.append((time.perf_counter() - started) * 1000)
                walls[count] = statistics.median(times)
            return walls
        finally:
            pool.shutdown()


async def zigbee_floor(
    counts: list[int], latency: float, repeats: int
) -> dict[int, tuple[float, float, float]]:
    """N Zigbee bulbs switched off by the MQTT adapter's own broker session alone (a /set
    each, then each bulb's state report awaited), without the rest of Dobby: what aiomqtt,
    the broker and the emulated bridge cost. The medians by N, in milliseconds: the wall
    time, the CPU time of this process (the session's), and the house's."""
    from devices.adapters.mqtt.link import BrokerSession, BrokerSettings

    bulbs = [zigbee_bulb(k + 1) for k in range(max(counts))]
    with HouseProcess(bulbs, latency) as house:
        where = house.settings["mqtt"]
        base = where["base_topic"]
        waiting: dict[str, tuple[str, asyncio.Future[None]]] = {}
        """By state topic: the state asked for, and what waits for the bulb to report it."""

        def heard(topic: str, payload: bytes, retained: bool) -> None:
            asked, waiter = waiting.get(topic, ("", None))
            if waiter is None or retained or json.loads(payload).get("state") != asked:
                return  # not the answer (the broker's copy, or a late answer to the last /set)
            del waiting[topic]
            waiter.set_result(None)

        session = BrokerSession(
            BrokerSettings(where["broker"], where["port"]),
            [f"{base}/#"],
            heard,
            lambda connected, reason: None,
        )
        await session.connect()
        try:

            async def switch(chosen: list[HouseDevice], state: str) -> None:
                loop = asyncio.get_running_loop()
                answers = []
                for bulb in chosen:
                    answers.append(answer := loop.create_future())
                    waiting[f"{base}/{bulb.name}"] = (state, answer)
                await asyncio.gather(
                    *(session.publish(f"{base}/{b.name}/set", {"state": state}) for b in chosen)
                )
                async with asyncio.timeout(30):
                    await asyncio.gather(*answers)

            medians: dict[int, tuple[float, float, float]] = {}
            for count in counts:
                times, own_cpu, house_cpu = [], [], []
                for _ in range(repeats):
                    await switch(bulbs[:count], "ON")
                    house_before, own_before = house.cpu_seconds(), time.process_time()
                    started = time.perf_counter()
                    await switch(bulbs[:count], "OFF")
                    times.append((time.perf_counter() - started) * 1000)
                    own_cpu.append((time.process_time() - own_before) * 1000)
                    house_cpu.append((house.cpu_seconds() - house_before) * 1000)
                median = statistics.median
                medians[count] = (median(times), median(own_cpu), median(house_cpu))
            return medians
        finally:
            await session.close()


def row(house: str, devices: int, latency_ms: float, wall_ms: float, base: float) -> dict[str, Any]:
    """One result row."""
    return {
        "house": house,
        "devices": devices,
        "latency_ms": latency_ms,
        "wall_ms": round(wall_ms, 1),
        "ratio": round(wall_ms / base, 3),
    }


async def run(argv: list[str], *, json_out: bool) -> dict[str, Any]:
    """Run the benchmark and report it."""
    parser = argparse.ArgumentParser(prog="python -m bench routine")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 3, 10, 30])
    parser.add_argument("--mixed", type=int, default=30, help="mixed house size (0: none)")
    parser.add_argument(
        "--zigbee",
        type=int,
        nargs="*",
        default=[1, 100],
        help="Zigbee bulbs through one broker, each against the first count (none: skip)",
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--no-floor",
        dest="floor",
        action="store_false",
        help="skip the rows of the Sonos adapter's blocking calls alone, without Dobby",
    )
    args = parser.parse_args(argv)
    latency = args.latency_ms / 1000
    results = []
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        walls = {
            n: await measure([speaker(k + 1) for k in range(n)], latency, args.repeats, work)
            for n in args.devices
        }
        base = walls[min(walls)]
        results += [row("speakers", n, args.latency_ms, wall, base) for n, wall in walls.items()]
        if args.floor:
            floor = await library_floor(args.devices, latency, args.repeats)
            lowest = floor[min(floor)]
            results += [row("sonos-calls", n, args.latency_ms, w, lowest) for n, w in floor.items()]
        if args.mixed:
            singles = {
                adapter: await measure([device(adapter, 1)], latency, args.repeats, work)
                for adapter in KINDS
            }
            slowest = max(singles.values())
            results += [row(kind, 1, args.latency_ms, w, slowest) for kind, w in singles.items()]
            wall = await measure(mixed(args.mixed), latency, args.repeats, work)
            results.append(row("mixed", args.mixed, args.latency_ms, wall, slowest))
        if args.zigbee:
            zigbee = {
                n: await measure_cpu(
                    [zigbee_bulb(k + 1) for k in range(n)], latency, args.repeats, work
                )
                for n in args.zigbee
            }
            one = zigbee[min(zigbee)][0]
            for n, (wall, dobby_cpu, house_cpu) in zigbee.items():
                # Where the time goes: Dobby's CPU and the house's (bridge and broker).
                cpu = {"dobby_cpu_ms": round(dobby_cpu, 1), "house_cpu_ms": round(house_cpu, 1)}
                results.append(row("zigbee", n, args.latency_ms, wall, one) | cpu)
            if args.floor:
                calls = await zigbee_floor(sorted(zigbee), latency, args.repeats)
                lowest = calls[min(calls)][0]
                for n, (wall, own_cpu, house_cpu) in calls.items():
                    cpu = {"client_cpu_ms": round(own_cpu, 1), "house_cpu_ms": round(house_cpu, 1)}
                    results.append(row("zigbee-calls", n, args.latency_ms, wall, lowest) | cpu)
    document: dict[str, Any] = {"benchmark": "routine", "results": results}
    if args.floor and args.zigbee:
        # What Dobby adds to what aiomqtt, the broker and the bridge cost.
        document["zigbee_dobby_over_library"] = [
            {"devices": n, "ratio": round(zigbee[n][0] / calls[n][0], 3)} for n in sorted(zigbee)
        ]
    if args.floor:
        # What Dobby adds to the library's own cost: ~1.0 means the rest is SoCo's.
        document["dobby_over_library"] = [
            {"devices": n, "ratio": round(walls[n] / floor[n], 3)} for n in args.devices
        ]
    report("routine", document, json_out=json_out)
    return document
