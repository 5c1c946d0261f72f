"""The connection to the MQTT broker: connect, subscribe, reconnect with backoff.

This is the one place that knows a connection can be lost. `BrokerLink` keeps a client of
aiomqtt connected for as long as it runs: it subscribes again after every reconnect, hands
each message to `on_message`, and tells `on_connection` when the broker is reached or
lost (with a reason for a person), so that the adapter marks its devices available or not.
When the device coordinator lands, this is what moves onto it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiomqtt

from devices.errors import DeviceConnectionError

OnMessage = Callable[[str, bytes, bool], None]
"""(topic, payload, retained)"""
OnConnection = Callable[[bool, str], None]
"""(connected, reason when not)"""
REFUSED_LOGIN = {4, 5, 134, 135}
"""CONNACK codes of a refused login: MQTT 3.1.1's 4 and 5, MQTT 5's 134 and 135."""


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


@dataclass(frozen=True)
class Will:
    """What the broker publishes for us when we vanish (Zigbee2MQTT's `bridge/state`)."""

    topic: str
    payload: bytes
    retain: bool = True


class BrokerLink:
    """A connection to one broker, kept up until `stop`."""

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
        self.settings = settings
        self.subscriptions = list(subscriptions)
        self.on_message = on_message
        self.on_connection = on_connection
        self.will = will
        self.log = logger or logging.getLogger(f"{__name__}[{settings.host}]")
        self.problem: str | None = "has not connected yet"
        """Why the broker is not reachable now (None while connected)."""
        self._client: aiomqtt.Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()

    @property
    def connected(self) -> bool:
        """Whether the broker is reached now."""
        return self._client is not None

    def start(self) -> None:
        """Connect in the background, and keep connecting."""
        if self._task is None:
            self._task = asyncio.create_task(self._keep_connected(), name="mqtt-link")

    async def wait_connected(self, within: float) -> bool:
        """Wait until the broker is reached (True), or `within` seconds pass (False)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._connected.wait()
        return self.connected

    def _client_for(self) -> aiomqtt.Client:
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
            timeout=10,
        )
        # A routine commands a hundred Zigbee devices at once: that many publishes in flight
        # is the plan, not a warning.
        client.pending_calls_threshold = 1000
        return client

    async def _keep_connected(self) -> None:
        delay = self.settings.reconnect_min
        while True:
            reason = await self._session()
            if reason is None:
                delay = self.settings.reconnect_min
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.settings.reconnect_max)

    async def _session(self) -> str | None:
        """One connection, until it ends; returns why it could not be made (None: it was)."""
        where = f"{self.settings.host}:{self.settings.port}"
        client = self._client_for()
        made = False
        try:
            async with client:
                for topic in self.subscriptions:
                    await client.subscribe(topic, qos=1)
                made = True
                self._client, self.problem = client, None
                self._connected.set()
                self.log.info("Connected to the MQTT broker at %s", where)
                self.on_connection(True, "")
                async for message in client.messages:
                    self.on_message(str(message.topic), _payload(message.payload), message.retain)
        except aiomqtt.MqttCodeError as error:
            code = getattr(error.rc, "value", error.rc)  # MQTT 5 gives a ReasonCode
            if code in REFUSED_LOGIN:
                hint = self.settings.credentials_hint
                self.log.error(
                    "The MQTT broker at %s refused the login%s", where, f" ({hint})" if hint else ""
                )
                self._lost(made, "the MQTT broker refused Dobby's login")
                return "the MQTT broker refused Dobby's login"
            self.log.warning("MQTT broker at %s: %s", where, error)
        except aiomqtt.MqttError as error:
            if made:
                self.log.warning("Lost the MQTT broker at %s: %s", where, error)
            else:
                self.log.debug("Cannot reach the MQTT broker at %s: %s", where, error)
        self._lost(made, "the MQTT broker cannot be reached")
        return None if made else "the MQTT broker cannot be reached"

    def _lost(self, made: bool, reason: str) -> None:
        self._client, self.problem = None, reason
        self._connected.clear()
        if made:
            self.on_connection(False, reason)

    async def subscribe(self, topic: str) -> None:
        """Subscribe now (if connected) and after every reconnect."""
        if topic in self.subscriptions:
            return
        self.subscriptions.append(topic)
        client = self._client
        if client is not None:
            try:
                await client.subscribe(topic, qos=1)
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
            await client.publish(topic, data, qos=0, retain=retain)
        except aiomqtt.MqttError as error:
            raise DeviceConnectionError("cannot be reached: the MQTT broker went away.") from error

    async def stop(self) -> None:
        """Disconnect and stop reconnecting."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._client = None


def _payload(payload: Any) -> bytes:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload)
    if payload is None:
        return b""
    return str(payload).encode()
