"""Fakes of the chat services on loopback, for tests and benchmarks: no internet needed.

`FakeBotAPI` speaks the Telegram Bot API as python-telegram-bot calls it (form-encoded
POSTs to `/bot<token>/<method>`, long-polled getUpdates); `FakeGraphAPI`
(`agent.channels.whatsapp.testing`) is the WhatsApp Cloud API. Both record every call.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from agent.channels.testing_base import Call, FakeServer
from agent.channels.whatsapp.testing import FakeGraphAPI, sign, whatsapp_delivery

__all__ = ["BOT_ID", "Call", "FakeBotAPI", "FakeGraphAPI", "sign", "whatsapp_delivery"]

_JSON_PARAMS = frozenset(
    {
        "chat_id",
        "message_id",
        "reply_markup",
        "offset",
        "limit",
        "timeout",
        "allowed_updates",
        "commands",
        "show_alert",
        "drop_pending_updates",
    }
)
BOT_ID = 4242


@dataclass
class FakeBotAPI(FakeServer):
    """A Telegram Bot API server for one bot token."""

    token: str = "123456:TEST-token-not-real"  # noqa: S105 - a fake bot's token
    failing: set[str] = field(default_factory=set)
    """Methods that answer HTTP 500 for now (`sendMessage`: Telegram is having trouble)."""
    refused: list[Call] = field(default_factory=list)
    """The calls answered with an error because their method was failing."""
    messages: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def base_url(self) -> str:
        """What `Application.builder().base_url(...)` takes."""
        return f"http://{self.host}:{self.port}/bot"

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        return app

    @staticmethod
    def user(user_id: int, first_name: str = "Someone") -> dict[str, Any]:
        """A Telegram user object."""
        return {"id": user_id, "is_bot": False, "first_name": first_name}

    def _push(self, update: dict[str, Any]) -> int:
        update["update_id"] = next(self._ids)
        self._updates.append(update)
        asyncio.get_running_loop().create_task(self._record(Call("_update", update)))
        return int(update["update_id"])

    def say(
        self, user_id: int, text: str, *, name: str = "Someone", chat_id: int | None = None
    ) -> int:
        """A person writes to the bot; returns the update id."""
        chat = chat_id if chat_id is not None else user_id
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private" if chat == user_id else "group"},
            "from": self.user(user_id, name),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._push({"message": message})

    def press(
        self, user_id: int, message: dict[str, Any], data: str, *, name: str = "Someone"
    ) -> str:
        """A person presses an inline button under `message`; returns the query id."""
        query_id = f"q{next(self._ids)}"
        self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user(user_id, name),
                    "chat_instance": "household",
                    "data": data,
                    "message": message,
                }
            }
        )
        return query_id

    async def pressed(
        self, user_id: int, message: dict[str, Any], data: str, *, name: str = "Someone"
    ) -> Call:
        """A person presses an inline button; returns the bot's answer to that press."""
        query_id = self.press(user_id, message, data, name=name)
        return await self.wait_for(
            "answerCallbackQuery", lambda c: c.params["callback_query_id"] == query_id
        )

    def _bot_message(self, chat_id: int, params: dict[str, Any]) -> dict[str, Any]:
        message = {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Dobby", "username": "dobby_bot"},
            "text": params.get("text", ""),
        }
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        self.messages[chat_id, message["message_id"]] = message
        return message

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        method = request.match_info["method"]
        params: dict[str, Any] = {}
        for key, value in (await request.post()).items():
            params[key] = value
            if key in _JSON_PARAMS and isinstance(value, str):
                with suppress(json.JSONDecodeError):
                    params[key] = json.loads(value)
        if method.lower() == "getupdates":
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        if method in self.failing:
            self.refused.append(Call(method, params))
            return web.json_response(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"},
                status=500,
            )
        await self._record(Call(method, params))
        return web.json_response({"ok": True, "result": self._result(method, params)})

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = asyncio.get_running_loop().time() + float(params.get("timeout") or 0)
        async with self._changed:
            while not self._updates and asyncio.get_running_loop().time() < deadline:
                remaining = deadline - asyncio.get_running_loop().time()
                try:
                    async with asyncio.timeout(remaining):
                        await self._changed.wait()
                except TimeoutError:
                    break
        return list(self._updates)

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        name = method.lower()
        if name == "getme":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Dobby",
                "username": "dobby_bot",
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if name == "sendmessage":
            return self._bot_message(int(params["chat_id"]), params)
        if name == "editmessagetext":
            message = self.messages[int(params["chat_id"]), int(params["message_id"])]
            message["text"] = params.get("text", "")
            message.pop("reply_markup", None)
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            return message
        return True

    def sent_to(self, chat_id: int) -> list[str]:
        """The texts the bot sent to one chat, in order."""
        return [
            str(c.params.get("text", ""))
            for c in self.called("sendMessage")
            if c.params.get("chat_id") == chat_id
        ]
