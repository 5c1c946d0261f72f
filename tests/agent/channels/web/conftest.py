"""The demo house served by `dobby run`'s Service with the web page on, and its members.

One house per test module (`pytest_asyncio.fixture(scope="module")`): starting the
emulators is most of a test's time.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from pydantic import SecretStr

from agent.app import Dobby
from agent.channels.testing import FakeBotAPI, FakeGraphAPI
from agent.channels.web.testing import launch
from agent.config import ChannelSettings, MemberConfig, load_config
from agent.demo import LOOPBACK, serving_demo
from agent.service import Service
from devices.adapters.homekit.emulator import HomeKitEmulator
from devices.adapters.hue.emulator import HueBridgeEmulator
from devices.adapters.screenlogic.emulator import ScreenLogicEmulator
from devices.plugin import LoadedAdapters
from devices.virtual_house import VirtualHouse, read_house
from skills.actions import Requester, Role

CONFIG = Path(__file__).resolve().parents[4] / "config"
ALICE, BOB, GUS = "telegram:1001", "telegram:1002", "telegram:1003"
APP_SECRET = "wa-app-secret-never-shown"
VERIFY_TOKEN = "wa-verify-token-never-shown"
PUBLIC_URL = "https://dobby.home.test"
WA_BOB = "15550002222"


@dataclass
class Site:
    """The service with the page, the virtual house behind it, and what tests reach for."""

    service: Service
    house: VirtualHouse
    telegram: FakeBotAPI
    graph: FakeGraphAPI | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.service.port}"

    @property
    def dobby(self) -> Dobby:
        assert self.service.dobby is not None
        return self.service.dobby

    def link(self, member_id: str) -> str:
        return self.service.sign_in_link(member_id)

    def client(self) -> aiohttp.ClientSession:
        """An HTTP client that keeps the page's cookie (aiohttp keeps none for IP hosts
        unless told to)."""
        return aiohttp.ClientSession(base_url=self.url, cookie_jar=aiohttp.CookieJar(unsafe=True))

    async def signed_in(self, member_id: str) -> aiohttp.ClientSession:
        """A client signed in as a member through a one-time link, as a browser would."""
        client = self.client()
        link = "/signin/" + self.link(member_id).rpartition("/signin/")[2]
        async with client.post(link, headers={"Origin": self.url}, allow_redirects=False) as r:
            assert r.status == 303, await r.text()
            # Kept by hand: behind HTTPS the cookie is Secure, and this client speaks HTTP.
            client.cookie_jar.update_cookies({"dobby_session": r.cookies["dobby_session"].value})
        return client

    @property
    def bridge(self) -> HueBridgeEmulator:
        [bridge] = [e for e in self.house.running if isinstance(e, HueBridgeEmulator)]
        return bridge

    @property
    def homekit(self) -> HomeKitEmulator:
        [homekit] = [e for e in self.house.running if isinstance(e, HomeKitEmulator)]
        return homekit

    @property
    def pool(self) -> ScreenLogicEmulator:
        """The pool's emulated ScreenLogic gateway (its pump presets, its chlorinator)."""
        [pool] = [e for e in self.house.running if isinstance(e, ScreenLogicEmulator)]
        return pool

    async def lock_at_device(self) -> str:
        """The front door's lock, read from the emulated accessory itself."""
        values = await self.homekit.values("Front Door")
        return "locked" if values["LockCurrentState"] == 1 else "unlocked"

    async def set(self, entity_id: str, command: str, **params: Any) -> None:
        """Put a device in a state through the one path, as Alice (approved by her)."""
        from skills.actions import Action, Plan
        from skills.actions import Path as ActionPath

        alice = Requester(ALICE, Role.ADMIN, "Alice", "telegram", "1001")
        action = Action(entity_id=entity_id, command=command, params=params)
        plan = Plan([action], alice, ActionPath.INTENT, approved_by=alice)
        outcome = await self.dobby.house.carry_out(plan)
        assert [r.ok for r in outcome.results] == [True], outcome.results


def household_config() -> Any:
    config = load_config(CONFIG)
    config.home.members = [
        MemberConfig(id=ALICE, name="Alice", role=Role.ADMIN),
        MemberConfig(id=BOB, name="Bob", role=Role.MEMBER),
        MemberConfig(id=GUS, name="Gus", role=Role.GUEST),
        MemberConfig(id=f"whatsapp:+{WA_BOB}", name="Bob", role=Role.MEMBER),
    ]
    return config


def settings_for(telegram: FakeBotAPI, **more: Any) -> ChannelSettings:
    """The service's settings: Telegram on a fake Bot API, HTTP on loopback, and `more`."""
    return ChannelSettings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_token=SecretStr(telegram.token),
        telegram_base_url=telegram.base_url,
        telegram_poll_timeout=1,
        http_host=LOOPBACK,
        http_port=0,
        **more,
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bare_site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    """The service with the page, Telegram and WhatsApp (their secrets set), behind a
    public HTTPS address, and no devices: for what the page must refuse and never show."""
    telegram, graph = FakeBotAPI(), FakeGraphAPI()
    await telegram.start()
    await graph.start()
    settings = settings_for(
        telegram,
        whatsapp_token=SecretStr(graph.token),
        whatsapp_app_secret=SecretStr(APP_SECRET),
        whatsapp_verify_token=SecretStr(VERIFY_TOKEN),
        whatsapp_phone_number_id="1234567890",
        whatsapp_graph_url=graph.base_url,
        web_url=PUBLIC_URL,
    )
    service = Service(
        household_config(),
        tmp_path_factory.mktemp("bare"),
        settings,
        interfaces=[LOOPBACK],
        loaded=LoadedAdapters({}, []),
        only_hosts=[],
    )
    try:
        await service.start()
        empty = VirtualHouse(read_house(CONFIG / "demo" / "house.yaml"), {})
        yield Site(service, empty, telegram, graph)
    finally:
        await service.stop()
        await graph.stop()
        await telegram.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def site(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Site]:
    config = household_config()
    telegram = FakeBotAPI()
    await telegram.start()
    try:
        state = tmp_path_factory.mktemp("web")
        async with serving_demo(config, state, settings_for(telegram)) as demo:
            assert demo.missing == []
            yield Site(demo.service, demo.house, telegram)
    finally:
        await telegram.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    """Debian's headless Chromium, driven by Playwright (tests that use it skip without it)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        chromium = await launch(playwright)
        try:
            yield chromium
        finally:
            await chromium.close()
