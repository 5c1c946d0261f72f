"""A third-party adapter package, built and installed on its own, is a peer of ours.

The package in tests/plugin_example has its own pyproject and registers itself under the
`dobby.adapters` entry point. It is installed into a separate directory (the running
environment stays untouched) and `dobby` is run with that directory on its path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).parent / "plugin_example"
DOBBY = [sys.executable, "-m", "agent"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("build")
    source = build / "dobby-exampleplug"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        cwd=build,
        capture_output=True,
    )
    assert (target / "dobby_exampleplug" / "__init__.py").exists()
    return target


def run_dobby(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(Path.cwd())])}
    return subprocess.run(
        [*DOBBY, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=60, check=False
    )


def plug_config(tmp_path: Path) -> Path:
    config = tmp_path / "config"
    (config / "demo").mkdir(parents=True)
    (config / "home.yaml").write_text("areas:\n  - name: Study\n", encoding="utf-8")
    (config / "routines.yaml").write_text(
        "routines:\n"
        "  - name: plug on\n"
        "    steps:\n"
        "      - {command: switch.turn_on, target: {name: Desk Plug}}\n",
        encoding="utf-8",
    )
    (config / "demo" / "house.yaml").write_text(
        "devices:\n"
        "  - {name: Desk Plug, area: Study, adapter: exampleplug, kind: plug,"
        " domain: switch, state: {state: 'off'}}\n",
        encoding="utf-8",
    )
    return config


def test_discover_lists_the_plugin(site: Path, tmp_path: Path) -> None:
    config = plug_config(tmp_path)
    result = run_dobby(
        site,
        "discover",
        "--json",
        "--seconds",
        "0.5",
        "--interface",
        "127.0.0.1",
        "--config",
        str(config),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    names = {a["name"]: a for a in report["adapters"]}
    assert names["exampleplug"]["mdns_types"] == ["_exampleplug._tcp.local."]
    assert "sonos" in names
    assert report["problems"] == []


def test_dobby_finds_and_drives_the_plugins_device(site: Path, tmp_path: Path) -> None:
    config = plug_config(tmp_path)
    result = run_dobby(
        site,
        "demo",
        "--config",
        str(config),
        "--state",
        str(tmp_path / "data"),
        "--say",
        "plug on",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    said, states = (json.loads(line) for line in result.stdout.strip().splitlines())
    assert said["source"] == "routine"
    assert said["results"] == [
        {"entity_id": "switch.desk_plug", "command": "switch.turn_on", "ok": True, "error": None}
    ]
    plug = next(s for s in states if s["entity_id"] == "switch.desk_plug")
    assert plug["state"] == "on"
    assert plug["area"] == "Study"


def test_without_the_plugin_its_devices_are_absent(tmp_path: Path) -> None:
    config = plug_config(tmp_path)
    result = run_dobby(
        tmp_path,
        "demo",
        "--config",
        str(config),
        "--state",
        str(tmp_path / "data"),
        "--say",
        "plug on",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    said, states = (json.loads(line) for line in result.stdout.strip().splitlines())
    assert said["actions"] == []
    assert states == []
