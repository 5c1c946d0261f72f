"""The demo hallway's remote: its big button is the shipped "sleepy time", run as
routines.yaml's owner, the Zigbee plug off at the device afterwards."""

from __future__ import annotations

from pathlib import Path

from agent.config import load_config
from agent.demo import running_demo
from devices.adapters.mqtt.demo import MqttDemo

from .helpers import until

CONFIG = Path(__file__).resolve().parents[4] / "config"


async def test_the_demo_remote_runs_sleepy_time(tmp_path: Path) -> None:
    async with running_demo(load_config(CONFIG), tmp_path) as demo:
        assert not demo.missing, demo.missing
        [zigbee] = [e for e in demo.house.running if isinstance(e, MqttDemo)]
        book = demo.dobby.routines
        assert zigbee.bridge.devices["Hallway/Plug"].state["state"] == "ON"
        await zigbee.bridge.press("Hallway/Remote", "toggle")
        assert await until(lambda: any("sleepy time" in n.text for n in book.notices), 30)
        await book.triggers.finish()
        assert zigbee.bridge.devices["Hallway/Plug"].state["state"] == "OFF"
        radiator = zigbee.bridge.devices["Hallway/Radiator"].state
        assert radiator["occupied_heating_setpoint"] == 18
        [notice] = [n for n in book.notices if "sleepy time" in n.text]
        assert notice.text.startswith("When Hallway Remote sends toggle: sleepy time:")
