"""The Telegram channel: python-telegram-bot in Dobby's own asyncio loop.

Only household members command the house; a stranger gets one polite line, or may send a
pairing code. Sensitive actions wait behind inline Approve/Deny buttons that only an
authorised member can press, once. Notices for the household go to the household chat.
"""

from __future__ import annotations

import hmac
import html
import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

import httpx
from aiohttp import web
from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Update,
    User,
)
from telegram.constants import MessageLimit, ParseMode
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from agent.app import Dobby, Reply
from agent.channels import replies
from agent.channels.members import Member, Members, MembershipError, looks_like_code
from agent.channels.seen import SeenMessages
from agent.config import ChannelSettings
from skills.actions import Role
from skills.house import ConfirmationError
from skills.notifications import Notice
from skills.runner import RoutineError
from skills.scheduler import ScheduledJob

_LOGGER = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
LIMIT = int(MessageLimit.MAX_TEXT_LENGTH)
COMMANDS = {
    "start": "Say hello",
    "help": "What I can do",
    "devices": "Every device and its state",
    "routines": "The routines",
    "status": "What is on, open, unlocked or playing",
    "scheduled": "What will run later",
    "cancel": "Drop anything waiting for approval",
    "web": "A sign-in link for the web page",
}

Context = ContextTypes.DEFAULT_TYPE


def render(text: str) -> str:
    """Plain text made safe for Telegram's HTML formatting."""
    return html.escape(text, quote=False)


