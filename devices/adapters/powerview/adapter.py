"""The PowerView adapter: finds hubs (mDNS or config), maps their shades onto covers.

Each hub is one device link run by a coordinator (keyed by the hub's serial number); each
shade is a device of its own with one `cover` entity, its unique id the hub's serial and
the shade's hub id. Hub rooms propose areas. Each hub scene is a `scene` entity of the
hub's own device (`scene.activate`, read back through the shades it moves); `activate_scene`
activates one by name. A hub that stops answering marks its shades unavailable (after the
coordinator's count of failures); the next answer brings them back.

A generation 3 hub tells of its shades moving through its event stream (events.py): a
shade reads opening or closing the moment it starts, and where it stopped the moment it
stops, whoever moved it. While every hub's stream is open, the hubs are read every
`EVENTS_POLL_INTERVAL` seconds (to see that they are there), as a Hue bridge is; while a
hub has none (generation 2) or its stream is down, every `POLL_INTERVAL` seconds. A stream
that comes back is followed by one read, for what happened while it was down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiopvapi.resources.shade import ShadePosition  # type: ignore[import-untyped]

from devices.adapters.powerview.events import ShadeEvent, ShadeEvents
from devices.adapters.powerview.hub import HubLink, Reading, ShadeKind
from devices.adapters.powerview.manifest import MANIFEST, PowerViewConfig
from devices.adapters.powerview.motion import Motion
from devices.capabilities import (
    CommandSpec,
    CoverState,
    Domain,
    Params,
    SceneState,
    State,
    cover,
    scene,
)
from devices.capabilities.cover import SetPosition, SetTilt, SetTopPosition
from devices.entities import DeviceInfo, EntitySpec
from devices.errors import DeviceError, UnsupportedCommandError
from devices.plugin import (
    AdapterConfig,
    AdapterContext,
    CoordinatedAdapter,
    DeviceLink,
    Discovered,
    Sink,
)

_LOGGER = logging.getLogger(__name__)

HTTP_PORT = 80
FOLLOW_WITHIN = 1.5
"""Seconds to read the shades an activated scene moves until they are seen moving."""
FOLLOW_EVERY = 0.15
SCENE_MARK = "-scene-"
"""A scene's unique id is the hub's serial, this, and the scene's hub id."""
POLL_INTERVAL = 5.0
"""Seconds between polls while a hub tells nothing by itself."""
EVENTS_POLL_INTERVAL = 60.0
"""Seconds between polls while every hub's event stream is open."""


