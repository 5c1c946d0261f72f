"""One paired Hue bridge, through aiohue's HueBridgeV2: connect, listen, command, map errors.

aiohue keeps a model of every resource, fed by the bridge's event stream
(`/eventstream/clip/v2`); the link turns each light and grouped_light update into a
state pushed to Dobby's registry, and marks the bridge's devices unavailable while the
stream is down. Each scene is a `scene` entity of the bridge (its room proposes the
area); its state is when the bridge last recalled it, and a recall is read back through
the lights it changes.

Lights told the same thing at the same moment ("everything off") go out as few commands
as the bridge's groups allow: the whole home's grouped_light, or a room's or zone's, when
every light in it is among them, the rest one by one. A bridge takes one request at a time
per connection (aiohue opens three) and Hue asks apps not to send it more than about ten
light commands a second; one group command is one request, and the lights switch together
instead of one after another.
"""

from __future__ import annotations

import asyncio
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohue import HueBridgeV2  # type: ignore[import-untyped]
from aiohue.errors import AiohueException, BridgeBusy, Unauthorized  # type: ignore[import-untyped]
from aiohue.v2.controllers.events import EventType  # type: ignore[import-untyped]
from aiohue.v2.models.resource import ResourceTypes  # type: ignore[import-untyped]

from devices.adapters.hue.mapping import (
    GROUP_FEATURES,
    command_for,
    expected_light,
    group_state,
    light_features,
    light_state,
)
from devices.adapters.hue.pairing import PAIR_AGAIN
from devices.background import Background
from devices.capabilities import CommandSpec, Domain, LightState, Params, SceneState, State, scene
from devices.entities import DeviceInfo, EntitySpec
from devices.errors import (
    DeviceAuthError,
    DeviceConnectionError,
    DeviceRefusedError,
    DeviceResponseError,
    DeviceTimeoutError,
    UnsupportedCommandError,
)

StatePush = Callable[[str, State], None]
Waiting = dict[str, list["asyncio.Future[None]"]]
"""Per light id, the commands waiting for it to be sent."""
Availability = Callable[["BridgeLink", bool, str], None]


@asynccontextmanager
async def hue_errors(seconds: float) -> AsyncIterator[None]:
    """Bound a call to the bridge by `seconds` and turn what goes wrong into device errors."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError as error:
        raise DeviceTimeoutError(f"did not answer within {seconds:g} s.") from error
    except Unauthorized as error:
        raise DeviceAuthError(PAIR_AGAIN) from error
    except BridgeBusy as error:
        raise DeviceConnectionError("the bridge is too busy to answer.") from error
    except aiohttp.ClientConnectionError as error:
        raise DeviceConnectionError("cannot be reached.") from error
    except (aiohttp.ContentTypeError, json.JSONDecodeError) as error:
        raise DeviceResponseError("answered with something that is not a Hue reply.") from error
    except aiohttp.ClientResponseError as error:
        raise DeviceRefusedError(f"the bridge refused: HTTP {error.status}.") from error
    except aiohttp.ClientError as error:
        raise DeviceConnectionError("cannot be reached.") from error
    except AiohueException as error:
        raise DeviceRefusedError(f"the bridge refused: {error}.") from error
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise DeviceResponseError("answered with something that is not a Hue reply.") from error


Devices = list[tuple[DeviceInfo, list[EntitySpec]]]


class HueLink(ABC):
    """A connection to one paired bridge, whichever API it speaks; the adapter sees this."""

    poll_interval: float | None = None
    """How often the bridge must be read for changes (None: it tells of them itself)."""

    def __init__(
        self, bridge_id: str, host: str, key: str, *, timeout: float, push: StatePush
    ) -> None:
        self.bridge_id = bridge_id
        self.host = host
        self.timeout = timeout
        self.logger = logging.getLogger(f"{type(self).__module__}[{host}]")
        self._push = push
        self._on_availability: list[Callable[[bool, str], None]] = []
        self.connected = False

    def on_availability(self, callback: Callable[[bool, str], None]) -> None:
        """Call `callback(available, reason)` when the bridge's own channel to Dobby drops or
        comes back (a polled bridge has none: its polls tell)."""
        self._on_availability.append(callback)

    @abstractmethod
    async def connect(self) -> None:
        """Read the whole bridge, checking the key (DeviceAuthError when it is refused)."""

    @abstractmethod
    async def close(self) -> None:
        """Close the connection."""

    @abstractmethod
    def devices(self, *, groups: bool) -> Devices:
        """The bridge's devices and their light entities (rooms and zones too if `groups`)."""

    @abstractmethod
    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """Carry out a validated light command; the new state is pushed."""

    @abstractmethod
    async def read(self) -> dict[str, State]:
        """Read every light (and room and zone, and scene) from the bridge, by unique id."""

    def bridge_device(self) -> DeviceInfo:
        """The bridge itself: the device its rooms, zones and scenes belong to."""
        return DeviceInfo(
            unique_id=self.bridge_id,
            name="Hue Bridge",
            host=self.host,
            manufacturer="Signify",
            model="Hue Bridge",
        )


