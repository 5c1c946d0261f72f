"""The MQTT adapter: Zigbee2MQTT's devices through a broker, with aiomqtt.

Zigbee2MQTT announces its devices in the retained `<base>/bridge/devices` list, says
whether it runs in `<base>/bridge/state`, and whether each device answers in
`<base>/<friendly_name>/availability`. Each device reports its state as JSON on
`<base>/<friendly_name>`, takes commands on `.../set` and reads properties again on
`.../get`. A command is confirmed when the device reports its state after it; a failure
Zigbee2MQTT logs (`bridge/logging`: "Publish 'set' ... failed") refuses it.

A device is available while the broker is reached, the bridge is online, the device is
not reported offline and its last state was valid JSON; the broker going away marks every
device unavailable, and they come back when it does, without a restart.

Devices announced by Home Assistant discovery (Tasmota, ESPHome) go the same way: one link
and coordinator per announced device (its `identifiers`), available while the broker is
reached and its availability topic does not say it is offline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from devices.adapters.mqtt import discovery
from devices.adapters.mqtt.config import MqttConfig
from devices.adapters.mqtt.exposes import ZigbeeEntity, command_payload, gettable, plan, state_of
from devices.adapters.mqtt.link import BrokerSession, BrokerSettings
from devices.adapters.mqtt.manifest import MANIFEST
from devices.background import Background
from devices.capabilities import CommandSpec, Params, State
from devices.entities import DeviceInfo, Entity, EntitySpec
from devices.errors import (
    DeviceConnectionError,
    DeviceError,
    DeviceRefusedError,
    DeviceResponseError,
    DeviceTimeoutError,
    DeviceUnavailableError,
    UnsupportedCommandError,
)
from devices.plugin import (
    AdapterConfig,
    AdapterContext,
    CoordinatedAdapter,
    Coordinator,
    DeviceLink,
    Devices,
    Discovered,
    Sink,
)

BROKER = "mqtt-broker"
"""The `Discovered.type` of a broker named by config or a demo."""
FAILED = re.compile(
    r"Publish '(?:set|get)' '[^']*' to '(?P<name>.+?)' failed: '(?P<why>.*)'", re.DOTALL
)
"""How Zigbee2MQTT logs a command a device did not carry out."""
UNREACHED = ("Timeout", "Delivery failed", "No network route", "MAC no ack")
"""Words of such a failure that mean the device did not answer (not that it said no)."""
_LOGGER = logging.getLogger(__name__)
NONSENSE = "answered with something that makes no sense."
"""Why a discovered device that said something unreadable is unavailable."""


@dataclass
class ZigbeeDevice:
    """One device of Zigbee2MQTT's list, and what it last said."""

    ieee: str
    friendly_name: str
    info: DeviceInfo
    entities: list[ZigbeeEntity]
    payload: dict[str, Any] = field(default_factory=dict)
    """The device's state JSON, merged from every message."""
    heard: bool = False
    """Whether a valid state has arrived."""
    online: bool | None = None
    """What `<friendly_name>/availability` last said (None: it never said)."""
    problem: str | None = None
    """Why its last message could not be read."""
    gone: bool = False
    """Removed from Zigbee2MQTT's device list."""
    waiters: list[asyncio.Future[None]] = field(default_factory=list)
    states: dict[str, State] = field(default_factory=dict)


def _name_and_area(friendly_name: str) -> tuple[str, str | None]:
    """ "Hallway/Radiator" is the radiator of the hallway: name "Hallway Radiator"."""
    parts = [p.strip() for p in friendly_name.split("/") if p.strip()]
    if len(parts) > 1:
        return " ".join(parts), parts[0]
    return friendly_name, None


