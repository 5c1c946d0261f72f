"""Issue 17's acceptance over stdio: the `mcp` SDK's client starts `dobby mcp --member NAME`
as a desktop client would, against the demo house running in this test process.

The subprocess finds the emulators through normal discovery on loopback and talks to the
(fake) Telegram Bot API, so an admin's Approve there carries out what waits.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
import pytest_asyncio
import yaml
from mcp import Client, StdioServerParameters

from agent.channels.testing import FakeBotAPI
from agent.config import load_config
from agent.demo import LOOPBACK, demo_house
from devices.adapters.homekit import pairing
from devices.adapters.homekit.emulator import HomeKitEmulator
from devices.adapters.hue.emulator import HueBridgeEmulator
from devices.plugin import load_adapters
from devices.virtual_house import VirtualHouse

pytestmark = pytest.mark.asyncio(loop_scope="module")

CONFIG = Path(__file__).resolve().parents[4] / "config"
DOBBY = Path(sys.executable).parent / "dobby"
ADMIN, GUEST = 1001, 1003


@dataclass
class Stdio:
    """The demo house and fake Telegram in this process; how to start `dobby mcp`."""

    house: VirtualHouse
    telegram: FakeBotAPI
    config: Path
    state: Path

    @property
    def hue(self) -> HueBridgeEmulator:
        return next(e for e in self.house.running if isinstance(e, HueBridgeEmulator))

    def parameters(self, member: str) -> StdioServerParameters:
        hosts = [arg for host in sorted(self.house.addresses) for arg in ("--only-host", host)]
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOBBY_")}
        env |= {
            "DOBBY_TELEGRAM_TOKEN": self.telegram.token,
            "DOBBY_TELEGRAM_BASE_URL": self.telegram.base_url,
            "DOBBY_TELEGRAM_POLL_TIMEOUT": "1",
        }
        return StdioServerParameters(
            command=str(DOBBY),
            args=[
                "mcp",
                *("--member", member, "--config", str(self.config), "--state", str(self.state)),
                *("--interface", LOOPBACK, *hosts),
            ],
            env=env,
            cwd=self.state,
        )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stdio(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Stdio]:
    root = tmp_path_factory.mktemp("mcp-stdio")
    config_dir, state = root / "config", root / "state"
    shutil.copytree(CONFIG, config_dir)
    state.mkdir()
    config = load_config(config_dir)
    telegram = FakeBotAPI()
    await telegram.start()
    try:
        async with demo_house(config, load_adapters()) as house:
            home = yaml.safe_load((config_dir / "home.yaml").read_text())
            home["members"] = [
                {"id": f"telegram:{ADMIN}", "name": "Alice", "role": "admin"},
                {"id": f"telegram:{GUEST}", "name": "Gus", "role": "guest"},
            ]
            home["adapters"] = config.home.adapters  # addresses the emulators handed over
            (config_dir / "home.yaml").write_text(yaml.safe_dump(home, allow_unicode=True))
            # Pair the HomeKit accessories as a household does (`dobby pair homekit`); the
            # in-process demo pairs by itself with codes the subprocess cannot see.
            [homekit] = [e for e in house.running if isinstance(e, HomeKitEmulator)]
            await asyncio.gather(
                *(
                    # Only this house's accessory: another house on this machine (a test
                    # beside this one, a `dobby demo`) announces the same names.
                    pairing.pair(
                        spec.name,
                        spec.setup_code,
                        state_dir=state,
                        interfaces=[LOOPBACK],
                        only_hosts=[spec.host],
                    )
                    for spec in homekit.specs
                )
            )
            yield Stdio(house, telegram, config_dir, state)
    finally:
        await telegram.stop()


@asynccontextmanager
async def connect(stdio: Stdio, member: str) -> AsyncIterator[Client]:
    async with Client(stdio.parameters(member), read_timeout_seconds=60) as client:
        missing = set(stdio.house.entity_ids)
        for _ in range(90):  # the subprocess discovers the house
            missing -= {e["entity_id"] for e in await entities(client)}
            if not missing:
                break
            await asyncio.sleep(0.5)
        assert not missing, f"not discovered: {sorted(missing)}"
        yield client


async def entities(client: Client) -> list[dict[str, Any]]:
    read = await client.read_resource("dobby://entities")
    [content] = read.contents
    assert isinstance(content, types.TextResourceContents)
    found: list[dict[str, Any]] = json.loads(content.text)
    return found


async def call(client: Client, tool: str, **arguments: Any) -> str:
    result = await client.call_tool(tool, arguments)
    text = "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))
    assert not result.is_error, text
    return text


async def test_a_member_over_stdio(stdio: Stdio) -> None:
    bulb = stdio.hue.model.light("Kitchen Pendant")
    stdio.hue.set_light("Kitchen Pendant", on=True)
    async with connect(stdio, "Alice") as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert {"find_entities", "control_light", "control_lock", "approval_status"} <= tools
        resources = {r.uri for r in (await client.list_resources()).resources}
        assert "dobby://entities/lock.front_door" in resources

        # Turn a light off: the emulated bulb turns off.
        await call(client, "control_light", entity_ids=["light.kitchen_pendant"], action="turn_off")
        assert bulb.on is False
        [state] = json.loads(await call(client, "get_state", entity_ids=["light.kitchen_pendant"]))
        assert state["state"] == "off"

        # A change at the emulator (not through Dobby) is announced.
        uri = "dobby://entities/light.kitchen_pendant"
        async with client.listen(resource_subscriptions=[uri]) as subscription:
            stdio.hue.set_light("Kitchen Pendant", on=True)
            async with asyncio.timeout(20):
                async for event in subscription:
                    if getattr(event, "uri", None) == uri:
                        break

        # An unlock waits; an admin's Approve in Telegram carries it out, once.
        await call(client, "control_lock", entity_ids=["lock.front_door"], action="lock")
        seen = len(stdio.telegram.calls)
        text = await call(client, "control_lock", entity_ids=["lock.front_door"], action="unlock")
        token = re.search(r"Request (\S+) waits for approval", text)
        assert token is not None, text
        question = await stdio.telegram.wait_for(
            "sendMessage",
            lambda c: (
                any(c is later for later in stdio.telegram.calls[seen:])
                and c.params["chat_id"] == ADMIN
                and "reply_markup" in c.params
            ),
            within=30,
        )
        assert "Alice asks (through MCP)" in question.params["text"]
        message = stdio.telegram.messages[
            ADMIN, max(m for c, m in stdio.telegram.messages if c == ADMIN)
        ]
        approve = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        answered = await stdio.telegram.pressed(ADMIN, message, approve, name="Alice")
        assert answered.params["text"] == "Approved."
        again = await stdio.telegram.pressed(ADMIN, message, approve, name="Alice")
        assert again.params["text"] != "Approved."
        status = json.loads(await call(client, "approval_status", token=token[1], wait_seconds=30))
        assert status["status"] == "approved", status
        [lock] = json.loads(await call(client, "get_state", entity_ids=["lock.front_door"]))
        assert lock["state"] == "unlocked"
        log = json.loads(await call(client, "audit_log", entity_id="lock.front_door"))
        unlocks = [e for e in log if e["action"] == "lock.unlock on lock.front_door"]
        assert len(unlocks) == 1
        assert (unlocks[0]["way_in"], unlocks[0]["channel"], unlocks[0]["approved_by"]) == (
            "mcp",
            "mcp",
            "Alice",
        )


async def test_a_guest_over_stdio_cannot_unlock(stdio: Stdio) -> None:
    async with connect(stdio, "Gus") as client:
        text = await call(client, "control_lock", entity_ids=["lock.front_door"], action="unlock")
        assert "Refused by the house rules" in text, text
        [lock] = json.loads(await call(client, "get_state", entity_ids=["lock.front_door"]))
        log = json.loads(await call(client, "audit_log", entity_id="lock.front_door"))
    assert all(e["member_id"] == f"telegram:{GUEST}" for e in log)  # a guest sees only their own
    assert [e for e in log if e["action"].startswith("lock.unlock")] == []
    assert lock["state"] in ("locked", "unlocked")  # whatever it was; nothing was sent
