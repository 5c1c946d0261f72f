"""The connection to the MQTT broker, as a device link its coordinator runs.

`BrokerSession` is one connection of aiomqtt's client: `connect` logs in and subscribes,
every message goes to `on_message` as it arrives (handed over by the client's queue of
incoming messages, not through `client.messages`, which would make a task and a wait for
each of them: a routine of a hundred Zigbee devices hears a hundred states at once), and
when the broker goes away the session tells its
coordinator (`connection_lost`), which reconnects with the backoff of the settings, and
tells `on_connection` (connected or not, with a reason for a person), so that the adapter
marks the devices behind the broker. A login the broker refuses is one error line naming
the environment variables to check, never the password.

`BrokerLink` keeps a session up by itself, for the emulators that publish on the broker
(Zigbee2MQTT's bridge, the discovery announcer), which run without a coordinator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiomqtt
from paho.mqtt.subscribeoptions import SubscribeOptions

from devices.capabilities import CommandSpec, Params, State
from devices.coordinator import DeviceLink, Sink
from devices.entities import DeviceInfo, EntitySpec
from devices.errors import DeviceAuthError, DeviceConnectionError, UnsupportedCommandError

OnMessage = Callable[[str, bytes, bool], None]
"""(topic, payload, retained)"""
OnConnection = Callable[[bool, str], None]
"""(connected, reason when not)"""
REFUSED_LOGIN = {4, 5, 134, 135}
"""CONNACK codes of a refused login: MQTT 3.1.1's 4 and 5, MQTT 5's 134 and 135."""
UNREACHABLE = "the MQTT broker cannot be reached"
REFUSED = "the MQTT broker refused Dobby's login"
_LOGGER = logging.getLogger(__name__)


class _LateAcknowledgement(logging.Filter):
    """aiomqtt logs an acknowledgement for a subscribe that is no longer waited for (it was
    cancelled because Dobby is stopping, or it timed out) as an error with a traceback.
    Nothing is wrong then: it becomes one debug line of ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("Unexpected message ID"):
            _LOGGER.debug("An acknowledgement came after its request was given up on.")
            return False
        return True


logging.getLogger("mqtt").addFilter(_LateAcknowledgement())  # aiomqtt's own logger

NO_DELAY = ((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),)
"""Each message leaves at once: with Nagle's algorithm the kernel holds a small message back
until the broker acknowledges the one before, which it delays (up to 40 ms) while it has
nothing to send back, so a routine's hundred /set messages would leave in bursts. (The
broker's own side is `set_tcp_nodelay true` in mosquitto.conf.)"""

PUBLISH_WITHIN = 10.0
"""Seconds a publish may wait to be written to the broker's socket (aiomqtt's own default)."""


class _Handover(asyncio.Queue[aiomqtt.Message]):
    """aiomqtt's queue of incoming messages (its `queue_type`), which hands each message to
    a receiver as paho reads it, once one is given; until then (while the session
    subscribes) messages wait in the queue, and the receiver gets them first."""

    receiver: Callable[[aiomqtt.Message], None] | None = None

    def put_nowait(self, item: aiomqtt.Message) -> None:
        if self.receiver is None:
            super().put_nowait(item)
        else:
            self.receiver(item)

    def hand_to(self, receiver: Callable[[aiomqtt.Message], None]) -> None:
        """From now on every message goes to `receiver`, the ones waiting first."""
        while not self.empty():
            receiver(self.get_nowait())
        self.receiver = receiver


