"""The HomeKit adapter: aiohomekit as the controller of paired HAP accessories over IP.

Accessories are found by mDNS `_hap._tcp.local.` through Dobby's one discovery; each
paired one gets a session that aiohomekit keeps (and re-opens after the accessory
restarts), its services mapped onto capabilities, and its changes pushed as events.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiohomekit.characteristic_cache import CharacteristicCacheMemory
from aiohomekit.controller.ip.controller import IpController
from aiohomekit.model.services import Service

from devices.adapters.homekit import pairing as pairings
from devices.adapters.homekit.connection import Changes, PairedAccessory
from devices.adapters.homekit.manifest import MANIFEST, HomeKitConfig
from devices.adapters.homekit.mapping import BY_SERVICE_TYPE, Family, View
from devices.adapters.homekit.store import PairingStore, pairings_path
from devices.background import Background
from devices.capabilities import CommandSpec, Params
from devices.coordinator import TOGGLES
from devices.entities import DeviceInfo, Entity, EntitySpec
from devices.errors import DeviceAuthError, DeviceError, DeviceUnavailableError
from devices.plugin import Adapter, AdapterConfig, AdapterContext, Discovered

_LOGGER = logging.getLogger(__name__)
SETUP_TIMEOUT = 10.0
"""Seconds the first connection (pair-verify and the list of services) may take."""


class HomeKitAdapter(Adapter):
    """Paired HomeKit accessories: climate, locks, alarms, covers, sensors, lights, switches."""

    manifest = MANIFEST
    poll_interval = 15.0

    config: HomeKitConfig

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        state_dir = context.state_dir
        self.store = PairingStore(pairings_path(state_dir) if state_dir is not None else None)
        self.accessories: dict[str, PairedAccessory] = {}
        """By lower-case HomeKit device id."""
        self._controller: IpController | None = None
        self._services: dict[str, tuple[str, int, Service]] = {}
        """Entity unique id → (device id, aid, service)."""
        self._setting_up = Background()
        self._tasks = Background()
        self._retry: dict[str, Discovered] = {}
        """Accessories whose set-up failed, tried again at the next poll."""

    def _controller_now(self) -> IpController:
        if self._controller is None:
            self._controller = IpController(CharacteristicCacheMemory(), None)  # type: ignore[arg-type]
        return self._controller

    async def discovered(self, found: Discovered) -> None:
        """An accessory answered mDNS: set it up if paired (once per device at a time)."""
        device_id = found.properties.get("id", "").lower()
        if not device_id:
            return
        known = self.accessories.get(device_id)
        if known is not None:
            if known.host != found.host:
                known.move(found.host, found.port)
            known.reconnect_soon()
            return
        setting_up = self._setting_up.once(device_id, lambda: self._set_up(device_id, found))
        await asyncio.shield(setting_up)

    async def _set_up(self, device_id: str, found: Discovered) -> None:
        name = pairings.instance_name(found)
        code = pairings.offered_setup_code(device_id)
        stored = self.store.get(device_id)
        try:
            if stored is None and code is not None and pairings.is_unpaired(found):
                await pairings.pair_found(found, code, self.store)
                stored = self.store.get(device_id)
            if stored is None:
                _LOGGER.info("HomeKit accessory %s is not paired with Dobby", name)
                return
            try:
                accessory = await self._connect(device_id, name, stored, found)
            except DeviceAuthError:
                if code is None:
                    raise
                await pairings.pair_found(found, code, self.store)  # the demo's accessories
                stored = self.store.get(device_id) or stored
                accessory = await self._connect(device_id, name, stored, found)
        except pairings.PairingError as error:
            _LOGGER.warning("%s", error)
            return
        except DeviceAuthError as error:
            self._unavailable(device_id, str(error))
            _LOGGER.warning("HomeKit accessory %s %s", name, error)
            return
        except DeviceError as error:
            self._unavailable(device_id, str(error))
            self._retry[device_id] = found
            _LOGGER.warning("Setting up HomeKit accessory %s failed: %s", name, error)
            return
        self._retry.pop(device_id, None)
        self.accessories[device_id] = accessory
        if stored.get("Name") != accessory.name:
            self.store.put(device_id, {**stored, "Name": accessory.name})
        self._register(accessory)

    async def _connect(
        self, device_id: str, name: str, stored: dict[str, Any], found: Discovered
    ) -> PairedAccessory:
        data = {
            **stored,
            "AccessoryIP": found.host,
            "AccessoryIPs": [found.host],
            "AccessoryPort": found.port,
        }
        accessory = PairedAccessory(
            self._controller_now(),
            device_id,
            str(stored.get("Name", name)),
            data,
            timeout=max(self.config.request_timeout, SETUP_TIMEOUT),
        )
        try:
            await accessory.load()
            await accessory.subscribe(lambda changes: self._on_event(accessory, changes))
        except DeviceError:
            await accessory.close()
            raise
        accessory.timeout = self.config.request_timeout
        return accessory

    def _register(self, accessory: PairedAccessory) -> None:
        assert accessory.accessories is not None
        for served in accessory.accessories:
            specs: list[EntitySpec] = []
            for service in served.services:
                family = BY_SERVICE_TYPE.get(service.type)
                if family is None:
                    continue
                unique_id = f"{accessory.device_id}:{served.aid}:{service.iid}"
                self._services[unique_id] = (accessory.device_id, served.aid, service)
                view = View(served.aid, service, self.config.temperature_unit)
                label = served.name if not specs else f"{served.name} {service.type[:8]}"
                specs.append(
                    EntitySpec(
                        unique_id=unique_id,
                        domain=family.domain,
                        name=label,
                        features=family.features(view),
                        device_class=family.device_class(view),
                        state=family.state(view),
                    )
                )
            if not specs:
                continue
            info = DeviceInfo(
                unique_id=_device_uid(accessory.device_id, served.aid),
                name=served.name,
                host=accessory.host,
                manufacturer=served.manufacturer or None,
                model=served.model,
                sw_version=served.firmware_revision or None,
            )
            self.context.add_device(info, specs)

    def _on_event(self, accessory: PairedAccessory, changes: Changes) -> None:
        """HomeKit pushed values (or the session came back, with no values)."""
        if not changes:
            self._tasks.spawn(self._refresh_one(accessory))
            return
        accessory.apply(changes)
        self._push(accessory)

    def _push(self, accessory: PairedAccessory) -> None:
        for unique_id, (device_id, aid, service) in self._services.items():
            if device_id == accessory.device_id:
                family = BY_SERVICE_TYPE[service.type]
                view = View(aid, service, self.config.temperature_unit)
                self.context.push_state(unique_id, family.state(view))

    def _unavailable(self, device_id: str, reason: str) -> None:
        for uid in list(self.context.registry.devices):
            if uid.startswith(f"{self.manifest.name}:{device_id}"):
                self.context.set_available(uid.split(":", 1)[1], available=False, reason=reason)

    def _target(self, entity: Entity) -> tuple[PairedAccessory, Family, View]:
        found = self._services.get(entity.adapter_unique_id)
        accessory = self.accessories.get(found[0]) if found else None
        if found is None or accessory is None:
            raise DeviceUnavailableError("has not been found on the network.")
        _, aid, service = found
        return (
            accessory,
            BY_SERVICE_TYPE[service.type],
            View(aid, service, self.config.temperature_unit),
        )

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        """Write the characteristics the command needs, then read the service back."""
        accessory, family, view = self._target(entity)
        readable = [
            (view.aid, char.iid) for char in view.service.characteristics if "pr" in char.perms
        ]
        if command in TOGGLES:
            await accessory.read(readable)  # flip what it shows now, not what was last heard
        await accessory.write(family.writes(view, command, params))
        await accessory.read(readable)
        self.context.push_state(entity.adapter_unique_id, family.state(view))

    async def refresh(self) -> None:
        """Read every accessory; one that does not answer is marked unavailable."""
        for found in list(self._retry.values()):
            await self.discovered(found)
        await asyncio.gather(*(self._refresh_one(a) for a in list(self.accessories.values())))

    async def _refresh_one(self, accessory: PairedAccessory) -> None:
        accessory.reconnect_soon()
        try:
            await accessory.read()
        except DeviceError as error:
            self._unavailable(accessory.device_id, str(error))
            if isinstance(error, DeviceAuthError):
                _LOGGER.warning("%s %s", accessory.name, error)
            return
        for uid in list(self.context.registry.devices):
            if uid.startswith(f"{self.manifest.name}:{accessory.device_id}"):
                self.context.set_available(uid.split(":", 1)[1], available=True)
        self._push(accessory)

    async def stop(self) -> None:
        """Close every session."""
        await asyncio.gather(self._setting_up.cancel(), self._tasks.cancel())
        for accessory in self.accessories.values():
            await accessory.close()
        self.accessories.clear()


def _device_uid(device_id: str, aid: int) -> str:
    return device_id if aid == 1 else f"{device_id}:{aid}"
