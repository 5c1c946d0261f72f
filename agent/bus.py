"""Dobby on the bus: Dobby's own entities published with Home Assistant MQTT discovery, and
commands for them taken from their command topics, through the policy.

A household that also runs Home Assistant (or anything that reads MQTT discovery) sees
Dobby's devices there. Off unless home.yaml says so:

    bus:
      enabled: true             # the broker is the mqtt adapter's (adapters.mqtt.broker)
      base_topic: dobby
      discovery_prefix: homeassistant
      role: member              # what a command from the bus may do, as any member
      sensitive: refuse         # or allow: unlock, disarm... on the bus's word alone

For each entity: `<prefix>/<component>/dobby/<object_id>/config` (retained; an empty
retained config when Dobby unpublishes), its state on `<base>/<domain>/<object_id>/state`
(retained), commands on `.../set`. Every command is a request of the "mqtt" channel with the
configured role, reviewed by the policy like any other; a refused command changes nothing
and its reason is published on `.../refused` as `{"command": ..., "reason": ...}`. A
sensitive command (unlocking a door) needs a person to approve it, and nobody is on the bus
to press Approve: it is refused unless `sensitive: allow`. `<base>/status` says `online`,
and `offline` as the broker's last will when Dobby vanishes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from agent.config import BusConfig
from devices.adapters.mqtt.discovery import OWN_NODE
from devices.adapters.mqtt.link import BrokerLink, BrokerSettings, Will
from devices.background import Background
from devices.capabilities import Domain
from devices.entities import Entity
from devices.errors import DeviceError
from devices.registry import Change
from skills.actions import Action, Path, Plan, Requester
from skills.house import House
from skills.policy import Verdict

_LOGGER = logging.getLogger(__name__)
CHANNEL = "mqtt"


COMPONENT = {
    Domain.LIGHT: "light",
    Domain.SWITCH: "switch",
    Domain.COVER: "cover",
    Domain.LOCK: "lock",
    Domain.SENSOR: "sensor",
    Domain.BINARY_SENSOR: "binary_sensor",
}
COMMANDS: Mapping[Domain, Mapping[str, str]] = {
    Domain.LIGHT: {"ON": "light.turn_on", "OFF": "light.turn_off"},
    Domain.SWITCH: {"ON": "switch.turn_on", "OFF": "switch.turn_off"},
    Domain.COVER: {"OPEN": "cover.open", "CLOSE": "cover.close", "STOP": "cover.stop"},
    Domain.LOCK: {"LOCK": "lock.lock", "UNLOCK": "lock.unlock"},
}
"""What each command topic takes (Home Assistant's default payloads) and what it becomes."""


class DobbyBus:
    """Dobby's entities on a broker, and the commands that come back."""

    def __init__(self, house: House, broker: BrokerSettings, config: BusConfig) -> None:
        self.house = house
        self.config = config
        base = config.base_topic
        self.requester = Requester(f"{CHANNEL}:{base}", config.role, "MQTT", channel=CHANNEL)
        self.link = BrokerLink(
            broker,
            [f"{base}/+/+/set"],
            self._message,
            self._connection,
            will=Will(f"{base}/status", b"offline"),
            logger=_LOGGER,
        )
        self.published: dict[str, str] = {}
        """The config topic of every entity published, by entity id."""
        self._background = Background()
        self._stop_listening: Callable[[], None] | None = None

    # -- life -----------------------------------------------------------------------------

    def start(self) -> None:
        """Connect (and keep connecting); publish once connected."""
        self._stop_listening = self.house.registry.listen(self._changed)
        self.link.start()

    async def stop(self, *, unpublish: bool = False) -> None:
        """Disconnect; with `unpublish`, withdraw every entity first (empty configs)."""
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        if unpublish and self.link.connected:
            await self.unpublish()
        await self._background.cancel()
        await self.link.stop()

    async def unpublish(self) -> None:
        """Withdraw every entity from the bus: an empty retained config each (and announce
        no more of them until the next start)."""
        if self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None
        await self._background.cancel()  # announcements on their way would undo this
        for topic in list(self.published.values()):
            await self.link.publish(topic, b"", retain=True)
        self.published.clear()
        await self.link.publish(f"{self.config.base_topic}/status", b"offline", retain=True)

    def _connection(self, connected: bool, reason: str) -> None:
        del reason
        if connected:
            self._background.spawn(self._publish_all())

    async def _publish_all(self) -> None:
        await self.link.publish(f"{self.config.base_topic}/status", b"online", retain=True)
        for entity in list(self.house.registry.entities.values()):
            await self._announce(entity)

    # -- publishing -----------------------------------------------------------------------

    def _topic(self, entity: Entity, leaf: str) -> str:
        domain, _, object_id = entity.entity_id.partition(".")
        return f"{self.config.base_topic}/{domain}/{object_id}/{leaf}"

    def config_for(self, entity: Entity) -> dict[str, Any] | None:
        """The discovery config of an entity (None: its kind is not published)."""
        component = COMPONENT.get(entity.domain)
        if component is None or entity.domain not in self.config.domains:
            return None
        device = self.house.registry.devices.get(entity.device_id)
        config: dict[str, Any] = {
            "name": entity.name,
            "unique_id": f"dobby_{entity.entity_id.replace('.', '_')}",
            "state_topic": self._topic(entity, "state"),
            "availability_topic": f"{self.config.base_topic}/status",
            "device": {
                "identifiers": [f"dobby_{entity.device_id.replace(':', '_')}"],
                "name": device.info.name if device is not None else entity.name,
                "manufacturer": (device.info.manufacturer if device is not None else None)
                or "Dobby",
                "via_device": "dobby",
            },
        }
        if entity.device_class:
            config["device_class"] = entity.device_class
        if entity.domain in COMMANDS:
            config["command_topic"] = self._topic(entity, "set")
        if entity.domain in (Domain.LIGHT, Domain.SWITCH, Domain.BINARY_SENSOR):
            config |= {"payload_on": "ON", "payload_off": "OFF"}
        if entity.domain == Domain.LOCK:
            config |= {"state_locked": "LOCKED", "state_unlocked": "UNLOCKED"}
        if entity.domain == Domain.SENSOR and entity.state is not None:
            unit = entity.state.attributes().get("unit_of_measurement")
            if unit:
                config["unit_of_measurement"] = unit
        return config

    def state_for(self, entity: Entity) -> str | None:
        """The state payload in Home Assistant's default words."""
        if entity.state is None:
            return None
        state = entity.state.state
        if entity.domain in (Domain.LIGHT, Domain.SWITCH, Domain.BINARY_SENSOR):
            return "ON" if state == "on" else "OFF"
        if entity.domain == Domain.LOCK:
            return state.upper()
        return str(state)

    async def _announce(self, entity: Entity) -> None:
        config = self.config_for(entity)
        if config is None:
            return
        component = COMPONENT[entity.domain]
        object_id = entity.entity_id.partition(".")[2]
        topic = f"{self.config.discovery_prefix}/{component}/{OWN_NODE}/{object_id}/config"
        if entity.entity_id not in self.published:
            await self.link.publish(topic, config, retain=True)
            self.published[entity.entity_id] = topic
        await self._publish_state(entity)

    async def _publish_state(self, entity: Entity) -> None:
        said = self.state_for(entity)
        if said is not None:
            await self.link.publish(self._topic(entity, "state"), said.encode(), retain=True)

    def _changed(self, change: Change) -> None:
        if self.link.connected:
            self._background.spawn(self._quietly(self._announce, change.entity))

    @staticmethod
    async def _quietly(work: Callable[..., Awaitable[None]], *args: Any) -> None:
        try:
            await work(*args)
        except DeviceError as error:  # the broker went away meanwhile: published on return
            _LOGGER.debug("Publishing on the bus: %s", error)

    # -- commands -------------------------------------------------------------------------

    def _message(self, topic: str, payload: bytes, retained: bool) -> None:
        if retained:
            return  # an old command left on the broker is no request of now
        parts = topic.split("/")
        if len(parts) < 4 or parts[-1] != "set":
            return
        entity_id = f"{parts[-3]}.{parts[-2]}"
        said = payload.decode(errors="replace").strip()
        self._background.spawn(self._quietly(self.command, entity_id, said))

    async def command(self, entity_id: str, said: str) -> None:
        """A command from the bus, through the policy as the bus's request."""
        entity = self.house.registry.entities.get(entity_id)
        if entity is None or entity_id not in self.published:
            _LOGGER.info("MQTT: a command for %s, which Dobby does not publish", entity_id)
            return
        command = COMMANDS.get(entity.domain, {}).get(said.upper())
        if command is None:
            await self._refused(entity, said, f"{entity.name} does not take {said!r}")
            return
        plan = Plan([Action(entity_id=entity_id, command=command)], self.requester, Path.MQTT)
        review = self.house.policy.review(plan)
        for decision in review.decisions:
            if decision.verdict is Verdict.REFUSE:
                await self._refused(entity, command, decision.reason)
                return
            if decision.verdict is Verdict.CONFIRM:
                if self.config.sensitive != "allow":
                    reason = decision.reason.removesuffix(" needs a confirmation")
                    await self._refused(
                        entity,
                        command,
                        f"{reason} needs a person to approve it, and nobody can approve over "
                        "MQTT (bus.sensitive: allow lets the bus do it alone)",
                    )
                    return
                plan = plan.approved(self.requester)
        outcome = await self.house.carry_out(plan)
        for result in outcome.results:
            if not result.ok:
                await self._refused(entity, command, result.error or "it failed")
        await self._publish_state(self.house.registry.entity(entity_id))

    async def _refused(self, entity: Entity, command: str, reason: str) -> None:
        _LOGGER.info("MQTT: %s on %s not done: %s", command, entity.entity_id, reason)
        said = {"command": command, "reason": reason}
        await self.link.publish(self._topic(entity, "refused"), json.dumps(said).encode())