class HubShades(DeviceLink):
    """One hub's shades through aiopvapi: the library calls its coordinator makes."""

    device_word = "hub"

    def __init__(
        self,
        address: str,
        session: aiohttp.ClientSession,
        timeout: float,
        on_stream: Callable[[], None] = lambda: None,
    ) -> None:
        super().__init__(address)
        self.hub = HubLink(address, session, timeout)
        self._session = session
        self._timeout = timeout
        self._events: ShadeEvents | None = None
        self._on_stream = on_stream
        """Told when the event stream opens or drops."""
        self._motion: dict[str, Motion] = {}
        self._activated: dict[str, str] = {}
        """When each scene was last activated through Dobby (ISO 8601), by unique id."""
        self._sink: Sink | None = None

    async def connect(self) -> None:
        """Ask the hub who it is and read its rooms, shades and scenes."""
        await self.hub.connect()
        self.unique_id = self.hub.serial

    def describe(self) -> Sequence[tuple[DeviceInfo, Sequence[EntitySpec]]]:
        """One device with one cover per shade, and the hub with a scene entity for each
        of its scenes."""
        described = [self._shade(shade_id, shade) for shade_id, shade in self.hub.shades.items()]
        if self.hub.scenes:
            hub = DeviceInfo(
                unique_id=self.hub.serial,
                name=self.hub.name,
                host=self.address,
                manufacturer="Hunter Douglas",
                model=self.hub.model,
                sw_version=self.hub.firmware,
            )
            scenes = [
                EntitySpec(
                    unique_id=f"{self.hub.serial}{SCENE_MARK}{scene_id}",
                    domain=Domain.SCENE,
                    name=hub_scene.name,
                    state=self._scene_state(f"{self.hub.serial}{SCENE_MARK}{scene_id}"),
                    suggested_area=self.hub.room_of_scene(hub_scene),
                )
                for scene_id, hub_scene in self.hub.scenes.items()
            ]
            described.append((hub, scenes))
        return described

    def _scene_state(self, unique_id: str) -> SceneState:
        return SceneState(state=self._activated.get(unique_id, "unknown"))

    def _shade(self, shade_id: int, shade: Any) -> tuple[DeviceInfo, Sequence[EntitySpec]]:
        kind = ShadeKind.of(shade)
        unique_id = f"{self.hub.serial}-{shade_id}"
        room = self.hub.room_of(shade)
        device = DeviceInfo(
            unique_id=unique_id,
            name=shade.name,
            host=self.address,
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
        return device, [entity]

    def _state_of(self, unique_id: str, kind: ShadeKind, shade: Any) -> CoverState:
        now = kind.read(shade)
        motion = self._motion.setdefault(unique_id, Motion())
        return CoverState(
            state=motion.observe(now.position, now.tilt, now.top),
            position=now.position,
            tilt=now.tilt,
            top_position=now.top,
            battery_level=self.hub.battery(shade),
        )

    @property
    def streaming(self) -> bool:
        """Whether the hub's event stream is open (so it need not be polled often)."""
        return self._events is not None and self._events.streaming

    async def read(self) -> Mapping[str, State]:
        """Every shade's position (one request)."""
        shades = await self.hub.read_shades()
        states: dict[str, State] = {
            f"{self.unique_id}-{shade_id}": self._state_of(
                f"{self.unique_id}-{shade_id}", ShadeKind.of(shade), shade
            )
            for shade_id, shade in shades.items()
        }
        for scene_id in self.hub.scenes:
            unique_id = f"{self.unique_id}{SCENE_MARK}{scene_id}"
            states[unique_id] = self._scene_state(unique_id)
        return states

    async def subscribe(self, sink: Sink) -> bool:
        """Listen to a generation 3 hub's event stream; a generation 2 hub pushes nothing
        and is polled. The sink hears where a shade was sent, and the events."""
        self._sink = sink
        await self._close_events()
        if self.hub.generation < 3 or not self.hub.primary:
            return False
        self._events = ShadeEvents(
            self.address, self._session, self._timeout, self._heard, self._stream_changed
        )
        return await self._events.start()

    async def _stream_changed(self, reopened: bool) -> None:
        """The stream opened or dropped; once it is back, read what it missed."""
        self._on_stream()
        if not reopened:
            return
        try:
            states = await self.read()
        except DeviceError as error:
            _LOGGER.debug("Reading %s after its event stream came back: %s", self.address, error)
            return
        for unique_id, state in states.items():
            self._tell(unique_id, state)

    async def close(self) -> None:
        """Stop listening to the event stream (the HTTP session is the adapter's)."""
        await self._close_events()
        self._on_stream()

    async def _close_events(self) -> None:
        events, self._events = self._events, None
        if events is not None:
            await events.close()

    def _heard(self, event: ShadeEvent) -> None:
        """A shade started moving (toward `targetPositions`) or stopped (at
        `currentPositions`): its state says so at once."""
        shade = self.hub.shades.get(event["id"])
        if shade is None:
            return  # a shade added since: the next read publishes it
        kind = ShadeKind.of(shade)
        unique_id = f"{self.unique_id}-{shade.id}"
        motion = self._motion.setdefault(unique_id, Motion())
        current = event.get("currentPositions")
        if isinstance(current, dict):  # where it is (the library's copy holds what was sent)
            shade.raw_data["positions"] = dict(current)
        match event.get("evt"), event:
            case "motion-started", {"targetPositions": dict(target)}:
                going = kind.reading(shade.raw_to_structured({"positions": target}))
                motion.heading(going.position, going.tilt, going.top)
            case "motion-stopped", {"currentPositions": dict()}:
                self._state_of(unique_id, kind, shade)  # where it stopped, seen
                motion.stopped()
            case _:
                return
        self._tell(unique_id, self._state_of(unique_id, kind, shade))

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """Send the command to the hub, then read the shade back: it travels, and the
        state says where it is and where it is going (polls follow it from there)."""
        if SCENE_MARK in unique_id:
            await self._activate(unique_id, command)
            return
        shade_id = int(unique_id.rpartition("-")[2])
        shade = self.hub.shades.get(shade_id)
        if shade is None:
            raise UnsupportedCommandError("the hub no longer knows this shade.")
        kind = ShadeKind.of(shade)
        motion = self._motion.setdefault(unique_id, Motion())
        now = shade.current_position
        match command, params:
            case cover.STOP, _:
                await self.hub.stop(shade_id)
                motion.stopped()
                await self._read_back(unique_id, shade_id, kind)
                return
            case cover.OPEN, _:
                sent = shade.open_position_tilt if kind.tilt_only else shade.open_position
            case cover.CLOSE, _:
                sent = shade.close_position_tilt if kind.tilt_only else shade.close_position
            case cover.SET_POSITION, SetPosition(position=position):
                sent = kind.target(position, now)
            case cover.SET_TILT, SetTilt(tilt=wanted):
                sent = ShadePosition(tilt=wanted)
            case cover.SET_TOP_POSITION, SetTopPosition(position=top):
                bottom = round(float(now.primary or 0))
                sent = ShadePosition(primary=bottom, secondary=min(top, 100 - bottom))
            case _:
                raise UnsupportedCommandError(f"a PowerView shade cannot do {command.name}.")
        await self.hub.move(shade_id, sent)
        expected = kind.expected(sent, now)
        motion.heading(expected.position, expected.tilt, expected.top)
        await self._read_back(unique_id, shade_id, kind)

    async def _activate(self, unique_id: str, command: CommandSpec) -> None:
        """Activate a hub scene, then read back the shades it moves (one request)."""
        if command != scene.ACTIVATE:
            raise UnsupportedCommandError(f"a PowerView scene cannot do {command.name}.")
        scene_id = int(unique_id.rpartition(SCENE_MARK)[2])
        if scene_id not in self.hub.scenes:
            raise UnsupportedCommandError("the hub no longer knows this scene.")
        moved = await self.hub.activate(scene_id)
        self._activated[unique_id] = datetime.now(UTC).isoformat(timespec="seconds")
        self._tell(unique_id, self._scene_state(unique_id))
        await self._follow(moved)

    async def _follow(self, shade_ids: Sequence[int]) -> None:
        """Read the shades a scene moves until each has been seen moving (or FOLLOW_WITHIN
        has passed: some were there already). A hub's scene says which shades it moves,
        not where to, so the way they go is learnt from their positions."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FOLLOW_WITHIN
        first: dict[int, Reading] = {}
        while True:
            shades = await self.hub.read_shades()
            for shade_id in shade_ids:
                shade = shades.get(shade_id)
                if shade is None:
                    continue
                kind = ShadeKind.of(shade)
                first.setdefault(shade_id, kind.read(shade))
                shade_uid = f"{self.unique_id}-{shade_id}"
                self._tell(shade_uid, self._state_of(shade_uid, kind, shade))
            still = [
                shade_id
                for shade_id, was in first.items()
                if (shade := shades.get(shade_id)) is not None
                and ShadeKind.of(shade).read(shade) == was
            ]
            if not still or loop.time() >= deadline:
                return
            await asyncio.sleep(FOLLOW_EVERY)

    async def _read_back(self, unique_id: str, shade_id: int, kind: ShadeKind) -> None:
        """Read the shade from the hub (not the library's copy, which holds what was sent)."""
        shade = await self.hub.read_shade(shade_id)
        self._tell(unique_id, self._state_of(unique_id, kind, shade))

    def _tell(self, unique_id: str, state: State) -> None:
        if self._sink is not None:
            self._sink.pushed(unique_id, state)


class PowerViewAdapter(CoordinatedAdapter[HubShades]):
    """Hunter Douglas PowerView hubs of generation 2 and 3, one cover per shade."""

    manifest = MANIFEST
    poll_interval = POLL_INTERVAL

    config: PowerViewConfig

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self._session: aiohttp.ClientSession | None = None

    # -- finding hubs -------------------------------------------------------------------

    async def start(self) -> None:
        """Connect to the hubs named in config (one that does not answer is tried later)."""
        for address in self.config.hosts:
            await self.add_address(address)

    async def discovered(self, found: Discovered) -> None:
        """A hub answered mDNS: set it up (once per address at a time)."""
        address = found.host
        if found.port is not None and found.port != HTTP_PORT:
            address = f"{found.host}:{found.port}"
        await self.add_address(address)

    async def add_address(self, address: str) -> None:
        """Connect to the hub at `address` and add its shades (idempotent)."""
        await self.devices.set_up(address, self.new_link)

    def new_link(self, address: str) -> HubShades:
        """The hub at `address`, through the adapter's HTTP session."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return HubShades(address, self._session, self.config.request_timeout, self._streams_changed)

    def _streams_changed(self) -> None:
        """Poll seldom while every hub tells of its shades, often while one does not."""
        hubs = [link for link in self.devices.links() if link.hub.primary]
        streaming = bool(hubs) and all(hub.streaming for hub in hubs)  # a secondary has none
        self.poll_interval = EVENTS_POLL_INTERVAL if streaming else POLL_INTERVAL

    # -- scenes -------------------------------------------------------------------------

    def scene_names(self) -> list[str]:
        """The names of every scene of every hub, sorted."""
        return sorted(
            {scene.name for link in self.devices.links() for scene in link.hub.scenes.values()}
        )

    async def activate_scene(self, name: str) -> list[str]:
        """Activate the hub scene(s) called `name` (any case); the entity ids that move."""
        wanted = name.strip().casefold()
        moved: list[str] = []
        found = False
        for link in self.devices.links():
            for scene_id, hub_scene in list(link.hub.scenes.items()):
                if hub_scene.name.casefold() != wanted:
                    continue
                found = True
                for shade_id in await link.hub.activate(scene_id):
                    entity = self.context.registry.by_unique_id(
                        f"{self.manifest.name}:{link.unique_id}-{shade_id}"
                    )
                    if entity is not None:
                        moved.append(entity.entity_id)
        if not found:
            known = ", ".join(self.scene_names()) or "none"
            raise UnsupportedCommandError(
                f"There is no PowerView scene called {name!r} (scenes: {known})."
            )
        return moved

    async def stop(self) -> None:
        """Close every hub's link and the HTTP session."""
        await super().stop()
        session, self._session = self._session, None
        if session is not None:
            await session.close()
