"""`python -m bench web`: how fast the web page's house at a glance loads, and what the
page costs `dobby run` in memory.

Speed: `dobby run`'s service in this process, with the web page and a generated house of
`--entities` entities (500 by default: lights, speakers, shades, thermostats, locks and
sensors over sixteen areas), signed in through a one-time link. Over HTTP on loopback, each
of `--loads` loads of `/` gives the time to its first byte and to its last (the whole HTML,
every card rendered). In Debian's headless Chromium, when it is installed, the browser's
own navigation timing gives the time to first byte and to a complete page (its CSS and
script loaded, the `load` event). Targets: at most 100 ms to first byte, 300 ms complete.
On a machine shared with other work the wall clock waits for the cores; `browser_cpu_ms`
is the processor time per load of Chromium's processes (and Playwright's driver, which
runs them), from /proc, which does not.

Memory: `dobby run` as a process on the demo house (as `python -m bench footprint` runs
it), a page loaded once, then `--idle` seconds idle; its resident memory with the web page
and without it (`DOBBY_WEB=false`). Target: at most 120 MB with the page.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from agent.channels.members import Members
from agent.channels.testing import FakeBotAPI
from agent.channels.web.testing import chromium_missing, launch
from agent.config import ChannelSettings, load_config
from agent.service import Service
from bench import report
from bench.footprint import measure as footprint
from bench.house import HouseProcess, tree_cpu_seconds
from bench.understand import generated_house
from devices.plugin import LoadedAdapters
from devices.virtual_house import read_house
from skills.actions import TERMINAL
from skills.database import database_path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"


def percentile(times: list[float], fraction: float) -> float:
    """The `fraction` percentile of `times` (nearest rank)."""
    ordered = sorted(times)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))]


def _row(what: str, entities: int, first: list[float], whole: list[float]) -> dict[str, Any]:
    return {
        "measure": what,
        "entities": entities,
        "ttfb_p50_ms": round(statistics.median(first), 1),
        "ttfb_p95_ms": round(percentile(first, 0.95), 1),
        "complete_p50_ms": round(statistics.median(whole), 1),
        "complete_p95_ms": round(percentile(whole, 0.95), 1),
    }


async def _http(url: str, link: str, loads: int) -> tuple[list[float], list[float], int]:
    jar = aiohttp.CookieJar(unsafe=True)
    first: list[float] = []
    whole: list[float] = []
    size = 0
    async with aiohttp.ClientSession(cookie_jar=jar) as client:
        async with client.post(link, headers={"Origin": url}) as response:
            assert response.status == 200, await response.text()
        for _ in range(loads + 2):  # two to warm up
            started = time.perf_counter()
            async with client.get(f"{url}/") as response:
                head = await response.content.readany()
                arrived = time.perf_counter()
                rest = await response.read()
                done = time.perf_counter()
            size = len(head) + len(rest)
            first.append((arrived - started) * 1000)
            whole.append((done - started) * 1000)
    return first[2:], whole[2:], size


async def _browser(
    service: Service, url: str, loads: int
) -> tuple[list[float], list[float], float]:
    from playwright.async_api import async_playwright

    first: list[float] = []
    whole: list[float] = []
    cpu = 0.0
    async with async_playwright() as playwright:
        browser = await launch(playwright)
        try:
            page = await (await browser.new_context()).new_page()
            await page.goto(service.sign_in_link(TERMINAL))
            await page.click("button:has-text('Sign in')")
            await page.wait_for_url(f"{url}/")
            for index in range(loads + 2):
                if index == 2:
                    cpu = tree_cpu_seconds(os.getpid(), itself=False)
                await page.goto(f"{url}/", wait_until="load")
                timing = await page.evaluate(
                    "() => { const n = performance.getEntriesByType('navigation')[0];"
                    " return [n.responseStart - n.startTime, n.loadEventEnd - n.startTime]; }"
                )
                if index >= 2:
                    first.append(float(timing[0]))
                    whole.append(float(timing[1]))
            cpu = tree_cpu_seconds(os.getpid(), itself=False) - cpu
        finally:
            await browser.close()
    return first, whole, cpu * 1000 / loads


async def speed(entities: int, loads: int, work: Path) -> list[dict[str, Any]]:
    """Load times of the house at a glance with `entities` entities."""
    settings = ChannelSettings(_env_file=None, http_host="127.0.0.1", http_port=0)
    service = Service(
        load_config(CONFIG),
        work,
        settings,
        loaded=LoadedAdapters({}, []),
        only_hosts=[],
        interfaces=["127.0.0.1"],
    )
    await service.start()
    try:
        assert service.dobby is not None
        generated_house(entities, service.dobby.registry)
        url = f"http://127.0.0.1:{service.port}"
        # The client in a thread of its own: in the server's loop it would read only once
        # the server yields, when the whole page is written.
        link = service.sign_in_link(TERMINAL)
        first, whole, size = await asyncio.to_thread(asyncio.run, _http(url, link, loads))
        rows = [_row("http", entities, first, whole) | {"html_kb": round(size / 1024)}]
        missing = chromium_missing()
        if missing is None:
            first, whole, cpu = await _browser(service, url, loads)
            rows.append(_row("chromium", entities, first, whole) | {"browser_cpu_ms": round(cpu)})
        else:
            print(f"Chromium timings left out: {missing}")
        return rows
    finally:
        await service.stop()


async def _open_page(url: str, work: Path) -> None:
    """Sign in and load the house once, as someone glancing at it."""
    members = Members(database_path(work / "state"))
    try:
        secret = members.web_link(TERMINAL)
    finally:
        members.close()
    jar = aiohttp.CookieJar(unsafe=True)
    async with (
        aiohttp.ClientSession(cookie_jar=jar) as client,
        client.post(f"{url}/signin/{secret}", headers={"Origin": url}) as response,
    ):
        assert response.status == 200, await response.text()


async def memory(idle: float) -> list[dict[str, Any]]:
    """Idle RSS of `dobby run` on the demo house, with the page and without it."""
    telegram = FakeBotAPI()
    rows = []
    with HouseProcess(read_house(CONFIG / "demo" / "house.yaml").devices, latency=0.0) as house:
        await telegram.start()
        try:
            for web in (True, False):
                with tempfile.TemporaryDirectory() as work:
                    row = await footprint(
                        idle,
                        Path(work),
                        telegram,
                        house,
                        env_extra={"DOBBY_WEB": str(web).lower()},
                        warm=_open_page if web else None,
                    )
                rows.append({"measure": f"dobby run, web page {'on' if web else 'off'}", **row})
        finally:
            await telegram.stop()
    return rows


async def run(argv: list[str], *, json_out: bool) -> dict[str, Any]:
    """Run the benchmark and report it."""
    parser = argparse.ArgumentParser(prog="python -m bench web")
    parser.add_argument("--entities", type=int, default=500)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--idle", type=float, default=30.0, help="Seconds idle before RSS.")
    parser.add_argument("--no-memory", action="store_true", help="Only the load times.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        results = await speed(args.entities, args.loads, Path(work))
    if not args.no_memory:
        results += await memory(args.idle)
    document: dict[str, Any] = {
        "benchmark": "web",
        "targets": {"ttfb_ms": 100, "complete_ms": 300, "rss_mb": 120},
        "results": results,
    }
    report("web", document, json_out=json_out)
    return document
