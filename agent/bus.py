"""Dobby on the bus: Dobby's own entities published with Home Assistant MQTT discovery, and
commands for them taken from their command topics, through the policy.

A household that also runs Home Assistant (or anything that reads MQTT discovery) sees
Dobby's devices there. Off unless home.yaml says so:

    bus:
      enabled: true             # the broker is the mqtt adapter's (adapters.mqtt.broker)
      member: mqtt:homeassistant  # who the bus acts as: one of `members:`, with their role
      base_topic: dobby
      discovery_prefix: homeassistant
      sensitive: refuse         # or allow: unlock, disarm... on the bus's word alone

For each entity: `<prefix>/<component>/dobby/<object_id>/config` (retained; an empty
retained config when Dobby unpublishes), its state on `<base>/<domain>/<object_id>/state`
(retained), commands on `.../set` (and `.../mode_set`, `.../temperature_set` for climate,
`.../volume_set` for a media player). Home Assistant has no MQTT media player: a media
player is a sensor of its state (what plays and the volume as attributes), a button per
transport command it offers, and a volume number. A number (a pool pump's speed) is a
number with the range the device and the household allow, its step and its unit, announced
once the device has said its range; its value is set on `.../set`.

Every command is a request of the "mqtt" channel made by the configured member (their
current role; the audit log names them), reviewed by the policy like any other; with no
member named, or one no longer in the household, every command is refused. A refused
command changes nothing and its reason is published on `.../refused` as
`{"command": ..., "reason": ...}`. A sensitive command (unlocking a door, disarming the
alarm) needs a person to approve it, and nobody is on the bus to press Approve: it is
refused unless `sensitive: allow`. `<base>/status` says `online`, and `offline` as the
broker's last will when Dobby vanishes.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from agent.config import BusConfig
from devices.adapters.mqtt.discovery import OWN_NODE
from devices.adapters.mqtt.link import BrokerLink, BrokerSettings, Will
from devices.background import Background
from devices.capabilities import Domain, NumberState
from devices.capabilities.climate import ClimateState, HVACMode
from devices.capabilities.media_player import MediaPlayerFeature
from devices.capabilities.security import AlarmPanelFeature
from devices.entities import Entity
from devices.errors import DeviceError
from devices.registry import Change
from skills.actions import Action, Directory, Path, Plan, Requester, Role
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
    Domain.CLIMATE: "climate",
    Domain.ALARM_PANEL: "alarm_control_panel",
    Domain.MEDIA_PLAYER: "sensor",
    Domain.NUMBER: "number",
}
"""The Home Assistant component each kind is announced as (a media player's state: a sensor)."""
Order = tuple[str, Mapping[str, Any]]
"""A command and its parameters."""
COMMANDS: Mapping[Domain, Mapping[str, Order]] = {
    Domain.LIGHT: {"ON": ("light.turn_on", {}), "OFF": ("light.turn_off", {})},
    Domain.SWITCH: {"ON": ("switch.turn_on", {}), "OFF": ("switch.turn_off", {})},
    Domain.COVER: {
        "OPEN": ("cover.open", {}),
        "CLOSE": ("cover.close", {}),
        "STOP": ("cover.stop", {}),
    },
    Domain.LOCK: {"LOCK": ("lock.lock", {}), "UNLOCK": ("lock.unlock", {})},
    Domain.ALARM_PANEL: {
        "ARM_HOME": ("alarm_panel.arm", {"mode": "home"}),
        "ARM_AWAY": ("alarm_panel.arm", {"mode": "away"}),
        "ARM_NIGHT": ("alarm_panel.arm", {"mode": "night"}),
        "DISARM": ("alarm_panel.disarm", {}),
    },
    Domain.MEDIA_PLAYER: {
        "PLAY": ("media_player.play", {}),
        "PAUSE": ("media_player.pause", {}),
        "STOP": ("media_player.stop", {}),
        "NEXT": ("media_player.next_track", {}),
        "PREVIOUS": ("media_player.previous_track", {}),
    },
}
"""What each `.../set` topic takes (Home Assistant's default payloads; a media player's
buttons press these) and what it becomes."""
BUTTONS = {
    MediaPlayerFeature.PLAY: ("play", "Play", "PLAY"),
    MediaPlayerFeature.PAUSE: ("pause", "Pause", "PAUSE"),
    MediaPlayerFeature.STOP: ("stop", "Stop", "STOP"),
    MediaPlayerFeature.NEXT_TRACK: ("next", "Next", "NEXT"),
    MediaPlayerFeature.PREVIOUS_TRACK: ("previous", "Previous", "PREVIOUS"),
}
"""A media player's buttons, by the feature each needs: object id suffix, name, payload."""
LEAVES = frozenset({"set", "mode_set", "temperature_set", "volume_set"})
"""The last part of every command topic."""
JSON_STATE = frozenset({Domain.CLIMATE, Domain.MEDIA_PLAYER})
"""The kinds whose state topic carries JSON (several values), not one word."""
SLIDER_STEPS = 256
"""A number of at most this many steps is a slider in Home Assistant, a box beyond (its own
`auto` rule, said outright: a pump's 300 speeds are typed, a chlorinator's 100 slid)."""


def _number(said: str) -> float | None:
    try:
        number = float(said)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def order_for(entity: Entity, leaf: str, said: str) -> Order | None:
    """What a payload on one of an entity's command topics asks for (None: nothing it takes)."""
    if leaf == "set" and entity.domain is not Domain.NUMBER:
        return COMMANDS.get(entity.domain, {}).get(said.upper())
    if leaf == "mode_set" and entity.domain is Domain.CLIMATE:
        modes = {mode.value: mode for mode in HVACMode}
        mode = modes.get(said.lower())
        return None if mode is None else ("climate.set_hvac_mode", {"hvac_mode": mode.value})
    number = _number(said)
    if number is not None and leaf == "temperature_set" and entity.domain is Domain.CLIMATE:
        return ("climate.set_temperature", {"temperature": number})
    if number is not None and leaf == "volume_set" and entity.domain is Domain.MEDIA_PLAYER:
        return ("media_player.set_volume", {"volume": round(number)})
    if number is not None and leaf == "set" and entity.domain is Domain.NUMBER:
        return ("number.set_value", {"value": int(number) if number.is_integer() else number})
    return None


class DobbyBus:
    """Dobby's entities on a broker, and the commands that come back."""

    def __init__(
        self, house: House, broker: BrokerSettings, config: BusConfig, members: Directory
    ) -> None:
        self.house = house
        self.config = config
        self.members = members
        """Who is who now: the bus's member, with their current role, for every command."""
        base = config.base_topic
        self.link = BrokerLink(
            broker,
            [f"{base}/+/+/{leaf}" for leaf in sorted(LEAVES)],
            self._message,
            self._connection,
            will=Will(f"{base}/status", b"offline"),
            logger=_LOGGER,
        )
        self.published: dict[str, list[str]] = {}
        """The config topics of every entity published, by entity id."""
        self._configs: dict[str, dict[str, Any]] = {}
        """What each config topic last said, to say it again only when it changed (a
        number's range, which the household's bounds or the device may change)."""
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
        for topics in list(self.published.values()):
            for topic in topics:
                await self.link.publish(topic, b"", retain=True)
        self.published.clear()
        self._configs.clear()
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

    def configs_for(self, entity: Entity) -> dict[str, dict[str, Any]]:
        """The discovery configs of an entity, by config topic (none: its kind is not
        published)."""
        component = COMPONENT.get(entity.domain)
        if component is None or entity.domain not in self.config.domains:
            return {}
        object_id = entity.entity_id.partition(".")[2]
        prefix = f"{self.config.discovery_prefix}/{{}}/{OWN_NODE}/{{}}/config"
        main = self._common(entity, entity.name, entity.entity_id)
        configs = {prefix.format(component, object_id): main}
        if entity.device_class:
            main["device_class"] = entity.device_class
        if entity.domain in (Domain.LIGHT, Domain.SWITCH, Domain.COVER, Domain.LOCK):
            main["command_topic"] = self._topic(entity, "set")
        if entity.domain in (Domain.LIGHT, Domain.SWITCH, Domain.BINARY_SENSOR):
            main |= {"payload_on": "ON", "payload_off": "OFF"}
        if entity.domain == Domain.LOCK:
            main |= {"state_locked": "LOCKED", "state_unlocked": "UNLOCKED"}
        if entity.domain == Domain.SENSOR and entity.state is not None:
            unit = entity.state.attributes().get("unit_of_measurement")
            if unit:
                main["unit_of_measurement"] = unit
        if entity.domain == Domain.CLIMATE:
            self._climate(entity, main)
        if entity.domain == Domain.ALARM_PANEL:
            main |= {
                "command_topic": self._topic(entity, "set"),
                "supported_features": sorted(
                    f for f in entity.features if f != AlarmPanelFeature.TRIGGER
                ),
                "code_arm_required": False,
                "code_disarm_required": False,
            }
        if entity.domain == Domain.MEDIA_PLAYER:
            configs |= self._media_player(entity, main, prefix)
        if entity.domain == Domain.NUMBER and not self._number(entity, main):
            return {}
        return configs

    def _number(self, entity: Entity, config: dict[str, Any]) -> bool:
        """A number: the range the policy allows (the device's, narrowed by the household's
        bounds, on the device's steps, as the web page's slider), the device's step and
        unit. False while the device has not said its range."""
        allowed = self.house.policy.number_range(entity)
        if allowed is None or not isinstance(entity.state, NumberState):
            return False
        low, high = entity.state.on_steps(*allowed)
        step = entity.state.step
        steps = (high - low) / step if step > 0 else math.inf
        config |= {
            "command_topic": self._topic(entity, "set"),
            "min": low,
            "max": high,
            "step": step,
            "mode": "slider" if steps <= SLIDER_STEPS else "box",
        }
        if entity.state.unit_of_measurement:
            config["unit_of_measurement"] = entity.state.unit_of_measurement
        return True

    def _media_player(
        self, entity: Entity, main: dict[str, Any], prefix: str
    ) -> dict[str, dict[str, Any]]:
        """A media player: its state a sensor (the rest as attributes), a button for each
        transport command it offers, and its volume a number."""
        main |= {
            "value_template": "{{ value_json.state }}",
            "json_attributes_topic": self._topic(entity, "state"),
        }
        object_id = entity.entity_id.partition(".")[2]
        configs: dict[str, dict[str, Any]] = {}
        for feature, (suffix, name, payload) in BUTTONS.items():
            if feature in entity.features:
                button = self._common(entity, name, f"{entity.entity_id}_{suffix}")
                del button["state_topic"]
                button |= {"command_topic": self._topic(entity, "set"), "payload_press": payload}
                configs[prefix.format("button", f"{object_id}_{suffix}")] = button
        if MediaPlayerFeature.VOLUME_SET in entity.features:
            volume = self._common(entity, "Volume", f"{entity.entity_id}_volume")
            volume |= {
                "value_template": "{{ value_json.volume }}",
                "command_topic": self._topic(entity, "volume_set"),
                "min": 0,
                "max": 100,
                "unit_of_measurement": "%",
            }
            configs[prefix.format("number", f"{object_id}_volume")] = volume
        return configs

    def _common(self, entity: Entity, name: str, unique: str) -> dict[str, Any]:
        """What every config of an entity says: its name, ids, state and device."""
        device = self.house.registry.devices.get(entity.device_id)
        return {
            "name": name,
            "unique_id": f"dobby_{unique.replace('.', '_')}",
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

    def _climate(self, entity: Entity, config: dict[str, Any]) -> None:
        """A thermostat: its mode and target from the JSON state, both commanded."""
        state = self._topic(entity, "state")
        bounds = self.house.policy.bounds_for(entity.entity_id)
        config |= {
            "mode_state_topic": state,
            "mode_state_template": "{{ value_json.mode }}",
            "mode_command_topic": self._topic(entity, "mode_set"),
            "temperature_state_topic": state,
            "temperature_state_template": "{{ value_json.temperature }}",
            "temperature_command_topic": self._topic(entity, "temperature_set"),
            "current_temperature_topic": state,
            "current_temperature_template": "{{ value_json.current_temperature }}",
            "min_temp": bounds.min,
            "max_temp": bounds.max,
        }
        if isinstance(entity.state, ClimateState):
            modes = entity.state.hvac_modes or list(HVACMode)
            config["modes"] = [mode.value for mode in modes]
            if entity.state.temperature_unit:
                config["temperature_unit"] = entity.state.temperature_unit.removeprefix("°")
        del config["state_topic"]

    def state_for(self, entity: Entity) -> str | None:
        """The state payload: Home Assistant's default words, or JSON for several values."""
        if entity.state is None:
            return None
        state = entity.state.state
        if entity.domain == Domain.CLIMATE:
            said = entity.state.attributes()
            return json.dumps(
                {
                    "mode": str(state),
                    "temperature": said.get("temperature"),
                    "current_temperature": said.get("current_temperature"),
                }
            )
        if entity.domain == Domain.MEDIA_PLAYER:
            said = entity.state.attributes()
            keep = ("volume", "muted", "media_title", "media_artist", "media_album")
            return json.dumps({"state": str(state)} | {k: said.get(k) for k in keep})
        if entity.domain in (Domain.LIGHT, Domain.SWITCH, Domain.BINARY_SENSOR):
            return "ON" if state == "on" else "OFF"
        if entity.domain == Domain.LOCK:
            return state.upper()
        unknown = isinstance(entity.state, NumberState) and entity.state.value is None
        return "None" if unknown else str(state)  # "None": Home Assistant's payload_reset

    async def _announce(self, entity: Entity) -> None:
        configs = self.configs_for(entity)
        if not configs:
            return
        for topic, config in configs.items():
            if self._configs.get(topic) != config:
                await self.link.publish(topic, config, retain=True)
                self._configs[topic] = config
        self.published[entity.entity_id] = list(configs)
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
        if len(parts) < 4 or parts[-1] not in LEAVES:
            return
        entity_id = f"{parts[-3]}.{parts[-2]}"
        said = payload.decode(errors="replace").strip()
        self._background.spawn(self._quietly(self.command, entity_id, said, parts[-1]))

    def requester(self) -> Requester | None:
        """Who a command from the bus comes from now: the configured member with their
        current role, on the mqtt channel (None: nobody, so refuse)."""
        if self.config.member is None:
            return None
        named = Requester(self.config.member, Role.GUEST, channel=CHANNEL)
        current = self.members.current(named)
        if current is None:
            return None
        return Requester(
            current.id, current.role, current.name, channel=CHANNEL, chat=self.config.base_topic
        )

    async def command(self, entity_id: str, said: str, leaf: str = "set") -> None:
        """A command from the bus, through the policy as the bus member's request."""
        entity = self.house.registry.entities.get(entity_id)
        if entity is None or entity_id not in self.published:
            _LOGGER.info("MQTT: a command for %s, which Dobby does not publish", entity_id)
            return
        order = order_for(entity, leaf, said)
        if order is None:
            topic = self._topic(entity, leaf)
            await self._refused(entity, said, f"{entity.name} does not take {said!r} on {topic}")
            return
        command, params = order
        requester = self.requester()
        if requester is None:
            who = self.config.member
            reason = (
                "the bus acts as nobody: name a household member as bus.member in home.yaml"
                if who is None
                else f"bus.member {who!r} is not a member of the household"
            )
            await self._refused(entity, command, reason)
            return
        action = Action(entity_id=entity_id, command=command, params=dict(params))
        plan = Plan([action], requester, Path.MQTT)
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
                plan = plan.approved(requester)
        outcome = await self.house.carry_out(plan)
        for result in outcome.results:
            if not result.ok:
                await self._refused(entity, command, result.error or "it failed")
        await self._publish_state(self.house.registry.entity(entity_id))

    async def _refused(self, entity: Entity, command: str, reason: str) -> None:
        _LOGGER.info("MQTT: %s on %s not done: %s", command, entity.entity_id, reason)
        said = {"command": command, "reason": reason}
        await self.link.publish(self._topic(entity, "refused"), json.dumps(said).encode())
