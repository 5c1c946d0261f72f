"""docker-compose.yml, checked by a real Compose implementation without a Docker engine.

`docker-compose config` (Debian's `docker-compose` package) validates the file against
the Compose schema and resolves it; it needs no running engine.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from devices.testing import fresh_hosts
from devices.testing.mosquitto import Mosquitto

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = shutil.which("docker-compose")
needs_compose = pytest.mark.skipif(
    COMPOSE is None, reason="needs `docker-compose` (apt-get install docker-compose)"
)


def project(tmp_path: Path, text: str | None = None) -> Path:
    (tmp_path / "docker-compose.yml").write_text(
        text if text is not None else (ROOT / "docker-compose.yml").read_text()
    )
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    return tmp_path


def compose(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert COMPOSE is not None
    return subprocess.run(
        [COMPOSE, *args],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(directory)},
    )


@needs_compose
def test_the_compose_file_is_valid_and_has_its_profiles(tmp_path: Path) -> None:
    directory = project(tmp_path)
    checked = compose(directory, "config", "-q")
    assert checked.returncode == 0, checked.stderr
    everything = compose(directory, "--profile", "ollama", "--profile", "mosquitto", "config")
    assert everything.returncode == 0, everything.stderr
    services = yaml.safe_load(everything.stdout)["services"]
    assert set(services) == {"dobby", "ollama", "mosquitto"}
    assert "profiles" not in services["dobby"]
    assert services["ollama"]["profiles"] == ["ollama"]
    assert services["mosquitto"]["profiles"] == ["mosquitto"]


@needs_compose
def test_the_tool_rejects_a_broken_file(tmp_path: Path) -> None:
    text = (ROOT / "docker-compose.yml").read_text().replace("network_mode:", "network_mood:", 1)
    checked = compose(project(tmp_path, text), "config", "-q")
    assert checked.returncode != 0
    assert "network_mood" in checked.stderr


def test_dobby_runs_on_the_host_network_with_volumes_secrets_and_a_healthcheck() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    dobby = yaml.safe_load(text)["services"]["dobby"]
    assert dobby["network_mode"] == "host"
    assert "mDNS" in text.split("network_mode: host")[0].rsplit("dobby:", 1)[1]
    assert dobby["env_file"] == ".env"
    assert {v.split(":")[1] for v in dobby["volumes"]} == {"/config", "/data"}
    assert "/healthz" in " ".join(dobby["healthcheck"]["test"])
    assert "TOKEN" not in str(dobby.get("environment", {}))
    env_example = (ROOT / ".env.example").read_text()
    assert "DOBBY_TELEGRAM_TOKEN=\n" in env_example


def test_the_mosquitto_service_runs_the_shipped_broker_config() -> None:
    mosquitto = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["mosquitto"]
    mounted = {v.rsplit(":", 2)[1]: v.split(":", 1)[0] for v in mosquitto["volumes"]}
    config = mounted["/mosquitto/config/mosquitto.conf"]
    assert config == "./config/mosquitto.conf"
    assert mosquitto["command"].split()[-1] == "/mosquitto/config/mosquitto.conf"
    assert "set_tcp_nodelay true" in (ROOT / config).read_text().splitlines()


async def test_the_shipped_broker_config_is_one_mosquitto_takes() -> None:
    """Its options (not the container's listener and data folder) start the real broker,
    which refuses a line it does not know."""
    lines = (ROOT / "config" / "mosquitto.conf").read_text().splitlines()
    own = [
        line
        for line in lines
        if line.strip()
        and not line.startswith("#")
        and line.split()[0] not in {"listener", "persistence", "persistence_location"}
    ]
    assert "set_tcp_nodelay true" in own
    broker = Mosquitto(fresh_hosts().allocate(), options=own)
    await broker.start()
    try:
        assert broker.running
    finally:
        await broker.stop()
    wrong = Mosquitto(fresh_hosts().allocate(), options=[*own, "set_tcp_nodelya true"])
    with pytest.raises(RuntimeError, match="did not start"):
        await wrong.start()
    await wrong.stop()
