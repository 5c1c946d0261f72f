"""routines.yaml round trips: comments, order and other routines survive every change."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agent.config import load_config
from devices.capabilities import Domain
from skills.routine_store import RoutineStore, RoutineStoreError
from skills.routines import Condition, Routine, Schedule, Step, Target

ORIGINAL = """\
# Our routines -- written by hand, keep this comment!
routines:
  # the night one
  - name: sleepy time
    phrases: [good night]   # what the kids say
    steps:
      - command: media_player.stop
      - command: light.turn_off
  - name: coffee
    steps:
      - {command: switch.turn_on, target: {name: Coffee Machine}}
"""


@pytest.fixture
def store(tmp_path: Path) -> RoutineStore:
    (tmp_path / "routines.yaml").write_text(ORIGINAL, encoding="utf-8")
    (tmp_path / "home.yaml").write_text("name: Test\n", encoding="utf-8")
    return RoutineStore(tmp_path / "routines.yaml")


MOVIE = Routine(
    name="movie night",
    phrases=["movie time"],
    steps=[
        Step(command="light.turn_on", target=Target(area="Living Room"), params={"brightness": 20}),
        Step(wait=300),
        Step(routine="coffee"),
    ],
    schedules=[Schedule(at="06:30", days="weekdays")],  # type: ignore[arg-type]
)


def test_saving_keeps_comments_order_and_other_routines(store: RoutineStore) -> None:
    store.save(MOVIE)
    text = store.path.read_text(encoding="utf-8")
    assert text.startswith(ORIGINAL)  # every byte of the old file is still there, in order
    assert '"06:30"' in text  # quoted, so any YAML reader sees a time, not a number
    assert "wait: 5m" in text
    routines = load_config(store.path.parent).routines.routines
    assert [r.name for r in routines] == ["sleepy time", "coffee", "movie night"]
    assert routines[2] == MOVIE


def test_rename_follows_calls_and_keeps_comments(store: RoutineStore) -> None:
    store.save(MOVIE)
    store.rename("coffee", "espresso")
    text = store.path.read_text(encoding="utf-8")
    assert "# what the kids say" in text
    assert "# the night one" in text
    data = yaml.safe_load(text)
    assert [r["name"] for r in data["routines"]] == ["sleepy time", "espresso", "movie night"]
    assert data["routines"][2]["steps"][2] == {"routine": "espresso"}


def test_delete_keeps_the_rest(store: RoutineStore) -> None:
    store.delete("Coffee")
    text = store.path.read_text(encoding="utf-8")
    assert "coffee" not in text
    assert "# what the kids say" in text
    assert [r.name for r in store.routines()] == ["sleepy time"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.save(Routine(name="Coffee", steps=[Step(wait=1)])), "already a routine"),
        (
            lambda s: s.save(Routine(name="loop", steps=[Step(routine="loop")])),
            "'loop' ends up calling itself",
        ),
        (
            lambda s: s.save(Routine(name="x", steps=[Step(routine="tea")])),
            "unknown routine 'tea'",
        ),
        (
            lambda s: s.save(Routine(name="x", phrases=["good night"], steps=[Step(wait=1)])),
            "'good night' is used twice",
        ),
        (lambda s: s.delete("tea"), "There is no routine called 'tea'"),
        (lambda s: s.rename("coffee", "sleepy time"), "already a routine"),
    ],
)
def test_a_refused_change_leaves_the_file_untouched(store: RoutineStore, change, message) -> None:
    with pytest.raises(RoutineStoreError, match=message):
        change(store)
    assert store.path.read_text(encoding="utf-8") == ORIGINAL


def test_deleting_a_routine_that_another_calls_is_refused(store: RoutineStore) -> None:
    store.save(MOVIE)
    before = store.path.read_text(encoding="utf-8")
    with pytest.raises(RoutineStoreError, match="unknown routine 'coffee'"):
        store.delete("coffee")
    assert store.path.read_text(encoding="utf-8") == before


def test_a_missing_file_is_created(tmp_path: Path) -> None:
    store = RoutineStore(tmp_path / "routines.yaml")
    store.save(MOVIE.model_copy(update={"steps": [Step(wait=2)]}))
    assert [r.name for r in store.routines()] == ["movie night"]


def test_a_condition_on_a_domain_is_written_as_its_name(store: RoutineStore) -> None:
    """A routine made in chat with `condition: {domain: lock, ...}` could not be saved."""
    jammed = Condition(domain=Domain.LOCK, state=["jammed"])
    careful = Routine(name="careful", steps=[Step(command="light.turn_on", condition=jammed)])
    store.save(careful)
    assert "domain: lock" in store.path.read_text(encoding="utf-8")
    assert load_config(store.path.parent).routines.routines[-1] == careful
