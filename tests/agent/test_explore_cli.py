"""`dobby explore` in the demo: the house found, the unknown three not driven yet, and one
of them learned read-only, every request in the audit log."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.cli import app
from skills.audit import AuditLog
from skills.database import database_path

CONFIG = Path(__file__).resolve().parents[2] / "config"
runner = CliRunner()


@pytest.mark.timeout(240)  # the whole demo house starts, on a busy machine
def test_explore_lists_the_demo_house(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "explore",
            "--demo",
            "--json",
            "--seconds",
            "15",
            "--config",
            str(CONFIG),
            "--state",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    hosts = json.loads(result.output)
    by_family: dict[str | None, list[dict[str, object]]] = {}
    for host in hosts:
        by_family.setdefault(host["family"], []).append(host)
    for unknown in ("wled", "shelly_gen2", "upnp"):
        assert [h["status"] for h in by_family[unknown]] == ["not driven yet"]
    # A WLED announces itself by its mDNS host name, wled- and the end of its MAC
    assert re.fullmatch(r"wled-[0-9a-f]{6}", str(by_family["wled"][0]["name"]))
    assert by_family["upnp"][0]["name"] == "Bedroom Fan"
    assert by_family["sonos"][0]["status"] == "driven"


@pytest.mark.timeout(240)
def test_learning_the_strip_in_the_demo(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "explore",
            "--demo",
            "Desk Strip",
            "--json",
            "--area",
            "Office",
            "--config",
            str(CONFIG),
            "--state",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    learned = json.loads(result.output)
    assert learned["family"] == "wled"
    assert learned["draft"]["entities"][0]["domain"] == "light"
    assert learned["draft"]["entities"][0]["area"] == "Office"
    assert learned["tried"] == {"main.state": True, "main.brightness": 128}
    audit = AuditLog(database_path(tmp_path))
    try:
        rows = [e for e in audit.query() if e.path == "explore"]
    finally:
        audit.close()
    assert len(rows) == learned["requests"]
    assert {e.entity_id for e in rows} == {f"host:{learned['host']}"}
    assert all(e.command.startswith("GET /") for e in rows)
    assert {e.requester for e in rows} == {"terminal"}


def test_a_host_outside_the_local_networks_is_refused(tmp_path: Path) -> None:
    for target in ("8.8.8.8", "example.com", "1.1.1.1:80"):
        result = runner.invoke(
            app, ["explore", target, "--config", str(CONFIG), "--state", str(tmp_path)]
        )
        assert result.exit_code == 2
        assert "Not explored:" in result.output
