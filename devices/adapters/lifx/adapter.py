"""The LIFX adapter: finds bulbs by the LAN protocol's own broadcast, drives them via aiolifx.

LIFX bulbs announce nothing over mDNS or SSDP: a client broadcasts GetService on UDP
56700 and every bulb answers with StateService. aiolifx's `LifxDiscovery` sends that
broadcast (now, and again every `discovery_interval`) from each discovery interface; the
adapter sets up every bulb that answers. Bulbs push nothing, so state comes from the
replies to every command's read-back and to the poll.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging

from aiolifx import aiolifx  # type: ignore[import-untyped]
from aiolifx.message import BROADCAST_MAC  # type: ignore[import-untyped]
from aiolifx.msgtypes import StateService  # type: ignore[import-untyped]
from aiolifx.unpack import unpack_lifx_message  # type: ignore[import-untyped]

from devices.adapters.lifx.bulb import Bulb, BulbInfo, LightProtocol, Reading, serial_of
from devices.adapters.lifx.color import (
    WORD,
    Hsbk,
    hue_saturation_to_rgb,
    percent_to_word,
    rgb_to_hue_saturation,
    word_to_percent,
)
from devices.adapters.lifx.manifest import MANIFEST, LifxConfig
from devices.background import Background
from devices.capabilities import CommandSpec, Domain, Params
from devices.capabilities.light import LightFeature, LightState, LightTurnOff, LightTurnOn
from devices.entities import DeviceInfo, Entity, EntitySpec
from devices.errors import DeviceError, DeviceUnavailableError, UnsupportedCommandError
from devices.plugin import Adapter, AdapterConfig, AdapterContext
from devices.ssdp import ipv4_interfaces

_LOGGER = logging.getLogger(__name__)

UDP_SERVICE = 1
"""StateService's `service` for the UDP protocol (the only one clients speak)."""


def _subnet_broadcast(address: str) -> str:
    import ifaddr

    for adapter in ifaddr.get_adapters():
        for ip in adapter.ips:
            if ip.ip == address:
                network = ipaddress.IPv4Network(f"{address}/{ip.network_prefix}", strict=False)
                return str(network.broadcast_address)
    return "255.255.255.255"


def discovery_targets(interfaces: list[str] | None, config: LifxConfig) -> list[tuple[str, str]]:
    """(address to listen on, address GetService goes to) for every way of searching."""
    targets: list[tuple[str, str]] = []
    for address in interfaces if interfaces is not None else ipv4_interfaces():
        if config.broadcast_address is not None:
            targets.append((address, config.broadcast_address))
        elif ipaddress.IPv4Address(address).is_loopback:
            targets.append((address, address))
        else:
            targets.append((address, _subnet_broadcast(address)))
    for host in config.hosts:
        listen = "127.0.0.1" if ipaddress.IPv4Address(host).is_loopback else "0.0.0.0"  # noqa: S104
        targets.append((listen, host))
    return targets


class _Discovery(aiolifx.LifxDiscovery):  # type: ignore[misc]
    """aiolifx's discovery broadcast, handing every StateService answer to the adapter."""

    def __init__(self, adapter: LifxAdapter, broadcast_ip: str, interval: float) -> None:
        super().__init__(
            asyncio.get_running_loop(),
            None,
            discovery_interval=interval,
            discovery_step=1,
            broadcast_ip=broadcast_ip,
        )
        self._adapter = adapter

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        """A bulb answered GetService (anything else is ignored)."""
        try:
            answer = unpack_lifx_message(data)
        except Exception:  # noqa: BLE001 - garbage on the discovery port is ignored
            return
        if not isinstance(answer, StateService) or answer.service != UDP_SERVICE:
            return
        if answer.target_addr == BROADCAST_MAC:
            return
        self._adapter.answered(answer.target_addr, str(addr[0]), int(answer.port))


