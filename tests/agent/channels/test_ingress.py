"""Every way in authenticates before it parses, and bad input is a 4xx, never a 500.

The Telegram webhook always carries a secret (made and kept in the state dir when none is
set); a forged update, even in the name of the admin, is refused and nothing happens on
the emulated lock. WhatsApp deliveries: odd signatures are 401, malformed JSON is 400, a
delivery Meta sends again acts once (also after a restart), and one delivery of thousands
of messages is answered with bounded concurrency, without a traceback.
"""

from __future__ import annotations

import json
import logging
import stat
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from pydantic import SecretStr

from agent.channels.seen import SeenMessages
from agent.channels.testing import FakeBotAPI, FakeGraphAPI, sign, whatsapp_delivery
from agent.config import ChannelSettings, MemberConfig, load_config
from agent.demo import serving_demo
from agent.service import WEBHOOK_SECRET_FILE, Service
from devices.plugin import LoadedAdapters
from skills.actions import Requester, Role

CONFIG = Path(__file__).resolve().parents[3] / "config"
ADMIN, WA_ADMIN, WA_STRANGER = 1001, "15550001111", "15559999999"
APP_SECRET = "wa-app-secret-never-logged"


def telegram_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    """A Telegram update as the Bot API POSTs it to a webhook."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": FakeBotAPI.user(user_id, "Alice"),
            "text": text,
        },
    }


def settings_for(
    telegram: FakeBotAPI, graph: FakeGraphAPI, *, secret: str | None = None
) -> ChannelSettings:
    return ChannelSettings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_token=SecretStr(telegram.token),
        telegram_base_url=telegram.base_url,
        telegram_webhook_url="https://dobby.example.org/telegram",
        telegram_webhook_secret=SecretStr(secret) if secret else None,
        whatsapp_token=SecretStr(graph.token),
        whatsapp_app_secret=SecretStr(APP_SECRET),
        whatsapp_verify_token=SecretStr("verify"),
        whatsapp_phone_number_id="1234567890",
        whatsapp_graph_url=graph.base_url,
        http_port=0,
    )


@dataclass
class Door:
    """The service in webhook mode, its fakes, and where to POST."""

    service: Service
    telegram: FakeBotAPI
    graph: FakeGraphAPI

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.service.port}"

    @property
    def acted(self) -> list[Any]:
        dobby = self.service.dobby
        assert dobby is not None
        return dobby.audit.recent()

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> int:
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.url}{path}", data=body, headers=headers) as response,
        ):
            return response.status

    async def whatsapp(self, delivery: Any) -> int:
        body = json.dumps(delivery).encode()
        return await self.post("/whatsapp", body, {"X-Hub-Signature-256": sign(body, APP_SECRET)})


@pytest.fixture
async def door(tmp_path: Path) -> AsyncIterator[Door]:
    """Dobby with no devices, Telegram by webhook (no secret set) and WhatsApp."""
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "home.yaml").write_text(yaml.safe_dump({"adapters": {}}))
    config = load_config(config_dir)
    config.home.members = [
        MemberConfig(id=f"telegram:{ADMIN}", name="Alice", role=Role.ADMIN),
        MemberConfig(id=f"whatsapp:+{WA_ADMIN}", name="Wanda", role=Role.ADMIN),
    ]
    telegram, graph = FakeBotAPI(), FakeGraphAPI()
    await telegram.start()
    await graph.start()
    no_devices = LoadedAdapters({}, [])
    service = Service(
        config,
        tmp_path / "state",
        settings_for(telegram, graph),
        loaded=no_devices,
        interfaces=["127.0.0.1"],
    )
    try:
        await service.start()
        yield Door(service, telegram, graph)
    finally:
        await service.stop()
        await graph.stop()
        await telegram.stop()


async def test_webhook_mode_makes_its_own_secret_and_keeps_it_private(door, tmp_path) -> None:
    kept = tmp_path / "state" / WEBHOOK_SECRET_FILE
    secret = kept.read_text()
    assert len(secret) >= 32
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    hooked = await door.telegram.wait_for("setWebhook")
    assert hooked.params["secret_token"] == secret
    body = json.dumps(telegram_update(1, ADMIN, "/help")).encode()
    assert await door.post("/telegram", body, {}) == 401
    wrong = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
    assert await door.post("/telegram", body, wrong) == 401
    right = {"X-Telegram-Bot-Api-Secret-Token": secret}
    assert await door.post("/telegram", body, right) == 200
    assert await door.telegram.wait_for("sendMessage")
    # Sent again by Telegram (a retry): taken once.
    assert await door.post("/telegram", body, right) == 200
    assert await door.post("/telegram", b"{not json", right) == 400
    assert await door.post("/telegram", b'{"update_id": "x", "message": 5}', right) == 400
    assert len(door.telegram.called("sendMessage")) == 1


async def test_odd_signatures_and_malformed_deliveries_are_4xx(door, caplog) -> None:
    caplog.set_level(logging.WARNING)
    body = json.dumps(whatsapp_delivery(WA_ADMIN, text="/status")).encode()
    for signature in ("sha256=ü" + "0" * 63, "sha256=" + "é" * 64, "\xa0sha256=abc"):
        assert await door.post("/whatsapp", body, {"X-Hub-Signature-256": signature}) == 401
    for bad in (
        b"{not json",
        b"[1, 2]",
        b'{"entry": 5}',
        b'{"entry": [{"changes": [{"value": {"messages": [{"from": "1"}]}}]}]}',
        b"[" * 100_000 + b"]" * 100_000,
        b"\xff\xfe",
    ):
        status = await door.post("/whatsapp", bad, {"X-Hub-Signature-256": sign(bad, APP_SECRET)})
        assert status == 400, bad[:40]
    assert door.graph.calls == []
    assert door.acted == []
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_delivery_sent_again_acts_once(door) -> None:
    delivery = whatsapp_delivery(WA_ADMIN, text="/status")
    for _ in range(5):
        assert await door.whatsapp(delivery) == 200
    channel = door.service.channels["whatsapp"]
    await channel.drain()  # type: ignore[attr-defined]
    assert len(door.graph.sent_to(WA_ADMIN)) == 1


def test_seen_message_ids_outlive_a_restart_for_at_least_a_day(tmp_path: Path) -> None:
    now = [1_000_000.0]
    first = SeenMessages(tmp_path / "dobby.db", clock=lambda: now[0])
    assert first.first_time("whatsapp", "wamid.1")
    assert not first.first_time("whatsapp", "wamid.1")
    assert first.first_time("telegram", "wamid.1")  # ids are per channel
    first.close()
    now[0] += 24 * 3600
    second = SeenMessages(tmp_path / "dobby.db", clock=lambda: now[0])
    assert not second.first_time("whatsapp", "wamid.1")
    second.close()
    now[0] += 3 * 24 * 3600  # long after any retry: forgotten, so the table stays small
    third = SeenMessages(tmp_path / "dobby.db", clock=lambda: now[0])
    assert third.first_time("whatsapp", "wamid.1")
    third.close()


async def test_thousands_of_messages_in_one_delivery(door, caplog) -> None:
    caplog.set_level(logging.WARNING)
    messages = [
        {"from": f"1666{n:07d}", "id": f"wamid.flood.{n}", "type": "text", "text": {"body": "hi"}}
        for n in range(5000)
    ]
    value = {"messaging_product": "whatsapp", "messages": messages}
    delivery = {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}
    assert await door.whatsapp(delivery) == 200
    channel = door.service.channels["whatsapp"]
    await channel.drain()  # type: ignore[attr-defined]
    told = [c.params["to"] for c in door.graph.called("messages")]
    assert sorted(told) == sorted(m["from"] for m in messages)  # each stranger, once
    assert door.acted == []
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_forged_webhook_update_as_the_admin_changes_nothing(tmp_path, caplog) -> None:
    """The attack that unlocked the door: a forged update as the admin, then a forged
    Approve press. Without the secret both are 401, unread, and the lock stays locked."""
    caplog.set_level(logging.INFO)
    config = load_config(CONFIG)
    config.home.members = [MemberConfig(id=f"telegram:{ADMIN}", name="Alice", role=Role.ADMIN)]
    telegram, graph = FakeBotAPI(), FakeGraphAPI()
    await telegram.start()
    await graph.start()
    try:
        async with serving_demo(config, tmp_path, settings_for(telegram, graph)) as demo:
            service, dobby = demo.service, demo.dobby
            assert demo.missing == []
            alice = Requester(f"telegram:{ADMIN}", Role.ADMIN, "Alice")
            await dobby.handle("lock the front door", alice)
            await dobby.settle(10)
            before = len(dobby.audit.recent())
            door = Door(service, telegram, graph)
            forged = telegram_update(7, ADMIN, "unlock the front door")
            body = json.dumps(forged).encode()
            assert await door.post("/telegram", body, {}) == 401
            press = {
                "update_id": 8,
                "callback_query": {
                    "id": "q1",
                    "from": FakeBotAPI.user(ADMIN, "Alice"),
                    "chat_instance": "x",
                    "data": "c:anything:y",
                },
            }
            headers = {"X-Telegram-Bot-Api-Secret-Token": ""}
            assert await door.post("/telegram", json.dumps(press).encode(), headers) == 401
            await dobby.settle(10)
            states = {s["entity_id"]: s["state"] for s in dobby.states()}
            assert states["lock.front_door"] == "locked"
            assert len(dobby.audit.recent()) == before
            assert telegram.called("sendMessage") == []
            assert "unlock the front door" not in caplog.text  # the body is not logged
            assert caplog.text.count("without the right secret was refused") == 2
    finally:
        await graph.stop()
        await telegram.stop()