def scene_spec(unique_id: str, name: str, state: SceneState, room: str | None) -> EntitySpec:
    """A Hue scene as a `scene` entity, proposing its room as its area."""
    return EntitySpec(
        unique_id=unique_id, domain=Domain.SCENE, name=name, state=state, suggested_area=room
    )


def check_activate(command: CommandSpec) -> None:
    """A scene does one thing: UnsupportedCommandError for anything else."""
    if command != scene.ACTIVATE:
        raise UnsupportedCommandError(f"A Hue scene cannot do {command.name}.")


def now_iso() -> str:
    """The time now as a scene's state gives it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class BridgeLink(HueLink):
    """A bridge with API v2: its event stream keeps Dobby's states in step with it."""

    def __init__(
        self, bridge_id: str, host: str, key: str, *, timeout: float, push: StatePush
    ) -> None:
        super().__init__(bridge_id, host, key, timeout=timeout, push=push)
        self.api = HueBridgeV2(host, key)
        self._unsubscribe: list[Callable[[], None]] = []
        self._batches: dict[str, tuple[dict[str, Any], Waiting]] = {}
        """Light commands of this moment: by command, its arguments and who waits per light."""
        self._sending = Background()
        self._recalled: dict[str, str] = {}
        """When Dobby recalled each scene, for a bridge that does not say (`last_recall`
        came with later firmware)."""

    async def connect(self) -> None:
        """Read every resource (checking the key), then listen to the event stream."""
        async with hue_errors(self.timeout):
            await self.api.initialize()
        self._unsubscribe = [
            self.api.lights.subscribe(self._light_event),
            self.api.groups.grouped_light.subscribe(self._group_event),
            self.api.scenes.scene.subscribe(self._scene_event),
            self.api.events.subscribe(
                self._stream_event,
                (EventType.CONNECTED, EventType.DISCONNECTED, EventType.RECONNECTED),
            ),
        ]
        self.connected = True

    async def close(self) -> None:
        """Stop listening and close aiohue's session."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe.clear()
        self.connected = False
        await self._sending.cancel()
        await self.api.close()
        await asyncio.sleep(0)  # let the cancelled stream tasks finish

    # -- what aiohue knows --------------------------------------------------------------

    @property
    def lights(self) -> list[Any]:
        """aiohue's light models."""
        return list(self.api.lights)

    def groups(self) -> list[tuple[Any, Any]]:
        """Every room and zone with a grouped_light, as (room or zone, grouped_light)."""
        pairs = []
        for group in [*self.api.groups.room, *self.api.groups.zone]:
            grouped = self.api.groups.grouped_light.get(group.grouped_light or "")
            if grouped is not None:
                pairs.append((group, grouped))
        return pairs

    def room_of(self, light: Any) -> str | None:
        """The name of the room the light's device is in."""
        for room in self.api.groups.room:
            if light.owner.rid in room.devices:
                return str(room.metadata.name)
        return None

    def device_of(self, light: Any) -> Any:
        """aiohue's device model of a light."""
        return self.api.devices.get(light.owner.rid)

    def members(self, grouped_light_id: str) -> list[Any]:
        """The lights of a room's or zone's grouped_light."""
        return list(self.api.groups.grouped_light.get_lights(grouped_light_id))

    def state_of(self, resource_id: str) -> LightState | None:
        """The state of a light or grouped_light as aiohue last heard it."""
        light = self.api.lights.get(resource_id)
        if light is not None:
            return light_state(light)
        grouped = self.api.groups.grouped_light.get(resource_id)
        if grouped is not None:
            return group_state(grouped, self.members(resource_id))
        return None

    def states(self) -> dict[str, State]:
        """The state of every light, grouped_light and scene, as aiohue last heard it."""
        found: dict[str, State] = {light.id: light_state(light) for light in self.lights}
        for _, grouped in self.groups():
            found[grouped.id] = group_state(grouped, self.members(grouped.id))
        for hue_scene in self.api.scenes.scene:
            found[hue_scene.id] = self.scene_state(hue_scene)
        return found

    def scene_state(self, hue_scene: Any) -> SceneState:
        """When the bridge last recalled a scene (ISO 8601), else when Dobby did, else
        `unknown`."""
        status = hue_scene.status
        recalled = status.last_recall if status is not None else None
        if recalled is not None:
            return SceneState(state=recalled.isoformat(timespec="seconds"))
        return SceneState(state=self._recalled.get(hue_scene.id, "unknown"))

    def scene_room(self, scene_id: str) -> str | None:
        """The name of the room a scene belongs to (a zone's scene proposes no area)."""
        group = self.api.scenes.scene.get_group(scene_id)
        if group is None or group.type != ResourceTypes.ROOM:
            return None
        return str(group.metadata.name)

    def push_all(self) -> None:
        """Push the state of every light and grouped_light."""
        for unique_id, state in self.states().items():
            self._push(unique_id, state)

    def devices(self, *, groups: bool) -> Devices:
        """Each light as a device of its own; with `groups`, the bridge as a device whose
        entities are its rooms and zones."""
        found: Devices = []
        for light in self.lights:
            device = self.device_of(light)
            name = str(light.metadata.name if light.metadata else device.metadata.name)
            info = DeviceInfo(
                unique_id=device.id if device else light.id,
                name=name,
                host=self.host,
                manufacturer=device.product_data.manufacturer_name if device else "Signify",
                model=device.product_data.product_name if device else None,
                sw_version=device.product_data.software_version if device else None,
                suggested_area=self.room_of(light),
            )
            spec = EntitySpec(
                unique_id=light.id,
                domain=Domain.LIGHT,
                name=name,
                features=light_features(light),
                state=light_state(light),
            )
            found.append((info, [spec]))
        specs = [
            scene_spec(s.id, str(s.metadata.name), self.scene_state(s), self.scene_room(s.id))
            for s in self.api.scenes.scene
        ]
        for group, grouped in self.groups() if groups else ():
            name = str(group.metadata.name)
            specs.append(
                EntitySpec(
                    unique_id=grouped.id,
                    domain=Domain.LIGHT,
                    name=f"{name} Lights",
                    features=GROUP_FEATURES,
                    state=group_state(grouped, self.members(grouped.id)),
                    suggested_area=name if group.type.value == "room" else None,
                )
            )
        return [*found, (self.bridge_device(), specs)] if specs else found

    # -- commands -----------------------------------------------------------------------

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """Send a light command; the new state is pushed at once and confirmed by an event.
        A scene is recalled, then the lights it changes are read back."""
        if unique_id in self.api.scenes.scene:
            check_activate(command)
            await self.recall_scene(unique_id)
            self._recalled[unique_id] = now_iso()
            await self._read_back_scene(unique_id)
            return
        light = self.api.lights.get(unique_id)
        mirek_range = (153, 500)
        if light is not None and light.color_temperature is not None:
            schema = light.color_temperature.mirek_schema
            mirek_range = (schema.mirek_minimum, schema.mirek_maximum)
        hue = command_for(command, params, self.state_of(unique_id), mirek_range)
        await self.command_light(unique_id, **hue.kwargs())
        if light is not None:
            self._push(unique_id, light_state(expected_light(light, hue)))

    async def set_light(self, resource_id: str, **kwargs: Any) -> None:
        """`set_state` on a light or a grouped_light."""
        async with hue_errors(self.timeout):
            if resource_id in self.api.lights:
                await self.api.lights.set_state(resource_id, **kwargs)
            else:
                await self.api.groups.grouped_light.set_state(resource_id, **kwargs)

    async def command_light(self, light_id: str, **kwargs: Any) -> None:
        """`set_state` on a light, sent with the same command to other lights in the same
        moment: as a group command when a group's lights are all among them."""
        if light_id not in self.api.lights:
            await self.set_light(light_id, **kwargs)
            return
        loop = asyncio.get_running_loop()
        if not self._batches:
            loop.call_soon(self._send_batches)
        _, waiting = self._batches.setdefault(repr(sorted(kwargs.items())), (kwargs, {}))
        future = loop.create_future()
        waiting.setdefault(light_id, []).append(future)
        await future

    def _send_batches(self) -> None:
        batches, self._batches = self._batches, {}
        for kwargs, waiting in batches.values():
            self._sending.spawn(self._send_batch(kwargs, waiting))

    async def _send_batch(self, kwargs: dict[str, Any], waiting: Waiting) -> None:
        targets = self.cover(set(waiting))
        try:
            outcomes = await asyncio.gather(
                *(self.set_light(resource_id, **kwargs) for resource_id, _ in targets),
                return_exceptions=True,
            )
            for (_, lights), outcome in zip(targets, outcomes, strict=True):
                for future in (f for light_id in lights for f in waiting[light_id]):
                    if future.done():  # its caller gave up (a timeout)
                        continue
                    if isinstance(outcome, BaseException):
                        future.set_exception(outcome)
                    else:
                        future.set_result(None)
        finally:  # closed while sending: nobody is left waiting
            for future in (f for futures in waiting.values() for f in futures):
                if not future.done():
                    future.set_exception(DeviceConnectionError("the bridge was disconnected."))

    def cover(self, light_ids: set[str]) -> list[tuple[str, set[str]]]:
        """The fewest commands that reach exactly these lights, as (resource id, lights):
        grouped_lights whose every light is wanted, the largest first, then single lights."""
        remaining = set(light_ids)
        targets = []
        for grouped_id, members in sorted(self._light_groups(), key=lambda g: -len(g[1])):
            if len(members) > 1 and members <= remaining:
                targets.append((grouped_id, members))
                remaining -= members
        return targets + [(light_id, {light_id}) for light_id in sorted(remaining)]

    def _light_groups(self) -> list[tuple[str, set[str]]]:
        """Every grouped_light with the ids of its lights: the home's, rooms', zones'."""
        groups = [
            (grouped.id, {light.id for light in self.members(grouped.id)})
            for _, grouped in self.groups()
        ]
        everything = {light.id for light in self.api.lights}
        for home in self.api.config.bridge_home:
            for service in home.services:
                grouped = self.api.groups.grouped_light.get(service.rid)
                if service.rtype == ResourceTypes.GROUPED_LIGHT and grouped is not None:
                    groups.append((grouped.id, everything))
        return groups

    async def recall_scene(self, scene_id: str, transition_ms: int | None = None) -> None:
        """Activate a scene."""
        async with hue_errors(self.timeout):
            await self.api.scenes.recall(scene_id, duration=transition_ms)

    async def _read_back_scene(self, scene_id: str) -> None:
        """Read the bridge again and push the scene and the lights it changes (the events
        of the recall may still be on their way)."""
        states = await self.read()
        hue_scene = self.api.scenes.scene[scene_id]
        changed = {action.target.rid for action in hue_scene.actions}
        for unique_id in (scene_id, *sorted(changed)):
            if unique_id in states:
                self._push(unique_id, states[unique_id])

    async def read(self) -> dict[str, State]:
        """Read every resource again (one request): what the lights show now, not what
        an event that may still be on its way would tell."""
        async with hue_errors(self.timeout):
            await self.api.fetch_full_state()
            return self.states()

    # -- events -------------------------------------------------------------------------

    def _light_event(self, event_type: Any, light: Any) -> None:
        if event_type == EventType.RESOURCE_UPDATED:
            self._push(light.id, light_state(light))

    def _group_event(self, event_type: Any, grouped: Any) -> None:
        if event_type == EventType.RESOURCE_UPDATED:
            self._push(grouped.id, group_state(grouped, self.members(grouped.id)))

    def _scene_event(self, event_type: Any, hue_scene: Any) -> None:
        if event_type == EventType.RESOURCE_UPDATED:
            self._push(hue_scene.id, self.scene_state(hue_scene))

    def _stream_event(self, event_type: Any, _: Any = None) -> None:
        available = event_type != EventType.DISCONNECTED
        reason = "" if available else "the bridge's event stream is down."
        if not available:
            self.logger.warning("Lost the event stream of Hue bridge %s", self.bridge_id)
        for callback in self._on_availability:
            callback(available, reason)
        if event_type == EventType.RECONNECTED:
            self.push_all()
