"""`python -m bench routine`: "sleepy time" over N emulated speakers with latency L.

Reports the wall time for N = 1, 3, 10 and 30 and each one's ratio to the wall time for
N = 1 measured in the same run. A blocking client library must not be throttled by a
small thread pool: the target is a ratio of at most 1.5 at N = 30.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from agent.app import Dobby
from agent.config import load_config
from bench import report
from bench.speakers import SpeakerProcess
from devices.emulator import HostAllocator
from skills.actions import Requester

SHIPPED_ROUTINES = Path(__file__).resolve().parent.parent / "config" / "routines.yaml"


def house_config(directory: Path, hosts: list[str]) -> Path:
    """A config dir that names the speakers' addresses and ships the real routines."""
    directory.mkdir(parents=True, exist_ok=True)
    home = {"adapters": {"sonos": {"hosts": hosts}}}
    (directory / "home.yaml").write_text(yaml.safe_dump(home), encoding="utf-8")
    (directory / "routines.yaml").write_text(SHIPPED_ROUTINES.read_text(), encoding="utf-8")
    return directory


async def measure(count: int, latency: float, repeats: int, work: Path) -> float:
    """The median wall time of "sleepy time" over `count` speakers, in milliseconds."""
    hosts = HostAllocator(first=f"127.0.{100 + count}.10")
    with SpeakerProcess(count, latency, hosts) as speakers:
        config = load_config(house_config(work / f"config-{count}", speakers.hosts))
        dobby = Dobby(config, work / f"state-{count}", interfaces=["127.0.0.1"])
        await dobby.start(discover=False)
        try:
            if len(dobby.registry.entities) != count:
                raise RuntimeError(f"{len(dobby.registry.entities)} of {count} speakers set up")
            times = []
            for _ in range(repeats):
                speakers.play_all()
                await dobby.refresh()
                started = time.perf_counter()
                reply = await dobby.handle("sleepy time", Requester.local_admin())
                times.append((time.perf_counter() - started) * 1000)
                failed = [r for r in reply.results if not r["ok"]]
                if len(reply.results) != count or failed:
                    raise RuntimeError(f"sleepy time did not stop every speaker: {failed}")
            return statistics.median(times)
        finally:
            await dobby.stop()


async def run(argv: list[str], *, json_out: bool) -> dict[str, Any]:
    """Run the benchmark and report it."""
    parser = argparse.ArgumentParser(prog="python -m bench routine")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 3, 10, 30])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as work:
        for count in args.devices:
            wall = await measure(count, args.latency_ms / 1000, args.repeats, Path(work))
            results.append({"devices": count, "latency_ms": args.latency_ms, "wall_ms": wall})
    base = results[0]["wall_ms"]
    for row in results:
        row["ratio"] = round(row["wall_ms"] / base, 3)
        row["wall_ms"] = round(row["wall_ms"], 1)
    document = {"benchmark": "routine", "results": results}
    report("routine", document, json_out=json_out)
    return document
