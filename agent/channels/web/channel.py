"""The web page as a channel: server-rendered pages, quick controls, chat, approvals.

Everything a member does here goes through the app as in chat (`Dobby.act` for a control,
`Dobby.handle` for a sentence, `Dobby.run_routine`, `Dobby.confirm` for Approve/Deny), as
that member with their role now, channel `web`, path `web`. Forms work without
JavaScript (post, then back to the page); with it (`static/app.js`) they are sent in the
background and the page updates from the live stream.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from agent.app import Dobby, Reply
from agent.channels.members import SESSION_TTL, Members, MembershipError, WebSession
from agent.channels.web import SIGN_IN_PATH, base_url, sign_in_url
from agent.channels.web.auth import (
    COOKIE,
    HEADERS,
    clear_cookie,
    guard,
    same_origin,
    set_cookie,
)
from agent.channels.web.live import Live
from agent.channels.web.views import Glance, audit_rows, control
from agent.config import ChannelSettings
from skills.actions import Requester
from skills.confirmations import ConfirmationError, Request
from skills.notifications import Notice, NoticeKind
from skills.runner import RoutineError

if TYPE_CHECKING:
    import jinja2

_LOGGER = logging.getLogger(__name__)

HERE = Path(__file__).parent
STATIC = {"style.css": "text/css", "app.js": "text/javascript"}
CHAT_KEPT = 40
"""Chat lines a page keeps per session."""
PAGES = ("/", "/chat", "/routines", "/audit", "/sessions")


@dataclass(frozen=True)
class Line:
    """One line of the page's chat."""

    who: str
    text: str
    token: str | None = None
    """An Approve/Deny question's token."""


