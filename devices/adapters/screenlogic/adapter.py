"""The Pentair ScreenLogic adapter: pool and spa equipment behind a ScreenLogic gateway.

Gateways are found by their own UDP discovery (and at configured addresses), driven
through screenlogicpy, and keep Dobby up to date by pushing every change to a client
that subscribed; the poll is the fallback. Each gateway is a `GatewayLink` run by a
coordinator keyed by its MAC address: when a gateway drops the connection, its entities
turn unavailable at once and come back when a reconnection (with backoff) succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence

from screenlogicpy.const.data import ATTR, DEVICE, VALUE  # type: ignore[import-untyped]
from screenlogicpy.device_const.heat import HEAT_MODE  # type: ignore[import-untyped]

from devices.adapters.screenlogic import mapping
from devices.adapters.screenlogic.connection import GatewayConnection
from devices.adapters.screenlogic.manifest import MANIFEST, ScreenLogicConfig
from devices.adapters.screenlogic.search import GatewaySearch, search_targets
from devices.background import Background
from devices.capabilities import (
    CommandSpec,
    Domain,
    HVACMode,
    Params,
    State,
    climate,
    light,
    number,
    switch,
)
from devices.capabilities.climate import SetHVACMode, SetTemperature
from devices.capabilities.light import LightTurnOn
from devices.capabilities.number import SetValue
from devices.entities import DeviceInfo, Entity, EntitySpec
from devices.errors import UnsupportedCommandError
from devices.plugin import (
    AdapterConfig,
    AdapterContext,
    CoordinatedAdapter,
    DeviceLink,
    Sink,
)

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


class GatewayLink(DeviceLink):
    """One gateway through screenlogicpy: the calls its coordinator makes."""

    device_word = "controller"

    def __init__(self, host: str, port: int, name: str, config: ScreenLogicConfig) -> None:
        super().__init__(f"{host}:{port}")
        self.host, self.port, self.name, self.config = host, port, name, config
        first = config.reconnect_interval
        self.backoff = tuple(min(first * 2**n, MAX_RECONNECT_INTERVAL) for n in range(8))
        self.connection = GatewayConnection(
            host,
            port,
            timeout=config.request_timeout,
            push=config.push,
            keepalive=config.keepalive_interval,
            client_id=config.client_id,
            on_update=self._updated,
            on_lost=self._lost,
        )
        self.sink: Sink | None = None

    async def connect(self) -> None:
        """Log in (again) and read everything the controller knows."""
        await self.connection.refresh()
        self.unique_id = self.connection.mac

    def describe(self) -> Sequence[tuple[DeviceInfo, Sequence[EntitySpec]]]:
        """The controller as one device with its circuits, bodies and readings."""
        data, mac = self.connection.data, self.connection.mac
        info = DeviceInfo(
            unique_id=mac,
            name=self.name or f"Pentair: {mac[-8:]}",
            host=self.host,
            manufacturer="Pentair",
            model=data.get(DEVICE.CONTROLLER, {}).get(VALUE.MODEL, {}).get(ATTR.VALUE),
            sw_version=data.get(DEVICE.ADAPTER, {}).get(VALUE.FIRMWARE, {}).get(ATTR.VALUE),
            suggested_area=self.config.area,
        )
        return [(info, mapping.entity_specs(data, mac, self.config.temperature_unit))]

    def _states(self) -> Mapping[str, State]:
        unit = self.config.temperature_unit
        return mapping.states(self.connection.data, self.connection.mac, unit)

    async def read(self) -> Mapping[str, State]:
        """The controller's status (one exchange)."""
        await self.connection.refresh()
        return self._states()

    async def subscribe(self, sink: Sink) -> bool:
        """The gateway pushes every change to a subscribed client (if configured)."""
        self.sink = sink
        return self.config.push

    def _updated(self, connection: GatewayConnection) -> None:
        if self.sink is not None and connection is self.connection:
            for unique_id, state in self._states().items():
                self.sink.pushed(unique_id, state)

    def _lost(self, connection: GatewayConnection) -> None:
        if self.sink is not None and connection is self.connection:
            self.sink.connection_lost("lost the connection.")

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """Carry out the command; one the coordinator does not read back is read here."""
        found = mapping.target_of(unique_id, self.connection.mac)
        target = found.number
        match command, params:
            case number.SET_VALUE, SetValue(value=value):
                await self._set_number(found, value)
            case light.TURN_ON, LightTurnOn(effect=effect):
                await self.connection.set_circuit(target, True)
                if effect is not None:
                    await self.connection.light_command(mapping.SHOWS[effect])
            case switch.TURN_ON, _:
                await self.connection.set_circuit(target, True)
            case switch.TURN_OFF | light.TURN_OFF, _:
                await self.connection.set_circuit(target, False)
            case climate.TURN_OFF | climate.SET_HVAC_MODE | climate.SET_TEMPERATURE, _:
                await self._climate(target, command, params)
            case _:
                raise UnsupportedCommandError(f"the controller cannot do {command.name} here.")
        if command.expect is None and self.sink is not None:
            for unique_id_read, state in (await self.read()).items():
                self.sink.pushed(unique_id_read, state)

    async def _climate(self, body: int, command: CommandSpec, params: Params) -> None:
        """A body's heat: off, a mode, a setpoint (and a mode)."""
        match command, params:
            case climate.TURN_OFF, _:
                await self._heat(body, HVACMode.OFF)
            case climate.SET_HVAC_MODE, SetHVACMode(hvac_mode=mode):
                await self._heat(body, mode)
            case climate.SET_TEMPERATURE, SetTemperature(temperature=degrees, hvac_mode=mode):
                if degrees is not None:
                    setpoint = self._setpoint(body, degrees)
                    await self.connection.set_heat_setpoint(body, setpoint)
                if mode is not None:
                    await self._heat(body, mode)

    async def _set_number(self, target: mapping.Target, value: float) -> None:
        """A chlorinator output or a pump preset's speed (whole numbers on the wire)."""
        if value != round(value):
            raise UnsupportedCommandError(f"it takes whole numbers, not {value:g}.")
        body = mapping.CHLORINATOR_OUTPUTS.get(target.sensor)
        if body == "Pool":
            await self.connection.set_chlorinator(pool=round(value))
            return
        if body == "Spa":
            await self.connection.set_chlorinator(spa=round(value))
            return
        preset = mapping.pump_preset_of(target)
        if preset is None:
            raise UnsupportedCommandError("the controller has no such setting.")
        is_rpm = bool(mapping.pump_preset(self.connection.data, preset).get(ATTR.IS_RPM))
        await self.connection.set_pump_speed(preset.pump, preset.preset, round(value), rpm=is_rpm)

    async def _heat(self, body: int, mode: HVACMode) -> None:
        if mode not in mapping.HEAT_MODES:
            raise UnsupportedCommandError(f"it only heats; it has no {mode.value} mode.")
        data = self.connection.data
        current = data.get(DEVICE.BODY, {}).get(body, {}).get(VALUE.HEAT_MODE, {})
        heat_mode = HEAT_MODE.OFF
        if mode is HVACMode.HEAT:
            already = current.get(ATTR.VALUE, HEAT_MODE.OFF)
            heat_mode = already if already not in (HEAT_MODE.OFF, None) else HEAT_MODE.HEATER
        await self.connection.set_heat_mode(body, int(heat_mode))

    def _setpoint(self, body: int, temperature: float) -> int:
        """The setpoint in the controller's unit (whole degrees), inside its range."""
        data = self.connection.data
        unit, source = self.config.temperature_unit, mapping.controller_unit(data)
        value = round(mapping.convert(temperature, unit, source))
        limits = data.get(DEVICE.BODY, {}).get(body, {})
        low, high = limits.get(ATTR.MIN_SETPOINT), limits.get(ATTR.MAX_SETPOINT)
        if low is not None and high is not None and not low <= value <= high:
            shown_low = mapping.convert(low, source, unit)
            shown_high = mapping.convert(high, source, unit)
            raise UnsupportedCommandError(
                f"it accepts {shown_low:g} to {shown_high:g} {unit}, not {temperature:g} {unit}."
            )
        return value

    async def close(self) -> None:
        """Close the connection."""
        await self.connection.close()


