"""Telegram by webhook instead of polling: setWebhook on start, updates POSTed to /telegram."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import yaml
from pydantic import SecretStr

from agent.channels import replies
from agent.channels.telegram import render
from agent.channels.testing import FakeBotAPI
from agent.config import ChannelSettings, MemberConfig, load_config
from agent.service import Service
from devices.plugin import LoadedAdapters
from skills.actions import Role

SECRET = "webhook-secret-never-logged"


async def test_updates_arrive_by_webhook_with_the_secret_header(tmp_path: Path) -> None:
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    (config_dir / "home.yaml").write_text(
        yaml.safe_dump({"discovery": {"interfaces": ["127.0.0.1"]}, "adapters": {}})
    )
    config = load_config(config_dir)
    config.home.members = [MemberConfig(id="telegram:77", name="Alice", role=Role.ADMIN)]
    telegram = FakeBotAPI()
    await telegram.start()
    settings = ChannelSettings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_token=SecretStr(telegram.token),
        telegram_base_url=telegram.base_url,
        telegram_webhook_url="https://dobby.example.org/telegram",
        telegram_webhook_secret=SecretStr(SECRET),
        http_host="127.0.0.1",
        http_port=0,
    )
    # No adapters: the webhook is the subject, not whatever else answers on loopback.
    service = Service(
        config,
        tmp_path / "state",
        settings,
        interfaces=["127.0.0.1"],
        loaded=LoadedAdapters({}, []),
    )
    try:
        await service.start()
        hooked = await telegram.wait_for("setWebhook")
        assert hooked.params["url"] == "https://dobby.example.org/telegram"
        assert hooked.params["secret_token"] == SECRET
        assert telegram.called("getUpdates") == []
        update = {
            "update_id": 1,
            "message": {
                "message_id": 5,
                "date": 0,
                "chat": {"id": 77, "type": "private"},
                "from": telegram.user(77, "Alice"),
                "text": "/help",
                "entities": [{"type": "bot_command", "offset": 0, "length": 5}],
            },
        }
        url = f"http://127.0.0.1:{service.port}/telegram"
        async with aiohttp.ClientSession() as session:
            async with session.post(url, json=update) as response:
                assert response.status == 401
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            async with session.post(url, json=update, headers=headers) as response:
                assert response.status == 200
        sent = await telegram.wait_for("sendMessage")
        assert sent.params["chat_id"] == 77
        assert sent.params["text"] == render(replies.HELP)
        assert len(telegram.called("sendMessage")) == 1
    finally:
        await service.stop()
        await telegram.stop()
