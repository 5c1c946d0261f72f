"""`python -m bench chat`: from a chat message to every device actuated, per channel.

The demo house's emulators run at zero latency; `dobby run`'s service runs in this process
with the real python-telegram-bot against a fake Bot API on loopback, and the WhatsApp
webhook with a fake Graph API. One sample is the time from the message arriving at the
fake service (a Telegram update handed to the waiting getUpdates, or a signed webhook
POST) to Dobby's reply reaching it; Dobby replies only once every action of "sleepy
time" has come back from its device, and the run fails if any action failed.
Target: p99 at most 250 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import SecretStr

from agent.channels.testing import (
    FakeBotAPI,
    FakeGraphAPI,
    sign,
    whatsapp_delivery,
)
from agent.config import ChannelSettings, MemberConfig, load_config
from agent.demo import serving_demo
from agent.service import Service
from bench import report
from skills.actions import Role

CONFIG = Path(__file__).resolve().parent.parent / "config"
USER, PHONE = 1001, "15550001111"
APP_SECRET = "bench-app-secret"
PHRASE = "sleepy time"


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p99, in milliseconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return statistics.median(samples), cuts[98]


class Bench:
    """The house, the service and the fake chat services."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.telegram, self.graph = FakeBotAPI(), FakeGraphAPI()
        self.config = load_config(CONFIG)
        self.config.home.members = [
            MemberConfig(id=f"telegram:{USER}", name="Alice", role=Role.ADMIN),
            MemberConfig(id=f"whatsapp:{PHONE}", name="Alice", role=Role.ADMIN),
        ]
        self._house = contextlib.AsyncExitStack()
        """The virtual house and the service on it, stopped together."""
        self.service: Service | None = None
        self.session: aiohttp.ClientSession | None = None
        self.actions = 0
        """Actions one "sleepy time" ran, in the last sample."""

    async def start(self) -> None:
        """Start everything and wait for discovery to find the whole house."""
        await self.telegram.start()
        await self.graph.start()
        settings = ChannelSettings(
            _env_file=None,
            telegram_token=SecretStr(self.telegram.token),
            telegram_base_url=self.telegram.base_url,
            telegram_poll_timeout=10,
            whatsapp_token=SecretStr(self.graph.token),
            whatsapp_app_secret=SecretStr(APP_SECRET),
            whatsapp_verify_token=SecretStr("bench-verify"),
            whatsapp_phone_number_id="1234567890",
            whatsapp_graph_url=self.graph.base_url,
            http_host="127.0.0.1",
            http_port=0,
        )
        demo = await self._house.enter_async_context(serving_demo(self.config, self.work, settings))
        self.service = demo.service
        if demo.missing:
            raise RuntimeError(f"discovery did not find {demo.missing}")
        self.session = aiohttp.ClientSession()

    async def stop(self) -> None:
        """Stop everything."""
        if self.session is not None:
            await self.session.close()
        await self._house.aclose()
        await self.graph.stop()
        await self.telegram.stop()

    def _check(self, since: datetime) -> int:
        """How many actions this sample ran; fails if one failed or none ran."""
        assert self.service is not None
        assert self.service.dobby is not None
        ran = [e for e in self.service.dobby.audit.recent(500) if e.at >= since]
        failed = [f"{e.entity_id}: {e.error}" for e in ran if not e.ok]
        if not ran or failed:
            raise RuntimeError(f"sleepy time did not actuate every device: {failed}")
        return len(ran)

    async def telegram_once(self) -> float:
        """One message through Telegram, in milliseconds."""
        known = {id(c) for c in self.telegram.called("sendMessage")}
        started = time.perf_counter()
        self.telegram.say(USER, PHRASE, name="Alice")
        await self.telegram.wait_for("sendMessage", lambda c: id(c) not in known, within=30)
        return (time.perf_counter() - started) * 1000

    async def whatsapp_once(self) -> float:
        """One message through the WhatsApp webhook, in milliseconds."""
        assert self.session is not None
        assert self.service is not None
        known = {id(c) for c in self.graph.called("messages")}
        body = json.dumps(whatsapp_delivery(PHONE, text=PHRASE, name="Alice")).encode()
        headers = {"X-Hub-Signature-256": sign(body, APP_SECRET)}
        url = f"http://127.0.0.1:{self.service.port}/whatsapp"
        started = time.perf_counter()
        async with self.session.post(url, data=body, headers=headers) as response:
            if response.status != 200:
                raise RuntimeError(f"the webhook answered {response.status}")
        await self.graph.wait_for("messages", lambda c: id(c) not in known, within=30)
        return (time.perf_counter() - started) * 1000

    async def sample(self, once: Callable[[], Awaitable[float]], repeats: int) -> list[float]:
        """`repeats` timed messages after two to warm up."""
        samples = []
        for index in range(repeats + 2):
            since = datetime.now(UTC)
            elapsed = await once()
            self.actions = self._check(since)
            if index >= 2:
                samples.append(elapsed)
        return samples


async def run(argv: list[str], *, json_out: bool) -> dict[str, Any]:
    """Run the benchmark and report it."""
    parser = argparse.ArgumentParser(prog="python -m bench chat")
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory() as work:
        bench = Bench(Path(work))
        try:
            await bench.start()
            for channel, once in (
                ("telegram", bench.telegram_once),
                ("whatsapp", bench.whatsapp_once),
            ):
                p50, p99 = percentiles(await bench.sample(once, args.repeats))
                results.append(
                    {
                        "channel": channel,
                        "p50_ms": round(p50, 1),
                        "p99_ms": round(p99, 1),
                        "actions": bench.actions,
                        "samples": args.repeats,
                    }
                )
        finally:
            await bench.stop()
    document = {"benchmark": "chat", "results": results}
    report("chat", document, json_out=json_out)
    return document