class ScreenLogicAdapter(CoordinatedAdapter[GatewayLink]):
    """Pentair ScreenLogic gateways: circuits, pool and spa heat, lights, readings, the
    chlorinator's output and the pumps' speeds."""

    manifest = MANIFEST
    poll_interval = 30.0

    config: ScreenLogicConfig

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self._search: GatewaySearch | None = None
        self._tasks = Background()
        self._setting_up = Background()
        self._heard: set[tuple[str, int]] = set()
        self._heard_changed = asyncio.Event()

    # -- finding gateways ---------------------------------------------------------------

    async def start(self) -> None:
        """Start the discovery query on every interface; connect to configured hosts."""
        targets = search_targets(self.context.interfaces, self.config.broadcast_address)
        self._search = GatewaySearch(targets, self._answered)
        await self._search.start()
        self._search.probe()
        self._tasks.spawn(self._search_periodically())
        for entry in self.config.hosts:
            await self.add_gateway(*parse_host(entry))

    def _known(self) -> set[tuple[str, int]]:
        return {(link.host, link.port) for link in self.devices.links()}

    async def search(self, within: float = 3.0) -> set[tuple[str, int]]:
        """Send the discovery query now; the (host, port)s that answer within `within` s.

        Returns early once every known gateway has answered.
        """
        self._heard.clear()
        if self._search is not None:
            self._search.probe()
        known = self._known()
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
        if (host, port) not in self._known():
            self._setting_up.spawn(self.add_gateway(host, port, name))

    async def _search_periodically(self) -> None:
        while self._search is not None:
            await asyncio.sleep(self.config.discovery_interval)
            self._search.probe()

    async def add_gateway(self, host: str, port: int = GATEWAY_PORT, name: str = "") -> None:
        """Set up the gateway at `host:port` (once at a time; one that fails is tried again
        at each poll)."""
        await self.devices.set_up(
            f"{host}:{port}", lambda _: GatewayLink(host, port, name, self.config)
        )

    # -- state and commands -------------------------------------------------------------

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        """Carry out the command through the gateway's coordinator."""
        if entity.domain is Domain.SENSOR:
            raise UnsupportedCommandError(f"{entity.name} only reports a reading.")
        await super().execute(entity, command, params)

    # -- the end ------------------------------------------------------------------------

    async def stop(self) -> None:
        """Stop searching and reconnecting, and close every connection."""
        search, self._search = self._search, None
        if search is not None:
            search.stop()
        await asyncio.gather(self._tasks.cancel(), self._setting_up.cancel())
        await super().stop()
