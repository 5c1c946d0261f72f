"""A fake of the WhatsApp Cloud API on loopback, written from Meta's public documentation.

It behaves as the real API does where Dobby can tell:

- `POST /<version>/<phone id>/messages` needs the access token (HTTP 401, code 190, without
  it). A template must exist, approved, in the language asked, with as many text parameters
  and quick-reply buttons as it was approved with (HTTP 400 with code 132001, 132000 or
  132018 otherwise). Free text and interactive messages are taken (HTTP 200 and a `wamid`)
  but fail later, as the real API reports it, with a `failed` status of code 131047 when the
  person has not written in the last 24 hours; any message to a number not on WhatsApp fails
  with 131026.
- What became of each message taken is posted to the webhook as Meta posts it: `sent`,
  then `delivered` and `read` (unless the phone is `offline`), or `failed` with its error,
  signed with `X-Hub-Signature-256` from the app secret. `replay` sends each delivery twice,
  as Meta does when it does not hear back in time.
- `GET /<version>/<business account id>/message_templates` lists the templates and their
  review status; `GET /<version>/<media id>` says where a person's media is, and that URL
  gives its bytes, both with the access token.

`FakeSpeechAPI` is an OpenAI-compatible `/v1/audio/transcriptions` for voice notes: it
"hears" a recording's bytes as UTF-8 text.

People write with `say`, `press` and `pick`, which post signed deliveries to the webhook and
open their 24-hour window.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from agent.channels.testing_base import Call, FakeServer

WINDOW = 24 * 3600.0
PHONE_NUMBER_ID = "1234567890"
BUSINESS_ACCOUNT_ID = "1029384756"


@dataclass
class Template:
    """A message template as WhatsApp Manager holds it."""

    name: str
    language: str
    parameters: int = 1
    """Text parameters of its body (`{{1}}`, ...)."""
    quick_replies: int = 0
    status: str = "APPROVED"
    """`APPROVED`, `PENDING`, `REJECTED`, `PAUSED` or `DISABLED`."""
    category: str = "UTILITY"


def dobby_templates() -> dict[tuple[str, str], Template]:
    """The two templates Dobby's README asks a household to submit, approved in English."""
    return {
        ("dobby_notice", "en"): Template("dobby_notice", "en"),
        ("dobby_approval", "en"): Template("dobby_approval", "en", quick_replies=2),
    }


@dataclass
class Sent:
    """A message the fake took, and what became of it."""

    id: str
    to: str
    payload: dict[str, Any]
    statuses: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)


def _graph_error(status: int, code: int, message: str, details: str = "") -> web.Response:
    error: dict[str, Any] = {
        "message": f"(#{code}) {message}",
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "AFakeTraceId",
    }
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return web.json_response({"error": error}, status=status)


_TOO_MANY_SPACES = re.compile(r" {5,}")


