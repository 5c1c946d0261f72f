"""Conversations: each chat's history with the model, kept in the state database.

A chat (keyed by who is asking: `telegram:42`, `terminal`, or a channel's own chat id) keeps
its finished turns, one row each in the `conversation_turns` table of `<state>/dobby.db`, as
pydantic-ai's message JSON. What the model sees again is trimmed to a token budget (counted
with `agent.llm.tokens`): the newest turns that fit, whole turns only, so a tool call is
never separated from its result. Older turns are deleted when a new one is stored. The
per-turn context (instructions with the house's state) is not kept: every turn gets a fresh
one. Long tool results are shortened when stored; the ids and verbs a follow-up needs ("turn
it off again") are in the tool calls and the replies.

The tokens every model run used are kept in `llm_usage`, which is never trimmed.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from pydantic import ValidationError
from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelRequestPart,
    ModelResponse,
    RetryPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

from agent.llm.settings import HISTORY_TOKENS, HISTORY_TURNS
from agent.llm.tokens import MESSAGE_OVERHEAD, count_tokens
from skills.database import connect

_LOGGER = logging.getLogger(__name__)

MAX_TOOL_RESULT = 600
"""Characters of one tool result kept in the history."""

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS conversation_turns (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat TEXT NOT NULL,
        at TEXT NOT NULL,
        tokens INTEGER NOT NULL,
        messages TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS conversation_turns_chat ON conversation_turns (chat, id)",
    """CREATE TABLE IF NOT EXISTS llm_usage (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        chat TEXT NOT NULL,
        at TEXT NOT NULL,
        requests INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL
    )""",
)


def message_tokens(messages: Sequence[ModelMessage]) -> int:
    """The estimated tokens these messages add to a prompt."""
    total = 0
    for message in messages:
        for part in message.parts:
            total += MESSAGE_OVERHEAD + count_tokens(_text_of(part))
    return total


def _text_of(part: object) -> str:
    if isinstance(part, ToolCallPart):
        return f"{part.tool_name} {part.args_as_json_str()}"
    if isinstance(part, ToolReturnPart):
        return f"{part.tool_name} {part.model_response_str()}"
    if isinstance(part, RetryPromptPart):
        return part.model_response()
    if isinstance(part, UserPromptPart | TextPart):
        return str(part.content)
    return str(getattr(part, "content", ""))


def compact(messages: Sequence[ModelMessage]) -> list[ModelMessage]:
    """A turn as it is kept: without its instructions, with long tool results shortened."""
    kept: list[ModelMessage] = []
    for message in messages:
        if isinstance(message, ModelRequest):
            parts: list[ModelRequestPart] = [_shorter(part) for part in message.parts]
            kept.append(dataclasses.replace(message, parts=parts, instructions=None))
        else:
            kept.append(message)
    return kept


def _shorter(part: ModelRequestPart) -> ModelRequestPart:
    if type(part) is not ToolReturnPart:  # not its subclasses, whose content is structured
        return part
    plain = cast("ToolReturnPart[Any]", part)
    text = plain.model_response_str()
    if len(text) <= MAX_TOOL_RESULT:
        return part
    return dataclasses.replace(plain, content=text[: MAX_TOOL_RESULT - 1] + "…")


class Conversations:
    """The history of every chat, in SQLite (a file, or memory when no state dir is given)."""

    def __init__(
        self,
        path: Path | str = ":memory:",
        *,
        budget: int = HISTORY_TOKENS,
        max_turns: int = HISTORY_TURNS,
    ) -> None:
        self.path = str(path)
        self.budget = budget
        """Tokens of history a turn carries at most."""
        self.max_turns = max_turns
        self._lock = threading.Lock()
        self._memory = connect(":memory:") if self.path == ":memory:" else None
        with self._connect() as db:
            for statement in _SCHEMA:
                db.execute(statement)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """One transaction; a file database is opened for it and closed after."""
        with self._lock:
            db = self._memory or connect(self.path)
            try:
                with db:
                    yield db
            finally:
                if db is not self._memory:
                    db.close()

    def history(self, chat: str) -> list[ModelMessage]:
        """The chat's earlier turns that fit the budget, oldest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT tokens, messages FROM conversation_turns WHERE chat = ? "
                "ORDER BY id DESC LIMIT ?",
                (chat, self.max_turns),
            ).fetchall()
        turns: list[list[ModelMessage]] = []
        used = 0
        for tokens, text in rows:
            if used + tokens > self.budget:
                break
            try:
                turns.append(ModelMessagesTypeAdapter.validate_json(text))
            except ValidationError:
                _LOGGER.warning("A stored turn of a conversation cannot be read; it is skipped")
                break
            used += tokens
        return [message for turn in reversed(turns) for message in turn]

    def remember(self, chat: str, messages: Sequence[ModelMessage]) -> None:
        """Keep a finished turn, and drop the chat's turns that no longer fit the budget."""
        if not messages or not isinstance(messages[-1], ModelResponse):
            return
        kept = compact(messages)
        tokens = message_tokens(kept)
        at = datetime.now(UTC).isoformat()
        with self._connect() as db:
            db.execute(
                "INSERT INTO conversation_turns (chat, at, tokens, messages) VALUES (?, ?, ?, ?)",
                (chat, at, tokens, ModelMessagesTypeAdapter.dump_json(kept).decode()),
            )
            rows = db.execute(
                "SELECT id, tokens FROM conversation_turns WHERE chat = ? ORDER BY id DESC",
                (chat,),
            ).fetchall()
            used, oldest = 0, None
            for index, (row_id, row_tokens) in enumerate(rows):
                if index >= self.max_turns or used + row_tokens > self.budget:
                    break
                used, oldest = used + row_tokens, row_id
            if oldest is None:
                db.execute("DELETE FROM conversation_turns WHERE chat = ?", (chat,))
            else:
                db.execute(
                    "DELETE FROM conversation_turns WHERE chat = ? AND id < ?", (chat, oldest)
                )

    def forget(self, chat: str) -> None:
        """Start the chat afresh."""
        with self._connect() as db:
            db.execute("DELETE FROM conversation_turns WHERE chat = ?", (chat,))

    def record_usage(self, chat: str, usage: Mapping[str, int]) -> None:
        """Keep what one model run used: `requests`, `input_tokens`, `output_tokens`."""
        with self._connect() as db:
            db.execute(
                "INSERT INTO llm_usage (chat, at, requests, input_tokens, output_tokens) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    chat,
                    datetime.now(UTC).isoformat(),
                    usage.get("requests", 0),
                    usage.get("input_tokens", 0),
                    usage.get("output_tokens", 0),
                ),
            )

    def usage(self, chat: str | None = None) -> list[dict[str, Any]]:
        """The recorded usage of model runs, oldest first (one chat's, or every chat's)."""
        query = "SELECT chat, at, requests, input_tokens, output_tokens FROM llm_usage"
        args: tuple[str, ...] = ()
        if chat is not None:
            query, args = query + " WHERE chat = ?", (chat,)
        with self._connect() as db:
            rows = db.execute(query + " ORDER BY id", args).fetchall()
        keys = ("chat", "at", "requests", "input_tokens", "output_tokens")
        return [dict(zip(keys, row, strict=True)) for row in rows]

    def close(self) -> None:
        """Close the in-memory database (a file database has nothing open)."""
        if self._memory is not None:
            self._memory.close()
