"""The Pentair ScreenLogic adapter: pool and spa equipment behind a ScreenLogic gateway.

Gateways are found by their own UDP discovery (and at configured addresses), driven
through screenlogicpy, and keep Dobby up to date by pushing every change to a client
that subscribed; the poll is the fallback. When a gateway drops the connection, its
entities turn unavailable at once and come back when a reconnection succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from screenlogicpy.const.data import ATTR, DEVICE, VALUE  # type: ignore[import-untyped]
from screenlogicpy.device_const.heat import HEAT_MODE  # type: ignore[import-untyped]

from devices.adapters.screenlogic import mapping
from devices.adapters.screenlogic.connection import GatewayConnection
from devices.adapters.screenlogic.manifest import MANIFEST, ScreenLogicConfig
from devices.adapters.screenlogic.search import GatewaySearch, search_targets
from devices.background import Background
from devices.capabilities import CommandSpec, Domain, HVACMode, Params
from devices.capabilities.climate import SetHVACMode, SetTemperature
from devices.capabilities.light import LightTurnOn
from devices.entities import DeviceInfo, Entity
from devices.errors import DeviceError, DeviceUnavailableError, UnsupportedCommandError
from devices.plugin import Adapter, AdapterConfig, AdapterContext

_LOGGER = logging.getLogger(__name__)

GATEWAY_PORT = 80
"""The TCP port of a gateway given in `hosts` without one."""
MAX_RECONNECT_INTERVAL = 60.0


def parse_host(entry: str) -> tuple[str, int]:
    """`192.168.1.50` or `192.168.1.50:8080` → (host, port)."""
    host, _, port = entry.rpartition(":")
    if host and port.isdigit():
        return host, int(port)
    return entry, GATEWAY_PORT


class ScreenLogicAdapter(Adapter):
    """Pentair ScreenLogic gateways: circuits, pool and spa heat, lights and readings."""

    manifest = MANIFEST
    poll_interval = 30.0

    config: ScreenLogicConfig

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self.gateways: dict[str, GatewayConnection] = {}
        """By MAC address."""
        self._search: GatewaySearch | None = None
        self._setting_up = Background()
        self._tasks = Background()
        self._heard: set[tuple[str, int]] = set()
        self._heard_changed = asyncio.Event()
        self._stopping = False

    # -- finding gateways ---------------------------------------------------------------

    async def start(self) -> None:
        """Start the discovery query on every interface; connect to configured hosts."""
        targets = search_targets(self.context.interfaces, self.config.broadcast_address)
        self._search = GatewaySearch(targets, self._answered)
        await self._search.start()
        self._search.probe()
        self._tasks.spawn(self._search_periodically())
        for entry in self.config.hosts:
            host, port = parse_host(entry)
            try:
                await self.add_gateway(host, port)
            except DeviceError as error:
                _LOGGER.warning("ScreenLogic gateway at %s: %s", entry, error)

    async def search(self, within: float = 3.0) -> set[tuple[str, int]]:
        """Send the discovery query now; the (host, port)s that answer within `within` s.

        Returns early once every known gateway has answered.
        """
        self._heard.clear()
        if self._search is not None:
            self._search.probe()
        known = {(c.host, c.port) for c in self.gateways.values()}
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                while not (self._heard and known <= self._heard):
                    self._heard_changed.clear()
                    await self._heard_changed.wait()
        await self._setting_up.finish()
        return set(self._heard)

    def _answered(self, host: str, port: int, name: str) -> None:
        self._heard.add((host, port))
        self._heard_changed.set()
        if any((c.host, c.port) == (host, port) for c in self.gateways.values()):
            return
        self._tasks.spawn(self._add_quietly(host, port, name))

    async def _add_quietly(self, host: str, port: int, name: str) -> None:
        try:
            await self.add_gateway(host, port, name)
        except DeviceError as error:
            _LOGGER.warning("ScreenLogic gateway %s at %s: %s", name, host, error)

    async def _search_periodically(self) -> None:
        while self._search is not None:
            await asyncio.sleep(self.config.discovery_interval)
            self._search.probe()

    async def add_gateway(self, host: str, port: int = GATEWAY_PORT, name: str = "") -> None:
        """Set up the gateway at `host:port` (once at a time; known ones are left alone)."""
        setting_up = self._setting_up.once((host, port), lambda: self._add(host, port, name))
        await asyncio.shield(setting_up)

    async def _add(self, host: str, port: int, name: str) -> None:
        if any((c.host, c.port) == (host, port) for c in self.gateways.values()):
            return
        connection = GatewayConnection(
            host,
            port,
            timeout=self.config.request_timeout,
            push=self.config.push,
            keepalive=self.config.keepalive_interval,
            client_id=self.config.client_id,
            on_update=self._on_update,
            on_lost=self._on_lost,
        )
        try:
            await connection.refresh()
        except BaseException:
            await connection.close()
            raise
        mac = connection.mac
        moved = self.gateways.get(mac)
        if moved is not None:
            await moved.close()
        self.gateways[mac] = connection
        data = connection.data
        info = DeviceInfo(
            unique_id=mac,
            name=name or f"Pentair: {mac[-8:]}",
            host=host,
            manufacturer="Pentair",
            model=data.get(DEVICE.CONTROLLER, {}).get(VALUE.MODEL, {}).get(ATTR.VALUE),
            sw_version=data.get(DEVICE.ADAPTER, {}).get(VALUE.FIRMWARE, {}).get(ATTR.VALUE),
            suggested_area=self.config.area,
        )
        specs = mapping.entity_specs(data, mac, self.config.temperature_unit)
        self.context.add_device(info, specs)

    # -- state --------------------------------------------------------------------------

    def _publish(self, connection: GatewayConnection) -> None:
        """Push every entity's state from the connection's data."""
        if self.gateways.get(connection.mac) is not connection:
            return
        self.context.set_available(connection.mac, available=True)
        unit = self.config.temperature_unit
        for unique_id, state in mapping.states(connection.data, connection.mac, unit).items():
            self.context.push_state(unique_id, state)

    def _on_update(self, connection: GatewayConnection) -> None:
        """The gateway pushed a change."""
        self._publish(connection)

    def _on_lost(self, connection: GatewayConnection) -> None:
        """The gateway closed the connection: unavailable now, reconnect in the background."""
        mac = connection.mac
        if self._stopping or self.gateways.get(mac) is not connection:
            return
        self.context.set_available(mac, available=False, reason="lost the connection")
        self._tasks.once(mac, lambda: self._reconnect(connection))

    async def _reconnect(self, connection: GatewayConnection) -> None:
        delay = self.config.reconnect_interval
        while not self._stopping:
            await asyncio.sleep(delay)
            if await self._refresh_one(connection):
                return
            delay = min(delay * 2, MAX_RECONNECT_INTERVAL)

    async def refresh(self) -> None:
        """Poll every gateway; one that does not answer is marked unavailable."""
        await asyncio.gather(*(self._refresh_one(c) for c in list(self.gateways.values())))
        known = {(c.host, c.port) for c in self.gateways.values()}
        for entry in self.config.hosts:
            if parse_host(entry) not in known:
                await self._add_quietly(*parse_host(entry), "")

    async def _refresh_one(self, connection: GatewayConnection) -> bool:
        try:
            await connection.refresh()
        except DeviceError as error:
            self.context.set_available(connection.mac, available=False, reason=str(error))
            return False
        self._publish(connection)
        return True

    # -- commands -----------------------------------------------------------------------

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        """Carry out the command, then read the controller's status back."""
        mac = entity.device_id.split(":", 1)[1]
        connection = self.gateways.get(mac)
        if connection is None:
            raise DeviceUnavailableError("has not been found on the network.")
        target = mapping.target_of(entity.adapter_unique_id, mac)
        if entity.domain is Domain.CLIMATE:
            await self._climate(connection, target.number, command.verb, params)
        elif entity.domain in (Domain.SWITCH, Domain.LIGHT):
            await self._circuit(connection, target.number, command.verb, params)
        else:
            raise UnsupportedCommandError(f"{entity.name} only reports a reading.")
        await connection.refresh()
        self._publish(connection)

    async def _circuit(
        self, connection: GatewayConnection, circuit: int, verb: str, params: Params
    ) -> None:
        on = bool(connection.data.get(DEVICE.CIRCUIT, {}).get(circuit, {}).get(ATTR.VALUE))
        wanted = {"turn_on": True, "turn_off": False, "toggle": not on}[verb]
        await connection.set_circuit(circuit, wanted)
        if isinstance(params, LightTurnOn) and params.effect is not None:
            await connection.light_command(mapping.SHOWS[params.effect])

    async def _climate(
        self, connection: GatewayConnection, body: int, verb: str, params: Params
    ) -> None:
        mode: HVACMode | None = HVACMode.OFF if verb == "turn_off" else None
        if isinstance(params, SetHVACMode):
            mode = params.hvac_mode
        if isinstance(params, SetTemperature):
            mode = params.hvac_mode
            if params.temperature is not None:
                setpoint = self._setpoint(connection, body, params.temperature)
                await connection.set_heat_setpoint(body, setpoint)
        if mode is None:
            return
        if mode not in mapping.HEAT_MODES:
            raise UnsupportedCommandError(f"it only heats; it has no {mode.value} mode.")
        current = connection.data.get(DEVICE.BODY, {}).get(body, {}).get(VALUE.HEAT_MODE, {})
        heat_mode = HEAT_MODE.OFF
        if mode is HVACMode.HEAT:
            already = current.get(ATTR.VALUE, HEAT_MODE.OFF)
            heat_mode = already if already not in (HEAT_MODE.OFF, None) else HEAT_MODE.HEATER
        await connection.set_heat_mode(body, int(heat_mode))

    def _setpoint(self, connection: GatewayConnection, body: int, temperature: float) -> int:
        """The setpoint in the controller's unit (whole degrees), inside its range."""
        unit, source = self.config.temperature_unit, mapping.controller_unit(connection.data)
        value = round(mapping.convert(temperature, unit, source))
        limits = connection.data.get(DEVICE.BODY, {}).get(body, {})
        low, high = limits.get(ATTR.MIN_SETPOINT), limits.get(ATTR.MAX_SETPOINT)
        if low is not None and high is not None and not low <= value <= high:
            shown_low = mapping.convert(low, source, unit)
            shown_high = mapping.convert(high, source, unit)
            raise UnsupportedCommandError(
                f"it accepts {shown_low:g} to {shown_high:g} {unit}, not {temperature:g} {unit}."
            )
        return value

    # -- the end ------------------------------------------------------------------------

    async def stop(self) -> None:
        """Stop searching and reconnecting, and close every connection."""
        self._stopping = True
        search, self._search = self._search, None
        if search is not None:
            search.stop()
        await asyncio.gather(self._tasks.cancel(), self._setting_up.cancel())
        await asyncio.gather(*(c.close() for c in self.gateways.values()))
