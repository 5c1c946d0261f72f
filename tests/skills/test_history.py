"""What happened and why: the audit log read back as events, and the changes made at the
devices (not through Dobby) recorded beside it by a registry listener.

The scripted adapter pushes states the way a device does, after a command (its echo) or on
its own (someone at the wall switch); the executor, the audit log and the registry are the
real ones.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from devices.capabilities import LockState, SwitchState
from skills.actions import Action, Plan, Requester, Role
from skills.actions import Path as ActionPath
from skills.audit import AuditLog
from skills.device_changes import OutsideChanges
from skills.history import History, group, period

ALICE = Requester("telegram:1", Role.ADMIN, "Alice", "telegram", "1")
BOB = Requester("web:2", Role.MEMBER, "Bob", "web", "2")


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def watched(rig, tmp_path: Path):
    audit = AuditLog(tmp_path / "dobby.db")
    rig.executor.audit = audit
    ticks = Ticks()
    rig.executor.clock = ticks
    watch = OutsideChanges(rig.registry, rig.executor, audit)
    watch.start()
    yield rig, audit, ticks
    watch.stop()
    audit.close()


def push(rig, entity_id: str, state) -> None:
    """The device reports a state by itself."""
    rig.adapter.context.push_state(rig.registry.entity(entity_id).adapter_unique_id, state)


async def test_a_change_at_the_device_is_recorded_and_dobbys_own_is_not(watched) -> None:
    rig, audit, ticks = watched
    rig.executor.sent.clear()
    plan = Plan(
        [Action(entity_id="switch.one_1", command="switch.turn_on")], ALICE, ActionPath.INTENT
    )
    await rig.house.carry_out(plan)  # the device echoes "on": Dobby's own change
    assert audit.changes() == []
    ticks.now += 60  # long after the command
    push(rig, "switch.one_1", SwitchState(state="off"))
    [change] = audit.changes()
    assert (change.entity_id, change.name, change.old_state, change.new_state) == (
        "switch.one_1",
        "one 1",
        "on",
        "off",
    )


async def test_a_contrary_change_soon_after_a_command_is_still_the_devices(watched) -> None:
    rig, audit, ticks = watched
    plan = Plan(
        [Action(entity_id="switch.two_1", command="switch.turn_on")], ALICE, ActionPath.INTENT
    )
    await rig.house.carry_out(plan)
    ticks.now += 2
    push(rig, "switch.two_1", SwitchState(state="off"))  # turned off at the wall at once
    assert [c.new_state for c in audit.changes()] == ["off"]


async def test_quick_steps_at_the_device_fold_into_one_change(watched) -> None:
    rig, audit, ticks = watched
    push(rig, "lock.front_door", LockState(state="unlocking"))
    ticks.now += 1
    push(rig, "lock.front_door", LockState(state="unlocked"))
    [change] = audit.changes()
    assert (change.old_state, change.new_state) == ("locked", "unlocked")
    ticks.now += 60
    push(rig, "lock.front_door", LockState(state="locked"))
    assert [c.new_state for c in audit.changes()] == ["locked", "unlocked"]


async def test_why_names_the_latest_cause(watched) -> None:
    rig, audit, ticks = watched
    history = History(audit, rig.registry)
    lights = ["switch.one_1", "switch.one_2"]
    off = [Action(entity_id=e, command="switch.turn_off") for e in lights]
    await rig.house.carry_out(Plan(off, ALICE, ActionPath.PHRASE, routine="sleepy time"))
    event = history.why(lights, "off")
    assert event is not None
    assert (event.routine, event.first.name, event.first.channel) == (
        "sleepy time",
        "Alice",
        "telegram",
    )
    assert event.entity_ids == lights
    assert not event.outside
    ticks.now += 60
    await rig.house.carry_out(Plan(off[:1], BOB, ActionPath.WEB))  # already off: no change
    ticks.now += 60
    push(rig, "switch.one_1", SwitchState(state="on"))  # at the wall
    ticks.now += 60
    push(rig, "switch.one_1", SwitchState(state="off"))  # and off again
    event = history.why(lights, "off")
    assert event is not None
    assert event.outside
    assert history.why(lights, "on").outside
    assert history.why(["switch.three_1"], "off") is None


async def test_who_lists_every_time_in_a_span(watched) -> None:
    rig, audit, _ = watched
    history = History(audit, rig.registry)
    unlock = [Action(entity_id="lock.front_door", command="lock.unlock")]
    await rig.house.carry_out(Plan(unlock, BOB, ActionPath.WEB, approved_by=ALICE))
    await rig.house.carry_out(Plan(unlock, ALICE, ActionPath.INTENT, approved_by=ALICE))
    events = history.who(["lock.front_door"], "unlocked", *period("today", history.now()))
    assert [(e.first.name, e.first.approver_name) for e in events] == [
        ("Alice", "Alice"),
        ("Bob", "Alice"),
    ]
    yesterday = period("yesterday", history.now())
    assert history.who(["lock.front_door"], "unlocked", *yesterday) == []


async def test_events_group_a_routine_run_and_filter_by_person(watched) -> None:
    rig, audit, _ = watched
    history = History(audit, rig.registry)
    first = [Action(entity_id="switch.one_1", command="switch.turn_on")]
    second = [Action(entity_id="switch.two_1", command="switch.turn_on")]
    await rig.house.carry_out(Plan(first, ALICE, ActionPath.ROUTINE, routine="movie night"))
    await rig.house.carry_out(Plan(second, ALICE, ActionPath.ROUTINE, routine="movie night"))
    await rig.house.carry_out(Plan(first, BOB, ActionPath.WEB))
    [bobs, run] = history.events()
    assert bobs.first.name == "Bob"
    assert run.entity_ids == ["switch.one_1", "switch.two_1"]  # two steps, one run
    assert history.last_run("Movie Night").entity_ids == run.entity_ids
    assert [e.first.name for e in history.events(person="bob")] == ["Bob"]
    assert history.events(person="telegram:1")[0].routine == "movie night"
    shown = run.as_json(history.name)
    assert shown["routine"] == "movie night"
    assert [a["entity"] for a in shown["actions"]] == ["one 1", "two 1"]


def test_periods_are_spans_of_the_local_day() -> None:
    now = datetime(2025, 11, 4, 9, 30, tzinfo=UTC)
    assert period("today", now) == (datetime(2025, 11, 4, tzinfo=UTC), now)
    assert period("last_night", now) == (
        datetime(2025, 11, 3, 18, tzinfo=UTC),
        datetime(2025, 11, 4, 6, tzinfo=UTC),
    )
    early = now.replace(hour=2)
    assert period("last_night", early)[1] == early
    assert period("yesterday", now)[0] == now.replace(hour=0, minute=0) - timedelta(days=1)
    with pytest.raises(ValueError, match="unknown period"):
        period("next week", now)


def test_group_keeps_separate_plans_apart() -> None:
    assert group([]) == []
