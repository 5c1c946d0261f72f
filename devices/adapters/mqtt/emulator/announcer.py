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
- An ESPHome-style thermostat: ESPHome's MQTT climate announces itself with abbreviated
  keys (`mode_cmd_t`, `mode_stat_t`, `temp_cmd_t`, `temp_stat_t`, `curr_temp_t`, `act_t`,
  `modes`, `min_temp`, `max_temp`) under `<node>/climate/<object>/...`, takes a mode and a
  target temperature as plain text on the command topics and reports each on its state
  topic (ESPHome's "MQTT Client Component", the climate part; Home Assistant's "MQTT HVAC").
  Its humidity comes on a `json_attributes_topic` as `{"current_humidity": 45}` (the key is
  Home Assistant's climate attribute; the topic is this emulation's choice).

The discovery format itself is Home Assistant's ("MQTT Discovery",
home-assistant.io/integrations/mqtt/#mqtt-discovery).

The plug and the ESPHome node each have a `Faults` switch, applied to each command:
`latency` answers late, `silent` not at all, `drop` takes the device off the network (its
last will: `Offline`/`offline` on its availability topic; back at the next command after
`clear()`), `garbage` reports a state that makes no sense (not JSON where JSON is read, not
a number where a number is). Neither firmware answers a command with an error on the topics
announced, so `error` is not emulated, nor `stuck`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from devices.adapters.mqtt.link import BrokerLink, BrokerSettings
from devices.testing.faults import Faults

_LOGGER = logging.getLogger(__name__)
PLUG = "tasmota_A1B2C3"
NODE = "livingroom"
CLIMATE = f"{NODE}/climate/thermostat"


class DiscoveryEmulator:
    """A Tasmota-style plug and an ESPHome-style temperature sensor on one broker."""

    def __init__(self, host: str, port: int, *, prefix: str = "homeassistant") -> None:
        self.prefix = prefix
        self.power = "ON"
        self.temperature = 21.5
        self.mode = "heat"
        self.target = 20.0
        self.humidity = 45
        self.link = BrokerLink(
            BrokerSettings(host, port, client_id="ha-discovery-emulator", reconnect_min=0.2),
            [f"cmnd/{PLUG}/POWER", f"{CLIMATE}/mode/command", f"{CLIMATE}/target/command"],
            self._message,
            self._connection,
            logger=_LOGGER,
        )
        self.online = asyncio.Event()
        self.plug_faults = Faults()
        """The Tasmota plug's faults switch."""
        self.node_faults = Faults()
        """The ESPHome node's (its sensor and thermostat)."""
        self.plug_online = self.node_online = True
        self._tasks: set[asyncio.Task[None]] = set()

    def all_faults(self) -> list[Faults]:
        """The faults switch of each device: the plug, the ESPHome node."""
        return [self.plug_faults, self.node_faults]

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
            f"{self.prefix}/climate/{NODE}/thermostat/config": {
                "name": "Thermostat", "uniq_id": "ESPclimatethermostat",
                "avty_t": f"{NODE}/status",
                "mode_cmd_t": f"{CLIMATE}/mode/command", "mode_stat_t": f"{CLIMATE}/mode/state",
                "temp_cmd_t": f"{CLIMATE}/target/command",
                "temp_stat_t": f"{CLIMATE}/target/state",
                "curr_temp_t": f"{CLIMATE}/current/state", "act_t": f"{CLIMATE}/action/state",
                "json_attr_t": f"{CLIMATE}/attributes",
                "modes": ["off", "heat"], "min_temp": 7, "max_temp": 28, "temp_step": 0.5,
                "dev": {"ids": ["24a160abcdef"], "name": "Living Room Sensor"},
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
            task = asyncio.create_task(self.announce())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def announce(self) -> None:
        """Every discovery config (retained), the devices online, and their states."""
        for topic, config in self.configs().items():
            await self.link.publish(topic, config, retain=True)
        await self.link.publish(f"tele/{PLUG}/LWT", b"Online", retain=True)
        await self.link.publish(f"{NODE}/status", b"online", retain=True)
        await self.report()
        await self.set_temperature(self.temperature)
        await self.report_climate()
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

    async def report_climate(self) -> None:
        """The thermostat's mode, target, reading, action and attributes."""
        heating = self.mode == "heat" and self.target > self.temperature
        for topic, value in (
            ("mode/state", self.mode),
            ("target/state", f"{self.target:.1f}"),
            ("current/state", f"{self.temperature:.1f}"),
            ("action/state", "heating" if heating else ("off" if self.mode == "off" else "idle")),
        ):
            await self.link.publish(f"{CLIMATE}/{topic}", value.encode(), retain=True)
        await self.link.publish(
            f"{CLIMATE}/attributes", {"current_humidity": self.humidity}, retain=True
        )

    async def withdraw_plug(self) -> None:
        """The plug's announcements removed: empty retained configs."""
        for topic in list(self.configs())[:2]:
            await self.link.publish(topic, b"", retain=True)

    def _message(self, topic: str, payload: bytes, retained: bool) -> None:
        if retained:
            return
        said = payload.decode(errors="replace").strip()
        if topic.startswith(CLIMATE):
            work = self._serve_node(topic, said)
        elif topic == f"cmnd/{PLUG}/POWER":
            work = self._serve_plug(said.upper())
        else:
            return
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _faulty(
        self,
        faults: Faults,
        online: Callable[[bool], Awaitable[None]],
        garbage: Callable[[], Awaitable[None]],
    ) -> bool:
        """Apply a device's faults to a command; whether to carry it out."""
        await faults.delay()
        if faults.silent:
            return False
        if faults.drop:
            await online(False)
            return False
        await online(True)
        if faults.garbage:
            await garbage()
            return False
        return True

    async def _plug_online(self, online: bool) -> None:
        if online != self.plug_online:
            self.plug_online = online
            said = b"Online" if online else b"Offline"
            await self.link.publish(f"tele/{PLUG}/LWT", said, retain=True)

    async def _node_online(self, online: bool) -> None:
        if online != self.node_online:
            self.node_online = online
            said = b"online" if online else b"offline"
            await self.link.publish(f"{NODE}/status", said, retain=True)

    async def _serve_plug(self, said: str) -> None:
        async def garbage() -> None:
            await self.link.publish(f"tele/{PLUG}/STATE", b"\x00POWER=?")

        if not await self._faulty(self.plug_faults, self._plug_online, garbage):
            return
        if said == "TOGGLE":
            said = "OFF" if self.power == "ON" else "ON"
        if said in ("ON", "OFF"):
            self.power = said
            await self.report()

    async def _serve_node(self, topic: str, said: str) -> None:
        async def garbage() -> None:
            await self.link.publish(f"{CLIMATE}/target/state", b"}{not a number")

        if not await self._faulty(self.node_faults, self._node_online, garbage):
            return
        if topic.endswith("/mode/command") and said in ("off", "heat"):
            self.mode = said
        elif topic.endswith("/target/command"):
            try:
                self.target = min(28.0, max(7.0, round(float(said) * 2) / 2))
            except ValueError:
                return
        else:
            return
        await self.report_climate()
