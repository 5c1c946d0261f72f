"""The one path: allowed actions run, sensitive ones wait for an authorised approval, once."""

from __future__ import annotations

import pytest

from skills.actions import Action, Path, Plan, Requester, Role
from skills.house import ConfirmationError

ADMIN = Requester("admin", Role.ADMIN)
GUEST = Requester("guest", Role.GUEST)


def plan(*actions: Action, who: Requester = ADMIN, preapproved: bool = False) -> Plan:
    return Plan(list(actions), who, Path.LLM, preapproved=preapproved)


UNLOCK = Action(entity_id="lock.front_door", command="lock.unlock")
SWITCH_ON = Action(entity_id="switch.one_1", command="switch.turn_on")


async def test_sensitive_actions_wait_while_the_rest_runs(rig) -> None:
    outcome = await rig.house.carry_out(plan(UNLOCK, SWITCH_ON))
    assert [r.action for r in outcome.results] == [SWITCH_ON]
    assert outcome.pending is not None
    assert outcome.pending.question() == "Please confirm: unlocking a door needs a confirmation."
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
    rig.house.clock = lambda: now[0]
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


async def test_preapproved_plans_run_sensitive_actions_directly(rig) -> None:
    outcome = await rig.house.carry_out(plan(UNLOCK, preapproved=True))
    assert outcome.pending is None
    assert [r.ok for r in outcome.results] == [True]


async def test_refusals_are_reported_and_not_sent(rig) -> None:
    outcome = await rig.house.carry_out(plan(UNLOCK, SWITCH_ON, who=GUEST))
    assert [d.action for d in outcome.refused] == [UNLOCK]
    assert outcome.refused[0].reason == "a guest may not control Front Door"
    assert outcome.pending is None
