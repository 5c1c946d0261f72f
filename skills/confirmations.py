"""Every question waiting for a person's Approve or Deny, in one store.

Whatever waits for a confirmation becomes a `Request` here: sensitive actions the policy
held (from a sentence, a routine a guest ran), a schedule that will do something
sensitive, an LLM run paused on a tool call. Who may answer, that an answer is taken only
once, and that a request expires are decided in `Confirmations.take`, and nowhere else.

What became of a request stays readable for a while after it was answered
(`Confirmations.find`, `Request.status`, `Confirmations.wait`), so whoever asked from a way
in that cannot be told later (an MCP client) can ask, or wait, for the outcome.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from skills.actions import Requester
from skills.policy import Policy

CONFIRMATION_TTL = 300.0
"""Seconds a confirmation request stays open."""


class ConfirmationError(Exception):
    """A confirmation that cannot be accepted; the message says why.

    `still_open` is False when the request can no longer be answered by anyone (answered,
    unknown or expired): a chat may take its buttons away.
    """

    def __init__(self, message: str, *, still_open: bool = False) -> None:
        super().__init__(message)
        self.still_open = still_open


@dataclass(frozen=True)
class Answer:
    """How a request was answered, and what came of it."""

    approved: bool
    approver: Requester
    outcome: str = ""
    """What came of it, in words (what was done, what failed)."""


@dataclass
class Request:
    """One question for a person, and what waits for the answer."""

    token: str
    question: str
    """What the person is asked, in plain words."""
    requester: Requester
    """Who asked for what waits."""
    subject: object
    """What waits: a held plan, a schedule to be made, a paused LLM run."""
    expires_at: float
    only_asker: bool = False
    """Only the person who asked may answer (a choice from a list), whatever their role."""
    taken_by: Requester | None = None
    """Who answered, from the moment the answer was taken (before it is carried out)."""
    answer: Answer | None = None
    """How it was answered and what came of it, once carried out."""
    _settled: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    def status(self, now: float) -> str:
        """`waiting`, `expired`, `answered` (being carried out), `approved` or `denied`."""
        if self.answer is not None:
            return "approved" if self.answer.approved else "denied"
        if self.taken_by is not None:
            return "answered"
        return "expired" if now > self.expires_at else "waiting"


@dataclass
class Confirmations:
    """The open requests, by token."""

    policy: Policy
    clock: Callable[[], float] = time.monotonic
    ttl: float = CONFIRMATION_TTL
    _open: dict[str, Request] = field(default_factory=dict)
    _answered: dict[str, Request] = field(default_factory=dict)

    def open(
        self, question: str, requester: Requester, subject: object, *, only_asker: bool = False
    ) -> Request:
        """A new request; its token goes on the buttons that answer it. `only_asker`: a
        question only the asker answers (which of these did you mean), not an approval."""
        self._forget_expired()
        request = Request(
            secrets.token_urlsafe(8),
            question,
            requester,
            subject,
            self.clock() + self.ttl,
            only_asker=only_asker,
        )
        self._open[request.token] = request
        return request

    def get(self, token: str) -> Request | None:
        """A request still open, or None."""
        return self._open.get(token)

    def waiting(self) -> list[Request]:
        """Every approval that can still be given, oldest first (for a page to list); a
        question only its asker answers is not one."""
        now = self.clock()
        return [r for r in self._open.values() if now <= r.expires_at and not r.only_asker]

    def take(self, token: str, approver: Requester) -> Request:
        """The request `token` names, taken out of the store: only by a person the policy
        lets confirm, only once, and only before it expires. Raises ConfirmationError."""
        request = self._open.get(token)
        if request is None:
            raise ConfirmationError("That request was already answered or does not exist.")
        if request.only_asker:
            if approver.id != request.requester.id:
                raise ConfirmationError(
                    "Only the person who asked can answer this.", still_open=True
                )
        elif not self.policy.may_confirm(approver.role):
            raise ConfirmationError(
                f"A {approver.role.value} may not approve this.", still_open=True
            )
        del self._open[token]
        if self.clock() > request.expires_at:
            raise ConfirmationError("That request has expired; please ask again.")
        request.taken_by = approver
        self._answered[token] = request
        return request

    def settle(self, request: Request, *, approved: bool, outcome: str) -> None:
        """Record what came of a request taken with `take`; whoever waits for it hears."""
        assert request.taken_by is not None, "settle only what was taken"
        request.answer = Answer(approved, request.taken_by, outcome)
        request._settled.set()

    def find(self, token: str) -> Request | None:
        """A request open, or answered not long ago (to read what became of it)."""
        return self._open.get(token) or self._answered.get(token)

    async def wait(self, request: Request, within: float) -> None:
        """Wait until the request is answered and carried out, it expires, or `within`
        seconds pass, whichever comes first."""
        left = within
        if request.taken_by is None:  # an answer taken is carried out, however late
            left = min(within, request.expires_at - self.clock())
        if request.answer is None and left > 0:
            try:
                await asyncio.wait_for(request._settled.wait(), left)
            except TimeoutError:
                return

    def _forget_expired(self) -> None:
        """Drop requests long expired (an hour after, so a late press still hears why)."""
        now = self.clock()
        for kept in (self._open, self._answered):
            for token in [t for t, r in kept.items() if now > r.expires_at + 3600]:
                del kept[token]
