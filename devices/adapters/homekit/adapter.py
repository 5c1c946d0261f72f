"""The HomeKit adapter: aiohomekit as the controller of paired HAP accessories over IP.

Accessories are found by mDNS `_hap._tcp.local.` through Dobby's one discovery. Each is one
device link run by a coordinator, keyed by its HomeKit device id: a paired one gets a
session that aiohomekit keeps (and re-opens after the accessory restarts), its services
mapped onto capabilities, and its changes pushed as events. An accessory not paired with
Dobby yet is logged once and tried again at each poll, so that one paired later (`dobby
pair homekit`) is set up at the next poll.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from devices.adapters.homekit import store as pairings
from devices.adapters.homekit.manifest import MANIFEST, HomeKitConfig
from devices.adapters.homekit.store import PairingStore, pairings_path
from devices.background import Background
from devices.capabilities import CommandSpec, Params, State
from devices.coordinator import never_sent
from devices.entities import DeviceInfo, EntitySpec
from devices.errors import DeviceAuthError, DeviceConnectionError, UnsupportedCommandError
from devices.lazy import lazy_module
from devices.plugin import (
    AdapterConfig,
    AdapterContext,
    CoordinatedAdapter,
    DeviceLink,
    Discovered,
    Sink,
)

if TYPE_CHECKING:
    from aiohomekit.model.services import Service

    from devices.adapters.homekit import session
    from devices.adapters.homekit.session import Changes, IpController, PairedAccessory, View
else:
    session = lazy_module("devices.adapters.homekit.session")  # aiohomekit, at first use

_LOGGER = logging.getLogger(__name__)
SETUP_TIMEOUT = 10.0
"""Seconds the first connection (pair-verify and the list of services) may take."""


class AccessoryLink(DeviceLink):
    """One HomeKit accessory (a bridge with several behind it, or one alone)."""

    device_word = "accessory"
    setup_timeout = SETUP_TIMEOUT

    def __init__(self, address: str, adapter: HomeKitAdapter, found: Discovered) -> None:
        super().__init__(address)
        self._adapter = adapter
        self.found = found
        self.name = pairings.instance_name(found)
        self.accessory: PairedAccessory | None = None
        self._services: dict[str, tuple[int, Service]] = {}
        """Entity unique id → (aid, service)."""
        self._sink: Sink | None = None
        self._tasks = Background()
        self._opening = asyncio.Lock()

    async def connect(self) -> None:
        """Learn which accessory answers (its HomeKit id) and check Dobby is paired with it;
        pair now if it offers the demo's set-up code and is not paired with anyone."""
        device_id = self.found.properties.get("id", "").lower()
        store, code = self._adapter.store, pairings.offered_setup_code(device_id)
        if store.get(device_id) is None and code is not None and pairings.is_unpaired(self.found):
            await self._pair(device_id, code)
        if store.get(device_id) is None:
            raise DeviceAuthError(
                f"({self.name}) is not paired with Dobby: dobby pair homekit"
                f' "{self.name}" <setup code>.'
            )
        self.unique_id = device_id

    async def _pair(self, device_id: str, code: str) -> None:
        try:
            await self._adapter.pair(self.found, device_id, code)
        except pairings.PairingError as error:
            raise DeviceAuthError(str(error)) from None

    async def ready(self) -> None:
        """Open the session and read the accessory's services (pairing again with the
        offered set-up code, the demo's, if the accessory forgot Dobby)."""
        async with self._opening:  # a poll and the reconnect may both get here
            await self._close_accessory()
            try:
                self.accessory = await self._open()
            except DeviceAuthError:
                code = pairings.offered_setup_code(self.unique_id)
                if code is None:
                    raise
                await self._pair(self.unique_id, code)
                self.accessory = await self._open()
        stored = self._adapter.store.get(self.unique_id) or {}
        if stored.get("Name") != self.accessory.name:
            self._adapter.store.put(self.unique_id, {**stored, "Name": self.accessory.name})

    async def _open(self) -> PairedAccessory:
        stored = self._adapter.store.get(self.unique_id)
        if stored is None:
            raise DeviceAuthError(f"({self.name}) is not paired with Dobby.")
        found = self.found
        data = {
            **stored,
            "AccessoryIP": found.host,
            "AccessoryIPs": [found.host],
            "AccessoryPort": found.port,
        }
        timeout = self._adapter.config.request_timeout
        accessory = session.PairedAccessory(
            self._adapter.controller(),
            self.unique_id,
            str(stored.get("Name", self.name)),
            data,
            timeout=max(timeout, SETUP_TIMEOUT),
        )
        try:
            await accessory.load()
            # Subscribed before its entities are published: nothing is asked of the
            # accessory (a command) while the subscription is still on its way.
            await accessory.subscribe(self._on_event)
        except BaseException:
            await accessory.close()
            raise
        # A little under the coordinator's bound, so that a timeout is the session's to
        # explain (the accessory refused the connection, or wants pairing again).
        accessory.timeout = timeout * 0.9
        return accessory

    def _open_accessory(self) -> PairedAccessory:
        if self.accessory is None:
            raise DeviceConnectionError("is not connected.")
        return self.accessory

    def _view(self, aid: int, service: Service) -> View:
        return session.View(aid, service, self._adapter.config.temperature_unit)

    def describe(self) -> Sequence[tuple[DeviceInfo, Sequence[EntitySpec]]]:
        """Each accessory behind the session with the services Dobby maps."""
        accessory = self._open_accessory()
        assert accessory.accessories is not None
        self._services.clear()
        found: list[tuple[DeviceInfo, Sequence[EntitySpec]]] = []
        for served in accessory.accessories:
            specs: list[EntitySpec] = []
            for service in served.services:
                family = session.BY_SERVICE_TYPE.get(service.type)
                if family is None:
                    continue
                unique_id = f"{accessory.device_id}:{served.aid}:{service.iid}"
                self._services[unique_id] = (served.aid, service)
                view = self._view(served.aid, service)
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
            found.append((info, specs))
        return found

    def states(self) -> dict[str, State]:
        """Every mapped service's state, from the model."""
        return {
            unique_id: session.BY_SERVICE_TYPE[service.type].state(self._view(aid, service))
            for unique_id, (aid, service) in self._services.items()
        }

    async def read(self) -> Mapping[str, State]:
        """Read every readable characteristic (reconnecting at once if the session is down)."""
        accessory = self._open_accessory()
        accessory.reconnect_soon()
        try:
            await accessory.read()
        except DeviceConnectionError as error:
            refused = accessory.pairing.connection.last_connector_error
            if self._sink is not None and refused is not None and never_sent(refused):
                # Nothing listens there any more (it was switched off): the session is gone.
                self._sink.connection_lost(str(error))
            raise
        return self.states()

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """Write the characteristics the command needs, then read the service back."""
        accessory = self._open_accessory()
        target = self._services.get(unique_id)
        if target is None:
            raise UnsupportedCommandError("the accessory no longer has this service.")
        aid, service = target
        family, view = session.BY_SERVICE_TYPE[service.type], self._view(aid, service)
        await accessory.write(family.writes(view, command, params))
        # The whole accessory is read back: a command may write a service beside the one
        # mapped (a thermostat's fan).
        await accessory.read(
            [
                (aid, char.iid)
                for served in service.accessory.services
                for char in served.characteristics
                if "pr" in char.perms
            ]
        )
        if self._sink is not None:
            self._sink.pushed(unique_id, family.state(view))

    async def subscribe(self, sink: Sink) -> bool:
        """Hear every change the accessory pushes (subscribed when the session opened;
        aiohomekit subscribes again on reconnect)."""
        self._sink = sink
        return True

    def _on_event(self, changes: Changes) -> None:
        """HomeKit pushed values (or the session came back, with no values: read it all)."""
        if not changes:
            self._tasks.spawn(self._reread())
            return
        accessory, sink = self.accessory, self._sink
        if accessory is None:
            return
        accessory.apply(changes)
        if sink is not None:
            for unique_id, state in self.states().items():
                sink.pushed(unique_id, state)

    async def _reread(self) -> None:
        try:
            states = await self.read()
        except Exception as error:  # noqa: BLE001 - the next poll reads it again and tells
            _LOGGER.debug("Reading %s after it came back: %r", self.name, error)
            return
        if self._sink is not None:
            for unique_id, state in states.items():
                self._sink.pushed(unique_id, state)

    async def close(self) -> None:
        """End the session for good."""
        self._sink = None
        await self._tasks.cancel()
        await self._close_accessory()

    async def _close_accessory(self) -> None:
        accessory, self.accessory = self.accessory, None
        if accessory is not None:
            await accessory.close()


