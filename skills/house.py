"""The one path for every change to the house: plan → policy → executor → adapters.

`House` is what understanding, routines, schedules and the LLM's tools all call. Allowed
actions run at once; sensitive ones wait for a confirmation that only an authorised person
can give, and that acts at most once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from devices.registry import Registry
from skills.actions import ActionResult, Plan, Requester
from skills.confirmations import ConfirmationError, Confirmations, Request
from skills.executor import Executor
from skills.policy import Decision, Policy, Review, Verdict

__all__ = ["ConfirmationError", "HeldPlan", "House", "Outcome", "question_for"]


@dataclass(frozen=True)
class HeldPlan:
    """Sensitive actions of a plan, waiting for a person to approve or deny them."""

    plan: Plan
    decisions: list[Decision]


def question_for(decisions: list[Decision]) -> str:
    """What to ask a person about held actions."""
    reasons = sorted({d.reason for d in decisions})
    return f"Please confirm: {'; '.join(reasons)}."


@dataclass
class Outcome:
    """What came of a plan: results, refusals and anything waiting for a confirmation."""

    plan: Plan
    review: Review
    results: list[ActionResult] = field(default_factory=list)
    pending: Request | None = None

    @property
    def refused(self) -> list[Decision]:
        """Actions the policy refused."""
        return self.review.with_verdict(Verdict.REFUSE)


@dataclass
class House:
    """The registry, the policy and the executor behind one door."""

    registry: Registry
    policy: Policy
    executor: Executor
    confirmations: Confirmations = field(init=False)
    """Every question waiting for a person, whatever path asked it."""

    def __post_init__(self) -> None:
        self.confirmations = Confirmations(self.policy)

    async def carry_out(self, plan: Plan) -> Outcome:
        """Review a plan, run what is allowed, hold what needs a confirmation."""
        review = self.policy.review(plan)
        allowed = [d.action for d in review.with_verdict(Verdict.ALLOW)]
        outcome = Outcome(plan, review)
        if allowed:
            outcome.results = await self.executor.run(plan.only(allowed))
        held = review.with_verdict(Verdict.CONFIRM)
        if held:
            waiting = HeldPlan(plan.only([d.action for d in held]), held)
            outcome.pending = self.confirmations.open(question_for(held), plan.requester, waiting)
        return outcome

    async def confirm(self, token: str, approver: Requester, *, approve: bool) -> Outcome:
        """Approve or deny held actions. Only an authorised person, once, before expiry."""
        request = self.confirmations.take(token, approver)
        if not isinstance(request.subject, HeldPlan):
            raise ConfirmationError("That request is not about actions waiting here.")
        return await self.answer(request.subject, approver, approve=approve)

    async def answer(self, held: HeldPlan, approver: Requester, *, approve: bool) -> Outcome:
        """Carry out held actions as approved by `approver` (checked again), or drop them."""
        if not approve:
            return Outcome(held.plan, Review([]))
        confirmed = held.plan.approved(approver)
        review = self.policy.review(confirmed)
        allowed = [d.action for d in review.with_verdict(Verdict.ALLOW)]
        outcome = Outcome(confirmed, review)
        if allowed:
            outcome.results = await self.executor.run(confirmed.only(allowed))
        return outcome
