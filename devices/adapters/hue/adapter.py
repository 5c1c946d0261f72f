"""The Philips Hue adapter: bridges found by mDNS `_hue._tcp`, driven by aiohue over API v2.

A bridge needs pairing once (its link button, `dobby pair hue`); the application key is
kept in `<state dir>/hue/<bridge id>.json`. Each Hue light becomes a light entity whose
proposed area is its Hue room; with `groups: true`, every room and zone is a light entity
too. Every Hue scene (v2, and v1 bridges' scenes) is a `scene` entity of the bridge,
proposing its room as its area ("relax scene in the study"), read back through the lights
it changes. Each bridge is one device link run by a coordinator, keyed by its bridge id. States
arrive by the bridge's event stream (a stream that drops is a lost connection, reconnected
with backoff); the poll reads the bridge and checks it is there.
A bridge from before 2019 that has no API v2 (give its address under `hosts:`: it does not
announce itself on mDNS) is driven through API v1 and polled (bridge_v1.py). aiohue is
imported with this module, which Dobby imports only when a bridge is found or configured
(it reads manifest.py before), so a house without Hue never loads it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from devices.adapters.hue.bridge import BridgeLink, HueLink
from devices.adapters.hue.bridge_v1 import V1BridgeLink
from devices.adapters.hue.manifest import MANIFEST, HueConfig
from devices.adapters.hue.pairing import (
    PAIR_AGAIN,
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
from devices.capabilities import CommandSpec, Params, State
from devices.entities import DeviceInfo, EntitySpec
from devices.errors import DeviceAuthError, DeviceConnectionError, UnsupportedCommandError
from devices.plugin import (
    AdapterConfig,
    AdapterContext,
    CoordinatedAdapter,
    DeviceLink,
    Discovered,
    Sink,
)

_LOGGER = logging.getLogger(__name__)


class HueBridge(DeviceLink):
    """One bridge through aiohue (API v2, or v1 for the oldest): what its coordinator calls.

    `connect` only learns which bridge answers (its id, and which API it speaks); `ready`
    opens aiohue's connection with the stored key, pairing first if the adapter may.
    """

    device_word = "bridge"

    def __init__(self, address: str, adapter: HueAdapter, bridge_id: str | None) -> None:
        super().__init__(address)
        self._adapter = adapter
        self._bridge_id = bridge_id
        self._scheme = "https"
        self.link: HueLink | None = None
        self._sink: Sink | None = None

    async def connect(self) -> None:
        """Learn which API the bridge speaks and its bridge id."""
        self._scheme = await self._adapter.probe(self.address)
        if self._bridge_id is None:
            self._bridge_id = await read_bridge_id(
                self.address,
                request_timeout=self._adapter.config.request_timeout,
                scheme=self._scheme,
            )
        self.unique_id = self._bridge_id.lower()

    async def ready(self) -> None:
        """Open aiohue's connection (reading the whole bridge), pairing first if need be."""
        await self._close_link()
        adapter, host, bridge_id = self._adapter, self.address, self.unique_id
        stored = load_key(adapter.key_dir, bridge_id)
        if stored is None:
            problem = "has not been paired with Dobby"
            stored = await adapter.pair_now(host, bridge_id, problem, self._scheme)
        try:
            self.link = await self._open(stored.application_key)
        except DeviceAuthError:
            try:
                stored = await adapter.pair_now(host, bridge_id, "", self._scheme)
            except DeviceAuthError:
                raise DeviceAuthError(PAIR_AGAIN) from None  # as a refused command says
            self.link = await self._open(stored.application_key)
        every = self.link.poll_interval
        if every is not None:  # it cannot tell of changes: poll it that often
            adapter.poll_interval = min(adapter.poll_interval or every, every)

    async def _open(self, key: str) -> HueLink:
        kind = V1BridgeLink if self._scheme == "http" else BridgeLink
        timeout = self._adapter.config.request_timeout
        link = kind(self.unique_id, self.address, key, timeout=timeout, push=self._pushed)
        try:
            await link.connect()
        except BaseException:
            await link.close()
            raise
        link.on_availability(self._stream)
        return link

    def _open_link(self) -> HueLink:
        if self.link is None:
            raise DeviceConnectionError("is not connected.")
        return self.link

    def describe(self) -> Sequence[tuple[DeviceInfo, Sequence[EntitySpec]]]:
        """Each light as a device (and, with `groups`, the bridge with its rooms and zones)."""
        return self._open_link().devices(groups=self._adapter.config.groups)

    async def read(self) -> Mapping[str, State]:
        """Every light's (and room's and zone's) state, read from the bridge now."""
        return await self._open_link().read()

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """Send a light command; the new state is pushed (and read back by the coordinator)."""
        await self._open_link().command(unique_id, command, params)

    async def subscribe(self, sink: Sink) -> bool:
        """A v2 bridge pushes its changes by its event stream; a v1 bridge is polled."""
        self._sink = sink
        return self._open_link().poll_interval is None

    async def close(self) -> None:
        """Close aiohue's connection."""
        self._sink = None
        await self._close_link()

    async def _close_link(self) -> None:
        link, self.link = self.link, None
        if link is not None:
            await link.close()

    def _pushed(self, unique_id: str, state: State) -> None:
        if self._sink is not None:
            self._sink.pushed(unique_id, state)
        else:
            self._adapter.context.push_state(unique_id, state)

    def _stream(self, available: bool, reason: str) -> None:
        if not available and self._sink is not None:
            self._sink.connection_lost(reason)


class HueAdapter(CoordinatedAdapter[HueBridge]):
    """Philips Hue bridges: their lights (and, if asked, their rooms and zones)."""

    manifest = MANIFEST
    poll_interval = 60.0

    config: HueConfig

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
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
        """Connect to the bridges named in config (one that fails is tried again later)."""
        for host in self.config.hosts:
            await self.add_bridge(host)

    async def discovered(self, found: Discovered) -> None:
        """A bridge answered mDNS: connect to it (once per address at a time)."""
        bridge_id = found.properties.get("bridgeid") or None
        await self.add_bridge(address(found.host, found.port), bridge_id)

    async def add_bridge(self, host: str, bridge_id: str | None = None) -> None:
        """Connect to the bridge at `host` and add its lights (idempotent). A bridge that
        cannot be set up (not paired, its key refused) is logged and tried at each poll."""
        await self.devices.set_up(host, lambda at: HueBridge(at, self, bridge_id))

    async def probe(self, host: str) -> str:
        """The scheme the bridge at `host` speaks; a fall back to v1 is logged once."""
        scheme, why = await probe_scheme(host, request_timeout=self.config.request_timeout)
        if scheme == "http" and host not in self._on_v1:
            self._on_v1.add(host)
            _LOGGER.warning("Hue bridge at %s is driven through API v1: %s", host, why)
        return scheme

    async def pair_now(
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

    # -- scenes -------------------------------------------------------------------------

    def _v2_links(self) -> list[BridgeLink]:
        """The bridges with API v2 (whose scenes `activate_scene` finds by name; a v1
        bridge's scenes are reached as entities)."""
        return [
            bridge.link for bridge in self.devices.links() if isinstance(bridge.link, BridgeLink)
        ]

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
