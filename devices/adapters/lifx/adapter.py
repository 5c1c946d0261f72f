"""The LIFX adapter: finds bulbs by the LAN protocol's own broadcast, drives them via aiolifx.

LIFX bulbs announce nothing over mDNS or SSDP: a client broadcasts GetService on UDP
56700 and every bulb answers with StateService. aiolifx's `LifxDiscovery` sends that
broadcast (now, and again every `discovery_interval`) from each discovery interface; the
adapter sets up every bulb that answers, as a `BulbLink` run by a coordinator keyed by the
bulb's serial. Bulbs push nothing, so state comes from the coordinator's read-back after
every command and from the poll. A bulb's effects are the firmware's own, started with
`light.turn_on(effect=...)`: "pulse" (a blink, LightSetWaveform PULSE) and "breathe" (a
slow fade, SINE), three times and back to where it was; a strip or beam also has "move"
(its Move firmware effect, until "stop"). A LIFX Switch (a product with relays and no light) is a
device whose relays are `switch` entities ("Hall Switch 1" to "4"), read and switched
with GetRPower and SetRPower.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from collections.abc import Mapping, Sequence

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
from devices.capabilities import CommandSpec, Domain, Params, State, SwitchState, light, switch
from devices.capabilities.light import LightFeature, LightState, LightTurnOff, LightTurnOn
from devices.entities import DeviceInfo, EntitySpec
from devices.errors import UnsupportedCommandError
from devices.plugin import (
    AdapterConfig,
    AdapterContext,
    CoordinatedAdapter,
    DeviceLink,
    Sink,
)
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
    features = {
        LightFeature.BRIGHTNESS.value,
        LightFeature.TRANSITION.value,
        LightFeature.EFFECT.value,
    }
    low, high = info.min_kelvin, info.max_kelvin
    if low is not None and high is not None and low < high:
        features.add(LightFeature.COLOR_TEMP.value)
    if info.color:
        features.add(LightFeature.COLOR.value)
    if info.zones:
        features.add(LightFeature.ZONES.value)
    return frozenset(features)


def light_state(reading: Reading, info: BulbInfo) -> LightState:
    """A bulb's reading in the capability model's words (colour fields only while on)."""
    ranged = LightFeature.COLOR_TEMP.value in features_of(info)
    low = info.min_kelvin if ranged else None
    high = info.max_kelvin if ranged else None
    zones = info.zones or None
    if not reading.on:
        return LightState(
            state="off",
            min_color_temp_kelvin=low,
            max_color_temp_kelvin=high,
            zone_count=zones,
            effect_list=effects_of(info),
        )
    hue, saturation, brightness, kelvin = reading.hsbk
    coloured = info.color and saturation > 0
    return LightState(
        state="on",
        brightness=word_to_percent(brightness),
        color_temp_kelvin=None if coloured else kelvin,
        rgb_color=hue_saturation_to_rgb(hue, saturation) if coloured else None,
        min_color_temp_kelvin=low,
        max_color_temp_kelvin=high,
        zone_count=zones,
        effect_list=effects_of(info),
    )


WAVEFORMS = {"pulse": (4, 500), "breathe": (1, 2000)}
"""Effect → (LightSetWaveform's waveform: 4 PULSE, 1 SINE; one cycle in milliseconds)."""
EFFECT_CYCLES = 3
STRIP_EFFECTS = ("move", "stop")
"""A multizone strip's Move firmware effect, and stopping it."""


def effects_of(info: BulbInfo) -> list[str]:
    """The effects a bulb offers."""
    return sorted([*WAVEFORMS, *(STRIP_EFFECTS if info.zones else ())])


RELAY_MARK = "-relay-"
"""A relay's unique id is the switch's serial, this, and the relay's number from 1."""


def relay_id(serial: str, index: int) -> str:
    """The unique id of relay `index` (from 0) of a switch."""
    return f"{serial}{RELAY_MARK}{index + 1}"


def where(mac_addr: str, host: str, port: int) -> str:
    """A bulb's address for the coordinator: one emulator (or bridge) may answer for
    several bulbs on one host and port, so the serial is part of it."""
    return f"{serial_of(mac_addr)}@{host}:{port}"


def _milliseconds(transition: float | None) -> int:
    return round(transition * 1000) if transition else 0


class BulbLink(DeviceLink):
    """One bulb through aiolifx: the calls its coordinator makes."""

    def __init__(self, mac_addr: str, host: str, port: int, config: LifxConfig) -> None:
        super().__init__(where(mac_addr, host, port))
        self.mac_addr, self.host, self.port, self.config = mac_addr, host, port, config
        self.bulb: Bulb | None = None
        self.info: BulbInfo | None = None
        self.reading: Reading | None = None
        self.relays: list[bool] = []
        """A switch's relays, as last read."""
        self.sink: Sink | None = None
        self._follow_ups = Background()

    async def connect(self) -> None:
        """Open the bulb's socket and ask it who it is and how it shines."""
        loop = asyncio.get_running_loop()
        protocol = LightProtocol(loop, self.mac_addr, self.host, self.port)
        await loop.create_datagram_endpoint(lambda: protocol, remote_addr=(self.host, self.port))
        bulb = Bulb(protocol, timeout=self.config.request_timeout, attempts=self.config.attempts)
        try:
            self.info, self.reading = await bulb.describe()
            self.relays = [await bulb.relay(i) for i in range(self.info.relays)]
        except BaseException:
            bulb.close()
            raise
        self.bulb = bulb
        self.unique_id = self.info.serial

    def describe(self) -> Sequence[tuple[DeviceInfo, Sequence[EntitySpec]]]:
        """One bulb, one light (a switch: one switch per relay); its LIFX group proposes
        the area."""
        assert self.info is not None
        info = self.info
        device = DeviceInfo(
            unique_id=info.serial,
            name=info.label,
            host=self.host,
            manufacturer="LIFX",
            model=info.model,
            suggested_area=info.group or None,
        )
        if info.relays:
            relays = [
                EntitySpec(
                    unique_id=relay_id(info.serial, index),
                    domain=Domain.SWITCH,
                    name=f"{info.label} {index + 1}",
                    state=SwitchState(state="on" if on else "off"),
                )
                for index, on in enumerate(self.relays)
            ]
            return [(device, relays)]
        assert self.reading is not None
        entity = EntitySpec(
            unique_id=info.serial,
            domain=Domain.LIGHT,
            name=info.label,
            features=features_of(info),
            state=light_state(self.reading, info),
        )
        return [(device, [entity])]

    async def read(self) -> Mapping[str, State]:
        """The bulb's power and colour (one request); a switch's relays (one each)."""
        assert self.bulb is not None
        assert self.info is not None
        if self.info.relays:
            self.relays = [await self.bulb.relay(i) for i in range(self.info.relays)]
            return {
                relay_id(self.info.serial, index): SwitchState(state="on" if on else "off")
                for index, on in enumerate(self.relays)
            }
        self.reading = await self.bulb.read()
        return {self.unique_id: light_state(self.reading, self.info)}

    async def subscribe(self, sink: Sink) -> bool:
        """A bulb pushes nothing; the sink hears where a fade ended."""
        self.sink = sink
        return False

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """Send the command (the coordinator reads the bulb back)."""
        assert self.bulb is not None
        if RELAY_MARK in unique_id:
            index = int(unique_id.rpartition(RELAY_MARK)[2]) - 1
            match command:
                case switch.TURN_ON | switch.TURN_OFF:
                    await self.bulb.set_relay(index, command == switch.TURN_ON)
                case _:
                    raise UnsupportedCommandError(f"A LIFX Switch cannot do {command.name}.")
            return
        match command, params:
            case light.TURN_ON, LightTurnOn() as turn_on:
                await self._turn_on(self.bulb, turn_on)
            case light.TURN_OFF, LightTurnOff(transition=transition):
                await self.bulb.set_power(False, _milliseconds(transition))
            case _:
                raise UnsupportedCommandError(f"A LIFX light cannot do {command.name}.")
        transition = getattr(params, "transition", None)
        if transition:
            self._follow_ups.spawn(self._read_after(transition))

    async def _read_after(self, seconds: float) -> None:
        """Read the bulb again when its fade has ended, so the state shows where it went."""
        await asyncio.sleep(seconds + 0.2)
        try:
            states = await self.read()
        except Exception as error:  # noqa: BLE001 - the next poll reads it again
            _LOGGER.debug("No reading after the fade: %r", error)
            return
        if self.sink is not None:
            for unique_id, state in states.items():
                self.sink.pushed(unique_id, state)

    async def _effect(self, bulb: Bulb, effect: str) -> None:
        """Start an effect (the light comes on for it if it was off)."""
        assert self.info is not None
        if effect not in effects_of(self.info):
            raise UnsupportedCommandError(f"it has no effect called {effect!r}")
        if effect in STRIP_EFFECTS:
            await bulb.set_move(effect == "move")
            return
        reading = await bulb.read()
        if not reading.on:
            await bulb.set_power(True)
        waveform, period = WAVEFORMS[effect]
        dark = reading.hsbk._replace(brightness=0)
        await bulb.set_waveform(dark, waveform, period_ms=period, cycles=EFFECT_CYCLES)

    async def _turn_on(self, bulb: Bulb, params: LightTurnOn) -> None:
        if params.effect is not None:
            await self._effect(bulb, params.effect)
            return
        reading = await bulb.read()
        hue, saturation, brightness, kelvin = self._colour(params, reading.hsbk)
        changed = (hue, saturation, kelvin) != (reading.hsbk[0], reading.hsbk[1], reading.hsbk[3])
        duration = _milliseconds(params.transition)
        target = params.brightness
        if params.brightness_step is not None:
            target = (word_to_percent(brightness) if reading.on else 0) + params.brightness_step
        if params.zones is not None:
            zoned = Hsbk(hue, saturation, brightness, kelvin)
            await self._turn_on_zones(bulb, params.zones, zoned, target, reading.on, duration)
            return
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

    def _colour(self, params: LightTurnOn, hsbk: Hsbk) -> Hsbk:
        """The colour the parameters ask for, from the bulb's colour now (brightness kept)."""
        assert self.info is not None
        hue, saturation, brightness, kelvin = hsbk
        if params.rgb_color is not None:
            hue, saturation = rgb_to_hue_saturation(params.rgb_color)
        if params.color_temp_kelvin is not None:
            low, high = self.info.min_kelvin, self.info.max_kelvin
            if low is not None and high is not None and not low <= params.color_temp_kelvin <= high:
                raise UnsupportedCommandError(
                    f"it shows colour temperatures from {low} K to {high} K,"
                    f" not {params.color_temp_kelvin} K"
                )
            saturation, kelvin = 0, params.color_temp_kelvin
        return Hsbk(hue, saturation, brightness, kelvin)

    async def _turn_on_zones(
        self,
        bulb: Bulb,
        zones: tuple[int, int],
        colour: Hsbk,
        target: int | None,
        was_on: bool,
        duration: int,
    ) -> None:
        """The zones take the colour (dimmed to nothing, they go dark); the strip, one
        power for all its zones, comes on if it was off."""
        assert self.info is not None
        first, last = zones
        if last > self.info.zones:
            raise UnsupportedCommandError(f"it has zones 1 to {self.info.zones}, not {last}")
        if target is not None:
            colour = colour._replace(brightness=percent_to_word(max(0, min(target, 100))))
        await bulb.set_zones(first - 1, last - 1, colour, duration)
        if not was_on:
            await bulb.set_power(True, duration)

    async def close(self) -> None:
        """Stop following fades and close the bulb's socket."""
        await self._follow_ups.cancel()
        if self.bulb is not None:
            self.bulb.close()


class LifxAdapter(CoordinatedAdapter[BulbLink]):
    """LIFX bulbs on the LAN, one light entity each."""

    manifest = MANIFEST
    poll_interval = 10.0

    config: LifxConfig

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self._discoveries: list[_Discovery] = []
        self._setting_up = Background()
        self._heard: set[str] = set()
        self._heard_changed = asyncio.Event()

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
                while not (self._heard and set(self.devices.coordinators) <= self._heard):
                    self._heard_changed.clear()
                    await self._heard_changed.wait()
        except TimeoutError:
            pass
        await self._setting_up.finish()
        return set(self._heard)

    def answered(self, mac_addr: str, host: str, port: int) -> None:
        """A bulb answered GetService: set it up once, or again if it moved or was lost."""
        serial = serial_of(mac_addr)
        self._heard.add(serial)
        self._heard_changed.set()
        address = where(mac_addr, host, port)
        known = self.devices.coordinators.get(serial)
        if known is not None and known.connected and known.link.address == address:
            return
        make = lambda _: BulbLink(mac_addr, host, port, self.config)  # noqa: E731
        self._setting_up.spawn(self.devices.set_up(address, make))

    async def stop(self) -> None:
        """Stop searching and close every bulb's socket."""
        for discovery in self._discoveries:
            discovery.cleanup()
        self._discoveries.clear()
        await self._setting_up.cancel()
        await super().stop()