class WebChannel:
    """The household's web page on the service's aiohttp server."""

    def __init__(
        self,
        dobby: Dobby,
        members: Members,
        settings: ChannelSettings,
        port: Callable[[], int] | None = None,
    ) -> None:
        self.dobby, self.members, self.settings = dobby, members, settings
        self._port = port
        self.glance = Glance(dobby.registry, dobby.house.policy, dobby.config.home.temperature_unit)
        self.live = Live(dobby.registry, self._card, self.members.web_session)
        self.chats: dict[str, deque[Line]] = {}
        self.flash: dict[str, str] = {}
        self.asked: set[str] = set()
        """Confirmation tokens put to the household (a guest's request)."""
        self._static = {name: (HERE / "static" / name).read_bytes() for name in STATIC}
        self._stop_notices: Callable[[], None] | None = None

    @cached_property
    def templates(self) -> jinja2.Environment:
        """The page's templates, loaded with Jinja when the first page is asked for: a
        `dobby run` nobody has looked at does not carry them."""
        import jinja2  # the one place the page loads Jinja

        templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        templates.filters["clock"] = _clock
        templates.filters["number"] = _number
        return templates

    # -- wiring ---------------------------------------------------------------------------

    def add_routes(self, app: web.Application) -> None:
        """The page's routes, beside /healthz and the webhooks."""
        pages: dict[str, Callable[[web.Request, WebSession], Awaitable[web.StreamResponse]]] = {
            "/": self.house,
            "/chat": self.chat_page,
            "/routines": self.routines_page,
            "/audit": self.audit_page,
            "/sessions": self.sessions_page,
            "/events": self.events,
        }
        posts = {
            "/control": self.control,
            "/confirm": self.confirm,
            "/chat": self.chat,
            "/routines/run": self.run_routine,
            "/scheduled/cancel": self.cancel_scheduled,
            "/sessions/revoke": self.revoke,
            "/signout": self.sign_out,
        }
        for path, page in pages.items():
            app.router.add_get(path, guard(self.members, page, self.refuse))
        for path, action in posts.items():
            app.router.add_post(path, guard(self.members, action, self.refuse, post=True))
        app.router.add_get(SIGN_IN_PATH + "{secret}", self.sign_in_page)
        app.router.add_post(SIGN_IN_PATH + "{secret}", self.sign_in)
        app.router.add_get("/static/{name}", self.static)

    async def start(self) -> None:
        """Follow the house and the household's notices."""
        self.live.start()
        self._stop_notices = self.dobby.notifications.subscribe(self._notice)

    async def stop(self) -> None:
        """End every open page's stream."""
        if self._stop_notices is not None:
            self._stop_notices()
            self._stop_notices = None
        self.live.stop()

    def link(self, member_id: str) -> str:
        """A one-time sign-in link for a member (MembershipError if there is none)."""
        secret = self.members.web_link(member_id)
        return sign_in_url(self.settings, secret, self._port() if self._port else None)

    async def _notice(self, notice: Notice) -> None:
        if notice.kind is NoticeKind.APPROVAL and notice.ask:
            self.asked.add(notice.ask)
            self.live.send("approvals", self._approvals_html, to=self._may_confirm)
        self.live.notice(notice)

    def _may_confirm(self, session: WebSession) -> bool:
        return self.dobby.house.policy.may_confirm(session.role)

    # -- rendering --------------------------------------------------------------------------

    def _context(self, session: WebSession, page: str, **values: Any) -> dict[str, Any]:
        return {
            "session": session,
            "page": page,
            "csrf": session.csrf,
            "home": self.dobby.config.home.name,
            "approvals": self.approvals(session),
            "flash": self.flash.pop(session.id, ""),
            **values,
        }

    def render(self, name: str, **values: Any) -> str:
        """A template, filled in."""
        return self.templates.get_template(name).render(**values)

    def _html(self, text: str, status: int = 200) -> web.Response:
        return web.Response(
            text=text, status=status, content_type="text/html", charset="utf-8", headers=HEADERS
        )

    def refuse(self, request: web.Request, status: int, message: str) -> web.StreamResponse:
        """A page that says why, and nothing else (no data of the house)."""
        if _wants_json(request) or request.path == "/events":
            return web.json_response(
                {"ok": False, "error": message}, status=status, headers=HEADERS
            )
        return self._html(self.render("message.html", message=message, status=status), status)

    def _card(self, entity_id: str, session: WebSession) -> str | None:
        entity = self.dobby.registry.entities.get(entity_id)
        if entity is None:
            return None
        card = self.glance.card(entity, self.glance.permissions(session.requester()))
        macro = self.templates.get_template("_card.html").module.card  # type: ignore[attr-defined]
        return str(macro(card))

    def approvals(self, session: WebSession) -> list[dict[str, Any]]:
        """The questions waiting that this person asked, or may answer."""
        shown = []
        may = self._may_confirm(session)
        for request in self.dobby.house.confirmations.waiting():
            mine = request.requester.id == session.member_id
            if mine or (may and request.token in self.asked):
                shown.append(_approval(request, answer=may))
        return shown

    def _approvals_html(self, session: WebSession) -> str:
        macro = self.templates.get_template("_approvals.html").module.approvals  # type: ignore[attr-defined]
        return str(macro(self.approvals(session), session.csrf))

    # -- pages ------------------------------------------------------------------------------

    async def house(self, request: web.Request, session: WebSession) -> web.StreamResponse:
        """The house at a glance: streamed as it renders, so the first bytes come at once."""
        requester = session.requester()
        context = self._context(
            session,
            "/",
            summary=self.glance.summary(),
            levels=self.glance.levels(requester),
        )
        response = web.StreamResponse(
            headers={**HEADERS, "Content-Type": "text/html; charset=utf-8"}
        )
        try:
            await response.prepare(request)
            for chunk in _chunks(self.templates.get_template("house.html").generate(**context)):
                await response.write(chunk)
            await response.write_eof()
        except ConnectionResetError:
            pass  # the browser went elsewhere before the page was written
        return response

    async def chat_page(self, request: web.Request, session: WebSession) -> web.StreamResponse:
        """Chat with Dobby, Approve/Deny under sensitive requests."""
        lines = list(self.chats.get(session.id, ()))
        open_tokens = {r.token for r in self.dobby.house.confirmations.waiting()}
        return self._html(
            self.render(
                "chat.html",
                **self._context(session, "/chat", lines=lines, open_tokens=open_tokens),
            )
        )

    async def routines_page(self, request: web.Request, session: WebSession) -> web.StreamResponse:
        """Routines with their phrases and steps, what runs later, what ran lately."""
        book = self.dobby.routines
        runs = [e for e in self.dobby.history.events(limit=200) if e.routine][:10]
        return self._html(
            self.render(
                "routines.html",
                **self._context(
                    session,
                    "/routines",
                    routines=book.routines,
                    scheduled=book.scheduled(),
                    runs=runs,
                    may_cancel=self._may_confirm(session),
                ),
            )
        )

    async def audit_page(self, request: web.Request, session: WebSession) -> web.StreamResponse:
        """Every action: time, device, command, result, who asked and approved, the path;
        filtered by device, person and day."""
        device = request.query.get("device", "")
        person = request.query.get("person", "")
        day = request.query.get("day", "")
        history = self.dobby.history
        zone = history.now().tzinfo
        since = until = None
        if day:
            try:
                since = datetime.combine(datetime.fromisoformat(day).date(), time(0), zone)
            except ValueError:
                return self.refuse(request, 400, "The day should look like 2025-11-03.")
            until = since + timedelta(days=1)
        entity_ids = [device] if device else None
        audit = self.dobby.audit
        entries = audit.query(
            entity_ids=entity_ids, person=person or None, since=since, until=until, limit=300
        )
        changes = [] if person else audit.changes(entity_ids=entity_ids, since=since, until=until)
        devices = sorted(
            ((e.entity_id, e.name) for e in self.dobby.registry.entities.values()),
            key=lambda pair: pair[1].casefold(),
        )
        return self._html(
            self.render(
                "audit.html",
                **self._context(
                    session,
                    "/audit",
                    rows=audit_rows(entries, changes, history.name, zone),
                    devices=devices,
                    people=audit.people(),
                    device=device,
                    person=person,
                    day=day,
                ),
            )
        )

    async def sessions_page(self, request: web.Request, session: WebSession) -> web.StreamResponse:
        """Signed-in browsers: everyone's for an admin, one's own otherwise."""
        admin = session.role.value == "admin"
        sessions = self.members.web_sessions(None if admin else session.member_id)
        return self._html(
            self.render(
                "sessions.html",
                **self._context(session, "/sessions", sessions=sessions, admin=admin),
            )
        )

    async def events(self, request: web.Request, session: WebSession) -> web.StreamResponse:
        """The page's live stream (Server-Sent Events)."""
        return await self.live.serve(request, session, request.cookies[COOKIE], HEADERS)

    async def static(self, request: web.Request) -> web.StreamResponse:
        """The page's own CSS and JavaScript (nothing from elsewhere)."""
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound
        return web.Response(
            body=self._static[name],
            content_type=STATIC[name],
            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
        )

    # -- signing in and out -----------------------------------------------------------------

    async def sign_in_page(self, request: web.Request) -> web.StreamResponse:
        """The page a sign-in link opens: one button, so that a link preview cannot use it."""
        member = self.members.link_holder(request.match_info["secret"])
        if member is None:
            return self._html(
                self.render(
                    "message.html",
                    status=403,
                    message="That sign-in link is not valid any more: ask Dobby for a new one "
                    "(/web in chat).",
                ),
                403,
            )
        return self._html(self.render("signin.html", member=member))

    async def sign_in(self, request: web.Request) -> web.StreamResponse:
        """Use the link, once: a session, its cookie, and the house."""
        if not same_origin(request):
            return self.refuse(request, 403, "That request did not come from this page.")
        try:
            secret, session = self.members.sign_in(
                request.match_info["secret"], request.headers.get("User-Agent", "")
            )
        except MembershipError as error:
            return self.refuse(request, 403, str(error))
        _LOGGER.info("%s signed in to the web page", session.name)
        response = _see_other("/")
        set_cookie(response, secret, secure=self._secure(request), max_age=int(SESSION_TTL))
        return response

    def _secure(self, request: web.Request) -> bool:
        return request.secure or base_url(self.settings).startswith("https://")

    async def sign_out(self, request: web.Request, session: WebSession) -> web.StreamResponse:
        """End this session."""
        self.members.revoke_session(session.id)
        self.live.end(session.id)
        response = self._html(self.render("message.html", status=200, message="Signed out."))
        clear_cookie(response)
        return response

    async def revoke(self, request: web.Request, session: WebSession) -> web.StreamResponse:
        """End a session: one's own, or anyone's for an admin."""
        target = str((await request.post()).get("id", ""))
        mine = {s.id for s in self.members.web_sessions(session.member_id)}
        if session.role.value != "admin" and target not in mine:
            return self.refuse(request, 403, "Only an admin may end someone else's session.")
        done = self.members.revoke_session(target)
        self.live.end(target)
        message = "Session ended." if done else "That session had ended already."
        return self._answer(request, session, message, "/sessions")

    # -- doing things -----------------------------------------------------------------------

    def _answer(
        self, request: web.Request, session: WebSession, message: str, back: str, **extra: Any
    ) -> web.StreamResponse:
        """JSON for the page's script; otherwise back to the page, with the message."""
        if _wants_json(request):
            body = {
                "ok": True,
                "message": message,
                "approvals": self._approvals_html(session),
                **extra,
            }
            return web.json_response(body, headers=HEADERS)
        self.flash[session.id] = message
        return _see_other(back if back in PAGES else "/")

    async def control(self, request: web.Request, session: WebSession) -> web.StreamResponse:
        """A quick control: the same path and policy as a sentence in chat. `do` names the
        entity and the control (`light.desk:off`); a slider's value is the field named as
        its button (`light.desk:brightness=40`), as the house page's one form posts them."""
        form = await request.post()
        do = str(form.get("do", ""))
        entity_id, _, key = do.rpartition(":")
        entity = self.dobby.registry.entities.get(entity_id)
        if entity is None:
            return self.refuse(request, 400, "There is no such device.")
        chosen = control(entity.domain, key)
        if chosen is None:
            return self.refuse(request, 400, f"{entity.name} has no such control.")
        value = None
        if chosen.value is not None:
            try:
                value = float(str(form.get(do, "")))  # its slider, named as its button
            except ValueError:
                return self.refuse(request, 400, f"{chosen.label} needs a number.")
            value = int(value) if value.is_integer() and chosen.step >= 1 else value
        action = chosen.action(entity.entity_id, value)
        reply = await self.dobby.act([action], session.requester())
        self._waits(reply, session)
        return self._answer(request, session, _said(reply), "/")

    def _waits(self, reply: Reply, session: WebSession) -> None:
        """A request of this member waits for an approval: their other pages show it too."""
        if reply.confirmation:
            self.live.send(
                "approvals", self._approvals_html, to=lambda s: s.member_id == session.member_id
            )

    async def confirm(self, request: web.Request, session: WebSession) -> web.StreamResponse:
        """Approve or Deny, through the one confirmation store."""
        form = await request.post()
        token, approve = str(form.get("token", "")), form.get("answer") == "approve"
        try:
            reply = await self.dobby.confirm(token, session.requester(), approve=approve)
        except ConfirmationError as error:
            return self._answer(request, session, str(error), str(form.get("back", "/")))
        verdict = f"{'Approved' if approve else 'Denied'} by {session.name}."
        message = f"{verdict} {reply.reply}".strip()
        self._say(session, "dobby", message)
        self.live.send("approvals", self._approvals_html)
        return self._answer(request, session, message, str(form.get("back", "/")))

    def _say(self, session: WebSession, who: str, text: str, token: str | None = None) -> Line:
        line = Line(who, text, token)
        self.chats.setdefault(session.id, deque(maxlen=CHAT_KEPT)).append(line)
        return line

    async def chat(self, request: web.Request, session: WebSession) -> web.StreamResponse:
        """A sentence for Dobby, as in Telegram."""
        text = str((await request.post()).get("text", "")).strip()[:1000]
        if not text:
            return self._answer(request, session, "Say something first.", "/chat")
        said = self._say(session, session.name, text)
        reply = await self.dobby.handle(text, session.requester())
        answer = self._say(session, "dobby", reply.reply or "Done.", reply.confirmation)
        self._waits(reply, session)
        lines = [self._line_html(said, session), self._line_html(answer, session)]
        return self._answer(request, session, answer.text, "/chat", lines=lines)

    def _line_html(self, line: Line, session: WebSession) -> str:
        macro = self.templates.get_template("_chat.html").module.line  # type: ignore[attr-defined]
        waiting = {r.token for r in self.dobby.house.confirmations.waiting()}
        return str(macro(line, session.csrf, waiting, self._may_confirm(session)))

    async def run_routine(self, request: web.Request, session: WebSession) -> web.StreamResponse:
        """Run now."""
        name = str((await request.post()).get("name", ""))
        try:
            reply = await self.dobby.run_routine(name, session.requester())
        except RoutineError as error:
            return self._answer(request, session, str(error), "/routines")
        self._waits(reply, session)
        return self._answer(request, session, reply.reply, "/routines")

    async def cancel_scheduled(
        self, request: web.Request, session: WebSession
    ) -> web.StreamResponse:
        """Cancel a one-shot command for later."""
        job = str((await request.post()).get("job", ""))
        try:
            message = self.dobby.routines.cancel_scheduled(job, session.requester())
        except RoutineError as error:
            message = str(error)
        return self._answer(request, session, message, "/routines")


def _approval(request: Request, *, answer: bool) -> dict[str, Any]:
    who: Requester = request.requester
    return {
        "token": request.token,
        "question": request.question,
        "who": who.name or who.id,
        "answer": answer,
    }


def _see_other(path: str) -> web.Response:
    """Back to a page of this site after a form (303: the browser GETs it)."""
    return web.Response(status=303, headers={**HEADERS, "Location": path})


def _clock(seconds: float) -> str:
    return datetime.fromtimestamp(seconds).astimezone().strftime("%d %b %H:%M")


def _said(reply: Reply) -> str:
    return reply.reply.strip() or "Done."


def _wants_json(request: web.Request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _number(value: float) -> str:
    """A slider's bound or value as short as it reads: 20, 20.5."""
    return f"{value:g}"


def _chunks(parts: Iterator[str], size: int = 16 * 1024) -> Iterator[bytes]:
    """Rendered template parts, gathered into writes of about `size` bytes (the first
    goes out at once: the head of the page)."""
    buffer: list[str] = []
    length, first = 0, True
    for part in parts:
        buffer.append(part)
        length += len(part)
        if first or length >= size:
            yield "".join(buffer).encode()
            buffer, length, first = [], 0, False
    if buffer:
        yield "".join(buffer).encode()
