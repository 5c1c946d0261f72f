"""The Cloud API's wire shapes: webhook deliveries read, messages written, errors named.

Reading: a delivery holds messages (text, reply-button and list replies, template quick
replies, media) and statuses of what Dobby sent (sent, delivered, read, failed). Anything
else in it is ignored; a delivery that is not one raises ValueError, KeyError or TypeError.

Writing: text, reply buttons (at most three), list messages (at most ten rows) and
template messages, as the `/<phone id>/messages` endpoint takes them.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

TEXT_LIMIT = 4096
"""Characters of a text message."""
BODY_LIMIT = 1024
"""Characters of an interactive message's body, and of a template's text parameter."""
BUTTON_TITLE_LIMIT = 20
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
BUTTONS_AT_MOST = 3
ROWS_AT_MOST = 10

RE_ENGAGEMENT = 131047
"""More than 24 hours have passed since the person last wrote: only a template may go."""
UNDELIVERABLE = 131026
"""The message could not be delivered (the number is not on WhatsApp, among others)."""
TEMPLATE_MISSING = 132001
"""The template does not exist in that language, or is not approved."""
TEMPLATE_PARAMETERS = 132000
"""The number of a template's parameters does not match its text."""
TEMPLATE_FORMAT = 132018
"""A template parameter holds a new line, a tab or more than four spaces in a row."""