class HomeKitAdapter(CoordinatedAdapter[AccessoryLink]):
    """Paired HomeKit accessories: climate, locks, alarms, covers, sensors, lights, switches."""

    manifest = MANIFEST
    poll_interval = 15.0

    config: HomeKitConfig

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        state_dir = context.state_dir
        self.store = PairingStore(pairings_path(state_dir) if state_dir is not None else None)
        self._controller: IpController | None = None
        self._pairing = Background()
        """Pairings under way, by device id."""

    async def pair(self, found: Discovered, device_id: str, code: str) -> None:
        """Pair with an accessory with its offered set-up code (the demo's), once at a time.

        A pairing runs to its end even if the set-up that asked for it gives up waiting: one
        cut off between the accessory's last step and ours would leave the accessory paired
        with keys nobody kept, and it never pairs again. The next set-up finds it paired.
        """

        async def pairing() -> None:
            await session.pair_found(found, code, self.store)

        await asyncio.shield(self._pairing.once(device_id, pairing))

    def controller(self) -> IpController:
        """aiohomekit's controller, made at first use."""
        if self._controller is None:
            self._controller = session.new_controller()
        return self._controller

    async def start(self) -> None:
        """Nothing to do: accessories are found by mDNS, with the id their pairing needs."""

    async def discovered(self, found: Discovered) -> None:
        """An accessory answered mDNS: set it up (once per address at a time)."""
        if not found.properties.get("id"):
            return
        where = f"{found.host}:{found.port}" if found.port else found.host
        await self.devices.set_up(where, lambda at: AccessoryLink(at, self, found))

    async def stop(self) -> None:
        """Close every session, and stop the pairings under way."""
        await super().stop()
        await self._pairing.cancel()


def _device_uid(device_id: str, aid: int) -> str:
    return device_id if aid == 1 else f"{device_id}:{aid}"
