"""Running routines: order, together, waits and conditions, on a clock the test moves by hand."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from skills.actions import Action, Path, Plan, Requester, Role
from skills.routines import Condition, Routine, Step, Target, expand, find_problems
from skills.runner import ManualClock, RoutineRunner

ADMIN = Requester.local_admin()
BERLIN = ZoneInfo("Europe/Berlin")


def on(name: str, **extra: object) -> Step:
    return Step(command="switch.turn_on", target=Target(name=name), **extra)  # type: ignore[arg-type]


def runner_for(rig, routines: list[Routine], hour: int = 12) -> tuple[RoutineRunner, ManualClock]:
    clock = ManualClock(datetime(2025, 6, 3, hour, 0, tzinfo=BERLIN))
    return RoutineRunner(rig.house, lambda: routines, clock), clock


async def settle() -> None:
    for _ in range(50):
        await asyncio.sleep(0)


async def test_steps_run_in_order_and_a_wait_holds_the_rest(rig):
    routine = Routine(name="porch", steps=[on("one 1"), Step(wait="5m"), on("two 1")])
    runner, clock = runner_for(rig, [routine])
    task = asyncio.create_task(runner.run(routine, ADMIN))
    await clock.until_sleeping()
    assert rig.adapter.log == [("start", "switch.one_1"), ("end", "switch.one_1")]
    await clock.advance(299)
    assert clock.sleeping == 1
    assert len(rig.adapter.log) == 2
    await clock.advance(1)
    report = await task
    assert rig.adapter.log[2:] == [("start", "switch.two_1"), ("end", "switch.two_1")]
    assert [s.status for s in report.steps] == ["done", "waited", "done"]
    assert rig.registry.entities["switch.two_1"].state.state == "on"


async def test_in_order_waits_for_the_step_before(rig):
    gate = asyncio.Event()
    rig.adapter.script("switch.one_1", gate=gate)
    routine = Routine(name="slow first", steps=[on("one 1"), on("two 1")])
    runner, _ = runner_for(rig, [routine])
    task = asyncio.create_task(runner.run(routine, ADMIN))
    await settle()
    assert rig.adapter.log == [("start", "switch.one_1")]
    gate.set()
    await task
    assert rig.adapter.log[-2:] == [("start", "switch.two_1"), ("end", "switch.two_1")]


async def test_together_starts_every_step_before_any_finishes(rig):
    gates = {e: asyncio.Event() for e in ("switch.one_1", "switch.two_1", "switch.three_1")}
    for entity, gate in gates.items():
        rig.adapter.script(entity, gate=gate)
    group = Step(together=[on("one 1"), on("two 1")])
    routine = Routine(name="both", steps=[group, on("three 1")])
    runner, _ = runner_for(rig, [routine])
    task = asyncio.create_task(runner.run(routine, ADMIN))
    await settle()
    assert sorted(rig.adapter.log) == [("start", "switch.one_1"), ("start", "switch.two_1")]
    gates["switch.one_1"].set()
    gates["switch.two_1"].set()
    await settle()
    assert ("start", "switch.three_1") in rig.adapter.log
    gates["switch.three_1"].set()
    report = await task
    assert len(report.results) == 3
    assert all(r.ok for r in report.results)


async def test_a_time_window_wraps_midnight(rig):
    night = Condition(after="22:00", before="06:00")  # type: ignore[arg-type]
    routine = Routine(name="night light", steps=[on("one 1", condition=night)])
    runner, _ = runner_for(rig, [routine], hour=23)
    report = await runner.run(routine, ADMIN)
    assert [s.status for s in report.steps] == ["done"]

    runner, _ = runner_for(rig, [routine], hour=12)
    report = await runner.run(routine, ADMIN)
    assert [s.status for s in report.steps] == ["not_met"]
    assert "it is 12:00, not between 22:00 and 06:00" in report.notes[0]


async def test_a_device_state_condition(rig):
    locked = Condition(name="Front Door", state="locked")  # type: ignore[arg-type]
    routine = Routine(name="if locked", steps=[on("one 1", condition=locked), on("two 1")])
    runner, _ = runner_for(rig, [routine])
    report = await runner.run(routine, ADMIN)
    assert [s.status for s in report.steps] == ["done", "done"]

    unlock = Action(entity_id="lock.front_door", command="lock.unlock")
    await rig.house.carry_out(Plan([unlock], ADMIN, Path.INTENT, approved_by=ADMIN))
    rig.adapter.log.clear()
    report = await runner.run(routine, ADMIN)
    assert [s.status for s in report.steps] == ["not_met", "done"]
    assert "Front Door is unlocked" in report.notes[0]
    assert [e for _, e in rig.adapter.log] == ["switch.two_1", "switch.two_1"]


async def test_a_condition_on_something_this_house_lacks_does_not_hold(rig):
    armed = Condition(domain="alarm_panel", state="disarmed")  # type: ignore[arg-type]
    routine = Routine(name="alarmless", condition=armed, steps=[on("one 1")])
    runner, _ = runner_for(rig, [routine])
    report = await runner.run(routine, ADMIN)
    assert report.results == []
    assert "nothing here to check" in report.notes[0]


async def test_a_step_with_nothing_here_is_skipped_and_said(rig):
    routine = Routine(
        name="mixed", run="together", steps=[Step(command="cover.close"), on("three 2")]
    )
    runner, _ = runner_for(rig, [routine])
    report = await runner.run(routine, ADMIN)
    assert [r.action.entity_id for r in report.results] == ["switch.three_2"]
    assert report.notes == ["Skipped cover.close on everything: nothing like it here."]
    assert "1 of 1 actions done" in report.summary()


async def test_a_routine_may_call_another(rig):
    inner = Routine(name="inner", steps=[on("two 2")])
    outer = Routine(name="outer", steps=[on("one 2"), Step(routine="inner")])
    runner, _ = runner_for(rig, [inner, outer])
    report = await runner.run(outer, ADMIN)
    assert [r.action.entity_id for r in report.results] == ["switch.one_2", "switch.two_2"]
    actions, _ = expand(outer, rig.registry, [inner, outer])
    assert [a.entity_id for a in actions] == ["switch.one_2", "switch.two_2"]


def test_unknown_and_self_calling_routines_are_problems():
    loop_a = Routine(name="a", steps=[Step(routine="b")])
    loop_b = Routine(name="b", steps=[Step(routine="a")])
    lonely = Routine(name="c", steps=[Step(together=[Step(routine="nowhere")])])
    problems = find_problems([loop_a, loop_b, lonely])
    assert [(p.loc, p.message) for p in problems] == [
        (("routines", 0, "steps", 0, "routine"), "'a' ends up calling itself"),
        (("routines", 1, "steps", 0, "routine"), "'b' ends up calling itself"),
        (
            ("routines", 2, "steps", 0, "together", 0, "routine"),
            "unknown routine 'nowhere' (routines: a, b, c)",
        ),
    ]


async def test_sensitive_steps_of_a_household_routine_run_on_its_owners_approval(rig):
    routine = Routine(name="open up", steps=[Step(command="lock.unlock")])
    runner, _ = runner_for(rig, [routine])
    report = await runner.run(routine, ADMIN)
    assert report.pending == []
    assert [r.ok for r in report.results] == [True]
    guest = Requester(id="g", role=Role.GUEST)
    report = await runner.run(routine, guest)
    assert report.results == []
    assert report.refused == ["a guest may not control Front Door"]


async def test_a_routine_made_in_chat_stands_on_its_approver_while_they_may_confirm(rig):
    """Saved from chat, a routine's sensitive steps run on the approval of whoever
    confirmed it, with the role that person has now."""
    routine = Routine(
        name="open up", steps=[Step(command="lock.unlock")], made_by="m", approved_by="m"
    )
    roles = {"m": Role.MEMBER}

    class Household:
        def current(self, who: Requester) -> Requester | None:
            role = roles.get(who.id)
            return Requester(who.id, role) if role else None

    runner, _ = runner_for(rig, [routine])
    runner.directory = Household()
    report = await runner.run(routine, ADMIN)
    assert (report.pending, [r.ok for r in report.results]) == ([], [True])
    roles["m"] = Role.GUEST  # demoted: the approval no longer stands
    report = await runner.run(routine, ADMIN)
    assert report.results == []
    assert len(report.pending) == 1
    del roles["m"]  # removed
    report = await runner.run(routine, ADMIN)
    assert report.results == []
    assert len(report.pending) == 1


@pytest.mark.parametrize(
    ("step", "problem"),
    [
        ({"wait": "5 fortnights"}, "unknown unit"),
        ({"command": "light.turn_on", "wait": 3}, "exactly one of"),
        ({"wait": 3, "params": {"x": 1}}, "belong to a command step"),
    ],
)
def test_bad_steps_are_refused(step, problem):
    with pytest.raises(ValueError, match=problem):
        Step.model_validate(step)
