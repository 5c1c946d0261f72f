"""The executor: concurrent across devices, ordered on one, timeouts, safe retries, results."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from devices.capabilities import Commands, CommandSpec, SwitchState
from devices.coordinator import retry_is_safe
from devices.errors import (
    DeviceConnectionError,
    DeviceError,
    DeviceNotSentError,
    DeviceRefusedError,
    DeviceResponseError,
    DeviceTimeoutError,
    DeviceUnconfirmedError,
)
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
    assert await rig.registry.wait_until(others_done, 30)
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
    # turn_on is idempotent: timed out twice (one retry). One failed action is no reason to
    # call the device unavailable (that is its coordinator's business).
    assert len(rig.adapter.scripts["switch.one_1"].calls) == 2
    assert rig.registry.entity("switch.one_1").available


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


async def test_garbage_is_not_retried(rig) -> None:
    script = rig.adapter.script("switch.two_1", garbage=True)
    bad, good = await rig.executor.run(turn_on("switch.two_1", "switch.three_1"))
    assert not bad.ok
    assert bad.error == "two 1: answered with something that makes no sense."
    assert good.ok
    assert len(script.calls) == 1


async def test_a_bug_in_an_adapter_fails_its_action_not_the_plan(rig, caplog) -> None:
    rig.adapter.script("switch.two_1", bug=True)
    bad, good = await rig.executor.run(turn_on("switch.two_1", "switch.three_1"))
    assert bad.error == "two 1: the scripted adapter failed (a bug; see the log)."
    assert good.ok
    assert "AttributeError" in caplog.text


async def test_a_device_marked_unavailable_is_still_tried_once(rig) -> None:
    rig.registry.set_device_available("scripted:two", available=False, reason="gone.")
    script = rig.adapter.script("switch.two_1", connection_failures=5)
    [failed] = await rig.executor.run(turn_on("switch.two_1"))
    assert failed.error == "two 1: cannot be reached."
    assert len(script.calls) == 1  # tried, once, though turn_on may be retried elsewhere
    script.connection_failures = 0
    [worked] = await rig.executor.run(turn_on("switch.two_1"))
    assert worked.ok
    assert rig.registry.entity("switch.two_1").state == SwitchState(state="on")


async def test_a_toggle_that_may_have_arrived_is_never_sent_twice(rig) -> None:
    script = rig.adapter.script("switch.one_1", connection_failures=1)
    plan = Plan([Action(entity_id="switch.one_1", command="switch.toggle")], ME, Path.INTENT)
    [result] = await rig.executor.run(plan)
    assert not result.ok
    assert len(script.calls) == 1


async def test_a_toggle_that_surely_never_left_is_sent_again(rig) -> None:
    script = rig.adapter.script("switch.one_1", connection_failures=1, never_sent=True)
    plan = Plan([Action(entity_id="switch.one_1", command="switch.toggle")], ME, Path.INTENT)
    [result] = await rig.executor.run(plan)
    assert result.ok
    assert len(script.calls) == 2


@given(
    command=st.sampled_from(Commands.all()),
    error=st.sampled_from(
        [
            DeviceConnectionError("x"),
            DeviceTimeoutError("x"),
            DeviceNotSentError("x"),
            DeviceResponseError("x"),
            DeviceRefusedError("x"),
            DeviceUnconfirmedError("x"),
        ]
    ),
)
def test_only_idempotent_commands_or_requests_never_sent_are_retried(
    command: CommandSpec, error: DeviceError
) -> None:
    retried = retry_is_safe(command, error)
    if retried:
        assert isinstance(error, DeviceConnectionError)
        assert command.idempotent or isinstance(error, DeviceNotSentError)
    if command.verb in ("toggle", "arm", "disarm", "trigger", "next_track", "step_volume"):
        assert not command.idempotent
    if isinstance(error, DeviceNotSentError):
        assert retried


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
