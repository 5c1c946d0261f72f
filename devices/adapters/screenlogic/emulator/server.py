"""An emulated ScreenLogic protocol adapter (the gateway) on a loopback address.

It speaks what the real gateway speaks: the connect string, the challenge (answered
with the gateway's MAC address), the local login, and the binary messages for version,
controller configuration, pool status, pumps, chemistry, the chlorinator, the clock,
button presses, heat mode and setpoint, light commands, the chlorinator's output and a
pump preset's speed. A client that adds itself
as a push client gets every change as it happens (status, chemistry, colour progress).
A UDP responder answers the discovery query on port 1444 of the gateway's address and,
given one, of the house's broadcast address.

`faults` make every answer misbehave: latency delays it, `silent` swallows it, `error`
answers with the protocol's bad-parameter code, `garbage` answers with a payload that is
no valid reply, and `drop` closes the connection instead of answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import struct
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from devices.adapters.screenlogic.emulator import wire
from devices.adapters.screenlogic.emulator.equipment import Equipment, pool_and_spa
from devices.testing.faults import Faults
from devices.testing.tcp import port_of, serve_protocol
from devices.testing.udp import Hearing, UdpServer, hear_broadcasts

_LOGGER = logging.getLogger(__name__)

FIRMWARE = "POOL: 5.2 Build 738.0 Rel"
GARBAGE = b"\xde\xad\x01"
"""A payload no answer has: shorter than any number the client reads."""
ASYNC_IDS = itertools.cycle(range(32767, 65535))
"""Message ids of pushed messages (the gateway's own, above the clients' range)."""
Answer = tuple[int, bytes]


def mac_for(seed: str) -> str:
    """A stable MAC address in Pentair's range for an emulated gateway."""
    rng = random.Random(seed)
    return "00-C0-33-" + "-".join(f"{rng.randrange(256):02X}" for _ in range(3))