def features_of(info: BulbInfo) -> frozenset[str]:
    """What a bulb's product can do: every bulb dims and fades; colour and warmth vary."""
    features = {LightFeature.BRIGHTNESS.value, LightFeature.TRANSITION.value}
    low, high = info.min_kelvin, info.max_kelvin
    if low is not None and high is not None and low < high:
        features.add(LightFeature.COLOR_TEMP.value)
    if info.color:
        features.add(LightFeature.COLOR.value)
    return frozenset(features)


def light_state(reading: Reading, info: BulbInfo) -> LightState:
    """A bulb's reading in the capability model's words (colour fields only while on)."""
    ranged = LightFeature.COLOR_TEMP.value in features_of(info)
    low = info.min_kelvin if ranged else None
    high = info.max_kelvin if ranged else None
    if not reading.on:
        return LightState(state="off", min_color_temp_kelvin=low, max_color_temp_kelvin=high)
    hue, saturation, brightness, kelvin = reading.hsbk
    coloured = info.color and saturation > 0
    return LightState(
        state="on",
        brightness=word_to_percent(brightness),
        color_temp_kelvin=None if coloured else kelvin,
        rgb_color=hue_saturation_to_rgb(hue, saturation) if coloured else None,
        min_color_temp_kelvin=low,
        max_color_temp_kelvin=high,
    )


def _milliseconds(transition: float | None) -> int:
    return round(transition * 1000) if transition else 0


