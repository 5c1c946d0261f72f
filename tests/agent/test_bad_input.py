"""Bad input is a sentence or a 4xx, never a traceback, and acts on nothing.

Hypothesis mutates the shipped home.yaml and routines.yaml (characters, bytes, and whole
values swapped for others) and feeds random bodies to the webhooks (WhatsApp deliveries
shaped as the Cloud API's: messages of every kind, button and list replies, and the
statuses of sent messages, with odd values everywhere). A config is either
accepted or refused with a ConfigError naming its file; a webhook body is answered with a
200 or a 4xx, and nothing is acted on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from agent.app import Dobby, enabled_adapters
from agent.channels.testing import FakeBotAPI, FakeGraphAPI, sign
from agent.config import ChannelSettings, ConfigError, MemberConfig, load_config
from agent.service import Service
from devices.plugin import LoadedAdapters, load_adapters
from skills.actions import Role

CONFIG = Path(__file__).resolve().parents[2] / "config"
FILES = {
    name: (CONFIG / name).read_text(encoding="utf-8") for name in ("home.yaml", "routines.yaml")
}
LOADED = load_adapters()
APP_SECRET, TELEGRAM_SECRET = "wa-app-secret", "tg-webhook-secret"

# -- configs -------------------------------------------------------------------------------

CHARS = st.sampled_from(list(":-[]{}#&*!|>'\"%@`,?\t\n \\0é\x00") + list("abcxyz019"))


@st.composite
def edited_text(draw: st.DrawFn, text: str) -> bytes:
    """The text with a few characters inserted, deleted or replaced (or raw bytes)."""
    data = bytearray(text.encode("utf-8"))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "bytes"]))
        if kind == "bytes":
            data[at:at] = draw(st.binary(min_size=1, max_size=3))
            continue
        piece = draw(CHARS).encode("utf-8")
        if kind == "insert":
            data[at:at] = piece
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 8))]
        else:
            data[at : at + 1] = piece
    return bytes(data)


VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def swapped_value(draw: st.DrawFn, text: str) -> bytes:
    """The document with one value somewhere in it swapped for another of any shape."""
    data = yaml.safe_load(text)
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*path, index))

    walk(data, ())
    path = draw(st.sampled_from(paths))
    value = draw(VALUES)
    if not path:
        return yaml.safe_dump(value).encode()
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return yaml.safe_dump(data, allow_unicode=True).encode()


def check(directory: Path) -> None:
    """What `dobby config check` does; raises ConfigError or nothing."""
    config = load_config(directory)
    enabled_adapters(config, LOADED)


@settings(max_examples=150, deadline=None)
@given(
    name=st.sampled_from(sorted(FILES)),
    how=st.sampled_from(["edit", "swap"]),
    data=st.data(),
)
def test_a_broken_config_is_a_sentence_naming_its_file(name: str, how: str, data) -> None:
    text = FILES[name]
    broken = data.draw(edited_text(text) if how == "edit" else swapped_value(text))
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        for other, content in FILES.items():
            (directory / other).write_text(content, encoding="utf-8")
        (directory / name).write_bytes(broken)
        try:
            check(directory)
        except ConfigError as error:
            message = str(error)
            where = re.escape(str(directory))
            assert re.match(rf"{where}/(home|routines)\.yaml(:\d+)?: \S", message), message
            assert "literal[" not in message
            assert "function-" not in message


@pytest.mark.parametrize(
    "home",
    [
        {"language": "EN"},  # any case of a known language
        {"discovery": {"interfaces": ["lo"]}},  # an interface by name
        {"discovery": {"interfaces": ["127.0.0.1"]}},
    ],
)
async def test_what_config_check_accepts_dobby_starts_with(tmp_path: Path, home: dict) -> None:
    directory = tmp_path / "config"
    directory.mkdir()
    (directory / "home.yaml").write_text(yaml.safe_dump(home))
    check(directory)
    dobby = Dobby(load_config(directory), tmp_path / "state", loaded=LoadedAdapters({}, []))
    try:
        await dobby.start(discover=True, freeze=False)
        assert dobby.discovery.interfaces in (None, ["127.0.0.1"])
    finally:
        await dobby.stop()


# -- webhooks ------------------------------------------------------------------------------


class Webhooks:
    """A running service with both webhooks, no devices, and an admin on each channel."""

    def __init__(self, state: Path) -> None:
        self.state = state
        self.telegram, self.graph = FakeBotAPI(), FakeGraphAPI()
        self.service: Service | None = None

    async def start(self) -> None:
        await self.telegram.start()
        await self.graph.start()
        directory = self.state / "config"
        directory.mkdir(parents=True)
        (directory / "home.yaml").write_text("adapters: {}\n")
        config = load_config(directory)
        config.home.members = [
            MemberConfig(id="telegram:1001", name="Alice", role=Role.ADMIN),
            MemberConfig(id="whatsapp:+15550001111", name="Wanda", role=Role.ADMIN),
        ]
        settings = ChannelSettings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_token=SecretStr(self.telegram.token),
            telegram_base_url=self.telegram.base_url,
            telegram_webhook_url="https://dobby.example.org/telegram",
            telegram_webhook_secret=SecretStr(TELEGRAM_SECRET),
            whatsapp_token=SecretStr(self.graph.token),
            whatsapp_app_secret=SecretStr(APP_SECRET),
            whatsapp_verify_token=SecretStr("verify"),
            whatsapp_phone_number_id="1234567890",
            whatsapp_graph_url=self.graph.base_url,
            http_port=0,
        )
        self.service = Service(
            config,
            self.state / "state",
            settings,
            loaded=LoadedAdapters({}, []),
            interfaces=["127.0.0.1"],
        )
        await self.service.start()

    async def stop(self) -> None:
        if self.service is not None:
            await self.service.stop()
        await self.graph.stop()
        await self.telegram.stop()

    async def post(self, path: str, body: bytes) -> int:
        assert self.service is not None
        headers = {
            "X-Hub-Signature-256": sign(body, APP_SECRET),
            "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
        }
        url = f"http://127.0.0.1:{self.service.port}{path}"
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=body, headers=headers) as response,
        ):
            status = response.status
        await asyncio.sleep(0.01)  # what was taken is handled before the next example
        await self.service.channels["whatsapp"].drain()  # type: ignore[attr-defined]
        return status


@pytest.fixture(scope="module")
def webhooks(tmp_path_factory: pytest.TempPathFactory):
    """One service for every example (starting one per example would take minutes)."""
    loop = asyncio.new_event_loop()
    hooks = Webhooks(tmp_path_factory.mktemp("webhooks"))
    loop.run_until_complete(hooks.start())
    yield hooks, loop
    loop.run_until_complete(hooks.stop())
    loop.close()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
MESSAGE_KEYS = [
    "from",
    "id",
    "type",
    "timestamp",
    "text",
    "interactive",
    "button",
    "audio",
    "image",
]
STATUS_KEYS = ["id", "status", "timestamp", "recipient_id", "errors", "conversation", "pricing"]
INTERACTIVE = st.fixed_dictionaries(
    {"type": st.sampled_from(["button_reply", "list_reply", "nfm_reply"]) | JSON},
    optional={
        "button_reply": JSON | st.fixed_dictionaries({"id": JSON, "title": JSON}),
        "list_reply": JSON | st.fixed_dictionaries({"id": JSON, "title": JSON}),
    },
)
MESSAGE = st.dictionaries(st.sampled_from(MESSAGE_KEYS), JSON) | st.fixed_dictionaries(
    {
        "from": st.text(max_size=15) | JSON,
        "id": st.text(max_size=12) | JSON,
        "type": st.sampled_from(["text", "interactive", "button", "audio", "image", "x"]),
        "timestamp": JSON | st.sampled_from(["1e999", "-1", "nan", "1750857384"]),
    },
    optional={
        "interactive": INTERACTIVE | JSON,
        "audio": JSON,
        "image": JSON,
        "button": JSON | st.fixed_dictionaries({"payload": JSON}),
        "text": JSON,
    },
)
STATUS = st.dictionaries(st.sampled_from(STATUS_KEYS), JSON) | st.fixed_dictionaries(
    {
        "id": st.text(max_size=12) | JSON,
        "status": st.sampled_from(["sent", "delivered", "read", "failed", "deleted"]) | JSON,
    },
    optional={
        "errors": st.lists(st.fixed_dictionaries({"code": JSON, "title": JSON}) | JSON, max_size=2)
        | JSON,
        "timestamp": JSON,
        "recipient_id": JSON,
    },
)
SHAPED = st.fixed_dictionaries(
    {"entry": st.lists(st.fixed_dictionaries({"changes": st.lists(st.fixed_dictionaries(
        {"value": st.fixed_dictionaries({}, optional={
            "messages": st.lists(MESSAGE, max_size=3),
            "statuses": st.lists(STATUS, max_size=3),
            "contacts": st.lists(JSON, max_size=2),
        })}), max_size=2)}), max_size=2)}
)  # fmt: skip
UPDATES = st.fixed_dictionaries(
    {"update_id": JSON, "message": JSON | st.fixed_dictionaries({"text": JSON, "from": JSON})}
)
BODIES = (
    st.binary(max_size=200)
    | JSON.map(lambda v: json.dumps(v).encode())
    | SHAPED.map(lambda v: json.dumps(v).encode())
    | UPDATES.map(lambda v: json.dumps(v).encode())
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(path=st.sampled_from(["/whatsapp", "/telegram"]), body=BODIES)
def test_a_random_webhook_body_is_a_2xx_or_4xx_and_acts_on_nothing(
    webhooks, caplog: pytest.LogCaptureFixture, path: str, body: bytes
) -> None:
    hooks, loop = webhooks
    caplog.set_level(logging.WARNING)
    status = loop.run_until_complete(hooks.post(path, body))
    assert status in (200, 400), status
    assert hooks.service is not None
    assert hooks.service.dobby is not None
    assert hooks.service.dobby.audit.recent() == []
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
