"""Issue 22's acceptance: every sensitive command x every path x every role, in the demo house.

Each cell asks through the Telegram channel (the released python-telegram-bot against a fake
Bot API) and then reads the emulated device back through its own protocol (HomeKit for the
lock, the alarm and the garage door, ScreenLogic for the pool heat). What a cell asserts:

- admin and member: carried out only after an authorised Approve (or, for a routine, on the
  approval that made the routine), exactly once; the audit log names who asked, who
  approved and the path;
- guest, stranger, and a member removed before the request (or before the schedule fires):
  nothing happens on the device and nothing is in the audit log.

Paths: a routine phrase (an admin's routine in routines.yaml), a local intent, an LLM tool
call (a scripted FunctionModel, no real model), a routine made in chat, a one-shot
schedule, a routine's schedule made in chat, and the catch-up run of a missed schedule.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import shutil
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pydantic_ai.models
import pytest
import pytest_asyncio
from pydantic import SecretStr
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from agent.channels import replies
from agent.channels.telegram import render
from agent.channels.testing import Call, FakeBotAPI
from agent.config import ChannelSettings, MemberConfig, load_config
from agent.demo import serving_demo
from agent.llm.agent import HouseAgent
from agent.llm.settings import LLMSettings
from agent.service import Service
from skills.actions import Action, Plan, Requester, Role
from skills.actions import Path as ActionPath
from skills.audit import AuditEntry
from skills.database import database_path

pytestmark = pytest.mark.asyncio(loop_scope="module")

CONFIG = Path(__file__).resolve().parents[2] / "config"
ADMIN, MEMBER, GUEST, STRANGER, REMOVED = 1001, 1002, 1003, 6666, 3003
ROLES = ("admin", "member", "guest", "stranger", "removed")
PATHS = ("phrase", "intent", "llm", "chat routine", "one-shot", "routine schedule", "catch-up")
AUTHORISED = {"admin", "member"}
"""The roles for which a sensitive command is carried out (after an Approve)."""
PLAIN_PATH = {
    "phrase": "phrase",
    "intent": "intent",
    "llm": "llm",
    "chat routine": "phrase",
    "one-shot": "schedule",
    "routine schedule": "schedule",
    "catch-up": "schedule",
}
"""The path the audit log names for each way of asking."""


@dataclass(frozen=True)
class Sensitive:
    """One sensitive command of the demo house, and how each path asks for it."""

    key: str
    entity_id: str
    name: str
    command: str
    params: dict[str, Any]
    words: str
    """What a person says for it now (local understanding reads it)."""
    tool: tuple[str, dict[str, Any]]
    """The LLM tool call that asks for it."""
    reset: Action
    done: Callable[[dict[str, Any]], bool]

    @property
    def phrase(self) -> str:
        return f"matrix {self.key} now"


COMMANDS = [
    Sensitive(
        "unlock",
        "lock.front_door",
        "Front Door",
        "lock.unlock",
        {},
        "unlock the front door",
        ("control_lock", {"entity_ids": ["lock.front_door"], "action": "unlock"}),
        Action(entity_id="lock.front_door", command="lock.lock"),
        lambda s: s["state"] == "unlocked",
    ),
    Sensitive(
        "disarm",
        "alarm_panel.house_alarm",
        "House Alarm",
        "alarm_panel.disarm",
        {},
        "disarm the alarm",
        ("control_alarm_panel", {"entity_ids": ["alarm_panel.house_alarm"], "action": "disarm"}),
        Action(
            entity_id="alarm_panel.house_alarm", command="alarm_panel.arm", params={"mode": "night"}
        ),
        lambda s: s["state"] == "disarmed",
    ),
    Sensitive(
        "pool",
        "climate.pool_heater",
        "Pool Heater",
        "climate.set_temperature",
        {"temperature": 30},
        "set the pool heater to 30 degrees",
        ("control_climate", {"entity_ids": ["climate.pool_heater"], "temperature": 30}),
        Action(
            entity_id="climate.pool_heater",
            command="climate.set_temperature",
            params={"temperature": 27},
        ),
        lambda s: s["attributes"].get("temperature") == 30,
    ),
    Sensitive(
        "garage",
        "cover.garage_door",
        "Garage Door",
        "cover.open",
        {},
        "open the garage door",
        ("control_cover", {"entity_ids": ["cover.garage_door"], "action": "open"}),
        Action(entity_id="cover.garage_door", command="cover.close"),
        lambda s: s["state"] == "open",
    ),
]
BY_KEY = {c.key: c for c in COMMANDS}
GUESTS_MAY_ASK = {"garage"}
"""Commands of a domain guests may use: a guest's request goes to someone who may approve
it (and, in the cells, nobody does). The others are refused to guests outright."""


def step_of(cmd: Sensitive) -> dict[str, Any]:
    step: dict[str, Any] = {"command": cmd.command, "target": {"name": cmd.name}}
    return {**step, "params": cmd.params} if cmd.params else step


ADMIN_ROUTINES = "".join(
    f"""
  - name: matrix {c.key}
    phrases: [{c.phrase}]
    steps:
      - {step_of(c)}