class ZigbeeLink(DeviceLink):
    """One Zigbee device behind Zigbee2MQTT, through the broker's session.

    Its address is its friendly name (its place on the bus), its unique id its IEEE
    address. A read asks with `/get` what may be asked and waits for the state the device
    reports; a command publishes to `/set` and waits for the reported state, which is
    then the read-back. A device that may be asked nothing is read from what it last
    reported (it reports every change).
    """

    def __init__(self, address: str, adapter: MqttAdapter) -> None:
        super().__init__(address)
        self.adapter = adapter
        self.sink: Sink | None = None
        self.fresh = False
        """The device reported its state after the last command: the read-back needs no
        /get of its own."""

    def _device(self) -> ZigbeeDevice:
        device = self.adapter.listed.get(self.address)
        if device is None or device.gone or (self.unique_id and device.ieee != self.unique_id):
            raise DeviceUnavailableError("is no longer listed by Zigbee2MQTT.")
        return device

    async def connect(self) -> None:
        """The broker is reached and Zigbee2MQTT lists the device."""
        self.adapter.broker_reached()
        self.unique_id = self._device().ieee

    async def ready(self) -> None:
        """Wait for the device's state (retained states come right after the list); a
        device that says nothing within the request timeout is asked with /get, if it may be."""
        device = self._device()
        if device.heard:
            return
        with contextlib.suppress(DeviceError):
            await self.adapter.heard(device)
            return
        asked = gettable(device.entities)
        if asked and not device.heard:
            with contextlib.suppress(DeviceError):
                await self.adapter.send(device, "get", asked)

    def describe(self) -> Sequence[tuple[DeviceInfo, Sequence[EntitySpec]]]:
        """The device and its entities."""
        device = self._device()
        return [(device.info, self.adapter.specs(device))]

    async def read(self) -> Mapping[str, State]:
        """Ask the device with /get where it may be asked; else what it last reported.
        The read-back of a command is the state the device reported after it, as read
        when it arrived (not read again)."""
        device = self._device()
        if self.fresh:
            self.fresh = False
            return self.adapter.reported(device)
        asked = gettable(device.entities)
        if asked:
            await self.adapter.send(device, "get", asked)
        else:
            reason = self.adapter.why_unavailable(device)
            if reason is not None:
                raise DeviceConnectionError(f"cannot be read: {reason}.")
        return self.adapter.states(device)

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """Publish to the device's /set; done when it reports its state after it."""
        device = self._device()
        key = unique_id.rpartition(":")[2]
        planned = next((e for e in device.entities if e.key == key), None)
        if planned is None:
            raise UnsupportedCommandError("is no longer offered by the device.")
        try:
            payload = command_payload(planned, command.verb, params)
        except ValueError as error:
            raise UnsupportedCommandError(f"cannot {command.verb.replace('_', ' ')}.") from error
        self.fresh = False
        await self.adapter.send(device, "set", payload)
        self.fresh = True

    async def subscribe(self, sink: Sink) -> bool:
        """Zigbee2MQTT pushes every change; the adapter hands them to `sink`."""
        self.sink = sink
        return True

    def reported_after_command(self, unique_id: str) -> State | None:
        """The state the device reported after the last command, as read (and pushed) when
        it arrived: the read-back, once."""
        device = self.adapter.listed.get(self.address)
        if not self.fresh or device is None:
            return None
        self.fresh = False
        return device.states.get(unique_id.rpartition(":")[2])


class AnnouncedLink(DeviceLink):
    """One device announced by Home Assistant discovery, through the broker's session.

    Its address and unique id are `ha:` and the device's first identifier; its entities are
    the discovery configs that name that device. A command publishes to the entity's
    command topics and waits for its state topics to answer; a read is what they last said.
    """

    def __init__(self, address: str, adapter: MqttAdapter) -> None:
        super().__init__(address)
        self.adapter = adapter
        self.fresh = False
        """The device answered the last command: the read-back may read what it said."""

    def entities(self) -> list[discovery.DiscoveredEntity]:
        """The device's announced entities (DeviceUnavailableError when none is left)."""
        device_id = self.address.removeprefix("ha:")
        same = [e for e in self.adapter.announced.values() if e.device_id == device_id]
        if not same:
            raise DeviceUnavailableError("is no longer announced on the MQTT broker.")
        return same

    async def connect(self) -> None:
        """The broker is reached and the device is announced."""
        self.adapter.broker_reached()
        self.entities()
        self.unique_id = self.address

    def describe(self) -> Sequence[tuple[DeviceInfo, Sequence[EntitySpec]]]:
        """The device, from what every one of its configs tells of it, and its entities."""
        same = self.entities()
        device: dict[str, Any] = {}
        for entity in same:  # one entity's config may tell more of the device than another's
            device.update({k: v for k, v in entity.device.items() if v})
        session = self.adapter.link
        info = DeviceInfo(
            unique_id=self.address,
            name=str(device.get("name") or same[0].name),
            host=session.settings.host if session is not None else None,
            manufacturer=str(device.get("manufacturer") or "") or None,
            model=str(device.get("model") or "") or None,
            sw_version=str(device.get("sw_version") or "") or None,
            suggested_area=str(device.get("suggested_area") or "") or None,
        )
        specs = [
            EntitySpec(
                unique_id=f"ha:{e.unique_id}",
                domain=e.domain,
                name=e.name,
                features=e.features,
                device_class=str(e.config.get("device_class") or "") or None,
                state=e.state,
            )
            for e in same
        ]
        return [(info, specs)]

    async def read(self) -> Mapping[str, State]:
        """What the device's state topics last said (it reports every change); a device
        the bus says is unavailable cannot be read, unless it just answered a command."""
        reason = self.adapter.why_announced_unavailable(self.address)
        if reason is not None and not self.fresh:
            raise DeviceConnectionError(f"cannot be read: {reason}.")
        self.fresh = False
        return {f"ha:{e.unique_id}": e.state for e in self.entities() if e.state is not None}

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """Publish to the entity's command topics; done when its state topics answer."""
        found = next((e for e in self.entities() if f"ha:{e.unique_id}" == unique_id), None)
        if found is None:
            raise DeviceUnavailableError("is no longer announced on the MQTT broker.")
        self.fresh = False
        await self.adapter.execute_announced(found, command.verb, params)
        self.adapter.offline.discard(self.address)  # it answered: online, whatever was said
        self.fresh = True

    async def subscribe(self, sink: Sink) -> bool:
        """The device pushes every change; one said offline already is unavailable."""
        reason = self.adapter.why_announced_unavailable(self.address)
        if reason is not None:
            sink.unavailable(reason)
        return True