@dataclass(frozen=True)
class BrokerSettings:
    """Where the broker is and how to log in; the password never reaches a log."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: str | None = None
    protocol: str = "5"
    client_id: str = ""
    keepalive: int = 30
    reconnect_min: float = 1.0
    reconnect_max: float = 60.0
    credentials_hint: str = ""
    """Where the credentials come from, to name in the log when they are refused."""

    def __repr__(self) -> str:
        return f"BrokerSettings({self.host}:{self.port}, user={self.username!r})"

    @property
    def backoff(self) -> tuple[float, ...]:
        """Seconds between attempts to reconnect: doubling from the least to the most."""
        steps = [self.reconnect_min]
        while steps[-1] * 2 < self.reconnect_max and len(steps) < 20:
            steps.append(steps[-1] * 2)
        return (*steps, self.reconnect_max)


@dataclass(frozen=True)
class Will:
    """What the broker publishes for us when we vanish (Zigbee2MQTT's `bridge/state`)."""

    topic: str
    payload: bytes
    retain: bool = True


class BrokerSession(DeviceLink):
    """One connection to one broker; its coordinator connects it again when it is lost.

    A broker says nothing of who it is: its unique id is its address, host:port.
    """

    device_word = "broker"

    def __init__(
        self,
        settings: BrokerSettings,
        subscriptions: Sequence[str],
        on_message: OnMessage,
        on_connection: OnConnection,
        *,
        will: Will | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        super().__init__(f"{settings.host}:{settings.port}")
        self.settings = settings
        self.backoff = settings.backoff
        self.subscriptions = list(subscriptions)
        self.on_message = on_message
        self.on_connection = on_connection
        self.will = will
        self.log = logger or logging.getLogger(f"{__name__}[{settings.host}]")
        self.problem: str | None = "has not connected yet"
        """Why the broker is not reachable now (None while connected)."""
        self._client: aiomqtt.Client | None = None
        self._incoming: _Handover | None = None
        """The incoming queue of the client being made (see `_Handover`)."""
        self._reader: asyncio.Task[None] | None = None
        self._sink: Sink | None = None
        self._connected = asyncio.Event()

    @property
    def connected(self) -> bool:
        """Whether the broker is reached now."""
        return self._client is not None

    async def wait_connected(self, within: float) -> bool:
        """Wait until the broker is reached (True), or `within` seconds pass (False)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._connected.wait()
        return self.connected

    def _client_for(self) -> aiomqtt.Client:
        session = self

        class Incoming(_Handover):
            def __init__(self, maxsize: int = 0) -> None:
                super().__init__(maxsize)
                session._incoming = self

        s = self.settings
        tls: ssl.SSLContext | None = None
        if s.tls:
            tls = ssl.create_default_context(cafile=s.ca_file)
        will = (
            aiomqtt.Will(self.will.topic, self.will.payload, qos=1, retain=self.will.retain)
            if self.will is not None
            else None
        )
        client = aiomqtt.Client(
            s.host,
            s.port,
            username=s.username,
            password=s.password,
            identifier=s.client_id or None,
            protocol=aiomqtt.ProtocolVersion.V5
            if s.protocol == "5"
            else aiomqtt.ProtocolVersion.V311,
            keepalive=s.keepalive,
            tls_context=tls,
            will=will,
            timeout=PUBLISH_WITHIN,
            queue_type=Incoming,
            socket_options=NO_DELAY,
        )
        # A routine commands a hundred Zigbee devices at once: that many publishes in flight
        # is the plan, not a warning.
        client.pending_calls_threshold = 1000
        return client

    # -- the link's life ------------------------------------------------------------------

    async def connect(self) -> None:
        """Log in to the broker and subscribe; messages flow from here on."""
        self.unique_id = self.address
        client = self._client_for()
        try:
            await client.__aenter__()
        except aiomqtt.MqttCodeError as error:
            code = getattr(error.rc, "value", error.rc)  # MQTT 5 gives a ReasonCode
            if code in REFUSED_LOGIN:
                hint = self.settings.credentials_hint
                self.log.error(
                    "The MQTT broker at %s refused the login%s",
                    self.address,
                    f" ({hint})" if hint else "",
                )
                self.problem = REFUSED
                raise DeviceAuthError("refused Dobby's login.") from None
            self.problem = UNREACHABLE
            raise DeviceConnectionError(f"said no: {error}.") from None
        except aiomqtt.MqttError as error:
            self.problem = UNREACHABLE
            self.log.debug("Cannot reach the MQTT broker at %s: %s", self.address, error)
            raise DeviceConnectionError("cannot be reached.") from None
        try:
            for topic in self.subscriptions:
                await self._subscribe(client, topic)
        except aiomqtt.MqttError as error:
            self.problem = UNREACHABLE
            await _leave(client)
            raise DeviceConnectionError("went away while Dobby subscribed.") from error
        self._client, self.problem = client, None
        self._connected.set()
        self.log.info("Connected to the MQTT broker at %s", self.address)
        self._reader = asyncio.get_running_loop().create_task(self._read_messages(client))
        self.on_connection(True, "")
        if self._incoming is not None:
            self._incoming.hand_to(self._deliver)

    def _deliver(self, message: aiomqtt.Message) -> None:
        """One message, to `on_message` (which must not raise into paho's read: a bug
        reading one message must not drop the broker)."""
        try:
            self.on_message(str(message.topic), _payload(message.payload), message.retain)
        except Exception:
            self.log.exception("Reading a message on %s failed", message.topic)

    async def _read_messages(self, client: aiomqtt.Client) -> None:
        """Wait for the broker to go away (messages are handed over as they arrive; any
        left in the queue are read here)."""
        try:
            async for message in client.messages:
                self._deliver(message)
        except aiomqtt.MqttError as error:
            self.log.warning("Lost the MQTT broker at %s: %s", self.address, error)
        if self._client is not client:
            return  # closed by us
        self._client, self.problem = None, UNREACHABLE
        self._connected.clear()
        await _leave(client)
        self.on_connection(False, UNREACHABLE)
        if self._sink is not None:
            self._sink.connection_lost(UNREACHABLE)

    async def _subscribe(self, client: aiomqtt.Client, topic: str) -> None:
        """Subscribe with QoS 1; with MQTT 5, without our own publishes ("no local"): a
        routine's hundred /set messages need not come back to us."""
        if self.settings.protocol == "5":
            await client.subscribe(topic, options=SubscribeOptions(qos=1, noLocal=True))
        else:
            await client.subscribe(topic, qos=1)

    def describe(self) -> Sequence[tuple[DeviceInfo, Sequence[EntitySpec]]]:
        """The broker is no device of the house: the devices behind it are."""
        return []

    async def read(self) -> Mapping[str, State]:
        """Nothing to read: the devices behind the broker are read by their own links."""
        if self._client is None:
            raise DeviceConnectionError(f"cannot be reached: {self.problem}.")
        return {}

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """A broker takes no commands of its own."""
        del unique_id, params
        raise UnsupportedCommandError(f"a broker cannot do {command.name}.")

    async def subscribe(self, sink: Sink) -> bool:
        """Its coordinator hears when the broker goes away."""
        self._sink = sink
        return True

    async def close(self) -> None:
        """Disconnect; `connect` may be called again."""
        client, self._client = self._client, None
        reader, self._reader = self._reader, None
        self._connected.clear()
        if self._incoming is not None:
            self._incoming.receiver = None  # closed by us: nothing more is read
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
        if client is not None:
            await _leave(client)

    # -- topics ---------------------------------------------------------------------------

    async def subscribe_topic(self, topic: str) -> None:
        """Subscribe now (if connected) and after every reconnect."""
        if topic in self.subscriptions:
            return
        self.subscriptions.append(topic)
        client = self._client
        if client is not None:
            try:
                await self._subscribe(client, topic)
            except aiomqtt.MqttError as error:
                self.log.debug("Subscribing to %s: %s", topic, error)

    async def publish(self, topic: str, payload: Any, *, retain: bool = False) -> None:
        """Publish JSON (or bytes as they are); DeviceConnectionError without a broker."""
        client = self._client
        if client is None:
            raise DeviceConnectionError(f"cannot be reached: {self.problem or 'no broker'}.")
        if isinstance(payload, bytes):
            data = payload
        elif isinstance(payload, str):
            data = payload.encode()
        else:
            data = json.dumps(payload).encode()
        try:
            # Bounded here, not by aiomqtt's `timeout`: its `asyncio.wait_for` makes a task
            # for each publish.
            async with asyncio.timeout(PUBLISH_WITHIN):
                await client.publish(topic, data, qos=0, retain=retain, timeout=math.inf)
        except (aiomqtt.MqttError, TimeoutError) as error:
            raise DeviceConnectionError("cannot be reached: the MQTT broker went away.") from error


class _Ended(Sink):
    """Tells a `BrokerLink` that its session ended."""

    def __init__(self) -> None:
        self.lost = asyncio.Event()

    def pushed(self, unique_id: str, state: State, *, heard: bool = True) -> None:
        del unique_id, state, heard

    def connection_lost(self, reason: str) -> None:
        del reason
        self.lost.set()

    def unavailable(self, reason: str) -> None:
        del reason

    def answered(self) -> None:
        return


class BrokerLink(BrokerSession):
    """A session that keeps itself connected until `stop` (for the emulators)."""

    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Connect in the background, and keep connecting."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._keep_connected())

    async def _keep_connected(self) -> None:
        attempt = 0
        while True:
            ended = _Ended()
            await self.subscribe(ended)
            try:
                await self.connect()
            except (DeviceConnectionError, DeviceAuthError):
                pass
            else:
                attempt = 0
                await ended.lost.wait()
            await asyncio.sleep(self.backoff[min(attempt, len(self.backoff) - 1)])
            attempt += 1

    async def stop(self) -> None:
        """Disconnect and stop reconnecting."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.close()


async def _leave(client: aiomqtt.Client) -> None:
    with contextlib.suppress(aiomqtt.MqttError, OSError, TimeoutError):
        async with asyncio.timeout(2):
            await client.__aexit__(None, None, None)


def _payload(payload: Any) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if payload is None:
        return b""
    return str(payload).encode()
