"""A hand-edited routines.yaml with a mistake is reported with file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import ConfigError, load_config

SHIPPED = Path(__file__).resolve().parents[2] / "config"


def problem(tmp_path: Path, routines: str, home: str = "name: Home\n") -> str:
    (tmp_path / "home.yaml").write_text(home, encoding="utf-8")
    (tmp_path / "routines.yaml").write_text(routines, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path)
    return str(caught.value)


def test_the_shipped_routines_load() -> None:
    names = [r.name for r in load_config(SHIPPED).routines.routines]
    assert names == ["sleepy time", "good morning", "leaving home", "movie night"]


@pytest.mark.parametrize(
    ("routines", "where", "says"),
    [
        (
            "routines:\n  - name: up\n    steps: [{command: cover.open}]\n"
            "    schedules:\n      - at: 6:30\n",
            ":5: routines[0].schedules[0].at:",
            'write a time in quotes, like "06:30"',
        ),
        (
            "routines:\n  - name: up\n    steps: [{command: cover.open}]\n"
            '    schedules:\n      - {at: "25:00"}\n',
            ":5: routines[0].schedules[0].at:",
            "valid time",
        ),
        (
            "routines:\n  - name: up\n    steps:\n      - wait: 5 fortnights\n",
            ":4: routines[0].steps[0].wait:",
            "unknown unit 'fortnight'",
        ),
        (
            "routines:\n  - name: up\n    steps:\n      - routine: up\n",
            ":4: routines[0].steps[0].routine:",
            "'up' ends up calling itself",
        ),
        (
            "routines:\n  - name: up\n    steps:\n      - {command: cover.open}\n"
            "      - together:\n          - routine: down\n",
            ":6: routines[0].steps[1].together[0].routine:",
            "unknown routine 'down' (routines: up)",
        ),
        (
            "routines:\n  - name: dusk\n    steps: [{command: light.turn_on}]\n"
            "    schedules:\n      - {sun: sunset, offset: -30m}\n",
            ":5: routines[0].schedules[0].sun:",
            "sunrise and sunset need `location:`",
        ),
        (
            "routines:\n  - name: x\n    steps:\n      - command: light.turn_on\n"
            "        condition: {domain: lock}\n",
            ":5: routines[0].steps[0].condition:",
            "a device condition needs a state",
        ),
    ],
)
def test_mistakes_name_file_line_and_field(tmp_path: Path, routines, where, says) -> None:
    message = problem(tmp_path, routines)
    assert message.startswith(f"{tmp_path / 'routines.yaml'}{where}")
    assert says in message


def test_location_and_grace_are_read_from_home_yaml(tmp_path: Path) -> None:
    home = (
        "location: {latitude: 52.52, longitude: 13.4, time_zone: Europe/Berlin}\n"
        "schedules: {grace: 30m}\n"
    )
    (tmp_path / "home.yaml").write_text(home, encoding="utf-8")
    config = load_config(tmp_path)
    assert config.home.location is not None
    assert config.home.location.time_zone == "Europe/Berlin"
    assert config.home.schedules.grace == 1800


def test_an_unknown_time_zone_is_named(tmp_path: Path) -> None:
    home = "location: {latitude: 52.5, longitude: 13.4, time_zone: Mars/Olympus}\n"
    (tmp_path / "home.yaml").write_text(home, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"home.yaml:1: location.time_zone: .*Mars/Olympus"):
        load_config(tmp_path)
