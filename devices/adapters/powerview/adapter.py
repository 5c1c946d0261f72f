"""The PowerView adapter: finds hubs (mDNS or config), maps their shades onto covers.

Each shade is a device of its own with one `cover` entity; its unique id is the hub's
serial number and the shade's hub id. Hub rooms propose areas. Hub scenes are activated
by name through `activate_scene`. A hub that stops answering marks its shades
unavailable; the next poll that reaches it brings them back.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp

from devices.adapters.powerview.hub import HubLink, ShadeKind
from devices.adapters.powerview.manifest import MANIFEST, PowerViewConfig
from devices.adapters.powerview.motion import Motion
from devices.background import Background
from devices.capabilities import CommandSpec, CoverState, Domain, Params
from devices.capabilities.cover import SetPosition, SetTilt
from devices.entities import DeviceInfo, Entity, EntitySpec
from devices.errors import DeviceError, DeviceUnavailableError, UnsupportedCommandError
from devices.plugin import Adapter, AdapterConfig, AdapterContext, Discovered

_LOGGER = logging.getLogger(__name__)

HTTP_PORT = 80


class PowerViewAdapter(Adapter):
    """Hunter Douglas PowerView hubs of generation 2 and 3, one cover per shade."""

    manifest = MANIFEST
    poll_interval = 5.0

    config: PowerViewConfig

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self.hubs: dict[str, HubLink] = {}
        """By hub serial number."""
        self._unreached: set[str] = set()
        """Configured addresses whose hub has not answered yet; tried again at each poll."""
        self._motion: dict[str, Motion] = {}
        self._connecting = Background()
        self._session: aiohttp.ClientSession | None = None

    # -- finding hubs -------------------------------------------------------------------

    async def start(self) -> None:
        """Open the HTTP session and connect to the hubs named in config."""
        for address in self.config.hosts:
            try:
                await self.add_address(address)
            except DeviceError as error:
                _LOGGER.warning("PowerView hub at %s: %s Trying again later.", address, error)
                self._unreached.add(address)

    async def discovered(self, found: Discovered) -> None:
        """A hub answered mDNS: set it up (once per address at a time)."""
        address = found.host
        if found.port is not None and found.port != HTTP_PORT:
            address = f"{found.host}:{found.port}"
        await self.add_address(address)

    async def add_address(self, address: str) -> None:
        """Connect to the hub at `address` and add its shades (idempotent)."""
        await asyncio.shield(self._connecting.once(address, lambda: self._add_address(address)))

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _add_address(self, address: str) -> None:
        link = HubLink(address, self._http(), self.config.request_timeout)
        await link.connect()
        self._unreached.discard(address)
        known = self.hubs.get(link.serial)
        if known is not None and known.address != address:
            _LOGGER.info("PowerView hub %s moved from %s to %s", link.name, known.address, address)
        self.hubs[link.serial] = link
        for shade_id, shade in link.shades.items():
            self._publish(link, shade_id, shade)

    def _publish(self, link: HubLink, shade_id: int, shade: Any) -> None:
        kind = ShadeKind.of(shade)
        unique_id = f"{link.serial}-{shade_id}"
        room = link.room_of(shade)
        device = DeviceInfo(
            unique_id=unique_id,
            name=shade.name,
            host=link.address,
            manufacturer="Hunter Douglas",
            model=str(shade.type_name),
            sw_version=shade.firmware,
            suggested_area=room,
        )
        entity = EntitySpec(
            unique_id=unique_id,
            domain=Domain.COVER,
            name=shade.name,
            features=kind.features,
            device_class=kind.device_class.value,
            state=self._state_of(unique_id, kind, shade),
            suggested_area=room,
        )
        self.context.add_device(device, [entity])

    def _state_of(self, unique_id: str, kind: ShadeKind, shade: Any) -> CoverState:
        position, tilt = kind.position(shade), kind.tilt(shade)
        motion = self._motion.setdefault(unique_id, Motion())
        return CoverState(state=motion.observe(position, tilt), position=position, tilt=tilt)

    # -- commands -----------------------------------------------------------------------

    def _find(self, entity: Entity) -> tuple[HubLink, int]:
        serial, _, shade_id = entity.adapter_unique_id.rpartition("-")
        link = self.hubs.get(serial)
        if link is None or not shade_id.isdigit() or int(shade_id) not in link.shades:
            raise DeviceUnavailableError("its PowerView hub has not been found on the network.")
        return link, int(shade_id)

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        """Send the command to the hub; the shade then travels, and polls follow it."""
        link, shade_id = self._find(entity)
        shade = link.shades[shade_id]
        kind = ShadeKind.of(shade)
        motion = self._motion.setdefault(entity.adapter_unique_id, Motion())
        verb = command.verb
        if verb == "stop":
            await link.stop(shade_id)
            motion.stopped()
            shade = await link.read_shade(shade_id)
            self.context.push_state(
                entity.adapter_unique_id, self._state_of(entity.adapter_unique_id, kind, shade)
            )
            return
        if verb in ("open", "close"):
            target = shade.open_position if verb == "open" else shade.close_position
            if target.primary is None and target.tilt is None:  # a tilt-only shade
                target = shade.open_position_tilt if verb == "open" else shade.close_position_tilt
            primary, tilt = target.primary, target.tilt
        elif verb == "set_position" and isinstance(params, SetPosition):
            primary, tilt = kind.to_primary(params.position), None
        elif verb == "set_tilt" and isinstance(params, SetTilt):
            primary, tilt = None, params.tilt
        else:
            raise UnsupportedCommandError(f"a PowerView shade cannot do {command.name}.")
        await link.move(shade_id, primary=primary, tilt=tilt)
        if primary is not None and kind.has_position:
            motion.sent("position", kind.to_primary(round(primary)))
        if tilt is not None and kind.has_tilt:
            motion.sent("tilt", round(tilt))
        if isinstance(entity.state, CoverState):
            state = entity.state.model_copy(update={"state": motion.headline()})
            self.context.push_state(entity.adapter_unique_id, state)

    # -- scenes -------------------------------------------------------------------------

    def scene_names(self) -> list[str]:
        """The names of every scene of every hub, sorted."""
        return sorted({scene.name for link in self.hubs.values() for scene in link.scenes.values()})

    async def activate_scene(self, name: str) -> list[str]:
        """Activate the hub scene(s) called `name` (any case); the entity ids that move."""
        wanted = name.strip().casefold()
        moved: list[str] = []
        found = False
        for link in list(self.hubs.values()):
            for scene_id, scene in list(link.scenes.items()):
                if scene.name.casefold() != wanted:
                    continue
                found = True
                for shade_id in await link.activate(scene_id):
                    entity = self.context.registry.by_unique_id(
                        f"{self.manifest.name}:{link.serial}-{shade_id}"
                    )
                    if entity is not None:
                        moved.append(entity.entity_id)
        if not found:
            known = ", ".join(self.scene_names()) or "none"
            raise UnsupportedCommandError(
                f"There is no PowerView scene called {name!r} (scenes: {known})."
            )
        return moved

    # -- polling ------------------------------------------------------------------------

    async def refresh(self) -> None:
        """Read every hub's shades; a hub that does not answer marks its shades unavailable."""
        for address in list(self._unreached):
            try:
                await self.add_address(address)
            except DeviceError as error:
                _LOGGER.debug("PowerView hub at %s still unreachable: %s", address, error)
        await asyncio.gather(*(self._refresh_hub(link) for link in list(self.hubs.values())))

    async def _refresh_hub(self, link: HubLink) -> None:
        try:
            shades = await link.read_shades()
        except DeviceError as error:
            for shade_id in link.shades:
                self.context.set_available(
                    f"{link.serial}-{shade_id}", available=False, reason=str(error)
                )
            return
        for shade_id, shade in shades.items():
            unique_id = f"{link.serial}-{shade_id}"
            if self.context.registry.by_unique_id(f"{self.manifest.name}:{unique_id}") is None:
                self._publish(link, shade_id, shade)  # a shade paired since we last looked
                continue
            self.context.set_available(unique_id, available=True)
            state = self._state_of(unique_id, ShadeKind.of(shade), shade)
            self.context.push_state(unique_id, state)

    async def stop(self) -> None:
        """Close the HTTP session."""
        await self._connecting.cancel()
        session, self._session = self._session, None
        if session is not None:
            await session.close()
