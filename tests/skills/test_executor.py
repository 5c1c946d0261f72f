"""The executor: concurrent across devices, ordered on one, timeouts, one retry, results."""

from __future__ import annotations

import asyncio

from skills.actions import Action, Path, Plan, Requester
from skills.audit import AuditLog

ME = Requester.local_admin()


def turn_on(*entity_ids: str) -> Plan:
    return Plan(
        [Action(entity_id=e, command="switch.turn_on") for e in entity_ids], ME, Path.INTENT
    )


async def test_devices_run_together_and_one_device_runs_in_order(rig) -> None:
    gate = rig.adapter.script("switch.one_1", gate=asyncio.Event()).gate
    plan = turn_on("switch.one_1", "switch.two_1", "switch.one_2", "switch.three_1")
    running = asyncio.create_task(rig.executor.run(plan))

    def others_done() -> bool:
        return all(
            rig.registry.entity(e).state.state == "on" for e in ("switch.two_1", "switch.three_1")
        )

    # While device one's first action hangs, the other devices finish...
    assert await rig.registry.wait_until(others_done, 5)
    # ...and device one's second action has not started.
    assert ("start", "switch.one_1") in rig.adapter.log
    assert ("start", "switch.one_2") not in rig.adapter.log
    gate.set()
    results = await running
    assert [r.action.entity_id for r in results] == [a.entity_id for a in plan.actions]
    assert all(r.ok for r in results)
    device_one = [step for step in rig.adapter.log if step[1].startswith("switch.one")]
    assert device_one == [
        ("start", "switch.one_1"),
        ("end", "switch.one_1"),
        ("start", "switch.one_2"),
        ("end", "switch.one_2"),
    ]


async def test_a_slow_device_times_out_and_does_not_hold_up_the_others(rig) -> None:
    rig.adapter.script("switch.one_1", delay=5)
    rig.adapter.script("switch.two_1", delay=0.05)
    slow, fast = await rig.executor.run(turn_on("switch.one_1", "switch.two_1"))
    assert fast.ok
    assert not slow.ok
    assert slow.error == "one 1: did not answer within 0.5 s."
    # Timed out twice (one retry), then marked unavailable with the reason.
    assert len(rig.adapter.scripts["switch.one_1"].calls) == 2
    assert not rig.registry.entity("switch.one_1").available
    assert not rig.registry.entity("switch.one_2").available
    assert rig.registry.entity("switch.two_1").available


async def test_one_connection_error_is_retried_once(rig) -> None:
    script = rig.adapter.script("switch.one_1", connection_failures=1)
    [result] = await rig.executor.run(turn_on("switch.one_1"))
    assert result.ok
    assert len(script.calls) == 2
    state = rig.registry.entity("switch.one_1").state
    assert state is not None
    assert state.state == "on"


async def test_two_connection_errors_fail_with_words_a_person_understands(rig) -> None:
    script = rig.adapter.script("switch.one_1", connection_failures=5)
    [result] = await rig.executor.run(turn_on("switch.one_1"))
    assert not result.ok
    assert result.error == "one 1: cannot be reached."
    assert len(script.calls) == 2


async def test_garbage_marks_the_device_unavailable_without_retry(rig) -> None:
    script = rig.adapter.script("switch.two_1", garbage=True)
    bad, good = await rig.executor.run(turn_on("switch.two_1", "switch.three_1"))
    assert not bad.ok
    assert good.ok
    assert len(script.calls) == 1
    assert not rig.registry.entity("switch.two_1").available
    # Unavailable now: the next plan says so without sending anything.
    [again] = await rig.executor.run(turn_on("switch.two_1"))
    assert again.error is not None
    assert "is unavailable" in again.error
    assert len(script.calls) == 1


async def test_invalid_commands_are_refused_before_sending(rig) -> None:
    plan = Plan(
        [
            Action(entity_id="switch.one_1", command="media_player.play"),
            Action(entity_id="switch.one_1", command="switch.turn_on", params={"speed": 1}),
            Action(entity_id="switch.nope", command="switch.turn_on"),
        ],
        ME,
        Path.LLM,
    )
    results = await rig.executor.run(plan)
    assert [r.ok for r in results] == [False, False, False]
    assert results[2].error == "There is no switch.nope."
    assert "switch.one_1" not in rig.adapter.scripts


async def test_every_executed_action_is_audited(rig, tmp_path) -> None:
    audit = AuditLog(tmp_path / "dobby.db")
    rig.executor.audit = audit
    rig.adapter.script("switch.two_1", connection_failures=2)
    await rig.executor.run(turn_on("switch.one_1", "switch.two_1"))
    entries = audit.recent()
    audit.close()
    assert {(e.entity_id, e.ok, e.path, e.requester) for e in entries} == {
        ("switch.one_1", True, "intent", "terminal"),
        ("switch.two_1", False, "intent", "terminal"),
    }
    reopened = AuditLog(tmp_path / "dobby.db")
    assert len(reopened.recent()) == 2
    reopened.close()
