"""Household members, their roles, and the pairing codes that add new ones.

Members come from two places: home.yaml (`members:`, fixed by the household) and the
state database (`<state>/dobby.db`), where `dobby members invite` and the chat's pairing
flow add them. An id names the channel: `telegram:<user id>`, `whatsapp:<phone>`.

Pairing: `invite()` makes a one-time code valid for an hour; the new person sends it to
the bot, which files a join request; an admin approves it in the chat, once.

Tokens: `issue_token()` gives a member a bearer token for the MCP server (`dobby members
token NAME`); only its SHA-256 is stored, it is shown once, and it is revocable.

The web page: `web_link()` makes a one-time sign-in link for a member (`/web` in chat,
`dobby members invite --web`); `sign_in()` uses it once and opens a session, whose secret
goes into the browser's cookie. Only digests of links and sessions are stored; a session
ends when it expires, is revoked, or its member is removed, and the member's current role
applies to everything done in it.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from agent.config import MemberConfig
from skills.actions import ROUTINES_FILE, TERMINAL, Requester, Role
from skills.database import connect

INVITE_TTL = 3600.0
"""Seconds a pairing code stays valid."""
JOIN_TTL = 24 * 3600.0
"""Seconds a join request waits for an admin."""
GUESSES_PER_HOUR = 5
"""Wrong pairing codes one sender may try in an hour."""
GUESSES_PER_CODE = 10
"""Wrong codes anyone may try while a code is open; after that it is void."""
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O or 1/I: codes are read off one screen and typed on another."""
CODE_LENGTH = 8

