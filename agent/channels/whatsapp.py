"""The WhatsApp channel: the Cloud API webhook on aiohttp, replies through the Graph API.

Every POST delivery is checked against `X-Hub-Signature-256` (HMAC-SHA256 of the raw body
with the app secret); a bad or missing signature gets 401 and changes nothing. The same
members and roles as Telegram, by phone number; approvals are interactive reply buttons.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from agent.app import Dobby
from agent.channels import replies
from agent.channels.members import Member, Members, MembershipError, looks_like_code
from agent.channels.seen import SeenMessages
from agent.config import ChannelSettings
from devices.background import Background
from skills.actions import Role
from skills.house import ConfirmationError
from skills.notifications import Notice

_LOGGER = logging.getLogger(__name__)

CHANNEL = "whatsapp"
TEXT_LIMIT = 4096
BODY_LIMIT = 1024
"""The body of an interactive message."""
COMMANDS = {
    "/start": replies.HELP,
    "/help": replies.HELP,
}


ANSWERING_AT_ONCE = 8
"""Messages of one delivery answered at the same time; the rest wait their turn."""


class SendError(Exception):
    """The Graph API did not take a message; the message says why (never the token)."""


@dataclass(frozen=True)
class Incoming:
    """One message of a delivery."""

    id: str
    """The Cloud API's message id (`wamid....`): a delivery sent again repeats it."""
    phone: str
    name: str
    text: str | None = None
    button: str | None = None
    """The id of a pressed reply button."""


def signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether `X-Hub-Signature-256` is the HMAC-SHA256 of the body with the app secret."""
    if not header or not header.isascii() or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


class WhatsAppChannel:
    """One WhatsApp Business number serving the household."""

    def __init__(
        self, dobby: Dobby, members: Members, settings: ChannelSettings, seen: SeenMessages
    ) -> None:
        missing = [
            name
            for name, value in (
                ("DOBBY_WHATSAPP_TOKEN", settings.whatsapp_token),
                ("DOBBY_WHATSAPP_APP_SECRET", settings.whatsapp_app_secret),
                ("DOBBY_WHATSAPP_VERIFY_TOKEN", settings.whatsapp_verify_token),
                ("DOBBY_WHATSAPP_PHONE_NUMBER_ID", settings.whatsapp_phone_number_id),
            )
            if value is None
        ]
        if missing:
            raise ValueError(f"WhatsApp needs {', '.join(missing)}")
        self.dobby, self.members, self.settings, self.seen = dobby, members, settings, seen
        self._session: aiohttp.ClientSession | None = None
        self._answering = Background()
        self._turns = asyncio.Semaphore(ANSWERING_AT_ONCE)
        self._stop_notices: Any = None
        self.web_link: Callable[[str], str] | None = None
        """Makes a member's one-time sign-in link for the web page (set by the service)."""

    def add_routes(self, app: web.Application, path: str = "/whatsapp") -> None:
        """The webhook: GET for the verify handshake, POST for deliveries."""
        app.router.add_get(path, self.verify)
        app.router.add_post(path, self.deliver)

    async def start(self) -> None:
        """Open the Graph API session and take notices."""
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        self._stop_notices = self.dobby.notifications.attach(CHANNEL, self.notify)

    async def stop(self) -> None:
        """Finish the messages in hand, then close the session."""
        if self._stop_notices is not None:
            self._stop_notices()
            self._stop_notices = None
        await self._answering.finish()
        if self._session is not None:
            await self._session.close()

    async def drain(self) -> None:
        """Wait until every delivery taken so far has been answered."""
        await self._answering.finish()

    # -- the webhook ----------------------------------------------------------------------

    async def verify(self, request: web.Request) -> web.Response:
        """Meta's handshake: echo `hub.challenge` when `hub.verify_token` matches."""
        assert self.settings.whatsapp_verify_token is not None
        token = request.query.get("hub.verify_token", "")
        expected = self.settings.whatsapp_verify_token.get_secret_value()
        if request.query.get("hub.mode") == "subscribe" and hmac.compare_digest(token, expected):
            return web.Response(text=request.query.get("hub.challenge", ""))
        _LOGGER.warning("WhatsApp webhook verification failed")
        return web.Response(status=403, text="verification failed")

    async def deliver(self, request: web.Request) -> web.Response:
        """One delivery: check the signature, then answer each message in the background."""
        assert self.settings.whatsapp_app_secret is not None
        body = await request.read()
        secret = self.settings.whatsapp_app_secret.get_secret_value()
        if not signature_ok(body, request.headers.get("X-Hub-Signature-256"), secret):
            _LOGGER.warning("A WhatsApp delivery with a bad or missing signature was refused")
            return web.Response(status=401, text="bad signature")
        try:
            messages = incoming(json.loads(body))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            _LOGGER.warning("A signed WhatsApp delivery was not a Cloud API delivery")
            return web.Response(status=400, text="not a Cloud API delivery")
        for message in messages:
            if self.seen.first_time(CHANNEL, message.id):
                self._answering.spawn(self._answer(message))
        return web.Response(text="ok")

    # -- answering ------------------------------------------------------------------------

    def member(self, phone: str) -> Member | None:
        """The household member with this phone number, with or without a leading +."""
        digits = phone.lstrip("+")
        return self.members.get(f"{CHANNEL}:{digits}") or self.members.get(f"{CHANNEL}:+{digits}")

    async def _answer(self, message: Incoming) -> None:
        phone = message.phone
        async with self._turns:
            try:
                member = self.member(phone)
                if member is None:
                    await self._stranger(phone, message.name, message.text)
                elif message.button is not None:
                    await self._button(phone, member, message.button)
                elif message.text:
                    await self._text(phone, member, message.text)
            except SendError as error:
                _LOGGER.error("Answering a WhatsApp message failed: %s", error)
            except Exception:
                _LOGGER.exception("Answering a WhatsApp message failed")

    async def _stranger(self, phone: str, name: str, text: str | None) -> None:
        if not text or not looks_like_code(text):
            await self.send_text(phone, replies.STRANGER)
            return
        try:
            request = self.members.redeem(text, f"{CHANNEL}:{phone}", name)
        except MembershipError as error:
            await self.send_text(phone, str(error))
            return
        await self.send_text(phone, replies.asked_admin(name))
        question = replies.join_question(request, f"WhatsApp {phone}")
        for admin in self.members.on(CHANNEL):
            if admin.role is Role.ADMIN:
                await self.send_buttons(admin.address.lstrip("+"), question, "j", request.token)

    async def _text(self, phone: str, member: Member, text: str) -> None:
        command = text.strip().lower()
        views = {
            "/devices": replies.devices_text,
            "/status": replies.status_text,
            "/routines": replies.routines_text,
            "/scheduled": replies.scheduled_of,
        }
        if command in COMMANDS:
            await self.send_text(phone, COMMANDS[command])
            return
        if command == "/web":
            link = self.web_link(member.id) if self.web_link is not None else None
            await self.send_text(phone, replies.web_link(link) if link else replies.NO_WEB)
            return
        if command in views:
            await self.send_text(phone, views[command](self.dobby))
            return
        reply = await self.dobby.handle(text, member.requester(phone))
        if reply.confirmation:
            await self.send_buttons(phone, reply.reply, "c", reply.confirmation)
        else:
            await self.send_text(phone, reply.reply)

    async def _button(self, phone: str, member: Member, button: str) -> None:
        kind, _, rest = button.partition(":")
        token, _, answer = rest.rpartition(":")
        approve = answer == "y"
        if kind == "c":
            try:
                reply = await self.dobby.confirm(token, member.requester(), approve=approve)
            except ConfirmationError as error:
                await self.send_text(phone, str(error))
                return
            verdict = f"{'Approved' if approve else 'Denied'} by {member.name}."
            await self.send_text(phone, f"{verdict}\n{reply.reply}".strip())
        elif kind == "j":
            try:
                request = self.members.answer(token, member, approve=approve)
            except MembershipError as error:
                await self.send_text(phone, str(error))
                return
            verdict = "joined" if approve else "was refused"
            await self.send_text(phone, f"{request.name} {verdict} (as {request.role.value}).")
            if approve:
                newcomer = request.member_id.partition(":")[2]
                await self.send_text(newcomer, f"Welcome, {request.name}! {replies.HELP}")

    # -- sending --------------------------------------------------------------------------

    async def _post(self, payload: dict[str, Any]) -> None:
        assert self._session is not None, "start() the channel first"
        assert self.settings.whatsapp_token is not None
        url = (
            f"{self.settings.whatsapp_graph_url}/{self.settings.whatsapp_phone_number_id}/messages"
        )
        headers = {"Authorization": f"Bearer {self.settings.whatsapp_token.get_secret_value()}"}
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **payload}
        try:
            async with self._session.post(url, json=body, headers=headers) as response:
                if response.status >= 400:
                    raise SendError(f"the Graph API refused a message: HTTP {response.status}")
        except (aiohttp.ClientError, TimeoutError) as error:
            raise SendError(f"the Graph API cannot be reached ({type(error).__name__})") from None

    async def send_text(self, phone: str, text: str) -> None:
        """Send text, split at WhatsApp's limit."""
        for chunk in replies.split(text or "Done.", TEXT_LIMIT):
            await self._post({"to": phone, "type": "text", "text": {"body": chunk}})

    async def send_buttons(self, phone: str, text: str, kind: str, token: str) -> None:
        """A question with Approve/Deny reply buttons (ids `<kind>:<token>:<y|n>`)."""
        *before, body = replies.split(text, BODY_LIMIT)
        for chunk in before:
            await self._post({"to": phone, "type": "text", "text": {"body": chunk}})
        buttons = [
            {"type": "reply", "reply": {"id": f"{kind}:{token}:y", "title": "Approve"}},
            {"type": "reply", "reply": {"id": f"{kind}:{token}:n", "title": "Deny"}},
        ]
        interactive = {"type": "button", "body": {"text": body}, "action": {"buttons": buttons}}
        await self._post({"to": phone, "type": "interactive", "interactive": interactive})

    async def notify(self, notice: Notice) -> None:
        """Deliver a notice: to the person it is for, or to every non-guest member; with
        Approve/Deny buttons when it asks for an approval."""
        phones = (
            [notice.chat]
            if notice.chat
            else [m.address for m in self.members.on(CHANNEL) if m.role is not Role.GUEST]
        )
        for phone in phones:
            if notice.ask:
                await self.send_buttons(phone.lstrip("+"), notice.text, "c", notice.ask)
            else:
                await self.send_text(phone.lstrip("+"), notice.text)


def incoming(delivery: Any) -> list[Incoming]:
    """Every message of a delivery; ValueError, KeyError or TypeError if it is not one."""
    if not isinstance(delivery, dict) or not isinstance(delivery["entry"], list):
        raise ValueError("not a Cloud API delivery")
    found: list[Incoming] = []
    for entry in delivery["entry"]:
        for change in entry.get("changes", []):
            value = change.get("value", {})
            names = {
                str(c.get("wa_id")): str(c.get("profile", {}).get("name", ""))
                for c in value.get("contacts", [])
            }
            for message in value.get("messages", []):
                phone = str(message["from"])
                text = button = None
                kind = message.get("type")
                if kind == "text":
                    text = str(message["text"]["body"])
                elif kind == "interactive":
                    reply = message["interactive"].get("button_reply") or {}
                    button = str(reply.get("id", ""))
                elif kind == "button":
                    button = str(message["button"].get("payload", ""))
                name = names.get(phone) or phone
                found.append(Incoming(str(message["id"]), phone, name, text, button))
    return found