class SendError(Exception):
    """The Graph API did not take a message; the message says why (never the token).

    `code` is the API's error code when it gave one. `refused`: sending the same again will
    not help (the API refused it, or Dobby has no template to send); False when the API
    could not be reached or failed on its side, so a later try may go through.
    """

    def __init__(self, message: str, code: int | None = None, *, refused: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.refused = refused or code is not None


@dataclass(frozen=True)
class Incoming:
    """One message of a delivery."""

    id: str
    """The Cloud API's message id (`wamid....`): a delivery sent again repeats it."""
    phone: str
    name: str
    text: str | None = None
    button: str | None = None
    """The id of a pressed reply button, chosen list row, or template quick reply."""
    media: str | None = None
    """`image`, `document`, `audio`, `video`, `sticker`, ...: what was sent instead of text."""
    media_id: str | None = None
    voice: bool = False
    """An audio message recorded as a voice note."""
    timestamp: float | None = None
    """When the person sent it (seconds since the epoch), as the API says."""


@dataclass(frozen=True)
class Status:
    """What became of a message Dobby sent."""

    id: str
    """The `wamid` the send was answered with."""
    status: str
    """`sent`, `delivered`, `read` or `failed` (others are kept as they come)."""
    recipient: str
    timestamp: float | None = None
    errors: tuple[tuple[int, str], ...] = field(default=())
    """(code, title) of each error of a failed message."""

    def error_text(self) -> str:
        """The errors in one line, with their codes."""
        return "; ".join(f"{title} (code {code})" for code, title in self.errors)


def signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether `X-Hub-Signature-256` is the HMAC-SHA256 of the body with the app secret."""
    if not header or not header.isascii() or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def _stamp(value: Any) -> float | None:
    """Seconds since the epoch, or None for anything else (a time is a hint, never trusted)."""
    try:
        seconds = float(value) if value is not None else None
    except (TypeError, ValueError, OverflowError):
        return None
    return seconds if seconds is not None and math.isfinite(seconds) else None


def _message(message: dict[str, Any], names: dict[str, str]) -> Incoming:
    phone = str(message["from"])
    kind = str(message.get("type"))
    found: dict[str, Any] = {}
    if kind == "text":
        found["text"] = str(message["text"]["body"])
    elif kind == "interactive":
        interactive = message["interactive"]
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        found["button"] = str(reply.get("id", ""))
    elif kind == "button":
        found["button"] = str(message["button"].get("payload", ""))
    elif kind in message and isinstance(message[kind], dict):  # image, audio, document, ...
        found["media"] = kind
        found["media_id"] = str(message[kind].get("id", "")) or None
        found["voice"] = kind == "audio" and bool(message[kind].get("voice", False))
    else:
        found["media"] = kind
    name = names.get(phone) or phone
    return Incoming(
        str(message["id"]), phone, name, timestamp=_stamp(message.get("timestamp")), **found
    )


def _status(status: dict[str, Any]) -> Status:
    errors = tuple(
        (int(e.get("code", 0)), str(e.get("title") or e.get("message") or "error"))
        for e in status.get("errors", [])
    )
    return Status(
        str(status["id"]),
        str(status["status"]),
        str(status.get("recipient_id", "")),
        _stamp(status.get("timestamp")),
        errors,
    )


def parse(delivery: Any) -> tuple[list[Incoming], list[Status]]:
    """The messages and the statuses of a delivery; ValueError (OverflowError), KeyError,
    TypeError or AttributeError if it is not one."""
    if not isinstance(delivery, dict) or not isinstance(delivery["entry"], list):
        raise ValueError("not a Cloud API delivery")
    messages: list[Incoming] = []
    statuses: list[Status] = []
    for entry in delivery["entry"]:
        for change in entry.get("changes", []):
            value = change.get("value", {})
            names = {
                str(c.get("wa_id")): str(c.get("profile", {}).get("name", ""))
                for c in value.get("contacts", [])
            }
            messages.extend(_message(m, names) for m in value.get("messages", []))
            statuses.extend(_status(s) for s in value.get("statuses", []))
    return messages, statuses


def incoming(delivery: Any) -> list[Incoming]:
    """Every message of a delivery (statuses left out)."""
    return parse(delivery)[0]


# -- writing ---------------------------------------------------------------------------


def text_message(phone: str, text: str) -> dict[str, Any]:
    """A text message."""
    return {"to": phone, "type": "text", "text": {"body": text}}


def button_message(phone: str, body: str, buttons: list[tuple[str, str]]) -> dict[str, Any]:
    """An interactive message with up to three reply buttons: (id, title) each."""
    assert 0 < len(buttons) <= BUTTONS_AT_MOST
    replies = [
        {"type": "reply", "reply": {"id": ident, "title": _cut(title, BUTTON_TITLE_LIMIT)}}
        for ident, title in buttons
    ]
    interactive = {"type": "button", "body": {"text": body}, "action": {"buttons": replies}}
    return {"to": phone, "type": "interactive", "interactive": interactive}


def list_message(
    phone: str, body: str, button: str, rows: list[tuple[str, str, str]]
) -> dict[str, Any]:
    """An interactive list message: one section of up to ten rows (id, title, description)."""
    assert 0 < len(rows) <= ROWS_AT_MOST
    shown = []
    for ident, title, description in rows:
        row = {"id": ident, "title": _cut(title, ROW_TITLE_LIMIT)}
        if description:
            row["description"] = _cut(description, ROW_DESCRIPTION_LIMIT)
        shown.append(row)
    interactive = {
        "type": "list",
        "body": {"text": body},
        "action": {
            "button": _cut(button, BUTTON_TITLE_LIMIT),
            "sections": [{"title": _cut(button, ROW_TITLE_LIMIT), "rows": shown}],
        },
    }
    return {"to": phone, "type": "interactive", "interactive": interactive}


def template_message(
    phone: str, name: str, language: str, text: str, payloads: Sequence[str] = ()
) -> dict[str, Any]:
    """A template message with one text parameter, and a payload per quick-reply button."""
    components: list[dict[str, Any]] = [
        {"type": "body", "parameters": [{"type": "text", "text": template_text(text)}]}
    ]
    components.extend(
        {
            "type": "button",
            "sub_type": "quick_reply",
            "index": str(index),
            "parameters": [{"type": "payload", "payload": payload}],
        }
        for index, payload in enumerate(payloads)
    )
    template = {"name": name, "language": {"code": language}, "components": components}
    return {"to": phone, "type": "template", "template": template}


_SPACES = re.compile(r"\s+")


def template_text(text: str) -> str:
    """Text a template parameter may hold: one line (the API refuses new lines, tabs and
    more than four spaces in a row), within the body's limit."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return _cut(" · ".join(line for line in lines if line) or "-", BODY_LIMIT - 100)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def graph_error(body: Any, status: int) -> SendError:
    """The SendError of a Graph API error answer (`{"error": {"code": ..., ...}}`)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return SendError(f"the Graph API refused a message: HTTP {status}")
    code = error.get("code")
    details = (error.get("error_data") or {}).get("details") if isinstance(error, dict) else None
    words = str(details or error.get("message") or "refused")[:200]
    if not isinstance(code, int) or status >= 500:  # trouble on Meta's side: try again
        return SendError(f"the Graph API failed: HTTP {status} ({words})")
    return SendError(f"the Graph API refused a message: {words} (code {code})", code)