"""
    for c in COMMANDS
)


class Model:
    """A scripted model: asks for what the message names, then says it is done.

    Messages look like "dear model, [act unlock] the Front Door" or "dear model, make a
    routine [routine unlock 7 scheduled] for the Front Door".
    """

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        last = messages[-1]
        parts = last.parts if isinstance(last, ModelRequest) else []
        if any(isinstance(p, ToolReturnPart) for p in parts):
            return ModelResponse(parts=[TextPart("Done.")])
        prompt = next(str(p.content) for p in parts if isinstance(p, UserPromptPart))
        found = re.search(r"\[(act|routine) (\w+)(?: (\d+))?( scheduled)?\]", prompt)
        assert found, prompt
        kind, key, number, scheduled = found.groups()
        cmd = BY_KEY[key]
        if kind == "act":
            tool, args = cmd.tool
            return ModelResponse(parts=[ToolCallPart(tool, args)])
        routine: dict[str, Any] = {
            "name": f"cell {number}",
            "phrases": [f"cell phrase {number}"],
            "steps": [step_of(cmd)],
        }
        if scheduled:
            routine["schedules"] = [{"at": "03:00"}]
        return ModelResponse(parts=[ToolCallPart("save_routine", {"routine": routine})])


@dataclass
class Matrix:
    """The demo house, Dobby as a service with Telegram, and what the cells share."""

    service: Service
    telegram: FakeBotAPI
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def dobby(self) -> Any:
        assert self.service.dobby is not None
        return self.service.dobby

    def since(self, seen: int, call: Call) -> bool:
        """Whether `call` came after the first `seen` calls (by identity: calls repeat)."""
        return any(call is later for later in self.telegram.calls[seen:])

    def audit(self) -> list[AuditEntry]:
        return list(reversed(self.dobby.audit.recent(100_000)))

    async def state(self, entity_id: str) -> dict[str, Any]:
        await self.dobby.settle(10)
        return next(s for s in self.dobby.states() if s["entity_id"] == entity_id)

    async def reset(self, cmd: Sensitive) -> None:
        admin = Requester(f"telegram:{ADMIN}", Role.ADMIN, "Alice")
        plan = Plan([cmd.reset], admin, ActionPath.INTENT, approved_by=admin)
        outcome = await self.dobby.house.carry_out(plan)
        assert [r.ok for r in outcome.results] == [True], outcome.results
        for _ in range(50):
            if not cmd.done(await self.state(cmd.entity_id)):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{cmd.entity_id} did not reset")

    def user(self, role: str) -> int:
        """The Telegram user of a role; the removable member is (re)added here."""
        if role == "removed":
            self.dobby.members.add(f"telegram:{REMOVED}", "Rem", Role.MEMBER)
        return {"admin": ADMIN, "member": MEMBER, "guest": GUEST, "stranger": STRANGER}.get(
            role, REMOVED
        )

    def remove(self) -> None:
        assert self.dobby.members.remove(f"telegram:{REMOVED}")

    async def say(self, user: int, text: str) -> Call:
        """Send a message; the bot's first reply to it."""
        seen = len(self.telegram.calls)
        self.telegram.say(user, text)
        return await self.telegram.wait_for(
            "sendMessage",
            lambda c: self.since(seen, c) and c.params["chat_id"] == user,
            within=30,
        )

    async def approve(self, user: int, reply: Call) -> Call:
        """The admin presses Approve under the question in `user`'s chat."""
        assert "reply_markup" in reply.params, reply.params["text"]
        message = self.telegram.messages[
            user, max(m for c, m in self.telegram.messages if c == user)
        ]
        approve = message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        seen = len(self.telegram.calls)
        answered = await self.telegram.pressed(ADMIN, message, approve, name="Alice")
        assert answered.params["text"] == "Approved.", answered.params["text"]
        return await self.telegram.wait_for(
            "editMessageText", lambda c: self.since(seen, c), within=30
        )

    async def notice(self, user: int, seen: int) -> str:
        """The next scheduled-run notice in `user`'s chat after call number `seen`."""
        call = await self.telegram.wait_for(
            "sendMessage",
            lambda c: (
                self.since(seen, c)
                and c.params["chat_id"] == user
                and "Scheduled" in c.params["text"]
            ),
            within=60,
        )
        return str(call.params["text"])

    def due_now(self, job: str) -> None:
        """Make a stored schedule come due now rather than later.

        This reaches into APScheduler (not our code) for the time only: the job, its
        stored arguments and its firing are the real ones.
        """
        scheduler = self.dobby.routines.scheduler
        due = scheduler.now() + timedelta(seconds=0.2)
        scheduler._scheduler.modify_job(job, next_run_time=due)

    def job(self, title: str) -> str:
        [job] = [j.id for j in self.dobby.routines.scheduled() if j.title == title]
        return job


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def matrix(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Matrix]:
    root = tmp_path_factory.mktemp("matrix")
    config_dir = root / "config"
    shutil.copytree(CONFIG, config_dir)
    with (config_dir / "routines.yaml").open("a", encoding="utf-8") as routines:
        routines.write(ADMIN_ROUTINES)
    config = load_config(config_dir)
    config.home.schedules.settle = 0
    config.home.members = [
        MemberConfig(id=f"telegram:{ADMIN}", name="Alice", role=Role.ADMIN),
        MemberConfig(id=f"telegram:{MEMBER}", name="Bob", role=Role.MEMBER),
        MemberConfig(id=f"telegram:{GUEST}", name="Gus", role=Role.GUEST),
    ]
    telegram = FakeBotAPI()
    await telegram.start()
    settings = ChannelSettings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_token=SecretStr(telegram.token),
        telegram_base_url=telegram.base_url,
        telegram_poll_timeout=1,
        http_port=0,
    )
    with pydantic_ai.models.override_allow_model_requests(False):
        try:
            async with serving_demo(config, root / "state", settings) as demo:
                assert demo.missing == []
                demo.dobby.understander.llm = HouseAgent(
                    demo.dobby.house,
                    demo.dobby.config.routines.routines,
                    FunctionModel(Model()),
                    settings=LLMSettings(model="function"),
                )
                yield Matrix(demo.service, telegram)
        finally:
            await telegram.stop()