class _Client(asyncio.Protocol):
    """One TCP connection to the gateway."""

    def __init__(self, gateway: ScreenLogicEmulator) -> None:
        self.gateway = gateway
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.greeted = False
        self.logged_in = False
        self.client_id: int | None = None
        """Set while the client receives pushed messages."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """A client connected (closed at once while the gateway drops connections)."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.gateway.clients.add(self)
        if self.gateway.faults.drop:
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        """The client went away."""
        del exc
        self.gateway.clients.discard(self)

    def data_received(self, data: bytes) -> None:
        """Take the connect string, then every complete framed message."""
        if self.transport is None or self.transport.is_closing():
            return
        if self.gateway.faults.drop:
            self.gateway.faults.requests += 1  # it arrived; the gateway hangs up on it
            self.transport.close()
            return
        self.buffer.extend(data)
        if not self.greeted:
            size = len(wire.CONNECT_STRING)
            if len(self.buffer) < size:
                if not wire.CONNECT_STRING.startswith(bytes(self.buffer)):
                    self.transport.close()
                return
            if bytes(self.buffer[:size]) != wire.CONNECT_STRING:
                self.transport.close()
                return
            del self.buffer[:size]
            self.greeted = True
        while len(self.buffer) >= wire.HEADER.size:
            message_id, code, length = wire.HEADER.unpack_from(self.buffer)
            end = wire.HEADER.size + length
            if len(self.buffer) < end:
                break
            payload = bytes(self.buffer[wire.HEADER.size : end])
            del self.buffer[:end]
            self.gateway.spawn(self.answer(message_id, code, payload))

    async def answer(self, message_id: int, code: int, payload: bytes) -> None:
        """Answer one message, misbehaving as the faults say."""
        faults = self.gateway.faults
        await faults.delay()
        if self.transport is None or self.transport.is_closing() or faults.silent:
            return
        if faults.drop:
            self.transport.close()
            return
        if faults.garbage:
            self.send(message_id, code + 1, GARBAGE)
            return
        if faults.error and code not in (wire.CHALLENGE, wire.LOCAL_LOGIN):
            self.send(message_id, wire.BAD_PARAMETER)
            return
        reply_code, reply = self.gateway.handle(self, code, payload)
        self.send(message_id, reply_code, reply)

    def send(self, message_id: int, code: int, payload: bytes = b"") -> None:
        """Write one framed message."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(wire.frame(message_id, code, payload))


@dataclass
class ScreenLogicEmulator:
    """One ScreenLogic gateway and the controller behind it, on a loopback address."""

    host: str
    equipment: Equipment = field(default_factory=pool_and_spa)
    port: int = 0
    """The TCP port (0: a free one, reported by discovery as the real gateway reports 80)."""
    mac: str = ""
    name: str = ""
    """The gateway's name: `Pentair: XX-XX-XX` from its MAC address unless given."""
    broadcast: str | None = None
    """The house's broadcast address, where it hears discovery too (port 1444)."""
    password: str | None = None
    """A login password the gateway insists on (None: any, as on a LAN by default)."""
    tick: float = 1.0
    """Seconds between steps of the water temperature."""
    faults: Faults = field(default_factory=Faults)
    clients: set[_Client] = field(default_factory=set)
    on_request: Callable[[int, bytes], None] | None = None
    """Called with every message code and payload the gateway answers (for tests)."""
    _server: asyncio.Server | None = None
    _discovery: UdpServer | None = None
    _hearing: Hearing | None = None
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _ticker: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        if not self.mac:
            self.mac = mac_for(f"screenlogic:{self.host}")
        if not self.name:
            self.name = "Pentair: " + self.mac[-8:]

    # -- running ------------------------------------------------------------------------

    @property
    def adapter_settings(self) -> dict[str, Any]:
        """What the ScreenLogic adapter needs to find this gateway: where to broadcast."""
        return {"broadcast_address": self.broadcast} if self.broadcast else {}

    async def start(self) -> None:
        """Listen for clients on TCP and for discovery queries on UDP 1444."""
        await self.come_back()
        self._discovery = UdpServer(
            self.host,
            wire.DISCOVERY_PORT,
            self._discovery_answer,
            self.faults,
            garbage=GARBAGE,
            error=lambda data: self._discovery_answer(data, (self.host, 0)),  # no error reply
        )
        try:
            await self._discovery.start()
            if self.broadcast is not None:
                self._hearing = await hear_broadcasts(
                    self.broadcast, wire.DISCOVERY_PORT, (self.host, wire.DISCOVERY_PORT)
                )
        except BaseException:
            await self.stop()
            raise
        _LOGGER.debug("ScreenLogic gateway %s on %s:%d", self.name, self.host, self.port)

    def _discovery_answer(self, data: bytes, sender: tuple[str, int]) -> bytes | None:
        """The answer to screenlogicpy's discovery query (anything else is ignored)."""
        del sender
        if data[:1] != wire.DISCOVERY_QUERY[:1] or len(data) != len(wire.DISCOVERY_QUERY):
            return None
        return wire.discovery_answer(self.host, self.port, self.name)

    async def stop(self) -> None:
        """Stop answering, close every connection and the discovery responder."""
        self.faults.clear()
        await self.go_offline()
        if self._hearing is not None:
            await self._hearing.close()
            self._hearing = None
        if self._discovery is not None:
            await self._discovery.stop()
            self._discovery = None

    async def go_offline(self) -> None:
        """Stop listening and drop every client (the gateway lost power or its network)."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        if self._server is not None:
            self._server.close()
            self.drop_connections()
            await self._server.wait_closed()
            self._server = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def come_back(self) -> None:
        """Listen (again, after `go_offline`) on the same address and port."""
        self._server = await serve_protocol(self.host, self.port, lambda: _Client(self))
        self.port = port_of(self._server)
        self._ticker = asyncio.create_task(self._tick())

    def drop_connections(self) -> None:
        """Close every client connection (clients reconnect by themselves)."""
        for client in list(self.clients):
            if client.transport is not None:
                client.transport.close()

    def all_faults(self) -> list[Faults]:
        """The gateway's faults switch."""
        return [self.faults]

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine of this gateway's, cancelled when it stops."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.tick)
            if self.equipment.step(self.tick):
                self.changed()

    # -- at the controller (a person at the equipment pad, or a schedule) ---------------

    @property
    def subscribers(self) -> int:
        """How many clients receive pushed messages."""
        return sum(1 for c in self.clients if c.client_id is not None)

    def changed(self) -> None:
        """Push the pool status to every push client (call after changing `equipment`)."""
        self.push(wire.STATUS_CHANGED, wire.pool_status(self.equipment))

    def set_ph(self, ph: float) -> None:
        """The water's pH drifts to `ph`: IntelliChem pushes its reading and alarms."""
        self.equipment.chemistry.ph = ph
        self.changed()
        self.push(wire.CHEMISTRY_CHANGED, wire.chemistry(self.equipment))

    def set_circuit(self, circuit_id: int, on: bool) -> None:
        """Switch a circuit at the controller."""
        self.equipment.circuit(circuit_id).on = on
        self.changed()

    def push(self, code: int, payload: bytes) -> None:
        """Send an unsolicited message to every push client."""
        for client in list(self.clients):
            if client.client_id is not None and client.logged_in:
                client.send(next(ASYNC_IDS), code, payload)

    # -- the protocol -------------------------------------------------------------------

    def handle(self, client: _Client, code: int, payload: bytes) -> Answer:
        """The answer to one message: (code, payload)."""
        if self.on_request is not None:
            self.on_request(code, payload)
        if code == wire.CHALLENGE:
            return code + 1, wire.string(self.mac)
        if code == wire.LOCAL_LOGIN:
            return self._login(client, payload)
        if not client.logged_in:
            return wire.LOGIN_REJECTED, b""
        try:
            return self._handle(client, code, payload)
        except (struct.error, KeyError, ValueError):
            return wire.BAD_PARAMETER, b""

    def _login(self, client: _Client, payload: bytes) -> Answer:
        try:
            _schema, _kind = struct.unpack_from("<II", payload)
            _version, offset = wire.read_string(payload, 8)
            password, offset = wire.read_string(payload, offset)
        except (struct.error, UnicodeDecodeError):
            return wire.BAD_PARAMETER, b""
        if self.password is not None and password.rstrip("\0") != self.password:
            return wire.LOGIN_REJECTED, b""
        client.logged_in = True
        return wire.LOCAL_LOGIN + 1, b""

    def _handle(self, client: _Client, code: int, payload: bytes) -> Answer:
        equipment = self.equipment
        queries: dict[int, Callable[[], bytes]] = {
            wire.PING: lambda: b"",
            wire.VERSION: lambda: wire.string(FIRMWARE),
            wire.CONTROLLER_CONFIG: lambda: wire.controller_config(equipment),
            wire.POOL_STATUS: lambda: wire.pool_status(equipment),
            wire.CHEMISTRY: lambda: wire.chemistry(equipment),
            wire.SCG_CONFIG: lambda: wire.scg_config(equipment),
            wire.GET_DATETIME: lambda: wire.date_time(datetime.now()),
        }
        if code in queries:
            return code + 1, queries[code]()
        if code == wire.PUMP_STATUS:
            _, index = struct.unpack("<II", payload)
            if index >= max(equipment.pumps, 1):
                return wire.BAD_PARAMETER, b""
            return code + 1, wire.pump_status(equipment, index)
        if code in (wire.ADD_CLIENT, wire.REMOVE_CLIENT):
            subscribing = code == wire.ADD_CLIENT
            client.client_id = struct.unpack("<II", payload)[1] if subscribing else None
            return code + 1, b""
        stuck = self.faults.stuck and code in (
            wire.BUTTON_PRESS,
            wire.SET_HEAT_MODE,
            wire.SET_SCG,
            wire.SET_PUMP_FLOW,
        )
        if code == wire.SET_CHEMISTRY or stuck:
            return code + 1, b""  # (stuck: acknowledged, and the relay does not move)
        return self._command(code, payload)

    def _command(self, code: int, payload: bytes) -> Answer:
        equipment = self.equipment
        if code == wire.BUTTON_PRESS:
            _, circuit_id, state = struct.unpack("<III", payload)
            if state not in (0, 1):
                return wire.BAD_PARAMETER, b""
            equipment.circuit(circuit_id).on = bool(state)
        elif code == wire.SET_HEAT_TEMP:
            _, kind, temperature = struct.unpack("<III", payload)
            body = equipment.body(kind)
            if not body.min_setpoint <= temperature <= body.max_setpoint:
                return wire.BAD_PARAMETER, b""
            body.setpoint = temperature
        elif code == wire.SET_HEAT_MODE:
            _, kind, mode = struct.unpack("<III", payload)
            if mode > 4:
                return wire.BAD_PARAMETER, b""
            if mode != 4:  # "don't change"
                equipment.body(kind).heat_mode = mode
        elif code in (wire.SET_SCG, wire.SET_PUMP_FLOW):
            self._setting(code, payload)
        elif code == wire.LIGHT_COMMAND:
            _, mode = struct.unpack("<II", payload)
            if mode > 21:
                return wire.BAD_PARAMETER, b""
            self._light_command(mode)
        else:
            return wire.INVALID_REQUEST, b""
        self.changed()
        return code + 1, b""

    def _setting(self, code: int, payload: bytes) -> None:
        """The chlorinator's outputs, or one pump preset's speed (ValueError or KeyError:
        a bad parameter)."""
        _, first, second, third, fourth = struct.unpack("<5I", payload)
        if code == wire.SET_SCG:  # pool %, spa %, super-chlorinate, its hours
            if first > 100 or second > 100 or third > 1 or fourth > 72:
                raise ValueError(payload)
            self.equipment.chemistry.chlorinator_pool = first
            self.equipment.chemistry.chlorinator_spa = second
            return
        if fourth > 1:  # pump index, preset index, speed, 1 if in RPM
            raise ValueError(payload)
        self.equipment.set_pump_speed(first, second, third, rpm=bool(fourth))

    def _light_command(self, mode: int) -> None:
        lights = [c for c in self.equipment.circuits if c.function == 16]
        if mode in (0, 1):  # all off, all on
            for light in lights:
                light.on = mode == 1
        else:
            self.equipment.color_mode = mode
        self.push(wire.COLOR_UPDATE, wire.color_update(mode))
