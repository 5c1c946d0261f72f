"""The WhatsApp channel: the Cloud API webhook on aiohttp, replies through the Graph API.

Every POST delivery is checked against `X-Hub-Signature-256` (HMAC-SHA256 of the raw body
with the app secret) before it is read; a bad or missing signature gets 401 and changes
nothing, a signed body that is not a delivery 400. The same members and roles as Telegram,
by phone number. Approvals are reply buttons (Save/Cancel for a routine's preview), a choice
of more than three (which speaker, which scheduled job to cancel) a list message; every
button and row carries a token of the one confirmation store, so it works once, and only
for whoever may answer.

Within 24 hours of a member's last message Dobby sends free text and interactive messages;
after that, the approved templates configured in home.yaml. The statuses the Cloud API
reports (sent, delivered, read, failed) are recorded with the notice in the outbox; a
refused notice is kept with the API's error code and offered to the other channels, and an
alarm nobody received within its bound is sent again.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from agent.app import Dobby, Reply
from agent.channels import replies
from agent.channels.members import Member, Members, MembershipError, looks_like_code
from agent.channels.seen import SeenMessages
from agent.channels.whatsapp import wire
from agent.channels.whatsapp.voice import Transcriber, VoiceError, download
from agent.channels.whatsapp.window import Windows
from agent.channels.whatsapp.wire import BODY_LIMIT, TEXT_LIMIT, Incoming, SendError, Status
from agent.config import ChannelSettings, TemplateConfig
from devices.background import Background
from skills.actions import Role
from skills.house import ConfirmationError
from skills.notifications import Notice, NoticeKind, RefusedError
from skills.runner import RoutineError
from skills.toolsets.routines import SAVE_QUESTION

_LOGGER = logging.getLogger(__name__)

CHANNEL = "whatsapp"
COMMANDS = {
    "/start": replies.HELP,
    "/help": replies.HELP,
}
ANSWERING_AT_ONCE = 8
"""Messages of one delivery answered at the same time; the rest wait their turn."""
MEDIA_REPLY = (
    "Thank you, but I can only read words here: photos, documents, stickers and the like I "
    "cannot look at. Tell me in a sentence what you would like."
)
NO_VOICE = (
    "I cannot listen to voice notes here: that needs a speech-to-text service, which this "
    "house has not set up. Please write it instead."
)
DELIVERED = frozenset({"delivered", "read"})


@dataclass(frozen=True)
class ListChoice:
    """A choice offered as buttons or a list: what each option does once picked."""

    kind: str
    """`w`: which device was meant (the option is its name); `s`: a job to cancel."""
    options: tuple[str, ...]


class WhatsAppChannel:
    """One WhatsApp Business number serving the household."""

    def __init__(
        self,
        dobby: Dobby,
        members: Members,
        settings: ChannelSettings,
        seen: SeenMessages,
        windows: Windows | None = None,
        transcriber: Transcriber | None = None,
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
        self.windows = windows if windows is not None else Windows(":memory:")
        """When each member last wrote: free text within 24 hours, templates after."""
        self.config = dobby.config.home.whatsapp
        self.transcriber: Transcriber | None = transcriber
        """Turns voice notes into text (`DOBBY_SPEECH_MODEL`); None: they are not heard."""
        self._session: aiohttp.ClientSession | None = None
        self._answering = Background()
        self._watching = Background()
        self._turns = asyncio.Semaphore(ANSWERING_AT_ONCE)
        self._stop_notices: Any = None
        self._templated: set[str] = set()
        """Message ids of notices sent as templates (a failed one is not sent again so)."""
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
        await self._watching.cancel()
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
        """One delivery: check the signature, record the statuses, then answer each new
        message in the background."""
        assert self.settings.whatsapp_app_secret is not None
        body = await request.read()
        secret = self.settings.whatsapp_app_secret.get_secret_value()
        if not wire.signature_ok(body, request.headers.get("X-Hub-Signature-256"), secret):
            _LOGGER.warning("A WhatsApp delivery with a bad or missing signature was refused")
            return web.Response(status=401, text="bad signature")
        try:
            messages, statuses = wire.parse(json.loads(body))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OverflowError):
            _LOGGER.warning("A signed WhatsApp delivery was not a Cloud API delivery")
            return web.Response(status=400, text="not a Cloud API delivery")
        statuses_new = self.seen.new(CHANNEL, [f"{s.id}:{s.status}" for s in statuses])
        for status in statuses:
            if f"{status.id}:{status.status}" in statuses_new:  # a status sent again: once
                statuses_new.discard(f"{status.id}:{status.status}")
                self._status(status)
        self.windows.wrote_many((m.phone, m.timestamp) for m in messages)
        fresh = self.seen.new(CHANNEL, [m.id for m in messages])
        for message in messages:
            if message.id in fresh:
                fresh.discard(message.id)  # the same id twice in one delivery: once
                self._answering.spawn(self._answer(message))
        return web.Response(text="ok")

    def _status(self, status: Status) -> None:
        """What became of a message Dobby sent: kept with its notice; a failed notice is
        sent again as a template (window closed) or counted refused."""
        error = status.error_text() or None
        receipt = self.dobby.notifications.status(CHANNEL, status.id, status.status, error)
        if receipt is None or status.status != "failed":
            return
        _LOGGER.error("WhatsApp could not deliver a notice to %s: %s", receipt.recipient, error)
        notice = self.dobby.notifications.notice_of(CHANNEL, status.id)
        if notice is None:
            return
        codes = {code for code, _ in status.errors}
        if wire.RE_ENGAGEMENT in codes and status.id not in self._templated:
            self._watching.spawn(self._as_template(notice, receipt.recipient))
            return
        receipts = self.dobby.notifications.receipts(notice)
        if all(r.status in ("failed", "refused") for r in receipts if r.channel == CHANNEL):
            self._watching.spawn(self.dobby.notifications.refused(notice, CHANNEL, error or ""))

    async def _as_template(self, notice: Notice, phone: str) -> None:
        """Send a notice again as its template (the API says the window was closed)."""
        try:
            message_id = await self._send_template(phone, notice)
        except SendError as error:
            self._refusal(notice, phone, error)
            await self.dobby.notifications.refused(notice, CHANNEL, str(error))
            return
        self.dobby.notifications.sent(notice, CHANNEL, phone, message_id)

    def _refusal(self, notice: Notice, phone: str, error: SendError) -> None:
        """A send the API refused at once: a failed receipt with its error, beside the
        notice (it has no message id: it never was a message)."""
        refused = f"refused:{notice.id}:{phone}"
        self.dobby.notifications.sent(notice, CHANNEL, phone, refused)
        self.dobby.notifications.status(CHANNEL, refused, "failed", str(error))

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
                elif message.media is not None:
                    await self._media(phone, member, message)
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
                await self.send_question(admin.address.lstrip("+"), question, "j", request.token)

    async def _media(self, phone: str, member: Member, message: Incoming) -> None:
        """A voice note is transcribed and read as text when a speech-to-text backend is
        configured; a photo, a document (or a voice note without one) gets a polite answer."""
        if message.media != "audio":
            await self.send_text(phone, MEDIA_REPLY)
            return
        if self.transcriber is None or message.media_id is None:
            await self.send_text(phone, NO_VOICE)
            return
        assert self._session is not None
        assert self.settings.whatsapp_token is not None
        token = self.settings.whatsapp_token.get_secret_value()
        graph = self.settings.whatsapp_graph_url
        try:
            audio, mime_type = await download(self._session, graph, token, message.media_id)
            heard = await self.transcriber.transcribe(audio, mime_type)
        except SendError as error:
            _LOGGER.warning("A voice note could not be downloaded: %s", error)
            await self.send_text(phone, "I could not fetch that voice note; please write it.")
            return
        except VoiceError as error:
            await self.send_text(phone, str(error))
            return
        if not heard:
            await self.send_text(phone, "I could not make out any words in that voice note.")
            return
        await self.send_text(phone, f'I heard: "{heard}"')
        await self._text(phone, member, heard)

    async def _text(self, phone: str, member: Member, text: str) -> None:
        command = text.strip().lower()
        views = {
            "/devices": replies.devices_text,
            "/status": replies.status_text,
            "/routines": replies.routines_text,
        }
        if command in COMMANDS:
            await self.send_text(phone, COMMANDS[command])
            return
        if command == "/web":
            link = self.web_link(member.id) if self.web_link is not None else None
            await self.send_text(phone, replies.web_link(link) if link else replies.NO_WEB)
            return
        if command == "/scheduled":
            await self._scheduled(phone, member)
            return
        if command in views:
            await self.send_text(phone, views[command](self.dobby))
            return
        reply = await self.dobby.handle(text, member.requester(phone))
        await self._reply(phone, member, reply)

    async def _reply(self, phone: str, member: Member, reply: Reply) -> None:
        """The answer to a request: with buttons when something waits for an approval, as a
        choice when Dobby asks which device was meant."""
        if reply.confirmation:
            await self.send_question(phone, reply.reply, "c", reply.confirmation)
            return
        registry = self.dobby.registry
        candidates = [registry.entities[e] for e in reply.choices if e in registry.entities]
        if reply.asks and len(candidates) > 1:
            names = tuple(e.name for e in candidates)
            places = [registry.area_name(e) or "" for e in candidates]
            await self._choose(phone, member, reply.reply, ListChoice("w", names), places)
            return
        await self.send_text(phone, reply.reply)

    async def _scheduled(self, phone: str, member: Member) -> None:
        """/scheduled: what will run later, and a choice of the one-shot jobs to cancel."""
        jobs = self.dobby.routines.scheduled()
        text = replies.scheduled_text(jobs)
        once = [job for job in jobs if job.once][: wire.ROWS_AT_MOST]
        if not once:
            await self.send_text(phone, text)
            return
        whens = [f"{job.next_run:%a %d %b %H:%M}" if job.next_run else "" for job in once]
        choice = ListChoice("s", tuple(job.id for job in once))
        titles = [f"Cancel: {job.title}" for job in once]
        await self._choose(phone, member, f"{text}\n\nCancel one?", choice, whens, titles)

    async def _choose(
        self,
        phone: str,
        member: Member,
        text: str,
        choice: ListChoice,
        notes: Sequence[str],
        titles: Sequence[str] | None = None,
    ) -> None:
        """Offer a choice: reply buttons for up to three options, a list for more. Each
        option's id is `<kind>:<token>:<index>`; only this member may pick, once."""
        request = self.dobby.house.confirmations.open(
            text, member.requester(phone), choice, only_asker=True
        )
        shown = list(titles or choice.options)
        ids = [f"{choice.kind}:{request.token}:{n}" for n in range(len(shown))]
        *before, body = replies.split(text, BODY_LIMIT)
        for chunk in before:
            await self._post(wire.text_message(phone, chunk))
        if len(shown) <= wire.BUTTONS_AT_MOST:
            await self._post(wire.button_message(phone, body, list(zip(ids, shown, strict=True))))
            return
        rows = list(zip(ids, shown, notes, strict=True))
        await self._post(wire.list_message(phone, body, "Choose", rows))

    async def _button(self, phone: str, member: Member, button: str) -> None:
        kind, _, rest = button.partition(":")
        token, _, answer = rest.rpartition(":")
        if kind == "c":
            await self._confirm(phone, member, token, approve=answer == "y")
        elif kind == "j":
            await self._let_in(phone, member, token, approve=answer == "y")
        elif kind in ("s", "w"):
            await self._picked(phone, member, token, answer)

    async def _confirm(self, phone: str, member: Member, token: str, *, approve: bool) -> None:
        yes, no = self.labels(token)
        try:
            reply = await self.dobby.confirm(token, member.requester(phone), approve=approve)
        except ConfirmationError as error:
            await self.send_text(phone, str(error))
            return
        said = {"Approve": ("Approved", "Denied"), "Save": ("Saved", "Cancelled")}.get(yes)
        done, undone = said or (yes, no)
        verdict = f"{done if approve else undone} by {member.name}."
        await self.send_text(phone, f"{verdict}\n{reply.reply}".strip())

    async def _let_in(self, phone: str, member: Member, token: str, *, approve: bool) -> None:
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

    async def _picked(self, phone: str, member: Member, token: str, index: str) -> None:
        """A button or list row of a choice: only its asker, once."""
        requester = member.requester(phone)
        try:
            request = self.dobby.house.confirmations.take(token, requester)
        except ConfirmationError as error:
            await self.send_text(phone, str(error))
            return
        choice = request.subject
        picked = int(index) if index.isdigit() else -1
        if not isinstance(choice, ListChoice) or not 0 <= picked < len(choice.options):
            outcome = "That is not one of the choices."
            self.dobby.house.confirmations.settle(request, approved=False, outcome=outcome)
            await self.send_text(phone, outcome)
            return
        option = choice.options[picked]
        if choice.kind == "s":
            try:
                outcome = self.dobby.routines.cancel_scheduled(option, requester)
            except RoutineError as error:
                outcome = str(error)
            self.dobby.house.confirmations.settle(request, approved=True, outcome=outcome)
            await self.send_text(phone, outcome)
            return
        self.dobby.house.confirmations.settle(request, approved=True, outcome=f"Picked {option}.")
        await self._reply(phone, member, await self.dobby.handle(option, requester))

    def labels(self, token: str) -> tuple[str, str]:
        """The buttons of a question: Save/Cancel for a routine's preview, else
        Approve/Deny."""
        request = self.dobby.house.confirmations.get(token)
        if request is not None and request.question.startswith(SAVE_QUESTION):
            return "Save", "Cancel"
        return "Approve", "Deny"

    # -- sending --------------------------------------------------------------------------

    async def _post(self, payload: dict[str, Any]) -> str:
        """Send one message; its id (`wamid....`). SendError when it was not taken."""
        assert self._session is not None, "start() the channel first"
        assert self.settings.whatsapp_token is not None
        url = (
            f"{self.settings.whatsapp_graph_url}/{self.settings.whatsapp_phone_number_id}/messages"
        )
        headers = {"Authorization": f"Bearer {self.settings.whatsapp_token.get_secret_value()}"}
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **payload}
        try:
            async with self._session.post(url, json=body, headers=headers) as response:
                try:
                    answer = await response.json(content_type=None)
                except ValueError:
                    answer = None
                if response.status >= 400:
                    raise wire.graph_error(answer, response.status)
        except (aiohttp.ClientError, TimeoutError) as error:
            raise SendError(f"the Graph API cannot be reached ({type(error).__name__})") from None
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            return ""

    async def send_text(self, phone: str, text: str) -> str:
        """Send text, split at WhatsApp's limit; the id of the last part."""
        sent = ""
        for chunk in replies.split(text or "Done.", TEXT_LIMIT):
            sent = await self._post(wire.text_message(phone, chunk))
        return sent

    async def send_buttons(self, phone: str, text: str, kind: str, token: str) -> str:
        """A question with two reply buttons (ids `<kind>:<token>:<y|n>`): Approve/Deny, or
        Save/Cancel for a routine's preview."""
        *before, body = replies.split(text, BODY_LIMIT)
        for chunk in before:
            await self._post(wire.text_message(phone, chunk))
        yes, no = self.labels(token) if kind == "c" else ("Approve", "Deny")
        buttons = [(f"{kind}:{token}:y", yes), (f"{kind}:{token}:n", no)]
        return await self._post(wire.button_message(phone, body, buttons))

    async def send_question(self, phone: str, text: str, kind: str, token: str) -> str:
        """A question with its two buttons: reply buttons within the person's 24-hour
        window, the approval template (with the same ids as quick replies) outside it."""
        if self.windows.is_open(phone):
            return await self.send_buttons(phone, text, kind, token)
        template = self._template("approval")
        payloads = [f"{kind}:{token}:y", f"{kind}:{token}:n"]
        message = wire.template_message(phone, template.name, template.language, text, payloads)
        return await self._post(message)

    def _template(self, kind: str) -> TemplateConfig:
        template: TemplateConfig | None = getattr(self.config.templates, kind)
        if template is None:
            raise SendError(
                f"the 24-hour window is closed and no {kind} template is configured"
                f" (whatsapp.templates.{kind} in home.yaml)",
                refused=True,
            )
        return template

    async def _send_template(self, phone: str, notice: Notice) -> str:
        if notice.ask:
            template = self._template("approval")
            payloads = [f"c:{notice.ask}:y", f"c:{notice.ask}:n"]
        else:
            template = self._template("notice")
            payloads = []
        message = wire.template_message(
            phone, template.name, template.language, notice.text, payloads
        )
        sent = await self._post(message)
        self._templated.add(sent)
        return sent

    async def _send_notice(self, phone: str, notice: Notice) -> str:
        """One notice to one person: as text (or buttons) in their window, else its
        template."""
        if not self.windows.is_open(phone):
            return await self._send_template(phone, notice)
        if notice.ask:
            return await self.send_buttons(phone, notice.text, "c", notice.ask)
        return await self.send_text(phone, notice.text)

    def _recipients(self, notice: Notice) -> list[str]:
        if notice.chat:
            return [notice.chat.lstrip("+")]
        return [m.address.lstrip("+") for m in self.members.on(CHANNEL) if m.role is not Role.GUEST]

    async def notify(self, notice: Notice) -> None:
        """Deliver a notice: to the person it is for, or to every non-guest member; with
        Approve/Deny when it asks for an approval. A refusal by the API is recorded with its
        error code; when nobody could be sent it, RefusedError (it goes elsewhere)."""
        phones = self._recipients(notice)
        refusals: list[str] = []
        for phone in phones:
            try:
                message_id = await self._send_notice(phone, notice)
            except SendError as error:
                if not error.refused:
                    raise  # the API cannot be reached: the outbox tries again later
                _LOGGER.error("WhatsApp refused a notice to %s: %s", phone, error)
                refusals.append(f"{phone}: {error}")
                self._refusal(notice, phone, error)
                continue
            self.dobby.notifications.sent(notice, CHANNEL, phone, message_id)
        if phones and len(refusals) == len(phones):
            raise RefusedError("; ".join(refusals))
        if notice.kind is NoticeKind.ALARM and notice.id is not None:
            self._watching.spawn(self._watch_alarm(notice, phones))

    async def _watch_alarm(self, notice: Notice, phones: list[str]) -> None:
        """An alarm nobody received within its bound goes again, as a template, to the
        members it was for, and to every other non-guest member."""
        await asyncio.sleep(self.config.alarm_delivered_within)
        receipts = [r for r in self.dobby.notifications.receipts(notice) if r.channel == CHANNEL]
        if any(r.status in DELIVERED for r in receipts):
            return
        everyone = [m.address.lstrip("+") for m in self.members.on(CHANNEL)]
        others = [
            p
            for p in everyone
            if p not in phones and (m := self.member(p)) and m.role is not Role.GUEST
        ]
        _LOGGER.warning(
            "Nobody received the alarm notice within %g s: sending it again to %d members",
            self.config.alarm_delivered_within,
            len(phones) + len(others),
        )
        for phone in [*phones, *others]:
            try:
                message_id = await self._send_template(phone, notice)
            except SendError as error:
                _LOGGER.error("Sending the alarm again to %s failed: %s", phone, error)
                continue
            self.dobby.notifications.sent(notice, CHANNEL, phone, message_id)
