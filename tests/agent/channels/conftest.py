"""The demo house served by `dobby run`'s Service, with fake Telegram and Graph APIs."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from agent.channels.testing import FakeBotAPI, FakeGraphAPI
from agent.config import ChannelSettings, MemberConfig, load_config
from agent.demo import serving_demo
from agent.service import Service
from devices.virtual_house import VirtualHouse
from skills.actions import Role
from skills.policy import SensitiveRule

CONFIG = Path(__file__).resolve().parents[3] / "config"
ADMIN, MEMBER, GUEST, STRANGER = 1001, 1002, 1003, 6666
WA_ADMIN, WA_MEMBER, WA_GUEST, WA_STRANGER = (
    "15550001111",
    "15550003333",
    "15550004444",
    "15559999999",
)
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
        MemberConfig(id=f"whatsapp:+{WA_MEMBER}", name="Milo", role=Role.MEMBER),
        MemberConfig(id=f"whatsapp:+{WA_GUEST}", name="Gina", role=Role.GUEST),
    ]
    # The demo house has no lock yet: playing music needs a confirmation in these tests.
    config.home.policy.confirm.append(
        SensitiveRule(command="media_player.play", reason="playing music")
    )
    telegram, graph = FakeBotAPI(), FakeGraphAPI(app_secret=APP_SECRET)
    await telegram.start()
    await graph.start()
    settings = ChannelSettings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_token=SecretStr(telegram.token),
        telegram_base_url=telegram.base_url,
        telegram_poll_timeout=1,
        whatsapp_token=SecretStr(graph.token),
        whatsapp_app_secret=SecretStr(APP_SECRET),
        whatsapp_verify_token=SecretStr(VERIFY_TOKEN),
        whatsapp_phone_number_id=graph.phone_number_id,
        whatsapp_graph_url=graph.base_url,
        http_host="127.0.0.1",
        http_port=0,
    )
    try:
        async with serving_demo(config, tmp_path, settings) as demo:
            assert demo.missing == []
            graph.webhook = f"http://127.0.0.1:{demo.service.port}/whatsapp"
            yield Household(demo.service, demo.house, telegram, graph)
    finally:
        await graph.stop()
        await telegram.stop()


async def start_dobby_run(
    config: Path, state: Path, *, only_hosts: Iterable[str] = (), **settings: str
) -> asyncio.subprocess.Process:
    """`dobby run` in a process of its own, with no chat channel but those `settings` (the
    DOBBY_ variables, by their lower-case names) give it; stderr is piped. With
    `only_hosts`, it talks to devices at those addresses only (its own virtual house, not
    the other houses on the machine)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOBBY_")}
    env |= {"DOBBY_HTTP_HOST": "127.0.0.1", "DOBBY_HTTP_PORT": "0"}
    env["PYTHONFAULTHANDLER"] = "1"  # a test that finds it stuck sends SIGABRT: the stacks
    env |= {f"DOBBY_{name.upper()}": value for name, value in settings.items()}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "agent",
        "run",
        "--config",
        str(config),
        "--state",
        str(state),
        *(f"--only-host={host}" for host in only_hosts),
        cwd=state,
        env=env,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.fixture(name="dobby_run")
def dobby_run_fixture() -> object:
    """`await dobby_run(config, state, http_port="8790", telegram_token=...)`."""
    return start_dobby_run
