"""The Philips Hue adapter: bridges found by mDNS `_hue._tcp`, driven by aiohue over API v2.

A bridge needs pairing once (its link button, `dobby pair hue`); the application key is
kept in `<state dir>/hue/<bridge id>.json`. Each Hue light becomes a light entity whose
proposed area is its Hue room; with `groups: true`, every room and zone is a light entity
too. States arrive by the bridge's event stream; the poll only checks the bridge is there.
A bridge from before 2019 that has no API v2 (give its address under `hosts:`: it does not
announce itself on mDNS) is driven through API v1 and polled (bridge_v1.py). aiohue is
imported with this module, which Dobby imports only when a bridge is found or configured
(it reads manifest.py before), so a house without Hue never loads it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from devices.adapters.hue.bridge import BridgeLink, HueLink
from devices.adapters.hue.bridge_v1 import V1BridgeLink
from devices.adapters.hue.manifest import MANIFEST, HueConfig
from devices.adapters.hue.pairing import (
    LinkButtonNotPressedError,
    StoredKey,
    address,
    keys_dir,
    load_key,
    probe_scheme,
    read_bridge_id,
    request_key,
    store_key,
)
from devices.background import Background
from devices.capabilities import CommandSpec, LightState, Params
from devices.entities import Entity
from devices.errors import (
    DeviceAuthError,
    DeviceError,
    DeviceUnavailableError,
    UnsupportedCommandError,
)
from devices.plugin import Adapter, AdapterConfig, AdapterContext, Discovered

_LOGGER = logging.getLogger(__name__)


class HueAdapter(Adapter):
    """Philips Hue bridges: their lights (and, if asked, their rooms and zones)."""

    manifest = MANIFEST
    poll_interval = 60.0

    config: HueConfig

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self.bridges: dict[str, HueLink] = {}
        """By bridge id."""
        self._owner: dict[str, str] = {}
        """Entity unique id (a light or grouped_light id) → bridge id."""
        self._setting_up = Background()
        self._on_v1: set[str] = set()
        """Bridges (by address) already logged as driven through API v1."""

    @property
    def key_dir(self) -> Path:
        """Where the bridges' application keys live."""
        if self.config.key_dir is not None:
            return self.config.key_dir
        state = self.context.state_dir if self.context.state_dir is not None else Path("data")
        return keys_dir(state)

    # -- finding bridges ----------------------------------------------------------------

    async def start(self) -> None:
        """Connect to the bridges named in config; one that fails does not stop the others."""
        for host in self.config.hosts:
            await self._quietly(self.add_bridge(host))

    async def discovered(self, found: Discovered) -> None:
        """A bridge answered mDNS: connect to it (once per address at a time)."""
        bridge_id = found.properties.get("bridgeid") or None
        await self._quietly(self.add_bridge(address(found.host, found.port), bridge_id))

    async def _quietly(self, setting_up: Coroutine[Any, Any, None]) -> None:
        try:
            await setting_up
        except DeviceError as error:
            _LOGGER.warning("Hue bridge: %s", error)

    async def add_bridge(self, host: str, bridge_id: str | None = None) -> None:
        """Connect to the bridge at `host` and add its lights (idempotent).

        Raises DeviceAuthError when the bridge has no key for Dobby or refuses it.
        """
        await asyncio.shield(self._setting_up.once(host, lambda: self._add_bridge(host, bridge_id)))

    async def _add_bridge(self, host: str, bridge_id: str | None) -> None:
        scheme, why = await probe_scheme(host, request_timeout=self.config.request_timeout)
        if scheme == "http" and host not in self._on_v1:
            self._on_v1.add(host)
            _LOGGER.warning("Hue bridge at %s is driven through API v1: %s", host, why)
        if bridge_id is None:
            bridge_id = await read_bridge_id(
                host, request_timeout=self.config.request_timeout, scheme=scheme
            )
        bridge_id = bridge_id.lower()
        known = self.bridges.get(bridge_id)
        if known is not None and known.host == host and known.connected:
            return
        stored = load_key(self.key_dir, bridge_id)
        if stored is None:
            stored = await self._pair_now(host, bridge_id, "has not been paired with Dobby", scheme)
        try:
            link = await self._connect(bridge_id, host, stored.application_key, scheme)
        except DeviceAuthError:
            stored = await self._pair_now(host, bridge_id, "refused Dobby's key", scheme)
            link = await self._connect(bridge_id, host, stored.application_key, scheme)
        if known is not None:
            await known.close()
        self.bridges[bridge_id] = link
        self._add_entities(link)

    async def _pair_now(
        self, host: str, bridge_id: str, problem: str, scheme: str = "https"
    ) -> StoredKey:
        """Pair without waiting if the link button was just pressed; else DeviceAuthError."""
        hint = f"Hue bridge {bridge_id} at {host} {problem}: pair again with `dobby pair hue`."
        if not self.config.pair_when_button_pressed:
            raise DeviceAuthError(hint)
        try:
            key, client_key = await request_key(
                host, request_timeout=self.config.request_timeout, scheme=scheme
            )
        except LinkButtonNotPressedError:
            raise DeviceAuthError(hint) from None
        stored = StoredKey(bridge_id, key, client_key, host)
        store_key(self.key_dir, stored)
        _LOGGER.info("Paired with Hue bridge %s at %s (link button pressed)", bridge_id, host)
        return stored

    async def _connect(self, bridge_id: str, host: str, key: str, scheme: str) -> HueLink:
        kind = V1BridgeLink if scheme == "http" else BridgeLink
        link = kind(bridge_id, host, key, timeout=self.config.request_timeout, push=self._push)
        try:
            await link.connect()
        except BaseException:
            await link.close()
            raise
        if link.poll_interval is not None:  # it cannot tell of changes: poll it that often
            self.poll_interval = min(self.poll_interval or link.poll_interval, link.poll_interval)
        link.on_availability(lambda up, why: self._set_bridge_available(link, up, why))
        return link

    def _add_entities(self, link: HueLink) -> None:
        for info, specs in link.devices(groups=self.config.groups):
            for spec in specs:
                self._owner[spec.unique_id] = link.bridge_id
            self.context.add_device(info, specs)

    # -- states -------------------------------------------------------------------------

    def _push(self, unique_id: str, state: LightState) -> None:
        self.context.push_state(unique_id, state)

    def _set_bridge_available(self, link: HueLink, available: bool, reason: str) -> None:
        for device_id in self._devices_of(link):
            self.context.set_available(device_id, available=available, reason=reason)

    def _devices_of(self, link: HueLink) -> set[str]:
        registry, prefix = self.context.registry, f"{self.manifest.name}:"
        devices = set()
        for unique_id, bridge_id in self._owner.items():
            entity = registry.by_unique_id(prefix + unique_id)
            if bridge_id == link.bridge_id and entity is not None:
                devices.add(entity.device_id.removeprefix(prefix))
        return devices

    async def refresh(self) -> None:
        """Read every bridge again; one that does not answer marks its lights unavailable."""
        await asyncio.gather(*(self._refresh_one(link) for link in list(self.bridges.values())))

    async def _refresh_one(self, link: HueLink) -> None:
        try:
            await link.refresh()
        except DeviceError as error:
            self._set_bridge_available(link, False, str(error))
            return
        self._set_bridge_available(link, True, "")

    # -- commands -----------------------------------------------------------------------

    def _link_of(self, entity: Entity) -> HueLink:
        bridge_id = self._owner.get(entity.adapter_unique_id)
        link = self.bridges.get(bridge_id) if bridge_id else None
        if link is None:
            raise DeviceUnavailableError("its Hue bridge has not been found on the network.")
        return link

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        """Send a light command through the entity's bridge; the new state is pushed."""
        await self._link_of(entity).command(entity.adapter_unique_id, command, params)

    def _v2_links(self) -> list[BridgeLink]:
        """The bridges with API v2 (a v1 bridge's scenes are not offered)."""
        return [link for link in self.bridges.values() if isinstance(link, BridgeLink)]

    async def activate_scene(self, name: str, *, area: str | None = None) -> None:
        """Activate the Hue scene called `name` (in the room or zone `area`, if given).

        Raises UnsupportedCommandError when there is no such scene, or when several rooms
        have one of that name and no area was given.
        """
        wanted, matches = name.casefold(), []
        for link in self._v2_links():
            for scene in link.api.scenes.scene:
                group = link.api.scenes.scene.get_group(scene.id)
                group_name = str(group.metadata.name) if group is not None else None
                if str(scene.metadata.name).casefold() != wanted:
                    continue
                if area is None or (group_name or "").casefold() == area.casefold():
                    matches.append((link, scene.id, group_name))
        if not matches:
            where = f" in {area}" if area else ""
            raise UnsupportedCommandError(f"There is no Hue scene called {name!r}{where}.")
        if len(matches) > 1:
            rooms = ", ".join(sorted(str(group) for _, _, group in matches))
            raise UnsupportedCommandError(
                f"There are Hue scenes called {name!r} in {rooms}: say which one."
            )
        link, scene_id, _ = matches[0]
        await link.recall_scene(scene_id)

    def scene_names(self) -> list[tuple[str, str | None]]:
        """Every Hue scene as (name, room or zone name)."""
        names = []
        for link in self._v2_links():
            for scene in link.api.scenes.scene:
                group = link.api.scenes.scene.get_group(scene.id)
                names.append(
                    (str(scene.metadata.name), str(group.metadata.name) if group else None)
                )
        return sorted(names)

    async def stop(self) -> None:
        """Close every bridge connection."""
        await self._setting_up.cancel()
        for link in list(self.bridges.values()):
            await link.close()
        self.bridges.clear()
