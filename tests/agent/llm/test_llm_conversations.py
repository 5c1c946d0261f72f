"""Conversations: a follow-up sees the turn before it, across a restart, within a budget."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

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

from agent.llm.agent import HouseAgent
from agent.llm.conversations import MAX_TOOL_RESULT, Conversations, message_tokens
from agent.llm.settings import LLMSettings
from agent.llm.tokens import count_tokens
from skills.actions import Requester, Role

ADMIN = Requester.local_admin()
ALICE = Requester(id="telegram:42", role=Role.MEMBER, name="Alice")


class Brain:
    """A scripted model that acts on what the conversation so far says.

    "put the fairy lights on" turns the fairy lights on. "turn it off again" finds the
    entity of the last control call in the history it is shown (none: it asks back).
    """

    def __init__(self) -> None:
        self.shown: list[list[ModelMessage]] = []
        self.instructions: list[str] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.shown.append(list(messages))
        self.instructions.append(info.instructions or "")
        last = messages[-1]
        if isinstance(last, ModelRequest) and any(
            isinstance(p, ToolReturnPart) for p in last.parts
        ):
            return ModelResponse(parts=[TextPart("Done.")])
        prompt = next(p.content for p in last.parts if isinstance(p, UserPromptPart))
        if prompt == "put the fairy lights on":
            args = {"entity_ids": ["switch.fairy_lights"], "action": "turn_on"}
            return ModelResponse(parts=[ToolCallPart("control_switch", args)])
        earlier = [
            p
            for m in messages[:-1]
            for p in m.parts
            if isinstance(p, ToolCallPart) and p.tool_name.startswith("control_")
        ]
        if not earlier:
            return ModelResponse(parts=[TextPart("Which one?")])
        args = {"entity_ids": earlier[-1].args_as_dict()["entity_ids"], "action": "turn_off"}
        return ModelResponse(parts=[ToolCallPart("control_switch", args)])

    @property
    def model(self) -> FunctionModel:
        return FunctionModel(self)


def agent_on(home: Any, brain: Brain, conversations: Conversations) -> HouseAgent:
    settings = LLMSettings(model="test")
    return HouseAgent(
        home.house, home.routines, brain.model, settings=settings, conversations=conversations
    )


def prompts(messages: list[ModelMessage]) -> list[str]:
    return [str(p.content) for m in messages for p in m.parts if isinstance(p, UserPromptPart)]


async def test_turn_it_off_again_sees_the_first_turn(llm_home):
    brain = Brain()
    agent = agent_on(llm_home, brain, Conversations())
    await agent.run("put the fairy lights on", ADMIN)
    turn = await agent.run("turn it off again", ADMIN)

    assert llm_home.adapter.calls == [
        ("switch.fairy_lights", "switch.turn_on", {}),
        ("switch.fairy_lights", "switch.turn_off", {}),
    ]
    assert turn.reply == "Done."
    assert prompts(brain.shown[-1]) == ["put the fairy lights on", "turn it off again"]
    # Earlier turns carry no stale context: only the current turn's instructions are sent.
    history = brain.shown[2][:-1]  # what turn 2's first request carried before its prompt
    assert len(history) == 4
    assert all(m.instructions is None for m in history if isinstance(m, ModelRequest))
    assert "Entities this message may be about" in brain.instructions[2]


async def test_each_chat_has_its_own_history(llm_home):
    brain = Brain()
    agent = agent_on(llm_home, brain, Conversations())
    await agent.run("put the fairy lights on", ADMIN)
    turn = await agent.run("turn it off again", ALICE)
    assert turn.reply == "Which one?"
    assert prompts(brain.shown[-1]) == ["turn it off again"]
    turn = await agent.run("turn it off again", ALICE, chat="terminal")
    assert turn.reply == "Done."


async def test_history_survives_a_restart(llm_home, tmp_path: Path):
    database = tmp_path / "dobby.db"
    first = agent_on(llm_home, Brain(), Conversations(database))
    await first.run("put the fairy lights on", ALICE)
    del first

    brain = Brain()
    again = agent_on(llm_home, brain, Conversations(database))
    await again.run("turn it off again", ALICE)
    assert prompts(brain.shown[0]) == ["put the fairy lights on", "turn it off again"]
    assert llm_home.adapter.calls[-1] == ("switch.fairy_lights", "switch.turn_off", {})

    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT chat, requests FROM llm_usage ORDER BY id").fetchall()
    db.close()
    assert rows == [("telegram:42", 2), ("telegram:42", 2)]


async def test_history_is_trimmed_to_the_budget(llm_home, tmp_path: Path):
    conversations = Conversations(tmp_path / "dobby.db", budget=150)
    brain = Brain()
    agent = agent_on(llm_home, brain, conversations)
    for _ in range(6):
        await agent.run("put the fairy lights on", ADMIN)

    kept = conversations.history("terminal")
    assert 0 < message_tokens(kept) <= 150
    assert prompts(kept) == ["put the fairy lights on"] * len(prompts(kept))
    assert len(prompts(kept)) < 6
    # A turn is kept whole: every tool call has its result.
    calls = [p.tool_call_id for m in kept for p in m.parts if isinstance(p, ToolCallPart)]
    returns = [p.tool_call_id for m in kept for p in m.parts if isinstance(p, ToolReturnPart)]
    assert calls == returns
    # What no longer fits is deleted, not only skipped.
    with sqlite3.connect(tmp_path / "dobby.db") as db:
        (stored,) = db.execute("SELECT count(*) FROM conversation_turns").fetchone()
    db.close()
    assert stored == len(prompts(kept))
    # The next turn is shown exactly what is kept.
    await agent.run("turn it off again", ADMIN)
    assert prompts(brain.shown[-2]) == [*prompts(kept), "turn it off again"]


def test_long_tool_results_are_shortened_and_bad_rows_skipped(tmp_path: Path):
    conversations = Conversations(tmp_path / "dobby.db")
    long = json.dumps({"entities": [{"entity_id": f"light.lamp_{n}"} for n in range(200)]})
    turn: list[ModelMessage] = [
        ModelRequest(parts=[UserPromptPart("which lamps?")], instructions="a long context"),
        ModelResponse(parts=[ToolCallPart("find_entities", {"name": "lamp"}, "c1")]),
        ModelRequest(parts=[ToolReturnPart("find_entities", long, "c1")]),
        ModelResponse(parts=[TextPart("Two hundred lamps.")]),
    ]
    conversations.remember("chat", turn)
    kept = conversations.history("chat")
    [result] = [p for m in kept for p in m.parts if isinstance(p, ToolReturnPart)]
    assert len(result.model_response_str()) == MAX_TOOL_RESULT
    assert result.model_response_str().startswith('{"entities": [{"entity_id": "light.lamp_0"}')
    assert kept[0].instructions is None  # type: ignore[union-attr]
    assert message_tokens(kept) < message_tokens(turn)

    # An unfinished turn (no answer yet) is not kept; a row that cannot be read is skipped.
    conversations.remember("chat", turn[:3])
    with sqlite3.connect(tmp_path / "dobby.db") as db:
        db.execute(
            "INSERT INTO conversation_turns (chat, at, tokens, messages) VALUES (?, ?, ?, ?)",
            ("chat", "2024-01-01T00:00:00+00:00", 1, "not json"),
        )
    db.close()
    assert conversations.history("chat") == []
    conversations.forget("chat")
    conversations.remember("chat", turn)
    assert prompts(conversations.history("chat")) == ["which lamps?"]


def test_token_estimate():
    assert count_tokens("") == 0
    assert count_tokens("turn off") == 2  # "turn", " off"
    assert count_tokens("light.kitchen_ceiling") == 8  # light(2) .(1) kitchen(2) _(1) ceiling(2)
    assert count_tokens("x" * 40) == 10
    english = "Turn off the lights in the kitchen and close the bedroom blinds, please."
    assert 14 <= count_tokens(english) <= 25
