"""The demo house served by `dobby run`'s Service, with fake Telegram and Graph APIs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from agent.channels.testing import FakeBotAPI, FakeGraphAPI
from agent.config import ChannelSettings, MemberConfig, load_config
from agent.demo import LOOPBACK, demo_house
from agent.service import Service
from devices.plugin import load_adapters
from devices.virtual_house import VirtualHouse
from skills.actions import Role
from skills.policy import SensitiveRule

CONFIG = Path(__file__).resolve().parents[3] / "config"
ADMIN, MEMBER, GUEST, STRANGER = 1001, 1002, 1003, 6666
WA_ADMIN, WA_STRANGER = "15550001111", "15559999999"
APP_SECRET = "wa-app-secret-never-logged"
VERIFY_TOKEN = "wa-verify-token-never-logged"


@dataclass
class Household:
    """Everything a channel test touches."""

    service: Service
    house: VirtualHouse
    telegram: FakeBotAPI
    graph: FakeGraphAPI

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.service.port}"

    async def states(self) -> dict[str, str | None]:
        dobby = self.service.dobby
        assert dobby is not None
        await dobby.refresh()
        return {s["entity_id"]: s["state"] for s in dobby.states()}


@pytest.fixture
async def household(tmp_path: Path) -> AsyncIterator[Household]:
    config = load_config(CONFIG)
    config.home.members = [
        MemberConfig(id=f"telegram:{ADMIN}", name="Alice", role=Role.ADMIN),
        MemberConfig(id=f"telegram:{MEMBER}", name="Bob", role=Role.MEMBER),
        MemberConfig(id=f"telegram:{GUEST}", name="Gus", role=Role.GUEST),
        MemberConfig(id=f"whatsapp:+{WA_ADMIN}", name="Wanda", role=Role.ADMIN),
    ]
    # The demo house has no lock yet: playing music needs a confirmation in these tests.
    config.home.policy.confirm.append(
        SensitiveRule(command="media_player.play", reason="playing music")
    )
    telegram, graph = FakeBotAPI(), FakeGraphAPI()
    await telegram.start()
    await graph.start()
    loaded = load_adapters()
    settings = ChannelSettings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_token=SecretStr(telegram.token),
        telegram_base_url=telegram.base_url,
        telegram_poll_timeout=1,
        whatsapp_token=SecretStr(graph.token),
        whatsapp_app_secret=SecretStr(APP_SECRET),
        whatsapp_verify_token=SecretStr(VERIFY_TOKEN),
        whatsapp_phone_number_id="1234567890",
        whatsapp_graph_url=graph.base_url,
        http_host="127.0.0.1",
        http_port=0,
    )
    try:
        async with demo_house(config, loaded) as house:
            service = Service(
                config,
                tmp_path,
                settings,
                interfaces=[LOOPBACK],
                loaded=loaded,
                only_hosts=house.addresses,
            )
            try:
                await service.start()
                assert service.dobby is not None
                assert await service.dobby.wait_for(house.entity_ids, 30) == []
                yield Household(service, house, telegram, graph)
            finally:
                await service.stop()
    finally:
        await graph.stop()
        await telegram.stop()
