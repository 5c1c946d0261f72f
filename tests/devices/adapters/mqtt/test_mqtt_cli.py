"""`dobby discover` shows the configured broker and what it announces; `dobby config check`
names a wrong mqtt setting by file, line and field."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from agent.cli import app
from agent.config import load_config
from agent.discover import scan
from devices.adapters.mqtt.demo import start_zigbee
from devices.adapters.mqtt.emulator.announcer import DiscoveryEmulator
from devices.plugin import load_adapters
from devices.testing import HostAllocator

runner = CliRunner()


def _home(tmp_path: Path, mqtt: dict[str, object]) -> Path:
    off = {name: {"enabled": False} for name in load_adapters().manifests if name != "mqtt"}
    home = {"discovery": {"interfaces": ["127.0.0.1"]}, "adapters": {**off, "mqtt": mqtt}}
    (tmp_path / "home.yaml").write_text(yaml.safe_dump(home, sort_keys=False))
    return tmp_path


async def test_discover_shows_the_broker_and_what_it_announces(tmp_path: Path) -> None:
    zigbee = await start_zigbee(
        HostAllocator(), [("Hallway/Remote", "remote"), ("Den/Plug", "plug")]
    )
    announcer = DiscoveryEmulator(zigbee.broker.host, zigbee.broker.port)
    try:
        await announcer.start()
        config = load_config(
            _home(tmp_path, {"broker": zigbee.broker.host, "port": zigbee.broker.port})
        )
        report = await scan(config, 1.0, ["127.0.0.1"])
    finally:
        await announcer.stop()
        await zigbee.stop()
    broker = report["broker"]
    assert broker["address"] == f"{zigbee.broker.host}:{zigbee.broker.port}"
    assert (broker["connected"], broker["problem"]) == (True, None)
    z2m = broker["zigbee2mqtt"]
    assert z2m["online"] is True
    listed = [(d["friendly_name"], d["model"], d["entities"]) for d in z2m["devices"]]
    assert listed == [
        ("Den/Plug", "E2206", ["sensor", "sensor", "sensor", "sensor", "switch"]),
        ("Hallway/Remote", "E1524/E1810", ["sensor", "sensor"]),
    ]
    keys = {e["key"]: e["domain"] for e in broker["discovery"]["entities"]}
    assert keys["A1B2C3_RL_1"] == "switch"
    assert keys["livingroom/thermostat"] == "climate"


async def test_discover_says_when_the_broker_cannot_be_reached(tmp_path: Path) -> None:
    host = HostAllocator().allocate()
    config = load_config(_home(tmp_path, {"broker": host, "port": 1, "request_timeout": 0.5}))
    report = await scan(config, 0.2, ["127.0.0.1"])
    broker = report["broker"]
    assert broker["connected"] is False
    assert broker["problem"] == "the MQTT broker cannot be reached"
    assert broker["zigbee2mqtt"]["devices"] == []


def test_config_check_names_a_wrong_mqtt_setting(tmp_path: Path) -> None:
    (tmp_path / "home.yaml").write_text(
        "adapters:\n  mqtt:\n    broker: 192.0.2.5\n    base_topic: 'zigbee2mqtt/#'\n"
    )
    result = runner.invoke(app, ["config", "check", "--config", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'home.yaml'}:4: adapters.mqtt.base_topic:" in result.output
    assert "wildcards" in result.output


def test_config_check_refuses_a_password_in_the_yaml(tmp_path: Path) -> None:
    (tmp_path / "home.yaml").write_text(
        "adapters:\n  mqtt:\n    broker: 192.0.2.5\n    password: hunter2\n"
    )
    result = runner.invoke(app, ["config", "check", "--config", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path / 'home.yaml'}:4: adapters.mqtt.password:" in result.output
    assert "hunter2" not in result.output


def test_discover_prints_the_broker(tmp_path: Path) -> None:
    host = HostAllocator().allocate()
    _home(tmp_path, {"broker": host, "port": 1, "request_timeout": 0.5})
    result = runner.invoke(
        app,
        ["discover", "--seconds", "0.2", "--interface", "127.0.0.1", "--config", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    assert f"MQTT broker {host}:1: not reached: the MQTT broker cannot be reached" in result.output
    assert "Zigbee2MQTT (zigbee2mqtt, not heard)" in result.output
