"""`python -m bench footprint`: memory and start-up time of `dobby run` on the demo house.

The demo house's emulators (every family, as `dobby demo` runs them) run in a process of
their own; a fake Telegram Bot API on loopback lets the Telegram channel start as in
production. `dobby run` runs as a real process, told the house's addresses (other
emulators may share loopback) and its wired devices' settings, as `dobby demo` does:
`ready_s` is the time from spawning it to its first `/healthz` 200, `house_s` to the last
entity found while idle (`entities`; `expected` counts the house file's own), `rss_mb` its
resident memory after `--idle` seconds (30 by default). `ready_cpu_s` is the processor time
`dobby run` had spent when it answered ready: on a machine shared with other work the wall
clock waits for the cores, the processor time does not. HomeKit accessories stay unpaired
(`dobby demo` offers their setup codes in its own process; `dobby run` would need
`dobby pair homekit`), so their entities are not found. Targets: 120 MB and 1.5 s. The
demo's Zigbee corner gains `--zigbee` bulbs (100 by default) on the same Mosquitto.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import yaml

from agent.channels.testing import FakeBotAPI
from bench import report
from bench.house import HouseProcess
from devices.virtual_house import read_house

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"


def config_dir(directory: Path, house: HouseProcess) -> Path:
    """The shipped config, discovering on loopback only, with the settings of the house's
    devices that announce nothing (as `dobby demo` writes them)."""
    directory.mkdir(parents=True, exist_ok=True)
    home = yaml.safe_load((CONFIG / "home.yaml").read_text(encoding="utf-8"))
    home["discovery"] = {"interfaces": ["127.0.0.1"]}
    adapters = home.get("adapters") or {}
    for name, extra in house.settings.items():
        adapters[name] = {**(adapters.get(name) or {}), **extra}
    home["adapters"] = adapters
    (directory / "home.yaml").write_text(yaml.safe_dump(home, allow_unicode=True), "utf-8")
    (directory / "routines.yaml").write_text((CONFIG / "routines.yaml").read_text("utf-8"))
    return directory


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_s(pid: int) -> float:
    """Processor time (user and system) a process has spent, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _health(session: aiohttp.ClientSession, url: str) -> dict[str, Any] | None:
    try:
        async with session.get(url) as response:
            return dict(await response.json()) if response.status == 200 else None
    except (aiohttp.ClientError, ValueError):
        return None


Warm = Callable[[str, Path], Awaitable[None]]
"""Something to do once `dobby run` is ready, given its address and the work dir."""


async def measure(
    idle: float,
    work: Path,
    telegram: FakeBotAPI,
    house: HouseProcess,
    *,
    env_extra: dict[str, str] | None = None,
    warm: Warm | None = None,
) -> dict[str, Any]:
    """Start `dobby run`, time it to ready, let it idle, read its memory, stop it."""
    port = free_port()
    env = {
        **os.environ,
        **(env_extra or {}),
        "DOBBY_TELEGRAM_TOKEN": telegram.token,
        "DOBBY_TELEGRAM_BASE_URL": telegram.base_url,
        "DOBBY_HTTP_HOST": "127.0.0.1",
        "DOBBY_HTTP_PORT": str(port),
    }
    command = [sys.executable, "-m", "agent", "run"]
    command += ["--config", str(config_dir(work / "config", house))]
    command += ["--state", str(work / "state")]
    for host in house.addresses:
        command += ["--only-host", host]
    expected = len(house.entity_ids)  # the house's own; adapters add more (batteries)
    started = time.perf_counter()
    log = (work / "dobby.log").open("wb")
    process = await asyncio.create_subprocess_exec(*command, env=env, cwd=work, stderr=log)
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        async with aiohttp.ClientSession() as session:
            health = None
            while health is None:
                if process.returncode is not None:
                    tail = (work / "dobby.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"dobby run exited with {process.returncode}: {tail}")
                health = await _health(session, url)
                if health is None:
                    await asyncio.sleep(0.01)
            ready = time.perf_counter() - started
            ready_cpu = cpu_s(process.pid)
            # Discovery goes on after ready: the time the last entity came, while idle.
            count, found = health.get("entities") or 0, ready
            idle_until = time.perf_counter() + idle
            if warm is not None:
                await warm(f"http://127.0.0.1:{port}", work)
            while time.perf_counter() < idle_until:
                await asyncio.sleep(0.05)
                now = (await _health(session, url) or {}).get("entities") or 0
                if now > count:
                    count, found = now, time.perf_counter() - started
            memory = rss_mb(process.pid)
            health = await _health(session, url) or {}
        stop_started = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
        return {
            "rss_mb": round(memory, 1),
            "ready_s": round(ready, 3),
            "ready_cpu_s": round(ready_cpu, 3),
            "house_s": round(found, 3),
            "entities": health.get("entities"),
            "expected": expected,
            "stop_s": round(time.perf_counter() - stop_started, 3),
            "exit_code": code,
        }
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        log.close()


async def run(argv: list[str], *, json_out: bool) -> dict[str, Any]:
    """Run the benchmark and report it."""
    parser = argparse.ArgumentParser(prog="python -m bench footprint")
    parser.add_argument("--idle", type=float, default=30.0, help="Seconds idle before RSS.")
    parser.add_argument(
        "--zigbee", type=int, default=100, help="Zigbee bulbs added to the demo's broker."
    )
    args = parser.parse_args(argv)
    telegram = FakeBotAPI()
    from bench.routine import zigbee_bulb

    devices = [
        *read_house(CONFIG / "demo" / "house.yaml").devices,
        *(zigbee_bulb(k + 1) for k in range(args.zigbee)),
    ]
    with HouseProcess(devices, latency=0.0) as house:
        await telegram.start()
        try:
            with tempfile.TemporaryDirectory() as work:
                row = await measure(args.idle, Path(work), telegram, house)
                row["zigbee_bulbs"] = args.zigbee
        finally:
            await telegram.stop()
    document = {"benchmark": "footprint", "results": [row]}
    report("footprint", document, json_out=json_out)
    return document


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(sys.argv[1:], json_out=False))))
