"""What every tool call gets (`HouseDeps`), and the one way a tool changes the house (`act`).

`act` checks a tool call's actions against the capability model and the policy. In a dry
run it only records them. Live, a call the policy wants confirmed raises `ApprovalRequired`
(a model's run pauses as a deferred tool call); anything else goes through
`House.carry_out`, the path every other change takes. A caller that cannot pause (an MCP
client) sets `defer_approvals=False`: the held actions then wait in the confirmation store
(`HouseDeps.pending`) and the call returns at once. The policy decides, never the prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic_ai import ApprovalRequired, RunContext

from devices.capabilities import Domain, validate_command
from devices.entities import Entity
from devices.errors import DeviceError
from skills.actions import Action, ActionResult, Plan, Requester
from skills.actions import Path as ActionPath
from skills.confirmations import Request
from skills.house import House
from skills.policy import Verdict
from skills.routines import Routine

MAX_LISTED = 25
"""At most this many entities in one tool answer; the rest are counted, not listed."""


@dataclass
class Focus:
    """Which tools a turn is shown, so that their definitions stay few in every prompt.

    Control tools for the domains the turn is about (None: every domain the house has),
    growing as the model finds entities of other domains; the routine-editing tools only
    for a turn about making or changing routines; the tools for later and the audit log
    for a turn about time or about what happened. Running routines, finding and reading
    entities are always shown.
    """

    domains: set[Domain] | None = None
    editing_routines: bool = True
    routines_in_context: bool = False
    """The turn's context names every routine, so listing them adds nothing."""
    later: bool = True
    """The tools for later (schedule, list and cancel what is scheduled)."""
    history: bool = True
    """The audit log tool."""


@dataclass
class HouseDeps:
    """The house, who is asking, and what the turn's tool calls produced so far."""

    house: House
    requester: Requester
    routines: Sequence[Routine] = ()
    dry_run: bool = False
    """Only plan: record the actions, carry out nothing."""
    approver: Requester | None = None
    """Who approved the tool calls this run goes on with, after a pause for approval."""
    actions: list[Action] = field(default_factory=list)
    """Every action the turn's tool calls produced (planned in a dry run, else carried out)."""
    results: list[ActionResult] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """The policy's reasons for what it refused."""
    focus: Focus = field(default_factory=Focus)
    path: ActionPath = ActionPath.LLM
    """The way in, as the policy and the audit log name it."""
    defer_approvals: bool = True
    """A call the policy holds pauses the run until a person answers (a model's turn goes
    on afterwards). False: held actions wait in the confirmation store and the call returns
    at once (an MCP client asks for the outcome later)."""
    pending: list[Request] = field(default_factory=list)
    """Questions the turn's tool calls left waiting for a person's Approve (held actions,
    a schedule that does something sensitive): whoever asked is told where they wait."""

    def describe(self, entity: Entity) -> dict[str, Any]:
        """An entity as tools show it: id, name, area, domain, state and attributes.

        Its domain's control tool is shown from the model's next step on.
        """
        if self.focus.domains is not None:
            self.focus.domains.add(entity.domain)
        shown = entity.as_json(self.house.registry.area_name(entity))
        if entity.device_class:
            shown["device_class"] = entity.device_class
        return shown


def checked(deps: HouseDeps, actions: Sequence[Action]) -> tuple[list[Action], list[str]]:
    """The actions the devices can carry out, and why the others cannot."""
    ok: list[Action] = []
    problems: list[str] = []
    for action in actions:
        entity = deps.house.registry.entities.get(action.entity_id)
        if entity is None:
            problems.append(f"There is no {action.entity_id}; use find_entities to look it up.")
            continue
        try:
            validate_command(
                entity.entity_id,
                entity.domain,
                entity.features,
                action.command,
                action.params,
                state=entity.state,
            )
        except DeviceError as error:
            problems.append(str(error))
            continue
        ok.append(action)
    return ok, problems


async def act(ctx: RunContext[HouseDeps], actions: Sequence[Action]) -> str:
    """Carry out (or, in a dry run, plan) a tool call's actions through the policy.

    Returns what happened, in words for the model. Raises `ApprovalRequired` when the
    policy holds an action for a person's confirmation and none was given yet.
    """
    deps = ctx.deps
    ready, problems = checked(deps, actions)
    if not ready:
        return " ".join(problems) or "Nothing to do."
    approval = deps.approver if ctx.tool_call_approved else None
    plan = Plan(ready, deps.requester, deps.path, approved_by=approval)
    review = deps.house.policy.review(plan)
    held = review.with_verdict(Verdict.CONFIRM)
    refusals = [d.reason for d in review.with_verdict(Verdict.REFUSE)]
    lines = list(problems)
    if deps.dry_run:
        deps.actions.extend(ready)
        deps.refused.extend(refusals)
        allowed = review.with_verdict(Verdict.ALLOW)
        lines.extend(f"Would do: {d.action.describe()}." for d in allowed)
        lines.extend(f"Would ask a person to confirm: {d.reason}." for d in held)
        lines.extend(f"Refused by the house rules: {reason}." for reason in refusals)
        return " ".join(lines)
    if held and deps.defer_approvals:
        reasons = sorted({d.reason for d in held})
        raise ApprovalRequired(
            metadata={
                "question": f"Please confirm: {'; '.join(reasons)}.",
                "actions": [d.action.describe() for d in held],
            }
        )
    outcome = await deps.house.carry_out(plan)
    deps.actions.extend(r.action for r in outcome.results)
    deps.results.extend(outcome.results)
    deps.refused.extend(d.reason for d in outcome.refused)
    for result in outcome.results:
        entity = deps.house.registry.entities[result.action.entity_id]
        verb = result.action.command.split(".", 1)[1].replace("_", " ")
        lines.append(f"Done: {verb} on {entity.name}." if result.ok else f"Failed: {result.error}")
    lines.extend(f"Refused by the house rules: {d.reason}." for d in outcome.refused)
    if outcome.pending is not None:
        deps.pending.append(outcome.pending)
        lines.append(f"Waiting for approval: {outcome.pending.question}")
    return " ".join(lines)