class LifxAdapter(Adapter):
    """LIFX bulbs on the LAN, one light entity each."""

    manifest = MANIFEST
    poll_interval = 10.0

    config: LifxConfig

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self.bulbs: dict[str, Bulb] = {}
        """By serial."""
        self.infos: dict[str, BulbInfo] = {}
        self._discoveries: list[_Discovery] = []
        self._setting_up = Background()
        self._heard: set[str] = set()
        self._heard_changed = asyncio.Event()
        self._follow_ups = Background()

    async def start(self) -> None:
        """Start broadcasting GetService on every discovery interface and to `hosts`."""
        for listen, target in discovery_targets(self.context.interfaces, self.config):
            discovery = _Discovery(self, target, self.config.discovery_interval)
            try:
                await discovery.start(listen_ip=listen)
            except OSError as error:
                _LOGGER.warning("Cannot search for LIFX bulbs from %s: %s", listen, error)
                continue
            self._discoveries.append(discovery)

    async def search(self, within: float = 3.0) -> set[str]:
        """Broadcast GetService again now; the serials that answer within `within` s.

        Returns early once every known bulb has answered.
        """
        self._heard.clear()
        for discovery in self._discoveries:
            discovery.discovery_countdown = 0
        try:
            async with asyncio.timeout(within):
                while not (self._heard and set(self.bulbs) <= self._heard):
                    self._heard_changed.clear()
                    await self._heard_changed.wait()
        except TimeoutError:
            pass
        await self._setting_up.finish()
        return set(self._heard)

    def answered(self, mac_addr: str, host: str, port: int) -> None:
        """A bulb answered GetService: set it up once, or again if it moved."""
        serial = serial_of(mac_addr)
        self._heard.add(serial)
        self._heard_changed.set()
        known = self.bulbs.get(serial)
        if known is not None and (known.host, known.light.port) == (host, port):
            return
        self._setting_up.once(serial, lambda: self._set_up(mac_addr, host, port))

    async def _set_up(self, mac_addr: str, host: str, port: int) -> None:
        loop = asyncio.get_running_loop()
        light = LightProtocol(loop, mac_addr, host, port)
        try:
            await loop.create_datagram_endpoint(lambda: light, remote_addr=(host, port))
        except OSError as error:
            _LOGGER.warning("Cannot talk to the LIFX bulb at %s: %s", host, error)
            return
        bulb = Bulb(light, timeout=self.config.request_timeout, attempts=self.config.attempts)
        try:
            info, reading = await bulb.describe()
        except DeviceError as error:
            light.log.warning("Could not set up the bulb: %s", error)
            bulb.close()
            return
        old = self.bulbs.get(info.serial)
        if old is not None:
            old.close()
        self.bulbs[info.serial] = bulb
        self.infos[info.serial] = info
        device = DeviceInfo(
            unique_id=info.serial,
            name=info.label,
            host=host,
            manufacturer="LIFX",
            model=info.model,
            suggested_area=info.group or None,
        )
        entity = EntitySpec(
            unique_id=info.serial,
            domain=Domain.LIGHT,
            name=info.label,
            features=features_of(info),
            state=light_state(reading, info),
        )
        self.context.add_device(device, [entity])

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        """Send the command, then read back the bulb's state."""
        serial = entity.adapter_unique_id
        bulb, info = self.bulbs.get(serial), self.infos.get(serial)
        if bulb is None or info is None:
            raise DeviceUnavailableError("has not been found on the network.")
        if command.verb == "turn_on" and isinstance(params, LightTurnOn):
            await self._turn_on(bulb, info, params)
        elif command.verb == "turn_off" and isinstance(params, LightTurnOff):
            await bulb.set_power(False, _milliseconds(params.transition))
        elif command.verb == "toggle":
            await bulb.set_power(not (await bulb.read()).on)
        else:
            raise UnsupportedCommandError(f"A LIFX light cannot do {command.name}.")
        self.context.push_state(serial, light_state(await bulb.read(), info))
        transition = getattr(params, "transition", None)
        if transition:
            self._read_again(serial, transition)

    def _read_again(self, serial: str, after: float) -> None:
        """Read the bulb again when its fade has ended, so the state shows where it went."""

        async def later() -> None:
            await asyncio.sleep(after + 0.2)
            if serial in self.bulbs:
                await self._refresh_one(serial)

        self._follow_ups.spawn(later())

    async def _turn_on(self, bulb: Bulb, info: BulbInfo, params: LightTurnOn) -> None:
        reading = await bulb.read()
        hue, saturation, brightness, kelvin = reading.hsbk
        duration = _milliseconds(params.transition)
        changed = False
        if params.rgb_color is not None:
            hue, saturation = rgb_to_hue_saturation(params.rgb_color)
            changed = True
        if params.color_temp_kelvin is not None:
            low, high = info.min_kelvin, info.max_kelvin
            if low is not None and high is not None and not low <= params.color_temp_kelvin <= high:
                raise UnsupportedCommandError(
                    f"it shows colour temperatures from {low} K to {high} K,"
                    f" not {params.color_temp_kelvin} K"
                )
            saturation, kelvin = 0, params.color_temp_kelvin
            changed = True
        target = params.brightness
        if params.brightness_step is not None:
            target = (word_to_percent(brightness) if reading.on else 0) + params.brightness_step
        if target is not None and target <= 0:
            await bulb.set_power(False, duration)
            return
        if target is not None:
            brightness, changed = percent_to_word(min(target, 100)), True
        elif not reading.on and brightness == 0:
            brightness, changed = WORD, True
        colour = Hsbk(hue, saturation, brightness, kelvin)
        if reading.on:
            if changed:
                await bulb.set_color(colour, duration)
            return
        if changed:
            await bulb.set_color(colour)
        await bulb.set_power(True, duration)

    async def refresh(self) -> None:
        """Poll every bulb; one that does not answer, or answers garbage, is unavailable."""
        await asyncio.gather(*(self._refresh_one(serial) for serial in list(self.bulbs)))

    async def _refresh_one(self, serial: str) -> None:
        bulb, info = self.bulbs[serial], self.infos[serial]
        try:
            reading = await bulb.read()
        except DeviceError as error:
            self.context.set_available(serial, available=False, reason=str(error))
            return
        self.context.set_available(serial, available=True)
        self.context.push_state(serial, light_state(reading, info))

    async def stop(self) -> None:
        """Stop searching and close every bulb's socket."""
        for discovery in self._discoveries:
            discovery.cleanup()
        self._discoveries.clear()
        await asyncio.gather(self._setting_up.cancel(), self._follow_ups.cancel())
        for bulb in self.bulbs.values():
            bulb.close()