async def test_the_matrix_covers_every_sensitive_command_this_house_has() -> None:
    """Every `policy.confirm` rule that matches something in the demo house has a row."""
    config = load_config(CONFIG)
    covered = {c.command for c in COMMANDS}
    for rule in config.home.policy.confirm:
        if rule.command == "cover.set_position":
            continue  # the demo's garage door only opens and closes; gates: it has none
        if "zone_bypass" in rule.device_classes:
            continue  # the demo's panel offers no bypass (zone_bypass is off)
        if rule.command == "climate.set_hvac_mode":
            continue  # the same pool-heat rule as set_temperature, asked the same ways
        assert rule.command in covered, rule.command


async def ask_now(m: Matrix, cmd: Sensitive, path: str, user: int) -> Call:
    """Ask through one of the direct paths; the bot's first reply."""
    if path == "phrase":
        return await m.say(user, cmd.phrase)
    if path == "intent":
        understood = await m.dobby.understander.local(cmd.words)
        assert understood is not None, cmd.words
        assert understood.source == "intent", cmd.words
        return await m.say(user, cmd.words)
    text = f"dear model, [act {cmd.key}] the {cmd.name}"
    assert await m.dobby.understander.local(text) is None  # for the model, not local intents
    return await m.say(user, text)


async def make_routine(
    m: Matrix, cmd: Sensitive, user: int, *, scheduled: bool
) -> tuple[str, Call]:
    """Ask the model to make a routine doing `cmd`; its phrase and the bot's reply."""
    number = next(m.numbers)
    flag = " scheduled" if scheduled else ""
    reply = await m.say(
        user, f"dear model, make a routine [routine {cmd.key} {number}{flag}] for the {cmd.name}"
    )
    return f"cell phrase {number}", reply


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("key", [c.key for c in COMMANDS])
async def test_cell(matrix: Matrix, rewind, key: str, path: str, role: str) -> None:
    m, cmd = matrix, BY_KEY[key]
    await m.reset(cmd)
    user = m.user(role)
    later = path in ("one-shot", "routine schedule", "catch-up")
    if role == "removed" and not later:
        m.remove()  # removed before asking: a stranger now
    member_now = role in AUTHORISED or (role == "removed" and later)
    """Whoever asks is a member who may confirm when asking (the removed one is removed
    only before the schedule fires)."""
    before = len(m.audit())
    approver = f"telegram:{ADMIN}"

    if path in ("phrase", "intent", "llm"):
        reply = await ask_now(m, cmd, path, user)
        if path == "phrase" and member_now:
            approver = "routines.yaml"  # the admin's routine is the approval
        elif member_now:
            assert not cmd.done(await m.state(cmd.entity_id))  # held, not sent
            await m.approve(user, reply)
    elif path in ("chat routine", "routine schedule"):
        phrase, reply = await make_routine(m, cmd, user, scheduled=path == "routine schedule")
        if member_now:
            assert reply.params["text"].startswith("Save this routine?"), reply.params["text"]
            await m.approve(user, reply)
            assert not cmd.done(await m.state(cmd.entity_id))  # saved, not run
        if member_now and path == "chat routine":
            await m.say(user, phrase)
        elif member_now:
            if role == "removed":
                m.remove()
            seen = len(m.telegram.calls)
            m.due_now(m.job(phrase.replace("cell phrase", "cell")))  # not at 03:00
            text = await m.notice(user, seen)
            assert ("is no longer a member" in text) == (role == "removed"), text
    else:  # one-shot and catch-up
        reply = await m.say(user, f"in 10 minutes {cmd.words}")
        if member_now:
            question = str(reply.params["text"])
            assert re.match(r"At \d\d:\d\d:\d\d today: .*\. Approve\?$", question), question
            await m.approve(user, reply)
            assert not cmd.done(await m.state(cmd.entity_id))  # scheduled, not done
            seen = len(m.telegram.calls)
            book, job = m.dobby.routines, m.job(cmd.words)
            if path == "catch-up":
                await book.stop()  # Dobby is down when it comes due
                database = database_path(m.service.state_dir)
                await rewind(database, job, book.scheduler.now() - timedelta(seconds=5))
            if role == "removed":
                m.remove()
            if path == "catch-up":
                await book.start()
            else:
                m.due_now(job)  # not in 10 minutes
            text = await m.notice(user, seen)
            assert ("is no longer a member" in text) == (role == "removed"), text
        elif role == "guest" and cmd.key in GUESTS_MAY_ASK:
            assert reply.params["text"].endswith("I have asked someone who may approve it.")
            assert "reply_markup" not in reply.params  # no button the guest could press
        elif role == "guest":
            assert reply.params["text"].startswith("Nothing scheduled"), reply.params["text"]

    if role == "stranger" or (role == "removed" and not later):
        assert reply.params["text"] == render(replies.STRANGER)
    state = await m.state(cmd.entity_id)
    acted = [e for e in m.audit()[before:] if e.entity_id == cmd.entity_id]
    if role in AUTHORISED:
        assert cmd.done(state), state
        [entry] = acted  # exactly once
        assert (entry.command, entry.ok) == (cmd.command, True)
        assert entry.requester == f"telegram:{user}"
        assert entry.path == PLAIN_PATH[path]
        assert entry.approved_by == approver
    else:
        assert not cmd.done(state), state
        assert acted == []