TOO_MANY_GUESSES = "Too many wrong codes. Please try again in an hour."

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS members (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, added_at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS invites (
        code TEXT PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL,
        expires_at REAL NOT NULL, used_by TEXT)""",
    """CREATE TABLE IF NOT EXISTS join_requests (
        token TEXT PRIMARY KEY, member_id TEXT NOT NULL, name TEXT NOT NULL,
        role TEXT NOT NULL, expires_at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS pairing_guesses (sender TEXT NOT NULL, at REAL NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS member_tokens (
        hash TEXT PRIMARY KEY, member_id TEXT NOT NULL, created_at REAL NOT NULL,
        revoked_at REAL)""",
)
TOKEN_PREFIX = "dobby_"  # noqa: S105 - what a token starts with, so a leaked one is recognised
"""What every member token starts with."""


class MembershipError(Exception):
    """A membership change that cannot be made; the message says why, in plain words."""


@dataclass(frozen=True)
class Member:
    """One household member."""

    id: str
    name: str
    role: Role
    configured: bool = False
    """From home.yaml (changed there only), not from the state database."""

    @property
    def channel(self) -> str:
        """`telegram` or `whatsapp`."""
        return self.id.partition(":")[0]

    @property
    def address(self) -> str:
        """The id on the channel: a Telegram user id, a phone number."""
        return self.id.partition(":")[2]

    def requester(self, chat: str | int | None = None) -> Requester:
        """Who is asking, for the policy; `chat` is where they asked (their own chat by
        default)."""
        where = str(chat) if chat is not None else self.address
        return Requester(self.id, self.role, self.name, channel=self.channel, chat=where)


@dataclass(frozen=True)
class MemberToken:
    """A bearer token issued to a member, as listed (the token itself is never kept)."""

    id: str
    """The first characters of the token's hash: enough to name it, useless to use it."""
    member_id: str
    created_at: float
    revoked_at: float | None


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256 (a token is 32 random bytes, so no salt or
    slow hash is needed: nothing about it can be guessed)."""
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class Invite:
    """A one-time pairing code."""

    code: str
    role: Role
    name: str
    expires_at: float


@dataclass(frozen=True)
class JoinRequest:
    """Someone sent a valid pairing code and waits for an admin."""

    token: str
    member_id: str
    name: str
    role: Role


def normalize_code(text: str) -> str:
    """A code as typed ("abcd-efgh ") in the form it is stored."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def looks_like_code(text: str) -> bool:
    """Whether a message could be a pairing code."""
    code = normalize_code(text)
    return (
        len(code) == CODE_LENGTH
        and len(text.strip()) <= CODE_LENGTH + 2
        and all(ch in CODE_ALPHABET for ch in code)
    )


WRONG_CODE = "That code is not valid. Ask an admin for a new one."


def _code_problem(
    row: tuple[str, str, float, str | None, int] | None, now: float, tried: int
) -> str:
    """Why a pairing code cannot be used now ("" if it can)."""
    if tried >= GUESSES_PER_HOUR:
        return TOO_MANY_GUESSES
    if row is None or row[3] is not None:
        return WRONG_CODE
    if now > row[2]:
        return "That code has expired. Ask an admin for a new one."
    if row[4] >= GUESSES_PER_CODE:
        return (
            "That code is no longer valid: too many wrong codes were tried while it was open. "
            "Ask an admin for a new one."
        )
    return ""


SIGN_IN_TTL = 15 * 60.0
"""Seconds a web sign-in link stays valid."""
SESSION_TTL = 30 * 24 * 3600.0
"""Seconds a web session lasts from sign-in."""
WEB = "web"

_WEB_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS web_links (
        digest TEXT PRIMARY KEY, member_id TEXT NOT NULL, expires_at REAL NOT NULL,
        used_at REAL)""",
    """CREATE TABLE IF NOT EXISTS web_sessions (
        id TEXT PRIMARY KEY, digest TEXT NOT NULL UNIQUE, member_id TEXT NOT NULL,
        csrf TEXT NOT NULL, created_at REAL NOT NULL, seen_at REAL NOT NULL,
        expires_at REAL NOT NULL, agent TEXT NOT NULL DEFAULT '')""",
)


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: who it is, and what a form must carry (`csrf`)."""

    id: str
    """Names the session in lists; not the secret in the cookie."""
    member_id: str
    name: str
    role: Role
    """The member's role now."""
    csrf: str
    """The token every form and API call of this session carries."""
    created_at: float
    seen_at: float
    expires_at: float
    agent: str = ""
    """The browser, as it named itself at sign-in."""

    def requester(self) -> Requester:
        """Who is asking, for the policy: the member, on the web page."""
        return Requester(self.member_id, self.role, self.name, channel=WEB, chat=self.member_id)


class Members:
    """The household: configured members plus those added through pairing."""

    def __init__(
        self,
        path: Path | str,
        configured: Iterable[MemberConfig] = (),
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._configured = {m.id: Member(m.id, m.name, m.role, configured=True) for m in configured}
        self._clock = clock
        self._lock = threading.Lock()
        self._db = connect(path)
        with self._lock, self._db:
            for statement in (*_SCHEMA, *_WEB_SCHEMA):
                self._db.execute(statement)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(invites)")}
            if "wrong_guesses" not in columns:
                self._db.execute(
                    "ALTER TABLE invites ADD COLUMN wrong_guesses INTEGER NOT NULL DEFAULT 0"
                )

    # -- who is who -------------------------------------------------------------------

    def get(self, member_id: str) -> Member | None:
        """The member with this id, or None for a stranger."""
        if member_id in self._configured:
            return self._configured[member_id]
        with self._lock:
            row = self._db.execute(
                "SELECT name, role FROM members WHERE id = ?", (member_id,)
            ).fetchone()
        return Member(member_id, row[0], Role(row[1])) if row else None

    def current(self, who: Requester) -> Requester | None:
        """`who` with the role they have now (None once removed), asking from where they
        asked then. The terminal and routines.yaml's admin are always who they were."""
        if who.id in (TERMINAL, ROUTINES_FILE):
            return who
        member = self.get(who.id)
        if member is None:
            return None
        asked = member.requester()
        return replace(asked, channel=who.channel or asked.channel, chat=who.chat or asked.chat)

    def all(self) -> list[Member]:
        """Every member, configured ones first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, name, role FROM members ORDER BY added_at"
            ).fetchall()
        stored = [Member(i, n, Role(r)) for i, n, r in rows if i not in self._configured]
        return [*self._configured.values(), *stored]

    def on(self, channel: str) -> list[Member]:
        """The members reachable on one channel."""
        return [m for m in self.all() if m.channel == channel]

    def add(self, member_id: str, name: str, role: Role) -> Member:
        """Add (or change) a member kept in the state database."""
        if member_id in self._configured:
            raise MembershipError(f"{member_id} is set in home.yaml; change it there.")
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO members (id, name, role, added_at) VALUES (?, ?, ?, ?)",
                (member_id, name, role.value, self._clock()),
            )
        return Member(member_id, name, role)

    def remove(self, member_id: str) -> bool:
        """Remove a member added through pairing; False if there was none."""
        if member_id in self._configured:
            raise MembershipError(f"{member_id} is set in home.yaml; remove it there.")
        with self._lock, self._db:
            cursor = self._db.execute("DELETE FROM members WHERE id = ?", (member_id,))
        return cursor.rowcount > 0

    # -- pairing ------------------------------------------------------------------------

    def invite(self, role: Role = Role.MEMBER, name: str = "", ttl: float = INVITE_TTL) -> Invite:
        """A new one-time pairing code for a person of `role`."""
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        invite = Invite(code, role, name, self._clock() + ttl)
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO invites (code, role, name, expires_at) VALUES (?, ?, ?, ?)",
                (code, role.value, name, invite.expires_at),
            )
        return invite

    def redeem(self, text: str, member_id: str, name: str) -> JoinRequest:
        """Use a pairing code once; the result waits for an admin's approval.

        Guessing is bounded: a sender gets `GUESSES_PER_HOUR` wrong codes an hour, and an
        open code is void once `GUESSES_PER_CODE` wrong codes were tried while it was open.
        """
        code = normalize_code(text)
        now = self._clock()
        with self._lock, self._db:
            tried = self._db.execute(
                "SELECT COUNT(*) FROM pairing_guesses WHERE sender = ? AND at > ?",
                (member_id, now - 3600),
            ).fetchone()[0]
            row = self._db.execute(
                "SELECT role, name, expires_at, used_by, wrong_guesses FROM invites WHERE code = ?",
                (code,),
            ).fetchone()
            problem = _code_problem(row, now, tried)
            if problem == WRONG_CODE:
                self._wrong_guess(member_id, now)  # kept: the transaction commits
        if problem:
            raise MembershipError(problem)
        assert row is not None
        with self._lock, self._db:
            taken = self._db.execute(
                "UPDATE invites SET used_by = ? WHERE code = ? AND used_by IS NULL",
                (member_id, code),
            ).rowcount
            if not taken:  # someone used it a moment ago
                raise MembershipError(WRONG_CODE)
            request = JoinRequest(secrets.token_urlsafe(8), member_id, row[1] or name, Role(row[0]))
            self._db.execute(
                "INSERT INTO join_requests (token, member_id, name, role, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (request.token, member_id, request.name, request.role.value, now + JOIN_TTL),
            )
        return request

    def _wrong_guess(self, sender: str, now: float) -> None:
        """Count a wrong code against its sender and against every open code (in the
        caller's transaction)."""
        self._db.execute("INSERT INTO pairing_guesses (sender, at) VALUES (?, ?)", (sender, now))
        self._db.execute("DELETE FROM pairing_guesses WHERE at < ?", (now - 3600,))
        self._db.execute(
            "UPDATE invites SET wrong_guesses = wrong_guesses + 1"
            " WHERE used_by IS NULL AND expires_at >= ?",
            (now,),
        )

    def answer(self, token: str, approver: Member, *, approve: bool) -> JoinRequest:
        """An admin approves or denies a join request, once; approval adds the member."""
        if approver.role is not Role.ADMIN:
            raise MembershipError("Only an admin may let someone join.")
        with self._lock, self._db:
            row = self._db.execute(
                "SELECT member_id, name, role, expires_at FROM join_requests WHERE token = ?",
                (token,),
            ).fetchone()
            if row is None:
                raise MembershipError("That request was already answered.")
            self._db.execute("DELETE FROM join_requests WHERE token = ?", (token,))
        request = JoinRequest(token, row[0], row[1], Role(row[2]))
        if self._clock() > row[3]:
            raise MembershipError("That request has expired; ask for a new code.")
        if approve:
            self.add(request.member_id, request.name, request.role)
        return request

    # -- bearer tokens (the MCP server) ----------------------------------------------------

    def lookup(self, who: str) -> Member | None:
        """A member by id, or by name (any case) when exactly one member has it."""
        member = self.get(who)
        if member is not None:
            return member
        named = [m for m in self.all() if m.name.casefold() == who.strip().casefold()]
        return named[0] if len(named) == 1 else None

    def issue_token(self, member_id: str) -> str:
        """A new bearer token for a member: returned once, stored only as its hash."""
        if self.get(member_id) is None:
            raise MembershipError(f"There is no member {member_id}.")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO member_tokens (hash, member_id, created_at) VALUES (?, ?, ?)",
                (token_hash(token), member_id, self._clock()),
            )
        return token

    def token_member(self, token: str) -> Member | None:
        """The member a token was issued to, with their role now; None for a token that
        is unknown, revoked, or whose member is no longer one."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        with self._lock:
            row = self._db.execute(
                "SELECT member_id FROM member_tokens WHERE hash = ? AND revoked_at IS NULL",
                (token_hash(token),),
            ).fetchone()
        return self.get(row[0]) if row else None

    def tokens(self) -> list[MemberToken]:
        """Every token issued, oldest first (revoked ones too, marked)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT hash, member_id, created_at, revoked_at FROM member_tokens"
                " ORDER BY created_at"
            ).fetchall()
        return [MemberToken(h[:12], m, c, r) for h, m, c, r in rows]

    def revoke_tokens(self, which: str) -> int:
        """Revoke one token (by the id `tokens()` shows) or every token of a member (by
        id or name); returns how many were revoked."""
        member = self.lookup(which)
        with self._lock, self._db:
            if member is not None:
                cursor = self._db.execute(
                    "UPDATE member_tokens SET revoked_at = ?"
                    " WHERE member_id = ? AND revoked_at IS NULL",
                    (self._clock(), member.id),
                )
            elif len(which) >= 8 and all(c in "0123456789abcdef" for c in which):
                cursor = self._db.execute(
                    "UPDATE member_tokens SET revoked_at = ?"
                    " WHERE hash LIKE ? AND revoked_at IS NULL",
                    (self._clock(), f"{which}%"),
                )
            else:
                return 0
        return cursor.rowcount

    # -- the web page: one-time sign-in links and sessions ------------------------------

    def _web_member(self, member_id: str) -> Member | None:
        """The member a web session acts as; the terminal's admin is one too."""
        if member_id == TERMINAL:
            return Member(TERMINAL, "terminal", Role.ADMIN, configured=True)
        return self.get(member_id)

    def web_link(self, member_id: str, ttl: float = SIGN_IN_TTL) -> str:
        """A one-time sign-in secret for a member (the end of their sign-in link)."""
        if self._web_member(member_id) is None:
            raise MembershipError(f"{member_id} is not a member of this household.")
        secret = secrets.token_urlsafe(32)
        now = self._clock()
        with self._lock, self._db:
            self._db.execute("DELETE FROM web_links WHERE expires_at < ?", (now - 86400,))
            self._db.execute(
                "INSERT INTO web_links (digest, member_id, expires_at) VALUES (?, ?, ?)",
                (token_hash(secret), member_id, now + ttl),
            )
        return secret

    def link_holder(self, secret: str) -> Member | None:
        """Whom an unused, unexpired sign-in link is for (None: not a usable link)."""
        with self._lock:
            row = self._db.execute(
                "SELECT member_id FROM web_links"
                " WHERE digest = ? AND used_at IS NULL AND expires_at >= ?",
                (token_hash(secret), self._clock()),
            ).fetchone()
        return self._web_member(row[0]) if row else None

    def sign_in(self, secret: str, agent: str = "") -> tuple[str, WebSession]:
        """Use a sign-in link, once: a new session and its secret (for the cookie).

        Raises MembershipError when the link is unknown, used, expired, or its member gone.
        """
        now = self._clock()
        with self._lock, self._db:
            row = self._db.execute(
                "SELECT member_id FROM web_links"
                " WHERE digest = ? AND used_at IS NULL AND expires_at >= ?",
                (token_hash(secret), now),
            ).fetchone()
            taken = (
                row is not None
                and self._db.execute(
                    "UPDATE web_links SET used_at = ? WHERE digest = ? AND used_at IS NULL",
                    (now, token_hash(secret)),
                ).rowcount
            )
        if not taken:
            raise MembershipError("That sign-in link is not valid any more: ask for a new one.")
        member = self._web_member(row[0])
        if member is None:
            raise MembershipError("That sign-in link is for someone no longer in the household.")
        cookie = secrets.token_urlsafe(32)
        session = WebSession(
            secrets.token_urlsafe(6),
            member.id,
            member.name,
            member.role,
            secrets.token_urlsafe(24),
            now,
            now,
            now + SESSION_TTL,
            agent[:200],
        )
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO web_sessions (id, digest, member_id, csrf, created_at, seen_at,"
                " expires_at, agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    session.id,
                    token_hash(cookie),
                    member.id,
                    session.csrf,
                    now,
                    now,
                    session.expires_at,
                    session.agent,
                ),
            )
        return cookie, session

    def web_session(self, cookie: str) -> WebSession | None:
        """The live session a cookie's secret names, with its member's role now; None if it
        is unknown, expired or revoked, or its member was removed."""
        now = self._clock()
        with self._lock:
            row = self._db.execute(
                f"SELECT {_SESSION_FIELDS} FROM web_sessions WHERE digest = ? AND expires_at >= ?",
                (token_hash(cookie), now),
            ).fetchone()
        session = self._session(row) if row else None
        if session is not None and now - session.seen_at > 60:
            with self._lock, self._db:
                self._db.execute("UPDATE web_sessions SET seen_at = ? WHERE id = ?", (now, row[0]))
        return session

    def _session(self, row: tuple[str, str, str, float, float, float, str]) -> WebSession | None:
        session_id, member_id, csrf, created, seen, expires, agent = row
        member = self._web_member(member_id)
        if member is None:
            return None
        return WebSession(
            session_id, member_id, member.name, member.role, csrf, created, seen, expires, agent
        )

    def web_sessions(self, member_id: str | None = None) -> list[WebSession]:
        """The live sessions (of one member, or everyone's), newest first."""
        query = f"SELECT {_SESSION_FIELDS} FROM web_sessions WHERE expires_at >= ?"
        values: tuple[object, ...] = (self._clock(),)
        if member_id is not None:
            query += " AND member_id = ?"
            values += (member_id,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY created_at DESC", values).fetchall()
        return [s for s in (self._session(r) for r in rows) if s is not None]

    def revoke_session(self, session_id: str) -> bool:
        """End a session now; False if there was none."""
        with self._lock, self._db:
            cursor = self._db.execute("DELETE FROM web_sessions WHERE id = ?", (session_id,))
        return cursor.rowcount > 0

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()


_SESSION_FIELDS = "id, member_id, csrf, created_at, seen_at, expires_at, agent"
