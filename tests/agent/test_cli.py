"""The command line: config check, understand, devices and discover, as a person runs them."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from agent.cli import app
from devices.plugin import load_adapters

CONFIG = Path(__file__).resolve().parents[2] / "config"
runner = CliRunner()


def test_config_check_passes_on_the_shipped_config() -> None:
    result = runner.invoke(app, ["config", "check", "--config", str(CONFIG)])
    assert result.exit_code == 0, result.output
    assert "OK (7 areas, 4 routines, 0 recipes)" in result.output


def test_config_check_names_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "home.yaml").write_text("areas:\n  - name: Kitchen\n    flor: Ground\n")
    result = runner.invoke(app, ["config", "check", "--config", str(tmp_path)])
    assert result.exit_code == 2
    assert f"Config error: {tmp_path / 'home.yaml'}:3: areas[0].flor: unknown field" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_an_adapter_setting_of_the_wrong_type_is_named(tmp_path: Path) -> None:
    (tmp_path / "home.yaml").write_text("adapters:\n  sonos:\n    request_timeout: soon\n")
    result = runner.invoke(app, ["config", "check", "--config", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'home.yaml'}:3: adapters.sonos.request_timeout: expected a number" in (
        result.output
    )


def test_an_adapter_that_is_not_installed_is_named(tmp_path: Path) -> None:
    (tmp_path / "home.yaml").write_text("adapters:\n  zigbee: {}\n")
    result = runner.invoke(app, ["config", "check", "--config", str(tmp_path)])
    assert result.exit_code == 2
    assert "home.yaml:2: adapters.zigbee: no adapter called 'zigbee' is installed (" in (
        result.output
    )
    assert "sonos" in result.output.rsplit("(", 1)[1]


def test_understand_with_no_devices_explains(tmp_path: Path) -> None:
    off = {name: {"enabled": False} for name in load_adapters().manifests}
    home = {"discovery": {"interfaces": ["127.0.0.1"]}, "adapters": off}
    (tmp_path / "home.yaml").write_text(yaml.safe_dump(home))
    result = runner.invoke(
        app,
        [
            "understand",
            "pause the kitchen",
            "--json",
            "--wait",
            "0",
            "--config",
            str(tmp_path),
            "--state",
            str(tmp_path / "data"),
        ],
    )
    assert result.exit_code == 0, result.output
    understood = json.loads(result.output)
    assert set(understood) == {
        "text",
        "source",
        "intent",
        "slots",
        "routine",
        "actions",
        "at",
        "after",
        "wait",
        "needs_confirmation",
        "refused",
        "verdicts",
        "reply",
        "asks",
        "choices",
    }
    assert understood["actions"] == []


def test_discover_lists_the_sonos_adapter(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "discover",
            "--json",
            "--seconds",
            "0.3",
            "--interface",
            "127.0.0.1",
            "--config",
            str(CONFIG),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    [sonos] = [a for a in report["adapters"] if a["name"] == "sonos"]
    assert sonos["ssdp_targets"] == ["urn:schemas-upnp-org:device:ZonePlayer:1"]
    assert sonos["mdns_types"] == ["_sonos._tcp.local."]
