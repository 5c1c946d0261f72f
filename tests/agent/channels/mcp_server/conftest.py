"""The demo house served by `dobby run`'s Service, with a fake Telegram, for the MCP tests.

One house per test module (`mcp_house`): starting the demo house takes seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pydantic import SecretStr

from agent.app import Dobby
from agent.channels.testing import FakeBotAPI
from agent.config import ChannelSettings, MemberConfig, load_config
from agent.demo import serving_demo
from agent.service import Service
from devices.adapters.hue.emulator import HueBridgeEmulator
from devices.virtual_house import VirtualHouse
from skills.actions import Action, Plan, Requester, Role
from skills.actions import Path as ActionPath
from skills.audit import AuditEntry

CONFIG = Path(__file__).resolve().parents[4] / "config"
ADMIN, MEMBER, GUEST = 1001, 1002, 1003
MEMBERS = [
    MemberConfig(id=f"telegram:{ADMIN}", name="Alice", role=Role.ADMIN),
    MemberConfig(id=f"telegram:{MEMBER}", name="Bob", role=Role.MEMBER),
    MemberConfig(id=f"telegram:{GUEST}", name="Gus", role=Role.GUEST),
]


@dataclass
class McpHouse:
    """The running demo house, its service and fake Telegram, and each role's token."""

    service: Service
    house: VirtualHouse
    telegram: FakeBotAPI
    tokens: dict[str, str]
    admin: int = ADMIN
    """Alice's Telegram user id (and chat)."""

    @property
    def dobby(self) -> Dobby:
        assert self.service.dobby is not None
        return self.service.dobby

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.service.port}/mcp"

    @property
    def hue(self) -> HueBridgeEmulator:
        return next(e for e in self.house.running if isinstance(e, HueBridgeEmulator))

    def audit(self) -> list[AuditEntry]:
        return list(reversed(self.dobby.audit.recent(100_000)))

    async def state(self, entity_id: str) -> dict[str, Any]:
        """An entity's state, read back from its device through its own protocol."""
        await self.dobby.settle(10)
        return next(s for s in self.dobby.states() if s["entity_id"] == entity_id)

    async def lock_front_door(self) -> None:
        admin = Requester(f"telegram:{ADMIN}", Role.ADMIN, "Alice")
        plan = Plan(
            [Action(entity_id="lock.front_door", command="lock.lock")], admin, ActionPath.INTENT
        )
        outcome = await self.dobby.house.carry_out(plan)
        assert [r.ok for r in outcome.results] == [True], outcome.results
        for _ in range(50):
            if (await self.state("lock.front_door"))["state"] == "locked":
                return
            await asyncio.sleep(0.1)
        raise AssertionError("the front door did not lock")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def mcp_house(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[McpHouse]:
    config = load_config(CONFIG)
    config.home.members = list(MEMBERS)
    telegram = FakeBotAPI()
    await telegram.start()
    settings = ChannelSettings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_token=SecretStr(telegram.token),
        telegram_base_url=telegram.base_url,
        telegram_poll_timeout=1,
        http_host="127.0.0.1",
        http_port=0,
    )
    try:
        state = tmp_path_factory.mktemp("mcp-state")
        async with serving_demo(config, state, settings) as serving:
            assert serving.missing == []
            dobby = serving.service.dobby
            assert dobby is not None
            tokens = {m.name: dobby.members.issue_token(m.id) for m in MEMBERS}
            yield McpHouse(serving.service, serving.house, telegram, tokens)
    finally:
        await telegram.stop()
