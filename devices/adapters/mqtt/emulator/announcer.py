"""Devices that announce themselves with Home Assistant MQTT discovery, through a real broker.

- A Tasmota-style plug: with `SetOption19 1` Tasmota announces its relay and its energy
  readings with abbreviated keys (`stat_t`, `cmd_t`, `val_tpl`, `avty_t`, `uniq_id`,
  `dev`), takes `ON`/`OFF` on `cmnd/<topic>/POWER`, reports JSON on `tele/<topic>/STATE`
  and `tele/<topic>/SENSOR`, and says `Online`/`Offline` on `tele/<topic>/LWT`
  (Tasmota's documentation, "Home Assistant", tasmota.github.io/docs/Home-Assistant/).
- An ESPHome-style sensor: ESPHome's MQTT component announces each sensor with full keys
  under `homeassistant/sensor/<node>/<object>/config`, publishes the bare value on
  `<node>/sensor/<object>/state` and `online`/`offline` on `<node>/status`
  (ESPHome's documentation, "MQTT Client Component", esphome.io/components/mqtt.html).

The discovery format itself is Home Assistant's ("MQTT Discovery",
home-assistant.io/integrations/mqtt/#mqtt-discovery).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from devices.adapters.mqtt.link import BrokerLink, BrokerSettings

_LOGGER = logging.getLogger(__name__)
PLUG = "tasmota_A1B2C3"
NODE = "livingroom"


class DiscoveryEmulator:
    """A Tasmota-style plug and an ESPHome-style temperature sensor on one broker."""

    def __init__(self, host: str, port: int, *, prefix: str = "homeassistant") -> None:
        self.prefix = prefix
        self.power = "ON"
        self.temperature = 21.5
        self.link = BrokerLink(
            BrokerSettings(host, port, client_id="ha-discovery-emulator", reconnect_min=0.2),
            [f"cmnd/{PLUG}/POWER"],
            self._message,
            self._connection,
            logger=_LOGGER,
        )
        self.online = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    def configs(self) -> dict[str, dict[str, Any]]:
        """Every discovery config by topic."""
        tasmota_device = {"ids": ["A1B2C3"], "name": "Desk Plug", "mdl": "Sonoff S31",
                          "sw": "13.0.0", "mf": "Tasmota"}  # fmt: skip
        availability = {
            "avty_t": f"tele/{PLUG}/LWT",
            "pl_avail": "Online",
            "pl_not_avail": "Offline",
        }
        return {
            f"{self.prefix}/switch/A1B2C3_RL_1/config": {
                "name": "Desk Plug", "cmd_t": f"cmnd/{PLUG}/POWER", "stat_t": f"tele/{PLUG}/STATE",
                "val_tpl": "{{value_json.POWER}}", "pl_off": "OFF", "pl_on": "ON",
                "uniq_id": "A1B2C3_RL_1", "dev": tasmota_device, **availability,
            },
            f"{self.prefix}/sensor/A1B2C3_ENERGY_Power/config": {
                "name": "Desk Plug Power", "stat_t": f"tele/{PLUG}/SENSOR",
                "val_tpl": "{{value_json['ENERGY']['Power']}}", "unit_of_meas": "W",
                "dev_cla": "power", "uniq_id": "A1B2C3_ENERGY_Power", "dev": {"ids": ["A1B2C3"]},
                **availability,
            },
            f"{self.prefix}/sensor/{NODE}/temperature/config": {
                "~": NODE, "name": "Temperature", "state_topic": "~/sensor/temperature/state",
                "availability_topic": "~/status", "unique_id": "ESPsensortemperature",
                "device_class": "temperature", "unit_of_measurement": "°C",
                "state_class": "measurement",
                "device": {"identifiers": "24a160abcdef", "name": "Living Room Sensor",
                           "sw_version": "esphome v2024.6.0", "model": "esp32dev",
                           "manufacturer": "espressif"},
            },
        }  # fmt: skip

    async def start(self) -> None:
        """Connect and announce (returns once announced)."""
        self.link.start()
        await self.online.wait()

    async def stop(self) -> None:
        """Disconnect."""
        for task in list(self._tasks):
            task.cancel()
        await self.link.stop()

    def _connection(self, connected: bool, reason: str) -> None:
        del reason
        if connected:
            task = asyncio.create_task(self._announce())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _announce(self) -> None:
        for topic, config in self.configs().items():
            await self.link.publish(topic, config, retain=True)
        await self.link.publish(f"tele/{PLUG}/LWT", b"Online", retain=True)
        await self.link.publish(f"{NODE}/status", b"online", retain=True)
        await self.report()
        await self.set_temperature(self.temperature)
        self.online.set()

    async def report(self) -> None:
        """The plug's telemetry: relay state and energy."""
        watts = 42 if self.power == "ON" else 0
        await self.link.publish(f"tele/{PLUG}/STATE", {"POWER": self.power}, retain=True)
        await self.link.publish(f"tele/{PLUG}/SENSOR", {"ENERGY": {"Power": watts}}, retain=True)

    async def set_temperature(self, value: float) -> None:
        """The sensor reads a new temperature."""
        self.temperature = value
        await self.link.publish(
            f"{NODE}/sensor/temperature/state", f"{value:.1f}".encode(), retain=True
        )

    async def withdraw_plug(self) -> None:
        """The plug's announcements removed: empty retained configs."""
        for topic in list(self.configs())[:2]:
            await self.link.publish(topic, b"", retain=True)

    def _message(self, topic: str, payload: bytes, retained: bool) -> None:
        if topic != f"cmnd/{PLUG}/POWER" or retained:
            return
        said = payload.decode(errors="replace").strip().upper()
        if said == "TOGGLE":
            said = "OFF" if self.power == "ON" else "ON"
        if said in ("ON", "OFF"):
            self.power = said
            task = asyncio.create_task(self.report())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
