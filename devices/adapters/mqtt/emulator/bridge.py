"""An emulated Zigbee2MQTT bridge: its devices, published through a real MQTT broker.

It speaks Zigbee2MQTT's topic API as documented in "MQTT Topics and Messages"
(zigbee2mqtt.io/guide/usage/mqtt_topics_and_messages.html) and "Exposes"
(zigbee2mqtt.io/guide/usage/exposes.html):

- `<base>/bridge/state` `{"state": "online"}`, retained, with `offline` as the last will;
- `<base>/bridge/devices`, retained: the coordinator and every device with its definition;
- `<base>/<friendly_name>/availability` `{"state": "online"|"offline"}`, retained;
- `<base>/<friendly_name>`: the device's whole state as JSON after every change (retained,
  as with the device option `retain: true`);
- `<base>/<friendly_name>/set` and `/get`: JSON commands and reads, answered with the
  state; a failed command is logged on `<base>/bridge/logging` as Zigbee2MQTT logs it
  ("Publish 'set' 'state' to 'name' failed: '...'").

Each device has a `Faults` switch, applied to each /set and /get: `latency` answers late,
`silent` not at all, `drop` takes the device off the network (availability offline),
`garbage` publishes a state that is not JSON, `error` logs a failed publish, `stuck`
answers a /set with the state it had.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from devices.adapters.mqtt.emulator.models import MODELS, Model
from devices.adapters.mqtt.link import BrokerLink, BrokerSettings, Will
from devices.testing.faults import Faults

_LOGGER = logging.getLogger(__name__)
GARBAGE = b'{"state": "ON", "brightness": '


@dataclass
class EmulatedDevice:
    """One Zigbee device behind the bridge."""

    friendly_name: str
    ieee: str
    model: Model
    state: dict[str, Any]
    faults: Faults = field(default_factory=Faults)
    online: bool = True

    @cached_property
    def features(self) -> dict[str, dict[str, Any]]:
        """Every feature by property, composites included, from the model's exposes (read
        once: a routine sends a hundred devices a /set each)."""
        found: dict[str, dict[str, Any]] = {}
        for expose in self.model.exposes:
            for feature in expose.get("features", [expose]):
                found[feature["property"]] = feature
        return found

    def listing(self) -> dict[str, Any]:
        """The device's entry in `bridge/devices`."""
        return {
            "ieee_address": self.ieee,
            "type": self.model.device_type,
            "network_address": int(self.ieee[-4:], 16),
            "supported": True,
            "disabled": False,
            "friendly_name": self.friendly_name,
            "description": self.model.description,
            "definition": {
                "model": self.model.model,
                "vendor": self.model.vendor,
                "description": self.model.description,
                "exposes": self.model.exposes,
                "options": [],
                "supports_ota": True,
            },
            "power_source": self.model.power_source,
            "model_id": self.model.model,
            "manufacturer": self.model.vendor,
            "interview_completed": True,
            "interviewing": False,
            "software_build_id": "1.0.0",
        }