async def test_a_guests_garage_request_opens_it_once_an_admin_approves(matrix: Matrix) -> None:
    """The babysitter asks for the garage: the admin's Approve opens it, once, as the guest."""
    cmd = BY_KEY["garage"]
    await matrix.reset(cmd)
    before = len(matrix.audit())
    seen = len(matrix.telegram.calls)
    reply = await matrix.say(GUEST, cmd.words)
    assert reply.params["text"].endswith("I have asked someone who may approve it.")
    asked = await matrix.telegram.wait_for(
        "sendMessage",
        lambda c: (
            matrix.since(seen, c) and c.params["chat_id"] == ADMIN and "reply_markup" in c.params
        ),
        within=30,
    )
    assert "open" in asked.params["text"].lower(), asked.params["text"]
    assert not cmd.done(await matrix.state(cmd.entity_id))  # held until someone approves
    await matrix.approve(ADMIN, asked)
    assert cmd.done(await matrix.state(cmd.entity_id))
    [entry] = [e for e in matrix.audit()[before:] if e.entity_id == cmd.entity_id]
    assert (entry.command, entry.ok, entry.path) == ("cover.open", True, "intent")
    assert entry.requester == f"telegram:{GUEST}"
    assert entry.approved_by == f"telegram:{ADMIN}"
