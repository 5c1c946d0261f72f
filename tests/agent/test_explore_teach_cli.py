"""`dobby explore HOST` in a terminal: the draft first, then a question before each command
is tried; only what was approved reaches the device, only what was verified is saved."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from devices.recipe import RECIPES_DIR, load_recipes
from devices.testing.addresses import HostAllocator
from devices.testing.loop_thread import LoopThread
from devices.testing.unknown.base import LoggedRequest
from devices.testing.unknown.house import mac_of
from devices.testing.unknown.wled import WledStrip

CONFIG = Path(__file__).resolve().parents[2] / "config"
runner = CliRunner()


def explore_strip(tmp_path: Path, answers: str) -> tuple[str, list[LoggedRequest], Path]:
    """Learn an emulated strip at the terminal, answering `answers`; the output, the
    strip's changing requests and the config dir."""
    config = tmp_path / "config"
    shutil.copytree(CONFIG, config, ignore=shutil.ignore_patterns("demo", RECIPES_DIR))
    with LoopThread() as loop:
        strip = WledStrip(HostAllocator().allocate(), "Desk Strip", mac_of("Desk Strip"))
        loop.run(strip.server.start())
        try:
            result = runner.invoke(
                app,
                [
                    "explore",
                    f"{strip.host}:{strip.port}",
                    "--area",
                    "Office",
                    "--config",
                    str(config),
                    "--state",
                    str(tmp_path / "state"),
                ],
                input=answers,
            )
        finally:
            loop.run(strip.server.stop())
    assert result.exit_code == 0, result.output
    return result.output, strip.changing_requests(), config


@pytest.mark.timeout(60)
def test_each_command_is_tried_after_its_yes_and_the_verified_one_saved(tmp_path: Path) -> None:
    output, changes, config = explore_strip(tmp_path, "y\nn\n")
    assert "is a light (Desk Strip)" in output
    assert output.index("Draft recipe") < output.index("May I test turn on on Desk Strip")
    assert "main.turn_on: verified" in output
    assert "main.turn_off: not approved" in output
    assert [(r.method, r.body) for r in changes] == [("POST", b'{"on": true, "bri": 200}')]
    [recipe] = load_recipes(config)
    assert recipe.entities[0].area == "Office"
    assert list(recipe.entities[0].commands) == ["turn_on"]
    assert "Saved " in output


@pytest.mark.timeout(60)
def test_no_yes_switches_nothing_and_saves_nothing(tmp_path: Path) -> None:
    output, changes, config = explore_strip(tmp_path, "n\nn\n")
    assert changes == []
    assert load_recipes(config) == []
    assert "Nothing saved" in output
