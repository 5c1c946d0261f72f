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


PAIR_PLUG = """
import asyncio, subprocess, sys
from devices.testing.addresses import HostAllocator
from dobby_exampleplug.emulator import PlugEmulator

async def main() -> None:
    plug = PlugEmulator(HostAllocator().allocate(), "Desk Plug", "PLUG0042", room="Study")
    await plug.start(None)
    try:
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "agent", "pair", "exampleplug",
             f"{plug.host}:{plug.port}", *sys.argv[1:]],
            capture_output=True, text=True, timeout=60,
        )
    finally:
        await plug.stop()
    print(done.returncode, done.stdout.strip(), plug.token, sep="\\n")

asyncio.run(main())
"""


def test_dobby_pair_goes_through_the_plugins_manifest(site: Path, tmp_path: Path) -> None:
    """`dobby pair exampleplug ADDRESS` runs the third-party pairing hook its manifest names."""
    config = plug_config(tmp_path)
    state = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(Path.cwd())])}
    done = subprocess.run(
        [sys.executable, "-c", PAIR_PLUG, "--config", str(config), "--state", str(state)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    code, said, token = done.stdout.strip().splitlines()
    assert (code, said) == ("0", "Paired with plug PLUG0042.")
    kept = json.loads((state / "exampleplug" / "PLUG0042.json").read_text(encoding="utf-8"))
    assert kept["token"] == token


def test_dobby_pair_names_the_adapters_that_pair(site: Path, tmp_path: Path) -> None:
    config = plug_config(tmp_path)
    result = run_dobby(site, "pair", "sonos", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert "Sonos has nothing to pair; adapters that do: exampleplug, homekit, hue." in (
        result.stderr
    )
    result = run_dobby(site, "pair", "exampleplug", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert "Say which: the plug's address." in result.stderr


OLD_STYLE = """
from devices.capabilities import Domain
from devices.plugin import Adapter, Manifest


class OldPlugAdapter(Adapter):
    manifest = Manifest(
        name="oldplug", title="Old", adapter="oldplug:OldPlugAdapter", domains=(Domain.SWITCH,)
    )

    async def execute(self, entity, command, params):
        return None
"""


def test_an_old_style_plugin_is_named_with_what_to_change(tmp_path: Path) -> None:
    """A plugin whose entry point names its adapter class is refused with a clear reason;
    the rest of the adapters load."""
    site = tmp_path / "site"
    (site / "oldplug-1.0.dist-info").mkdir(parents=True)
    (site / "oldplug.py").write_text(OLD_STYLE, encoding="utf-8")
    (site / "oldplug-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: oldplug\nVersion: 1.0\n", encoding="utf-8"
    )
    (site / "oldplug-1.0.dist-info" / "entry_points.txt").write_text(
        "[dobby.adapters]\noldplug = oldplug:OldPlugAdapter\n", encoding="utf-8"
    )
    config = plug_config(tmp_path)
    result = run_dobby(
        site, "discover", "--json", "--seconds", "0.1", "--interface", "127.0.0.1",
        "--config", str(config), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["problems"] == [
        {
            "entry_point": "oldplug:OldPlugAdapter",
            "reason": "names an adapter class; the entry point must name the adapter's "
            'Manifest instead (e.g. `myplug = "myplug.manifest:MANIFEST"`, see '
            "devices/README.md)",
        }
    ]
    assert "sonos" in {a["name"] for a in report["adapters"]}