class MqttAdapter(CoordinatedAdapter[ZigbeeLink]):
    """Devices announced on an MQTT broker: Zigbee2MQTT's, and Home Assistant discovery's.

    The broker's session is a device link of its own, on a coordinator that reconnects it
    with backoff; every Zigbee device has its own link and coordinator (availability,
    read-back, retries), its messages routed to it by friendly name.
    """

    manifest = MANIFEST
    poll_interval = 300.0
    """Zigbee2MQTT pushes every change; the rare poll reads what can be read with /get."""

    config: MqttConfig

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self.brokers: Devices[BrokerSession] = Devices(context, timeout=self.config.request_timeout)
        self.announced_devices: Devices[AnnouncedLink] = Devices(
            context, timeout=self.config.request_timeout
        )
        """The devices announced by Home Assistant discovery, by `ha:` and identifier."""
        self.offline: set[str] = set()
        """Announced devices (`ha:` ids) whose availability topic last said offline."""
        self.link: BrokerSession | None = None
        """The broker's session (the latest made)."""
        self.listed: dict[str, ZigbeeDevice] = {}
        """Zigbee2MQTT's device list, by friendly name."""
        self.bridge_online: bool | None = None
        self.device_lists = 0
        """How many device lists have been read (tests wait on it)."""
        self._background = Background()
        self._discovery_waiters: dict[str, list[tuple[asyncio.Future[None], set[str]]]] = {}
        """Commands waiting for a discovered entity to report, with the topic roles that
        answer them (a mode command is answered on the mode's state topic)."""
        self.log = _LOGGER
        self.discovery_configs = 0
        """How many discovery configs have been read (tests wait on it)."""
        self.announced: dict[str, discovery.DiscoveredEntity] = {}
        """Home Assistant discovery's entities, by discovery key."""
        self._routes: dict[str, list[tuple[discovery.DiscoveredEntity, str]]] = {}
        self._nonsense_from: set[str] = set()
        """Discovered devices (by address, ha:<device id>) unavailable since they said
        something that makes no sense, until they say something that does."""

    # -- the broker -----------------------------------------------------------------------

    async def start(self) -> None:
        """Connect to the configured broker."""
        host = self.config.broker_host
        if host is None:
            _LOGGER.info("No MQTT broker configured (adapters.mqtt.broker)")
            return
        await self.connect(host, self.config.broker_port)

    async def discovered(self, found: Discovered) -> None:
        """A broker named by other means (a demo); the same broker again changes nothing."""
        if found.type == BROKER:
            await self.connect(found.host, found.port or self.config.broker_port)

    async def connect(self, host: str, port: int) -> None:
        """Connect to the broker at host:port, kept by its coordinator (idempotent)."""
        link = self.link
        if link is not None and (link.settings.host, link.settings.port) != (host, port):
            await self.brokers.close()  # another broker now: one at a time
        self.log = logging.getLogger(f"{__name__}[{host}]")
        address = f"{host}:{port}"
        await self.brokers.set_up(address, self._session)
        if not self.brokers.coordinators:  # not reached yet: its coordinator reconnects it after
            self._background.once("first connection", self._first_connection)

    async def _first_connection(self) -> None:
        """Try a broker not reached at start with the configured backoff (not only at the
        rare poll), until it answers; from then on its coordinator keeps it connected."""
        backoff = BrokerSettings(
            "", 0, reconnect_min=self.config.reconnect_min, reconnect_max=self.config.reconnect_max
        ).backoff
        attempt = 0
        while not self.brokers.coordinators:
            await asyncio.sleep(backoff[min(attempt, len(backoff) - 1)])
            attempt += 1
            await self.brokers.refresh()

    def broker_reached(self) -> None:
        """DeviceConnectionError, saying why, unless the broker's session is connected."""
        session = self.link
        if session is None or not session.connected:
            problem = session.problem if session is not None else "no MQTT broker"
            raise DeviceConnectionError(f"cannot be reached: {problem}.")

    def broker_settings(self, host: str, port: int, *, client_id: str = "") -> BrokerSettings:
        """How to reach the broker at host:port with the configured login and TLS."""
        username, password = self.config.credentials()
        return BrokerSettings(
            host,
            port,
            username=username,
            password=password,
            tls=self.config.tls,
            ca_file=self.config.ca_file,
            protocol=self.config.protocol,
            client_id=client_id or self.config.client_id,
            keepalive=self.config.keepalive,
            reconnect_min=self.config.reconnect_min,
            reconnect_max=self.config.reconnect_max,
            credentials_hint=(
                f"check {self.config.username_env} and {self.config.password_env}"
                if username or password
                else f"it wants a login: set {self.config.username_env} and "
                f"{self.config.password_env} in the environment"
            ),
        )

    def _session(self, address: str) -> BrokerSession:
        host, _, port = address.rpartition(":")
        settings = self.broker_settings(host, int(port))
        base = self.config.base_topic
        prefix = self.config.discovery_prefix
        self.link = BrokerSession(
            settings,
            [f"{base}/#", f"{prefix}/#", *self._routes],
            self._message,
            self._connection,
            logger=self.log,
        )
        return self.link

    def _connection(self, connected: bool, reason: str) -> None:
        if connected:
            self.bridge_online = None  # said again by the retained bridge/state
        else:
            for device in self.listed.values():
                self._fail(device, DeviceConnectionError(f"cannot be reached: {reason}."))
        self._publish_availability()
        self._publish_announced_availability()

    # -- messages -------------------------------------------------------------------------

    def _message(self, topic: str, payload: bytes, retained: bool) -> None:
        for entity, role in self._routes.get(topic, ()):
            self._discovered_value(entity, role, payload, retained)
        if topic.startswith(self.config.discovery_prefix + "/") and topic.endswith("/config"):
            self._discovery_config(topic, payload)
            return
        base = self.config.base_topic + "/"
        if not topic.startswith(base):
            return
        rest = topic[len(base) :]
        if rest == "bridge/state":
            self._bridge_state(payload)
        elif rest == "bridge/devices":
            self._device_list(topic, payload)
        elif rest == "bridge/logging":
            self._bridge_log(payload)
        elif rest.startswith("bridge/"):
            return
        elif rest.endswith("/availability"):
            self._availability(rest.removesuffix("/availability"), payload)
        elif rest.endswith(("/set", "/get")) or "/set/" in rest or "/get/" in rest:
            return  # commands, ours or another client's
        else:
            self._state(rest, topic, payload, retained)

    @staticmethod
    def _online(payload: bytes) -> bool | None:
        """Zigbee2MQTT says `{"state": "online"}` (and once said plain `online`)."""
        text = payload.decode(errors="replace").strip()
        with contextlib.suppress(ValueError):
            said = json.loads(text)
            if isinstance(said, Mapping):
                text = str(said.get("state", ""))
        return {"online": True, "offline": False}.get(text)

    def _bridge_state(self, payload: bytes) -> None:
        self.bridge_online = self._online(payload)
        if self.bridge_online is False:
            for device in self.listed.values():
                self._fail(
                    device, DeviceConnectionError("cannot be reached: Zigbee2MQTT is offline.")
                )
        self._publish_availability()

    def _availability(self, friendly_name: str, payload: bytes) -> None:
        device = self.listed.get(friendly_name)
        if device is None:
            return
        device.online = self._online(payload)
        if device.online is False:
            self._fail(device, DeviceConnectionError("went offline."))
        self._publish_availability(device)

    def _bridge_log(self, payload: bytes) -> None:
        try:
            said = json.loads(payload)
        except ValueError:
            return
        if not isinstance(said, Mapping) or said.get("level") != "error":
            return
        failed = FAILED.search(str(said.get("message", "")))
        if failed is None or (device := self.listed.get(failed["name"])) is None:
            return
        why = failed["why"].removeprefix("Error: ").strip().rstrip(".")
        if any(word in why for word in UNREACHED):
            self._fail(device, DeviceConnectionError(f"did not answer over Zigbee ({why})."))
        else:
            self._fail(device, DeviceRefusedError(f"refused the command: {why}."))

    def _device_list(self, topic: str, payload: bytes) -> None:
        try:
            listed = json.loads(payload)
        except ValueError:
            self.log.warning("%s is not JSON; keeping the devices known before", topic)
            return
        if not isinstance(listed, list):
            self.log.warning("%s is not a list of devices; keeping the devices known before", topic)
            return
        seen: set[str] = set()
        for entry in listed:
            device = self._read_entry(topic, entry)
            if device is None:
                continue
            seen.add(device.friendly_name)
            known = self.listed.get(device.friendly_name)
            if known is not None and known.ieee == device.ieee:
                known.info, known.entities = device.info, device.entities
                coordinator = self._coordinator(known)
                if coordinator is not None:
                    coordinator.publish()
                if known.gone:
                    known.gone = False
                    self._publish_availability(known)
                continue
            self.listed[device.friendly_name] = device
            self._background.spawn(self.devices.set_up(device.friendly_name, self._zigbee_link))
        for name, device in self.listed.items():
            if name not in seen and not device.gone:
                device.gone = True
                self._publish_availability(device)
        self.device_lists += 1

    def _zigbee_link(self, friendly_name: str) -> ZigbeeLink:
        return ZigbeeLink(friendly_name, self)

    def _coordinator(self, device: ZigbeeDevice) -> Coordinator[ZigbeeLink] | None:
        """The coordinator of a listed device, if it is set up under this name."""
        coordinator = self.devices.coordinators.get(device.ieee)
        if coordinator is None or coordinator.link.address != device.friendly_name:
            return None
        return coordinator

    def _read_entry(self, topic: str, entry: Any) -> ZigbeeDevice | None:
        if not isinstance(entry, Mapping) or entry.get("type") == "Coordinator":
            return None
        ieee, name = entry.get("ieee_address"), entry.get("friendly_name")
        definition = entry.get("definition")
        if not isinstance(ieee, str) or not isinstance(name, str) or not name:
            self.log.warning("%s lists a device without ieee_address or friendly_name", topic)
            return None
        if entry.get("disabled") is True or not isinstance(definition, Mapping):
            return None  # disabled, or not supported by Zigbee2MQTT: nothing to drive
        planned = plan(definition.get("exposes"))
        for unknown in planned.unknown:
            self.log.info(
                "%s: %s: skipped an expose Dobby does not know (%s)", topic, name, unknown
            )
        if not planned.entities:
            return None
        label, area = _name_and_area(name)
        info = DeviceInfo(
            unique_id=ieee,
            name=label,
            host=self.link.settings.host if self.link is not None else None,
            manufacturer=str(definition.get("vendor") or "") or None,
            model=str(definition.get("model") or "") or None,
            sw_version=str(entry.get("software_build_id") or "") or None,
            suggested_area=area,
        )
        return ZigbeeDevice(ieee, name, info, planned.entities)

    def _state(self, friendly_name: str, topic: str, payload: bytes, retained: bool) -> None:
        device = self.listed.get(friendly_name)
        if device is None:
            if not retained:
                self.log.debug("%s: no such device in Zigbee2MQTT's list", topic)
            return
        if device.gone:
            self.log.info("%s: a message for a device Zigbee2MQTT no longer lists; ignored", topic)
            return
        try:
            said = json.loads(payload)
        except ValueError:
            said = None
        if not isinstance(said, dict):
            self.log.warning("%s: the state is not a JSON object; marked unavailable", topic)
            device.problem = "sent a state that is not valid JSON"
            self._fail(device, DeviceResponseError("answered with something that is not a state."))
            self._publish_availability(device)
            return
        device.payload.update(said)
        device.heard = True
        self._events(device, said)
        if device.problem is not None:
            device.problem = None
            self._publish_availability(device)
        self._push(device)
        for waiter in device.waiters:
            if not waiter.done():
                waiter.set_result(None)
        device.waiters.clear()

    # -- Home Assistant discovery -------------------------------------------------------

    def _discovery_config(self, topic: str, payload: bytes) -> None:
        self.discovery_configs += 1
        try:
            found = discovery.read_config(self.config.discovery_prefix, topic, payload)
        except discovery.ConfigProblemError as problem:
            self.log.warning("%s %s; skipped", topic, problem)
            return
        if found is None:
            self.log.info("%s: a component Dobby does not map; skipped", topic)
            return
        if isinstance(found, str):
            gone = self.announced.pop(found, None)
            if gone is not None:
                self.log.info("%s: withdrawn (an empty config)", topic)
                self.context.remove_entity(f"ha:{gone.unique_id}")
            return
        self.announced[found.key] = found
        for route in self._routes.values():
            route[:] = [(e, r) for e, r in route if e.key != found.key]
        for role, wanted in found.topics().items():
            self._routes.setdefault(wanted, []).append((found, role))
            if self.link is not None:
                self._background.spawn(self.link.subscribe_topic(wanted))
        self._add_discovered(found)

    def _add_discovered(self, found: discovery.DiscoveredEntity) -> None:
        """An entity announced: its device set up on a coordinator, or published again
        with the entity if it is set up already."""
        address = f"ha:{found.device_id}"
        coordinator = self.announced_devices.coordinators.get(address)
        if coordinator is not None:
            coordinator.publish()
        else:
            self._background.spawn(self.announced_devices.set_up(address, self._announced_link))

    def _announced_link(self, address: str) -> AnnouncedLink:
        return AnnouncedLink(address, self)

    def why_announced_unavailable(self, address: str) -> str | None:
        """Why an announced device cannot be used now, as far as the bus tells; or None."""
        if self.link is None or not self.link.connected:
            return self.link.problem if self.link is not None else "no MQTT broker"
        if address in self.offline:
            return "it reports itself offline"
        if address in self._nonsense_from:
            return NONSENSE
        return None

    def _publish_announced_availability(self, only: str | None = None) -> None:
        """What the bus says of announced devices' availability, to their coordinators."""
        coordinators = self.announced_devices.coordinators
        for address in [only] if only is not None else list(coordinators):
            coordinator = coordinators.get(address)
            if coordinator is None:
                continue  # being set up: its link says so as it subscribes
            reason = self.why_announced_unavailable(address)
            if reason is None:
                coordinator.answered()
            else:
                coordinator.unavailable(reason)

    def _discovered_value(
        self, entity: discovery.DiscoveredEntity, role: str, payload: bytes, retained: bool
    ) -> None:
        """A message on one of a discovered entity's topics. Only a fresh one (not retained:
        the broker's copy of an old report) answers a command."""
        if role == "availability":
            self._announced_availability(entity, payload)
            return
        if role == "attributes":
            self._discovered_attributes(entity, payload)
        else:
            value = entity.template(role).render(payload)
            if discovery.makes_no_sense(entity, role, payload, value):
                self._nonsense(entity, role, payload, answer=not retained)
                return
            if value is None:
                self.log.warning("%s: no value in %r", entity.key, payload[:60])
                return
            entity.values[role] = value
        address = f"ha:{entity.device_id}"
        if address in self._nonsense_from:  # it makes sense again
            self._nonsense_from.discard(address)
            self._publish_announced_availability(address)
        state = discovery.state_of(entity)
        if state is None:
            return
        entity.state = state
        if self.announced.get(entity.key) is entity:
            self._push_announced(entity, state)
        waiting = self._discovery_waiters.get(entity.key, [])
        for waiter, roles in waiting:
            if role in roles and not retained and not waiter.done():
                waiter.set_result(None)
        waiting[:] = [(w, r) for w, r in waiting if not w.done()]

    def _announced_availability(self, entity: discovery.DiscoveredEntity, payload: bytes) -> None:
        """The device's availability topic said online or offline (or something else); a
        command waiting for an answer from a device that went offline gets none."""
        said = payload.decode(errors="replace").strip()
        address = f"ha:{entity.device_id}"
        if said == str(entity.config.get("payload_available", "online")):
            self.offline.discard(address)
        elif said == str(entity.config.get("payload_not_available", "offline")):
            self.offline.add(address)
            gone = DeviceConnectionError("went offline.")
            for same in self.announced.values():
                if same.device_id == entity.device_id:
                    self._fail_waiters(same.key, gone)
        else:
            return
        self._publish_announced_availability(address)

    def _nonsense(
        self, entity: discovery.DiscoveredEntity, role: str, payload: bytes, *, answer: bool
    ) -> None:
        """A discovered device said something that makes no sense: unavailable until it
        says something that does, and (a fresh `answer`) a command waiting for it fails."""
        self.log.warning(
            "%s: %r on its %s topic makes no sense; unavailable until it reports again",
            entity.key,
            payload[:60],
            role,
        )
        address = f"ha:{entity.device_id}"
        self._nonsense_from.add(address)
        self._publish_announced_availability(address)
        if answer:
            self._fail_waiters(entity.key, DeviceResponseError(NONSENSE), role)

    def _fail_waiters(self, key: str, error: DeviceError, role: str | None = None) -> None:
        """Commands of one entity waiting for an answer (on `role`'s topic, or any) fail."""
        for waiter, roles in self._discovery_waiters.get(key, []):
            if (role is None or role in roles) and not waiter.done():
                waiter.set_exception(error)

    def _push_announced(self, entity: discovery.DiscoveredEntity, state: State) -> None:
        """A new state of an announced entity, to its device's coordinator."""
        address = f"ha:{entity.device_id}"
        coordinator = self.announced_devices.coordinators.get(address)
        if coordinator is None:
            return  # being set up: its description carries the state
        if address in self.offline:  # a retained state of a device said offline: no answer
            self.context.push_state(f"ha:{entity.unique_id}", state)
        else:
            coordinator.pushed(f"ha:{entity.unique_id}", state)

    def _discovered_attributes(self, entity: discovery.DiscoveredEntity, payload: bytes) -> None:
        """A `json_attributes_topic` message: a JSON object (or one inside it, by template)."""
        try:
            said: Any = json.loads(payload)
        except ValueError:
            said = None
        for step in entity.template("attributes").path or ():
            said = said.get(step) if isinstance(said, Mapping) else None
        if not isinstance(said, Mapping):
            self.log.warning("%s: the attributes are not a JSON object", entity.key)
            return
        entity.attributes = dict(said)

    async def execute_announced(
        self, entity: discovery.DiscoveredEntity, verb: str, params: Params
    ) -> None:
        """Publish a command on an announced entity's command topics and wait for the topics
        that answer it (none: optimistic, done once published)."""
        link = self.link
        if link is None:
            raise DeviceConnectionError("cannot be reached: no MQTT broker is configured.")
        messages = discovery.command(entity, verb, params.model_dump())
        roles = discovery.answered_on(entity, [topic for topic, _ in messages])
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiting = self._discovery_waiters.setdefault(entity.key, [])
        waiting.append((waiter, roles))
        try:
            for topic, payload in messages:
                await link.publish(topic, payload)
            if not roles:
                return  # optimistic: the device reports nothing back
            async with asyncio.timeout(self.config.request_timeout):
                await waiter
        except TimeoutError:
            raise DeviceTimeoutError("did not answer in time.") from None
        finally:
            waiting[:] = [(w, r) for w, r in waiting if w is not waiter]

    # -- the registry ---------------------------------------------------------------------

    def states(self, device: ZigbeeDevice) -> dict[str, State]:
        """Every entity's state, from what the device reported, by the entity's unique id."""
        states: dict[str, State] = {}
        for entity in device.entities:
            state = state_of(entity, device.payload, device.states.get(entity.key))
            if state is not None:
                device.states[entity.key] = state
                states[f"{device.ieee}:{entity.key}"] = state
        return states

    @staticmethod
    def reported(device: ZigbeeDevice) -> dict[str, State]:
        """Every entity's state as read from the device's last message (by `states`), by
        the entity's unique id."""
        return {
            f"{device.ieee}:{entity.key}": state
            for entity in device.entities
            if (state := device.states.get(entity.key)) is not None
        }

    def specs(self, device: ZigbeeDevice) -> list[EntitySpec]:
        """The device's entities, with their states."""
        states = self.states(device)
        return [
            EntitySpec(
                unique_id=f"{device.ieee}:{entity.key}",
                domain=entity.domain,
                name=f"{device.info.name} {entity.label}".strip(),
                features=entity.features,
                device_class=entity.device_class,
                state=states.get(f"{device.ieee}:{entity.key}"),
                suggested_area=device.info.suggested_area,
            )
            for entity in device.entities
        ]

    def _events(self, device: ZigbeeDevice, said: Mapping[str, Any]) -> None:
        """A remote's action in this message is an event (a second press of the same
        button changes no state, and is a press all the same)."""
        for entity in device.entities:
            action = entity.roles.get("action")
            value = said.get(action.property) if action is not None else None
            if isinstance(value, str) and value:
                self.context.fire_event(f"{device.ieee}:{entity.key}", value)

    def _push(self, device: ZigbeeDevice) -> None:
        """The states in the device's new message, read once: kept (a command's read-back
        is these) and the changed ones pushed to its coordinator."""
        before = dict(device.states)
        states = self.states(device)
        coordinator = self._coordinator(device)
        if coordinator is None:
            return  # being set up: its description will carry the state
        changed = False
        for unique_id, state in states.items():
            if state != before.get(unique_id.rpartition(":")[2]):
                coordinator.pushed(unique_id, state)
                changed = True
        if not changed and self.why_unavailable(device) is None:
            coordinator.answered()

    def why_unavailable(self, device: ZigbeeDevice) -> str | None:
        """Why Zigbee2MQTT's device cannot be used now, as far as the bus tells; or None."""
        if self.link is None or not self.link.connected:
            return self.link.problem if self.link is not None else "no MQTT broker"
        if self.bridge_online is False:
            return "Zigbee2MQTT is offline"
        if device.gone:
            return "Zigbee2MQTT no longer lists it"
        if device.online is False:
            return "Zigbee2MQTT reports it offline"
        return device.problem

    def _publish_availability(self, only: ZigbeeDevice | None = None) -> None:
        """What the bus said of a device's availability (or every device's), to its
        coordinator: unavailable with the reason, or back."""
        for device in [only] if only is not None else list(self.listed.values()):
            coordinator = self._coordinator(device)
            if coordinator is None:
                continue
            reason = self.why_unavailable(device)
            if reason is None:
                coordinator.answered()
            else:
                coordinator.unavailable(reason)

    def _fail(self, device: ZigbeeDevice, error: DeviceError) -> None:
        for waiter in device.waiters:
            if not waiter.done():
                waiter.set_exception(error)
        device.waiters.clear()

    # -- commands and polls ---------------------------------------------------------------

    async def heard(self, device: ZigbeeDevice) -> None:
        """Wait for the device's next state (DeviceTimeoutError after the request timeout)."""
        await self.send(device, "", {})

    async def send(self, device: ZigbeeDevice, suffix: str, payload: Mapping[str, Any]) -> None:
        """Publish to the device's /set or /get and wait for the state it reports after
        (with no `suffix`, publish nothing and wait)."""
        link = self.link
        if link is None:
            raise DeviceConnectionError("cannot be reached: no MQTT broker is configured.")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        device.waiters.append(waiter)
        try:
            if suffix:
                topic = f"{self.config.base_topic}/{device.friendly_name}/{suffix}"
                await link.publish(topic, payload)
            async with asyncio.timeout(self.config.request_timeout):
                await waiter
        except TimeoutError:
            raise DeviceTimeoutError("did not answer in time.") from None
        finally:
            if waiter in device.waiters:
                device.waiters.remove(waiter)
            if not waiter.done():
                waiter.cancel()
            elif not waiter.cancelled():
                waiter.exception()  # retrieved: the error was raised above if there was one

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        """A command through the coordinator of the entity's device (a Zigbee device's, or
        one announced by Home Assistant discovery)."""
        if entity.adapter_unique_id.startswith("ha:"):
            await self.announced_devices.execute(entity, command, params)
            return
        await super().execute(entity, command, params)

    async def refresh(self) -> None:
        """The broker reconnected if it is not; every device asked what /get may ask, and
        every announced device read."""
        await self.brokers.refresh()
        await asyncio.gather(super().refresh(), self.announced_devices.refresh())

    async def stop(self) -> None:
        """Disconnect from the broker."""
        await self._background.cancel()
        await asyncio.gather(super().stop(), self.announced_devices.close())
        await self.brokers.close()
