"""A broken config stops start-up with one message naming the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.config import ConfigError, load_config

REPO_CONFIG = Path(__file__).resolve().parents[2] / "config"


def write(tmp_path: Path, home: str, routines: str | None = None) -> Path:
    (tmp_path / "home.yaml").write_text(home, encoding="utf-8")
    if routines is not None:
        (tmp_path / "routines.yaml").write_text(routines, encoding="utf-8")
    return tmp_path


def problem(tmp_path: Path, home: str, routines: str | None = None) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, home, routines))
    return str(caught.value)


def test_the_shipped_config_loads() -> None:
    config = load_config(REPO_CONFIG)
    assert [f.name for f in config.home.floors] == ["Ground Floor", "Upstairs"]
    assert "sleepy time" in [r.name for r in config.routines.routines]


def test_invalid_yaml_names_file_and_line(tmp_path: Path) -> None:
    message = problem(tmp_path, "name: Home\nareas:\n  - {name: Kitchen\n")
    assert message.startswith(f"{tmp_path / 'home.yaml'}:4:")
    assert "is not valid YAML" in message


def test_unknown_field_names_line_and_field(tmp_path: Path) -> None:
    home = "name: Home\nareas:\n  - name: Kitchen\n    colour: red\n"
    assert problem(tmp_path, home) == f"{tmp_path / 'home.yaml'}:4: areas[0].colour: unknown field"


def test_wrong_type_says_what_was_expected(tmp_path: Path) -> None:
    home = "floors:\n  - name: Upstairs\n    level: high\n"
    message = problem(tmp_path, home)
    assert message.startswith(
        f"{tmp_path / 'home.yaml'}:3: floors[0].level: expected a whole number"
    )


def test_unknown_area_is_named_with_the_known_ones(tmp_path: Path) -> None:
    home = "areas:\n  - name: Kitchen\nentities:\n  media_player.kitchen:\n    area: Attic\n"
    assert problem(tmp_path, home) == (
        f"{tmp_path / 'home.yaml'}:5: entities.media_player.kitchen.area: "
        "unknown area 'Attic' (areas: Kitchen)"
    )


def test_unknown_floor_of_an_area(tmp_path: Path) -> None:
    home = "floors:\n  - name: Ground\nareas:\n  - name: Loft\n    floor: Roof\n"
    assert problem(tmp_path, home) == (
        f"{tmp_path / 'home.yaml'}:5: areas[0].floor: unknown floor 'Roof' (floors: Ground)"
    )


def test_routine_with_unknown_command(tmp_path: Path) -> None:
    routines = (
        "routines:\n"
        "  - name: bye\n"
        "    steps:\n"
        "      - command: media_player.stop\n"
        "      - command: media_player.explode\n"
    )
    message = problem(tmp_path, "name: Home\n", routines)
    assert message.startswith(f"{tmp_path / 'routines.yaml'}:5: routines[0].steps[1].command:")
    assert "no command called 'media_player.explode'" in message


def test_routine_phrase_used_twice(tmp_path: Path) -> None:
    routines = (
        "routines:\n"
        "  - {name: night, steps: [{command: media_player.stop}]}\n"
        "  - {name: other, phrases: [Night!], steps: [{command: media_player.pause}]}\n"
    )
    message = problem(tmp_path, "{}\n", routines)
    assert message == (
        f"{tmp_path / 'routines.yaml'}:3: routines[1].phrases: the phrase 'night' is used twice"
    )


def test_a_missing_config_dir_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is not a directory"):
        load_config(tmp_path / "nope")


def test_the_top_must_be_a_mapping(tmp_path: Path) -> None:
    assert problem(tmp_path, "- a\n- b\n").endswith("expected a mapping of settings at the top")