def buttons(kind: str, token: str, yes: str = "Approve", no: str = "Deny") -> InlineKeyboardMarkup:
    """An Approve/Deny pair; the callback data is `<kind>:<token>:<y|n>`."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(yes, callback_data=f"{kind}:{token}:y"),
                InlineKeyboardButton(no, callback_data=f"{kind}:{token}:n"),
            ]
        ]
    )


def cancel_buttons(jobs: Sequence[ScheduledJob]) -> InlineKeyboardMarkup | None:
    """A Cancel button per one-shot job; the callback data is `s:<job id>:y`."""
    rows = [
        [InlineKeyboardButton(f"Cancel: {job.title}"[:60], callback_data=f"s:{job.id}:y")]
        for job in jobs
        if job.once
    ]
    return InlineKeyboardMarkup(rows) if rows else None


class TelegramChannel:
    """One bot serving the household."""

    def __init__(
        self,
        dobby: Dobby,
        members: Members,
        settings: ChannelSettings,
        seen: SeenMessages,
        webhook_secret: str | None = None,
    ) -> None:
        if settings.telegram_token is None:
            raise ValueError("DOBBY_TELEGRAM_TOKEN is not set")
        webhook = settings.telegram_webhook_url is not None
        if webhook and not webhook_secret:
            raise ValueError("webhook mode needs a secret (DOBBY_TELEGRAM_WEBHOOK_SECRET)")
        self.dobby, self.members, self.settings, self.seen = dobby, members, settings, seen
        self._secret = webhook_secret or ""
        # One TLS context for both of the bot's connections (updates, and the rest):
        # loading the certificate store is most of what building a client costs.
        tls = {"verify": httpx.create_ssl_context()}
        builder = (
            Application.builder()
            .token(settings.telegram_token.get_secret_value())
            .base_url(settings.telegram_base_url)
            .request(HTTPXRequest(connection_pool_size=256, httpx_kwargs=tls))
            .get_updates_request(HTTPXRequest(connection_pool_size=1, httpx_kwargs=tls))
        )
        if webhook:
            builder = builder.updater(None)
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self._pending: dict[int, set[str]] = {}
        """Confirmation tokens waiting, by chat, for /cancel."""
        self._stop_notices: Any = None
        self.web_link: Callable[[str], str] | None = None
        """Makes a member's one-time sign-in link for the web page (set by the service)."""
        self._wire()

    def _wire(self) -> None:
        app = self.application
        app.add_handler(TypeHandler(Update, self.gate), group=-1)
        app.add_handler(CommandHandler(["start", "help"], self.on_help))
        app.add_handler(CommandHandler("devices", self.on_devices))
        app.add_handler(CommandHandler("routines", self.on_routines))
        app.add_handler(CommandHandler("status", self.on_status))
        app.add_handler(CommandHandler("scheduled", self.on_scheduled))
        app.add_handler(CommandHandler("cancel", self.on_cancel))
        app.add_handler(CommandHandler("web", self.on_web))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self.on_text))
        app.add_handler(CallbackQueryHandler(self.on_button, pattern=r"^[cjs]:"))
        app.add_error_handler(self.on_error)

    # -- life cycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Connect to the Bot API and start taking updates (polling or webhook)."""
        app = self.application
        await app.initialize()
        await app.bot.set_my_commands([BotCommand(c, d) for c, d in COMMANDS.items()])
        await app.start()
        url = self.settings.telegram_webhook_url
        if url is not None:
            await app.bot.set_webhook(
                url, secret_token=self._secret, allowed_updates=["message", "callback_query"]
            )
        elif app.updater is not None:
            await app.updater.start_polling(
                poll_interval=0,
                timeout=int(self.settings.telegram_poll_timeout),
                allowed_updates=["message", "callback_query"],
            )
        self._stop_notices = self.dobby.notifications.attach(CHANNEL, self.notify)
        _LOGGER.info("Telegram bot @%s is listening", app.bot.username)

    async def stop(self) -> None:
        """Stop taking updates, finish the ones in hand, and close the connection."""
        if self._stop_notices is not None:
            self._stop_notices()
            self._stop_notices = None
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    def add_routes(self, app: web.Application, path: str = "/telegram") -> None:
        """The webhook, in webhook mode (nothing is served when polling)."""
        if self.settings.telegram_webhook_url is not None:
            app.router.add_post(path, self.webhook)

    async def webhook(self, request: web.Request) -> web.Response:
        """One update POSTed by Telegram: refused (401, unread) without the secret header."""
        header = request.headers.get(SECRET_HEADER, "").encode("utf-8", "surrogateescape")
        if not self._secret or not hmac.compare_digest(header, self._secret.encode()):
            _LOGGER.warning("A Telegram webhook request without the right secret was refused")
            return web.Response(status=401, text="unauthorized")
        try:
            update = Update.de_json(json.loads(await request.read()), self.application.bot)
            if not isinstance(update, Update):
                raise TypeError("not an update")
        except Exception:  # noqa: BLE001 - whatever is wrong with it, it is not an update
            _LOGGER.warning("A Telegram webhook request that is not an update was refused")
            return web.Response(status=400, text="not a Telegram update")
        if self.seen.first_time(CHANNEL, str(update.update_id)):
            await self.application.update_queue.put(update)
        return web.Response(text="ok")

    # -- sending --------------------------------------------------------------------------

    async def send(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        """Send text, escaped and split at Telegram's limit; buttons go on the last part."""
        chunks = replies.split(text or "Done.", LIMIT, render)
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            await self.application.bot.send_message(
                chat_id, chunk, parse_mode=ParseMode.HTML, reply_markup=markup if last else None
            )

    def household_chats(self) -> list[int]:
        """Where notices go: the household chat, or every non-guest member's own chat."""
        if self.settings.telegram_chat_id is not None:
            return [self.settings.telegram_chat_id]
        return [int(m.address) for m in self.members.on(CHANNEL) if m.role is not Role.GUEST]

    def admin_chats(self) -> list[int]:
        """Where join requests go: every admin's own chat, and the household chat."""
        chats = [int(m.address) for m in self.members.on(CHANNEL) if m.role is Role.ADMIN]
        if self.settings.telegram_chat_id is not None:
            chats.append(self.settings.telegram_chat_id)
        return list(dict.fromkeys(chats))

    async def notify(self, notice: Notice) -> None:
        """Deliver a notice: to the chat it is for, or to the household."""
        chats = [int(notice.chat)] if notice.chat else self.household_chats()
        markup = buttons("c", notice.ask) if notice.ask else None
        for chat in chats:
            await self.send(chat, notice.text, markup)

    # -- handlers -------------------------------------------------------------------------

    def member(self, user: User | None) -> Member | None:
        """The household member behind a Telegram user, if any."""
        return None if user is None else self.members.get(f"{CHANNEL}:{user.id}")

    async def gate(self, update: Update, context: Context) -> None:
        """Let members through; a stranger may only send a pairing code."""
        user = update.effective_user
        if user is None or user.is_bot:
            raise ApplicationHandlerStop
        if self.member(user) is not None:
            return
        _LOGGER.info("Telegram user %s is not a household member", user.id)
        if update.callback_query is not None:
            await update.callback_query.answer(replies.NOT_MEMBER_BUTTON, show_alert=True)
        elif update.message is not None and update.message.text:
            if looks_like_code(update.message.text):
                await self._redeem(update.message.chat_id, user, update.message.text)
            else:
                await self.send(update.message.chat_id, replies.STRANGER)
        raise ApplicationHandlerStop

    async def _redeem(self, chat_id: int, user: User, code: str) -> None:
        try:
            request = self.members.redeem(code, f"{CHANNEL}:{user.id}", user.full_name)
        except MembershipError as error:
            await self.send(chat_id, str(error))
            return
        await self.send(chat_id, replies.asked_admin(user.first_name))
        question = replies.join_question(request, f"Telegram {user.id}")
        for chat in self.admin_chats():
            await self.send(chat, question, buttons("j", request.token, "Let in", "Refuse"))

    async def on_help(self, update: Update, context: Context) -> None:
        """/start and /help: what Dobby can do."""
        if update.effective_chat is not None:
            await self.send(update.effective_chat.id, replies.HELP)

    async def on_devices(self, update: Update, context: Context) -> None:
        """/devices: every device and its state."""
        if update.effective_chat is not None:
            await self.send(update.effective_chat.id, replies.devices_text(self.dobby))

    async def on_routines(self, update: Update, context: Context) -> None:
        """/routines: the routines and their phrases."""
        if update.effective_chat is not None:
            await self.send(update.effective_chat.id, replies.routines_text(self.dobby))

    async def on_status(self, update: Update, context: Context) -> None:
        """/status: what is on, open, unlocked or playing."""
        if update.effective_chat is not None:
            await self.send(update.effective_chat.id, replies.status_text(self.dobby))

    async def on_scheduled(self, update: Update, context: Context) -> None:
        """/scheduled: what will run later, a Cancel button on each one-shot command."""
        if update.effective_chat is not None:
            jobs = self.dobby.routines.scheduled()
            await self.send(
                update.effective_chat.id, replies.scheduled_text(jobs), cancel_buttons(jobs)
            )

    async def on_cancel(self, update: Update, context: Context) -> None:
        """/cancel: deny everything this chat left waiting for approval."""
        member, chat = self.member(update.effective_user), update.effective_chat
        if member is None or chat is None:
            return
        cancelled = 0
        for token in self._pending.pop(chat.id, set()):
            try:
                await self.dobby.confirm(token, member.requester(), approve=False)
                cancelled += 1
            except ConfirmationError:
                continue
        await self.send(chat.id, "Cancelled; nothing was done." if cancelled else "Nothing waits.")

    async def on_web(self, update: Update, context: Context) -> None:
        """/web: a one-time sign-in link for the web page, in the member's own chat only
        (never in a group), without a link preview (a preview would not use it, but why
        fetch it)."""
        member = self.member(update.effective_user)
        if member is None:
            return
        if self.web_link is None:
            text = replies.NO_WEB
        else:
            text = replies.web_link(self.web_link(member.id))
        await self.application.bot.send_message(
            int(member.address),
            render(text),
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    async def on_text(self, update: Update, context: Context) -> None:
        """A sentence for the house: understand it, carry it out, say what happened."""
        member, message = self.member(update.effective_user), update.message
        if member is None or message is None or not message.text:
            return
        reply: Reply = await self.dobby.handle(message.text, member.requester(message.chat_id))
        markup = None
        if reply.confirmation:
            self._pending.setdefault(message.chat_id, set()).add(reply.confirmation)
            markup = buttons("c", reply.confirmation)
        await self.send(message.chat_id, reply.reply, markup)

    async def on_button(self, update: Update, context: Context) -> None:
        """Approve/Deny: only an authorised member, once, before it expires."""
        query, member = update.callback_query, self.member(update.effective_user)
        if query is None or member is None or not query.data:
            return
        kind, _, rest = query.data.partition(":")
        token, _, answer = rest.rpartition(":")
        approve = answer == "y"
        if kind == "c":
            await self._confirm(query, member, token, approve=approve)
        elif kind == "s":
            await self._cancel_job(query, member, token)
        else:
            await self._let_in(query, member, token, approve=approve)

    async def _confirm(
        self, query: CallbackQuery, member: Member, token: str, *, approve: bool
    ) -> None:
        try:
            reply = await self.dobby.confirm(token, member.requester(), approve=approve)
        except ConfirmationError as error:
            await query.answer(str(error), show_alert=True)
            if not error.still_open:  # nobody can answer it any more: take the buttons away
                for waiting in self._pending.values():
                    waiting.discard(token)
                await self._close_question(query, f"No longer open: {error}")
            return
        for waiting in self._pending.values():
            waiting.discard(token)
        await query.answer("Approved." if approve else "Denied.")
        verdict = f"{'Approved' if approve else 'Denied'} by {member.name}."
        await self._close_question(query, f"{verdict}\n{reply.reply}".strip())

    async def _cancel_job(self, query: CallbackQuery, member: Member, job_id: str) -> None:
        book = self.dobby.routines
        try:
            done = book.cancel_scheduled(job_id, member.requester())
        except RoutineError as error:
            await query.answer(str(error), show_alert=True)
            return
        await query.answer(done)
        jobs = book.scheduled()
        text = replies.split(f"{done}\n{replies.scheduled_text(jobs)}", LIMIT, render)[0]
        await query.edit_message_text(
            text, parse_mode=ParseMode.HTML, reply_markup=cancel_buttons(jobs)
        )

    async def _let_in(
        self, query: CallbackQuery, member: Member, token: str, *, approve: bool
    ) -> None:
        try:
            request = self.members.answer(token, member, approve=approve)
        except MembershipError as error:
            await query.answer(str(error), show_alert=True)
            return
        await query.answer("Done.")
        verdict = "joined" if approve else "was refused"
        await self._close_question(
            query, f"{request.name} {verdict} (as {request.role.value}, by {member.name})."
        )
        if approve:
            chat = int(request.member_id.partition(":")[2])
            await self.send(chat, f"Welcome, {request.name}! {replies.HELP}")

    async def _close_question(self, query: CallbackQuery, outcome: str) -> None:
        """Replace the question's buttons with what became of it."""
        message = query.message
        original = message.text if message is not None and hasattr(message, "text") else ""
        text = f"{original or ''}\n\n{outcome}".strip()
        chunk = replies.split(text, LIMIT, render)[0]
        await query.edit_message_text(chunk, parse_mode=ParseMode.HTML)

    async def on_error(self, update: object, context: Context) -> None:
        """Log first; tell the person something went wrong."""
        _LOGGER.error("Handling a Telegram update failed", exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            await self.send(update.effective_chat.id, "Sorry, something went wrong on my side.")
