"""`python -m bench mcp`: one MCP tool call that turns an emulated light off, over HTTP.

The demo house's emulators run at zero latency; `dobby run`'s service runs in this process
and serves `/mcp` on loopback. The `mcp` SDK's own client calls `control_light` with a
member's bearer token; one sample is that call's wall time, from the request leaving the
client to its result arriving, which Dobby sends once the Hue bridge has acknowledged the
command. Before each sample the bulb is switched on at the bridge (not timed); after it,
the bulb must be off at the bridge, or the run fails. Target: p99 at most 50 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
import mcp_types as types
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from agent.config import ChannelSettings, MemberConfig, load_config
from agent.demo import serving_demo
from bench import report
from bench.chat import percentiles
from devices.adapters.hue.emulator import HueBridgeEmulator
from skills.actions import Role

CONFIG = Path(__file__).resolve().parent.parent / "config"
MEMBER = "telegram:1002"
LIGHT, ENTITY = "Kitchen Pendant", "light.kitchen_pendant"


async def measure(work: Path, repeats: int) -> dict[str, Any]:
    """Start the house and the service; time `repeats` calls after five to warm up."""
    config = load_config(CONFIG)
    config.home.members = [MemberConfig(id=MEMBER, name="Bob", role=Role.MEMBER)]
    settings = ChannelSettings(_env_file=None, http_host="127.0.0.1", http_port=0)
    async with contextlib.AsyncExitStack() as stack:
        serving = await stack.enter_async_context(serving_demo(config, work, settings))
        service, house = serving.service, serving.house
        if serving.missing:
            raise RuntimeError(f"discovery did not find {serving.missing}")
        assert service.dobby is not None
        hue = next(e for e in house.running if isinstance(e, HueBridgeEmulator))
        bulb = hue.model.light(LIGHT)
        token = service.dobby.members.issue_token(MEMBER)
        http = await stack.enter_async_context(
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"})
        )
        url = f"http://127.0.0.1:{service.port}/mcp"
        client = await stack.enter_async_context(
            Client(streamable_http_client(url, http_client=http))
        )
        arguments = {"entity_ids": [ENTITY], "action": "turn_off"}
        samples = []
        for index in range(repeats + 5):
            hue.set_light(LIGHT, on=True)
            started = time.perf_counter()
            result = await client.call_tool("control_light", arguments)
            elapsed = (time.perf_counter() - started) * 1000
            text = " ".join(c.text for c in result.content if isinstance(c, types.TextContent))
            if result.is_error or bulb.on or "Done" not in text:
                raise RuntimeError(f"the light did not turn off: {text}")
            if index >= 5:
                samples.append(elapsed)
        p50, p99 = percentiles(samples)
        return {
            "call": "control_light turn_off",
            "transport": "streamable HTTP",
            "protocol": client.protocol_version,
            "p50_ms": round(p50, 1),
            "p99_ms": round(p99, 1),
            "samples": repeats,
        }


async def run(argv: list[str], *, json_out: bool) -> dict[str, Any]:
    """Run the benchmark and report it."""
    parser = argparse.ArgumentParser(prog="python -m bench mcp")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        result = await measure(Path(work), args.repeats)
    document = {"benchmark": "mcp", "results": [result]}
    report("mcp", document, json_out=json_out)
    return document
