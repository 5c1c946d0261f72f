"""The one path: allowed actions run, sensitive ones wait for an authorised approval, once."""

from __future__ import annotations

import pytest

from skills.actions import Action, Path, Plan, Requester, Role
from skills.house import ConfirmationError

ADMIN = Requester("admin", Role.ADMIN)
GUEST = Requester("guest", Role.GUEST)


def plan(*actions: Action, who: Requester = ADMIN, approved_by: Requester | None = None) -> Plan:
    return Plan(list(actions), who, Path.LLM, approved_by=approved_by)


UNLOCK = Action(entity_id="lock.front_door", command="lock.unlock")
SWITCH_ON = Action(entity_id="switch.one_1", command="switch.turn_on")


async def test_sensitive_actions_wait_while_the_rest_runs(rig) -> None:
    outcome = await rig.house.carry_out(plan(UNLOCK, SWITCH_ON))
    assert [r.action for r in outcome.results] == [SWITCH_ON]
    assert outcome.pending is not None
    assert outcome.pending.question == "Please confirm: unlocking a door needs a confirmation."
    assert "lock.front_door" not in rig.adapter.scripts


async def test_a_guest_cannot_approve_and_an_admin_approves_once(rig) -> None:
    outcome = await rig.house.carry_out(plan(UNLOCK))
    assert outcome.pending is not None
    token = outcome.pending.token
    with pytest.raises(ConfirmationError, match="guest may not approve"):
        await rig.house.confirm(token, GUEST, approve=True)
    assert "lock.front_door" not in rig.adapter.scripts
    approved = await rig.house.confirm(token, ADMIN, approve=True)
    assert [r.ok for r in approved.results] == [True]
    with pytest.raises(ConfirmationError, match="already answered"):
        await rig.house.confirm(token, ADMIN, approve=True)
    assert len(rig.adapter.scripts["lock.front_door"].calls) == 1


async def test_denied_and_expired_requests_do_nothing(rig) -> None:
    now = [1000.0]
    rig.house.confirmations.clock = lambda: now[0]
    denied = await rig.house.carry_out(plan(UNLOCK))
    assert denied.pending is not None
    result = await rig.house.confirm(denied.pending.token, ADMIN, approve=False)
    assert result.results == []
    late = await rig.house.carry_out(plan(UNLOCK))
    assert late.pending is not None
    now[0] += 301
    with pytest.raises(ConfirmationError, match="expired"):
        await rig.house.confirm(late.pending.token, ADMIN, approve=True)
    assert "lock.front_door" not in rig.adapter.scripts


async def test_plans_approved_by_someone_who_may_confirm_run_sensitive_actions(rig) -> None:
    outcome = await rig.house.carry_out(plan(UNLOCK, approved_by=ADMIN))
    assert outcome.pending is None
    assert [r.ok for r in outcome.results] == [True]


async def test_an_approval_by_someone_who_may_not_confirm_does_not_count(rig) -> None:
    outcome = await rig.house.carry_out(plan(UNLOCK, approved_by=GUEST))
    assert outcome.pending is not None
    assert outcome.results == []
    assert "lock.front_door" not in rig.adapter.scripts


async def test_the_approver_is_in_the_audit_log(rig, tmp_path) -> None:
    from skills.audit import AuditLog

    rig.executor.audit = AuditLog(tmp_path / "audit.db")
    asked = Requester("telegram:7", Role.GUEST, "Gus", channel="telegram", chat="7")
    outcome = await rig.house.carry_out(plan(SWITCH_ON, UNLOCK, who=asked))
    assert outcome.refused[0].action == UNLOCK  # a guest may not touch the lock
    entry = rig.executor.audit.recent()[0]
    assert (entry.requester, entry.name, entry.channel, entry.approved_by) == (
        "telegram:7",
        "Gus",
        "telegram",
        None,
    )
    held = await rig.house.carry_out(plan(UNLOCK))
    assert held.pending is not None
    await rig.house.confirm(
        held.pending.token, Requester("telegram:1", Role.ADMIN, "Al"), approve=True
    )
    entry = rig.executor.audit.recent()[0]
    assert (entry.requester, entry.approved_by, entry.approver_name, entry.path) == (
        "admin",
        "telegram:1",
        "Al",
        "llm",
    )


async def test_refusals_are_reported_and_not_sent(rig) -> None:
    outcome = await rig.house.carry_out(plan(UNLOCK, SWITCH_ON, who=GUEST))
    assert [d.action for d in outcome.refused] == [UNLOCK]
    assert outcome.refused[0].reason == "a guest may not control Front Door"
    assert outcome.pending is None
