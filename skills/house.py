"""The one path for every change to the house: plan → policy → executor → adapters.

`House` is what understanding, routines, schedules and the LLM's tools all call. Allowed
actions run at once; sensitive ones wait for a confirmation that only an authorised person
can give, and that acts at most once.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from devices.registry import Registry
from skills.actions import ActionResult, Plan, Requester
from skills.executor import Executor
from skills.policy import Decision, Policy, Review, Verdict

CONFIRMATION_TTL = 300.0
"""Seconds a confirmation request stays open."""


@dataclass
class PendingConfirmation:
    """Sensitive actions waiting for a person to approve or deny them."""

    token: str
    plan: Plan
    decisions: list[Decision]
    expires_at: float

    def question(self) -> str:
        """What to ask the person."""
        reasons = sorted({d.reason for d in self.decisions})
        return f"Please confirm: {'; '.join(reasons)}."


@dataclass
class Outcome:
    """What came of a plan: results, refusals and anything waiting for a confirmation."""

    plan: Plan
    review: Review
    results: list[ActionResult] = field(default_factory=list)
    pending: PendingConfirmation | None = None

    @property
    def refused(self) -> list[Decision]:
        """Actions the policy refused."""
        return self.review.with_verdict(Verdict.REFUSE)


class ConfirmationError(Exception):
    """A confirmation that cannot be accepted; the message says why.

    `still_open` is False when the request can no longer be answered by anyone (answered,
    unknown or expired): a chat may take its buttons away.
    """

    def __init__(self, message: str, *, still_open: bool = False) -> None:
        super().__init__(message)
        self.still_open = still_open


class _Expiring(Protocol):
    expires_at: float


_Request = TypeVar("_Request", bound=_Expiring)


def take_request(
    waiting: dict[str, _Request], token: str, approver: Requester, policy: Policy, now: float
) -> _Request:
    """The request `token` names, taken out of `waiting`: only by a person the policy lets
    confirm, only once, and only before it expires. Raises ConfirmationError."""
    request = waiting.get(token)
    if request is None:
        raise ConfirmationError("That request was already answered or does not exist.")
    if not policy.may_confirm(approver.role):
        raise ConfirmationError(f"A {approver.role.value} may not approve this.", still_open=True)
    del waiting[token]
    if now > request.expires_at:
        raise ConfirmationError("That request has expired; please ask again.")
    return request


@dataclass
class House:
    """The registry, the policy and the executor behind one door."""

    registry: Registry
    policy: Policy
    executor: Executor
    clock: Callable[[], float] = time.monotonic
    _pending: dict[str, PendingConfirmation] = field(default_factory=dict)

    async def carry_out(self, plan: Plan) -> Outcome:
        """Review a plan, run what is allowed, hold what needs a confirmation."""
        review = self.policy.review(plan)
        allowed = [d.action for d in review.with_verdict(Verdict.ALLOW)]
        outcome = Outcome(plan, review)
        if allowed:
            outcome.results = await self.executor.run(
                Plan(allowed, plan.requester, plan.path, plan.preapproved, plan.notes)
            )
        held = review.with_verdict(Verdict.CONFIRM)
        if held:
            token = secrets.token_urlsafe(8)
            outcome.pending = PendingConfirmation(
                token,
                Plan([d.action for d in held], plan.requester, plan.path, notes=plan.notes),
                held,
                self.clock() + CONFIRMATION_TTL,
            )
            self._pending[token] = outcome.pending
        return outcome

    async def confirm(self, token: str, approver: Requester, *, approve: bool) -> Outcome:
        """Approve or deny held actions. Only an authorised person, once, before expiry."""
        pending = take_request(self._pending, token, approver, self.policy, self.clock())
        plan = pending.plan
        if not approve:
            return Outcome(plan, Review([]))
        confirmed = Plan(plan.actions, plan.requester, plan.path, preapproved=True)
        review = self.policy.review(confirmed)
        allowed = [d.action for d in review.with_verdict(Verdict.ALLOW)]
        outcome = Outcome(confirmed, review)
        if allowed:
            outcome.results = await self.executor.run(
                Plan(allowed, plan.requester, plan.path, preapproved=True)
            )
        return outcome

    def pending(self, token: str) -> PendingConfirmation | None:
        """A confirmation request still open."""
        return self._pending.get(token)