class Zigbee2MqttEmulator:
    """A Zigbee2MQTT bridge with its devices, connected to a broker as a client."""

    def __init__(
        self,
        host: str,
        port: int,
        devices: Sequence[EmulatedDevice],
        *,
        base: str = "zigbee2mqtt",
        login: dict[str, str] | None = None,
    ) -> None:
        self.base = base
        self.devices = {d.friendly_name: d for d in devices}
        self.removed: list[EmulatedDevice] = []
        self.link = BrokerLink(
            BrokerSettings(
                host,
                port,
                username=next(iter(login or {}), None),
                password=next(iter((login or {}).values()), None),
                client_id=f"zigbee2mqtt-{id(self):x}",
                reconnect_min=0.2,
                reconnect_max=1.0,
            ),
            [f"{base}/#"],
            self._message,
            self._connection,
            will=Will(f"{base}/bridge/state", b'{"state":"offline"}'),
            logger=_LOGGER,
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self.online = asyncio.Event()

    @classmethod
    def of_kinds(
        cls,
        host: str,
        port: int,
        named: Sequence[tuple[str, str]],
        *,
        base: str = "zigbee2mqtt",
        login: dict[str, str] | None = None,
    ) -> Zigbee2MqttEmulator:
        """Devices of the given (friendly name, kind) pairs, each at its model's start state."""
        devices = [
            EmulatedDevice(
                name, f"0x00158d000{number:07x}", MODELS[kind], copy.deepcopy(MODELS[kind].start)
            )
            for number, (name, kind) in enumerate(named, start=1)
        ]
        return cls(host, port, devices, base=base, login=login)

    def all_faults(self) -> list[Faults]:
        """The faults switch of every device."""
        return [d.faults for d in self.devices.values()]

    async def start(self) -> None:
        """Connect to the broker and publish the bridge (returns once it has)."""
        self.link.start()
        await self.online.wait()

    async def stop(self) -> None:
        """Say offline and disconnect."""
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await self.link.publish(f"{self.base}/bridge/state", {"state": "offline"}, retain=True)
        await self.link.stop()

    # -- publishing -------------------------------------------------------------------------

    def _connection(self, connected: bool, reason: str) -> None:
        del reason
        if connected:
            self._spawn(self._announce())
        else:
            self.online.clear()

    async def _announce(self) -> None:
        """What Zigbee2MQTT publishes when it (re)connects to the broker."""
        await self.publish_devices()
        for device in self.devices.values():
            await self._availability(device)
            await self.publish_state(device)
        await self.link.publish(f"{self.base}/bridge/state", {"state": "online"}, retain=True)
        self.online.set()

    async def publish_devices(self) -> None:
        """The retained device list, coordinator first."""
        coordinator = {
            "ieee_address": "0x00124b0000000001",
            "type": "Coordinator",
            "network_address": 0,
            "supported": True,
            "disabled": False,
            "friendly_name": "Coordinator",
            "definition": None,
            "interview_completed": True,
        }
        listed = [coordinator] + [d.listing() for d in self.devices.values()]
        await self.link.publish(f"{self.base}/bridge/devices", listed, retain=True)

    async def _availability(self, device: EmulatedDevice) -> None:
        said = {"state": "online" if device.online else "offline"}
        await self.link.publish(
            f"{self.base}/{device.friendly_name}/availability", said, retain=True
        )

    async def publish_state(
        self, device: EmulatedDevice, extra: dict[str, Any] | None = None
    ) -> None:
        """The device's whole state (plus `extra` once, as an action is published)."""
        payload = {**device.state, "linkquality": 120, **(extra or {})}
        await self.link.publish(
            f"{self.base}/{device.friendly_name}", payload, retain=extra is None
        )

    # -- a person at the device ---------------------------------------------------------------

    async def change(self, friendly_name: str, **changes: Any) -> None:
        """The device changed by itself (a person at it): its new state is published."""
        device = self.devices[friendly_name]
        device.state.update(changes)
        await self.publish_state(device)

    async def press(self, friendly_name: str, action: str) -> None:
        """A button pressed: the action is published with the state, not kept."""
        await self.publish_state(self.devices[friendly_name], {"action": action})

    async def remove(self, friendly_name: str) -> None:
        """The device is removed from the network: the device list no longer has it."""
        self.removed.append(self.devices.pop(friendly_name))
        await self.publish_devices()

    # -- commands -----------------------------------------------------------------------------

    def _spawn(self, work: Any) -> None:
        task: asyncio.Task[None] = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            _LOGGER.debug("Emulated Zigbee2MQTT: %s", task.exception())

    def _message(self, topic: str, payload: bytes, retained: bool) -> None:
        prefix = self.base + "/"
        if retained or not topic.startswith(prefix):
            return
        name, _, verb = topic[len(prefix) :].rpartition("/")
        device = self.devices.get(name)
        if device is None or verb not in ("set", "get"):
            return
        self._spawn(self._request(device, verb, payload))

    async def _log_error(self, message: str) -> None:
        await self.link.publish(
            f"{self.base}/bridge/logging", {"level": "error", "message": message}
        )

    async def _request(  # noqa: PLR0911 - the faults, in the kit's order
        self, device: EmulatedDevice, verb: str, payload: bytes
    ) -> None:
        faults = device.faults
        await faults.delay()
        if faults.silent:
            return
        if faults.drop:
            device.online = False
            await self._availability(device)
            return
        if not device.online:
            device.online = True
            await self._availability(device)
        try:
            asked = json.loads(payload)
        except ValueError:
            await self._log_error(
                f"Invalid message '{payload.decode(errors='replace')}', skipping..."
            )
            return
        if not isinstance(asked, dict):
            return
        if faults.garbage:
            await self.link.publish(f"{self.base}/{device.friendly_name}", GARBAGE)
            return
        first = next(iter(asked), "state")
        if faults.error:
            await self._log_error(
                f"Publish '{verb}' '{first}' to '{device.friendly_name}' failed: "
                "'Error: ZCL command 0x0001/1 genOnOff.on({}) failed (Status 'FAILURE')'"
            )
            return
        if verb == "set" and not faults.stuck:  # stuck: answers with the state unchanged
            for key, value in asked.items():
                problem = self._write(device, key, value)
                if problem is not None:
                    await self._log_error(
                        f"Publish 'set' '{key}' to '{device.friendly_name}' failed: '{problem}'"
                    )
                    return
        await self.publish_state(device)

    @staticmethod
    def _write(  # noqa: PLR0911 - one check per kind of feature
        device: EmulatedDevice, key: str, value: Any
    ) -> str | None:
        """Apply one property of a /set, as the device would; a problem in words, or None."""
        if key == "transition":
            return None
        feature = device.features.get(key)
        state = device.state
        if key == "brightness_step" and "brightness" in state:
            state["brightness"] = max(0, min(254, int(state["brightness"]) + int(value)))
            state["state"] = "ON" if state["brightness"] else "OFF"
            return None
        if feature is None or not feature.get("access", 0) & 2:
            return f"Error: No converter available for '{key}' ({json.dumps(value)})"
        kind = feature["type"]
        if kind == "binary":
            toggle = feature.get("value_toggle")
            if value == toggle and toggle is not None:
                value = (
                    feature["value_off"]
                    if state.get(key) == feature["value_on"]
                    else feature["value_on"]
                )
            if value not in (feature["value_on"], feature["value_off"]):
                return f"Error: '{value}' is not a valid value"
        elif kind == "numeric":
            if isinstance(value, bool) or not isinstance(value, int | float):
                return f"Error: '{value}' is not a number"
            low, high = feature.get("value_min"), feature.get("value_max")
            value = max(low, value) if low is not None else value
            value = min(high, value) if high is not None else value
        elif kind == "enum":
            if value not in feature.get("values", []):
                return f"Error: '{value}' is not one of {feature.get('values')}"
        elif kind == "composite":
            if not isinstance(value, dict):
                return "Error: a colour is an object"
            state["color_mode"] = "xy"
        state[key] = value
        Zigbee2MqttEmulator._follow(device, key)
        return None

    @staticmethod
    def _follow(device: EmulatedDevice, key: str) -> None:
        """What else a device changes when one property is written."""
        state = device.state
        if key == "color_temp":
            state["color_mode"] = "color_temp"
        lit = key != "brightness" or state["brightness"] > 0
        if key in ("brightness", "color_temp", "color") and "state" in state and lit:
            state["state"] = "ON"
        if device.model.kind == "blind":
            if key == "state" and state["state"] in ("OPEN", "CLOSE"):
                state["position"] = 100 if state["state"] == "OPEN" else 0
            if key == "position":
                state["state"] = "OPEN" if state["position"] > 0 else "CLOSE"
        if device.model.kind == "plug" and key == "state":  # metering follows the relay
            on = state["state"] == "ON"
            start = device.model.start
            state["power"] = start["power"] if on else 0
            state["current"] = start["current"] if on else 0
        if device.model.kind == "trv":
            heating = (
                state["system_mode"] != "off"
                and state["occupied_heating_setpoint"] > state["local_temperature"]
            )
            state["running_state"] = "heat" if heating else "idle"
