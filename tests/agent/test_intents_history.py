"""Questions about the past, read by Dobby's own sentences (English and German) and
answered from the audit log: "why did the kitchen lights go off?", "who unlocked the front
door today?", "what happened last night?", "what did sleepy time do?".
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.intents import IntentReader
from devices.capabilities import Domain, LightState, LockState
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry
from skills.actions import Action, ActionResult, Plan, Requester, Role
from skills.actions import Path as ActionPath
from skills.audit import AuditLog, DeviceChange
from skills.history import History
from skills.routines import Routine, Step, Target

ALICE = Requester("telegram:1001", Role.ADMIN, "Alice", "telegram", "1001")
BOB = Requester("telegram:1002", Role.MEMBER, "Bob", "web", "telegram:1002")
ROUTINES = [
    Routine(
        name="sleepy time",
        phrases=["good night"],
        steps=[Step(command="light.turn_off", target=Target())],
    )
]


@pytest.fixture
def house(tmp_path: Path):
    registry = Registry()
    registry.add_area("Kitchen")
    registry.add_area("Entrance")
    for name in ("Kitchen Pendant", "Counter Strip"):
        spec = EntitySpec(name, Domain.LIGHT, name, state=LightState(state="off"))
        registry.upsert_device("x", DeviceInfo(name, name, suggested_area="Kitchen"), [spec])
    door = EntitySpec("door", Domain.LOCK, "Front Door", state=LockState(state="locked"))
    registry.upsert_device("x", DeviceInfo("door", "Front Door", suggested_area="Entrance"), [door])
    audit = AuditLog(tmp_path / "dobby.db")
    yield registry, audit
    audit.close()


def record(audit: AuditLog, plan: Plan, ok: bool = True) -> None:
    audit.record(
        plan, [ActionResult(a, ok, None if ok else "did not answer") for a in plan.actions]
    )


def reader(registry: Registry, audit: AuditLog, language: str = "en") -> IntentReader:
    read = IntentReader(registry, language, routines=ROUTINES)
    read.history = History(audit, registry, lambda: datetime.now().astimezone())
    return read


def clock_of(audit: AuditLog) -> str:
    """The local time of the newest entry, as answers say it."""
    return f"{audit.recent(1)[0].at.astimezone():%H:%M}"


def answer(read: IntentReader, text: str) -> str:
    found = read.read(text)
    assert found is not None, text
    assert found.actions == []  # a question changes nothing
    return found.reply


def lights_off(requester: Requester = ALICE, routine: str | None = "sleepy time") -> Plan:
    actions = [
        Action(entity_id=e, command="light.turn_off")
        for e in ("light.kitchen_pendant", "light.counter_strip")
    ]
    return Plan(actions, requester, ActionPath.PHRASE, routine=routine)


def test_why_did_the_kitchen_lights_go_off(house) -> None:
    registry, audit = house
    record(audit, lights_off())
    read = reader(registry, audit)
    clock = clock_of(audit)
    expected = f"Sleepy time turned them off at {clock}; Alice asked in Telegram."
    assert answer(read, "why did the kitchen lights go off?") == expected
    assert answer(read, "why is the kitchen pendant off") == (
        f"Sleepy time turned it off at {clock}; Alice asked in Telegram."
    )
    assert answer(read, "why is the front door unlocked?") == (
        "I have no record of Front Door being unlocked."
    )


def test_a_change_at_the_device_is_named_as_one(house) -> None:
    registry, audit = house
    record(audit, lights_off())
    later = datetime.now(UTC) + timedelta(seconds=1)
    audit.record_change(
        DeviceChange(later, "light.kitchen_pendant", "Kitchen Pendant", "on", "off", {})
    )
    clock = f"{later.astimezone():%H:%M}"
    assert answer(reader(registry, audit), "why is the kitchen pendant off?") == (
        f"Kitchen Pendant was turned off at the device at {clock}, not through Dobby."
    )


def test_who_unlocked_the_front_door_today(house) -> None:
    registry, audit = house
    read = reader(registry, audit)
    assert answer(read, "who unlocked the front door today?") == (
        "Nobody unlocked Front Door today."
    )
    unlock = Plan(
        [Action(entity_id="lock.front_door", command="lock.unlock")],
        BOB,
        ActionPath.WEB,
        approved_by=ALICE,
    )
    record(audit, unlock)
    clock = clock_of(audit)
    assert answer(read, "who unlocked the front door today?") == (
        f"Bob unlocked it at {clock} on the web page. Alice approved."
    )
    assert answer(read, "who unlocked the front door yesterday").startswith("Nobody")


def test_what_happened_and_what_a_routine_did(house) -> None:
    registry, audit = house
    read = reader(registry, audit)
    assert answer(read, "what did sleepy time do?") == "Sleepy time has not run yet."
    record(audit, lights_off())
    failing = lights_off()
    failing.actions = failing.actions[:1]
    audit.record(failing, [ActionResult(failing.actions[0], False, "did not answer")])
    clock = clock_of(audit)
    assert answer(read, "what did sleepy time do") == (
        f"Sleepy time ran at {clock}; Alice asked in Telegram. 2 of 3 actions done. "
        "Failed: Kitchen Pendant (did not answer)."
    )
    today = answer(read, "what happened today?")
    assert today == f"Today: {clock} Sleepy time (Alice, in Telegram, 1 failed)."
    assert answer(read, "what happened yesterday") == "Nothing happened yesterday."


def test_the_same_questions_in_german(house) -> None:
    registry, audit = house
    record(audit, lights_off())
    read = reader(registry, audit, "de")
    clock = clock_of(audit)
    assert answer(read, "warum ist das Kitchen Pendant aus") == (
        f"Sleepy time hat es um {clock} ausgeschaltet; Alice hat in Telegram gefragt."
    )
    assert answer(read, "wer hat heute die Front Door aufgeschlossen") == (
        "Niemand hat Front Door heute aufgeschlossen."
    )
    assert answer(read, "was ist gestern passiert") == "Gestern ist nichts passiert."
    assert answer(read, "was hat sleepy time gemacht").startswith(f"Sleepy time lief um {clock}")


def test_without_a_record_kept_dobby_says_so(house) -> None:
    registry, _ = house
    plain = IntentReader(registry, "en", routines=ROUTINES)
    assert plain.read("why did the kitchen lights go off").reply == (
        "I keep no record of what happened here."
    )