@dataclass
class FakeGraphAPI(FakeServer):
    """The WhatsApp Cloud API of one business number, for one access token."""

    token: str = "EAAG-test-token-not-real"  # noqa: S105 - a fake access token
    version: str = "v21.0"
    phone_number_id: str = PHONE_NUMBER_ID
    business_account_id: str = BUSINESS_ACCOUNT_ID
    app_secret: str = ""
    """Signs what is posted to the webhook (the app's secret)."""
    webhook: str | None = None
    """Where deliveries go (Dobby's `/whatsapp`); nothing is posted while unset."""
    templates: dict[tuple[str, str], Template] = field(default_factory=dobby_templates)
    last_inbound: dict[str, float] = field(default_factory=dict)
    """When each person last wrote (their 24-hour window)."""
    not_on_whatsapp: set[str] = field(default_factory=set)
    offline: set[str] = field(default_factory=set)
    """Phones switched off: messages to them stay `sent`, never `delivered`."""
    replay: bool = False
    """Post every delivery twice."""
    clock: Callable[[], float] = time.time
    sent: dict[str, Sent] = field(default_factory=dict)
    """Every message taken, by its id."""
    webhook_answers: list[int] = field(default_factory=list)
    """The HTTP status the webhook answered each delivery with."""
    media: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    """What people sent (voice notes, photos): bytes and MIME type by media id."""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _posting: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def base_url(self) -> str:
        """What DOBBY_WHATSAPP_GRAPH_URL takes."""
        return f"http://{self.host}:{self.port}/{self.version}"

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/{version}/{phone_id}/messages", self._messages)
        app.router.add_get("/{version}/{account_id}/message_templates", self._templates)
        app.router.add_get("/{version}/{media_id}", self._media_url)
        app.router.add_get("/download/{media_id}", self._download)
        return app

    async def stop(self) -> None:
        """Finish posting to the webhook, then stop listening."""
        for task in list(self._posting):
            task.cancel()
        await asyncio.gather(*self._posting, return_exceptions=True)
        await super().stop()

    def _authorized(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {self.token}"

    # -- sending ---------------------------------------------------------------------------

    async def _messages(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if request.match_info["phone_id"] != self.phone_number_id:
            return _graph_error(400, 100, "Unsupported post request: unknown phone number id")
        try:
            body = await request.json()
            to, kind = str(body["to"]), str(body["type"])
        except (ValueError, KeyError, TypeError):
            return _graph_error(400, 100, "Invalid parameter")
        if body.get("messaging_product") != "whatsapp":
            return _graph_error(400, 100, "Invalid parameter", "messaging_product is required")
        refusal = self._check_template(body) if kind == "template" else self._check(body)
        if refusal is not None:
            await self._record(Call("refused", body))
            return refusal
        message_id = f"wamid.fake{next(self._ids):06d}"
        self.sent[message_id] = Sent(message_id, to, body)
        await self._record(Call("messages", {**body, "phone_id": self.phone_number_id}))
        self._spawn(self._report(message_id, kind))
        answer: dict[str, Any] = {"id": message_id}
        if kind == "template":
            answer["message_status"] = "accepted"
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [answer],
            }
        )

    def _check(self, body: dict[str, Any]) -> web.Response | None:
        interactive = body.get("interactive")
        if body["type"] == "text" and not str((body.get("text") or {}).get("body", "")):
            return _graph_error(400, 100, "Invalid parameter", "text.body is required")
        if body["type"] == "interactive" and isinstance(interactive, dict):
            action = interactive.get("action") or {}
            if interactive.get("type") == "button":
                buttons = action.get("buttons") or []
                titles = [str(b.get("reply", {}).get("title", "")) for b in buttons]
                if not 1 <= len(buttons) <= 3 or any(not 0 < len(t) <= 20 for t in titles):
                    return _graph_error(400, 131009, "Parameter value is not valid", "buttons")
            elif interactive.get("type") == "list":
                rows = [r for s in action.get("sections", []) for r in s.get("rows", [])]
                titles = [str(r.get("title", "")) for r in rows]
                if not 1 <= len(rows) <= 10 or any(not 0 < len(t) <= 24 for t in titles):
                    return _graph_error(400, 131009, "Parameter value is not valid", "rows")
        return None

    def _check_template(self, body: dict[str, Any]) -> web.Response | None:
        asked = body.get("template") or {}
        name = str(asked.get("name", ""))
        language = str((asked.get("language") or {}).get("code", ""))
        template = self.templates.get((name, language))
        if template is None or template.status != "APPROVED":
            return _graph_error(
                404 if template is None else 400,
                132001,
                "Template name does not exist in the translation",
                f"template name ({name}) does not exist in {language}",
            )
        components = asked.get("components") or []
        texts = [
            str(p.get("text", ""))
            for c in components
            if c.get("type") == "body"
            for p in c.get("parameters", [])
        ]
        buttons = [c for c in components if c.get("type") == "button"]
        if len(texts) != template.parameters or len(buttons) > template.quick_replies:
            return _graph_error(
                400,
                132000,
                "Number of parameters does not match the expected number of params",
                f"body: number of localizable_params ({len(texts)}) does not match the "
                f"expected number of params ({template.parameters})",
            )
        if any("\n" in t or "\t" in t or _TOO_MANY_SPACES.search(t) for t in texts):
            return _graph_error(
                400,
                132018,
                "There was an issue with the parameters in your template.",
                "Param text cannot have new-line/tab characters or more than 4 consecutive spaces",
            )
        return None

    def window_open(self, phone: str) -> bool:
        """Whether the person wrote in the last 24 hours."""
        last = self.last_inbound.get(phone.lstrip("+"))
        return last is not None and self.clock() < last + WINDOW

    async def _report(self, message_id: str, kind: str) -> None:
        """What becomes of a message: posted to the webhook, status by status."""
        sent = self.sent[message_id]
        error: tuple[int, str] | None = None
        if sent.to in self.not_on_whatsapp:
            error = (131026, "Message undeliverable")
        elif kind != "template" and not self.window_open(sent.to):
            error = (131047, "Re-engagement message")
        if error is not None:
            code, title = error
            details = (
                "Message failed to send because more than 24 hours have passed since the "
                "customer last replied to this number."
                if code == 131047
                else "Message Undeliverable."
            )
            failure = {
                "code": code,
                "title": title,
                "message": title,
                "error_data": {"details": details},
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
            }
            sent.errors.append(failure)
            await self.post_status(message_id, "failed", [failure])
            return
        steps = ["sent"] if sent.to in self.offline else ["sent", "delivered", "read"]
        for step in steps:
            await self.post_status(message_id, step)

    async def post_status(
        self, message_id: str, status: str, errors: list[dict[str, Any]] | None = None
    ) -> int | None:
        """Post one status of a message taken to the webhook, as Meta does."""
        sent = self.sent[message_id]
        sent.statuses.append(status)
        entry: dict[str, Any] = {
            "id": message_id,
            "status": status,
            "timestamp": str(int(self.clock())),
            "recipient_id": sent.to,
        }
        if status in ("sent", "delivered"):
            entry["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "utility"}
        if errors:
            entry["errors"] = errors
        return await self.post(_delivery({"statuses": [entry]}, self.phone_number_id))

    # -- templates -------------------------------------------------------------------------

    async def _templates(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if request.match_info["account_id"] != self.business_account_id:
            return _graph_error(400, 100, "Unsupported get request: unknown account id")
        data = [
            {
                "name": t.name,
                "language": t.language,
                "status": t.status,
                "category": t.category,
                "id": str(index),
            }
            for index, t in enumerate(self.templates.values(), 1)
        ]
        return web.json_response({"data": data, "paging": {"cursors": {"before": "", "after": ""}}})

    # -- media -----------------------------------------------------------------------------

    def upload(self, data: bytes, mime_type: str = "audio/ogg; codecs=opus") -> str:
        """A person's recording or photo, kept for Dobby to download; its media id."""
        media_id = f"{next(self._ids) + 900_000_000_000}"
        self.media[media_id] = (data, mime_type)
        return media_id

    async def _media_url(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return _graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        media_id = request.match_info["media_id"]
        if media_id not in self.media:
            return _graph_error(400, 100, "Unsupported get request: no such media")
        data, mime_type = self.media[media_id]
        await self._record(Call("media", {"id": media_id}))
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": f"http://{self.host}:{self.port}/download/{media_id}",
                "mime_type": mime_type,
                "sha256": hashlib.sha256(data).hexdigest(),
                "file_size": len(data),
                "id": media_id,
            }
        )

    async def _download(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.Response(status=401)
        found = self.media.get(request.match_info["media_id"])
        if found is None:
            return web.Response(status=404)
        return web.Response(body=found[0], content_type=found[1].split(";")[0])

    # -- people writing --------------------------------------------------------------------

    def heard(self, delivery: dict[str, Any]) -> None:
        """The people whose messages a delivery carries wrote at its messages' times."""
        for entry in delivery.get("entry", []):
            for change in entry.get("changes", []):
                for message in change.get("value", {}).get("messages", []):
                    phone = str(message["from"])
                    at = float(message.get("timestamp") or self.clock())
                    self.last_inbound[phone] = max(self.last_inbound.get(phone, 0.0), at)

    async def say(self, phone: str, text: str, *, name: str = "Someone") -> int | None:
        """A person writes text to the business number."""
        return await self.write(whatsapp_delivery(phone, text=text, name=name))

    async def press(self, phone: str, button: str, *, name: str = "Someone") -> int | None:
        """A person presses a reply button (its id)."""
        return await self.write(whatsapp_delivery(phone, button=button, name=name))

    async def pick(self, phone: str, row: str, *, name: str = "Someone") -> int | None:
        """A person picks a row of a list message (its id)."""
        return await self.write(whatsapp_delivery(phone, row=row, name=name))

    async def quick_reply(self, phone: str, payload: str, *, name: str = "Someone") -> int | None:
        """A person presses a template's quick-reply button (its payload)."""
        return await self.write(whatsapp_delivery(phone, payload=payload, name=name))

    async def write(self, delivery: dict[str, Any]) -> int | None:
        """A person's message: their window opens, the delivery is posted."""
        self.heard(delivery)
        return await self.post(delivery)

    async def post(self, delivery: dict[str, Any]) -> int | None:
        """Post a delivery to the webhook, signed (twice with `replay`); its HTTP status."""
        if self.webhook is None:
            return None
        body = json.dumps(delivery).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(body, self.app_secret),
        }
        status = 0
        async with aiohttp.ClientSession() as session:
            for _ in range(2 if self.replay else 1):
                async with session.post(self.webhook, data=body, headers=headers) as response:
                    status = response.status
                    self.webhook_answers.append(status)
        return status

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._posting.add(task)
        task.add_done_callback(self._posting.discard)

    # -- reading what was sent -------------------------------------------------------------

    def sent_to(self, phone: str) -> list[dict[str, Any]]:
        """The messages taken for one phone number, in order."""
        return [c.params for c in self.called("messages") if c.params.get("to") == phone]

    async def wait_sent(
        self, phone: str, where: Callable[[dict[str, Any]], bool] = lambda _: True
    ) -> dict[str, Any]:
        """The first message taken for `phone` that matches, waiting for it if needed."""
        call = await self.wait_for(
            "messages", lambda c: c.params.get("to") == phone and where(c.params)
        )
        return call.params


def sign(body: bytes, app_secret: str) -> str:
    """The `X-Hub-Signature-256` header Meta sends with a delivery."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def _delivery(value: dict[str, Any], phone_number_id: str = PHONE_NUMBER_ID) -> dict[str, Any]:
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000000", "phone_number_id": phone_number_id},
        **value,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": BUSINESS_ACCOUNT_ID, "changes": [{"value": value, "field": "messages"}]}],
    }


def whatsapp_delivery(
    phone: str,
    *,
    text: str | None = None,
    button: str | None = None,
    row: str | None = None,
    payload: str | None = None,
    media: str | None = None,
    media_id: str | None = None,
    voice: bool = False,
    name: str = "Someone",
    at: float | None = None,
) -> dict[str, Any]:
    """A Cloud API webhook delivery of one message from `phone`: text, a reply button's id,
    a list row's id, a template quick reply's payload, or media (`image`, `audio`, ...)."""
    message: dict[str, Any] = {"from": phone, "id": f"wamid.in.{time.monotonic_ns()}"}
    message["timestamp"] = str(int(at if at is not None else time.time()))
    if button is not None:
        message["type"] = "interactive"
        message["interactive"] = {
            "type": "button_reply",
            "button_reply": {"id": button, "title": button[:20]},
        }
    elif row is not None:
        message["type"] = "interactive"
        message["interactive"] = {"type": "list_reply", "list_reply": {"id": row, "title": row}}
    elif payload is not None:
        message["type"] = "button"
        message["button"] = {"payload": payload, "text": "Approve"}
    elif media is not None:
        message["type"] = media
        message[media] = {
            "id": media_id or f"media{time.monotonic_ns()}",
            "mime_type": "audio/ogg; codecs=opus" if media == "audio" else "image/jpeg",
            "sha256": "0" * 64,
        }
        if media == "audio":
            message[media]["voice"] = voice
    else:
        message["type"] = "text"
        message["text"] = {"body": text or ""}
    contacts = [{"profile": {"name": name}, "wa_id": phone}]
    return _delivery({"contacts": contacts, "messages": [message]})


@dataclass
class FakeSpeechAPI(FakeServer):
    """An OpenAI-compatible speech-to-text server: `POST /v1/audio/transcriptions`."""

    api_key: str = "sk-fake-speech-key"
    failing: bool = False
    """Answer HTTP 500 for now."""

    @property
    def base_url(self) -> str:
        """What DOBBY_MODEL_BASE_URL takes."""
        return f"http://{self.host}:{self.port}/v1"

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/audio/transcriptions", self._transcribe)
        return app

    async def _transcribe(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            error = {"message": "Incorrect API key provided", "type": "invalid_request_error"}
            return web.json_response({"error": error}, status=401)
        form = await request.post()
        upload, model = form.get("file"), str(form.get("model", ""))
        if not isinstance(upload, web.FileField) or not model:
            error = {"message": "file and model are required", "type": "invalid_request_error"}
            return web.json_response({"error": error}, status=400)
        heard = upload.file.read().decode("utf-8", "replace")
        await self._record(Call("transcriptions", {"model": model, "filename": upload.filename}))
        if self.failing:
            return web.json_response({"error": {"message": "overloaded"}}, status=500)
        return web.json_response({"text": heard})
