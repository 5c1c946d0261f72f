"""A paired Hue bridge that has no API v2 (bridges from before 2019), through aiohue's
HueBridgeV1 over plain HTTP.

Such a bridge has no event stream: its lights are read at every poll, and once more after
each command. Brightness is 1-254 there, colour temperature `ct` in mirek, colour `xy`,
transitions in tenths of a second; Dobby's commands are translated by the same
`command_for` the v2 link uses. Rooms propose areas; rooms as lights (`groups: true`) are
offered for v2 bridges only. Its scenes (aiohue's `scenes`) are `scene` entities of the
bridge, recalled through their group's action (`{"scene": id}`, group 0 for a scene of
lights only); a v1 scene does not say when it was last recalled, so its state is when
Dobby recalled it.
"""

from __future__ import annotations

from typing import Any

from aiohue import HueBridgeV1  # type: ignore[import-untyped]

from devices.adapters.hue.bridge import (
    Devices,
    HueLink,
    StatePush,
    check_activate,
    hue_errors,
    now_iso,
    scene_spec,
)
from devices.adapters.hue.color import mirek_to_kelvin, xy_to_rgb
from devices.adapters.hue.mapping import command_for, features
from devices.capabilities import CommandSpec, Domain, LightState, Params, SceneState, State
from devices.entities import DeviceInfo, EntitySpec
from devices.errors import UnsupportedCommandError

V1_POLL_INTERVAL = 5.0
"""Seconds between reads of a v1 bridge (it cannot tell Dobby of changes)."""
SCENE_MARK = "-scene-"
"""A v1 scene's unique id is the bridge id, this, and the scene's id on the bridge."""


def _raw_state(light: Any) -> dict[str, Any]:
    return dict(light.state)


def light_features(light: Any) -> frozenset[str]:
    """What a v1 light can do beyond on and off, from the state fields it has."""
    state = _raw_state(light)
    return features(brightness="bri" in state, temperature="ct" in state, color="xy" in state)


def mirek_range(light: Any) -> tuple[int, int]:
    """The light's colour temperature range in mirek (Hue's usual one if it does not say)."""
    ct = light.controlcapabilities.get("ct") or {}
    return int(ct.get("min", 153)), int(ct.get("max", 500))


def light_state(light: Any) -> LightState:
    """The state of one v1 light; colour attributes only while it is on."""
    raw = _raw_state(light)
    on = bool(raw.get("on"))
    state = LightState(state="on" if on else "off")
    if "ct" in raw:
        low, high = mirek_range(light)
        state.min_color_temp_kelvin = mirek_to_kelvin(high)
        state.max_color_temp_kelvin = mirek_to_kelvin(low)
    if not on:
        return state
    if "bri" in raw:
        state.brightness = max(1, round(int(raw["bri"]) / 2.54))
    if raw.get("colormode") == "ct" and "ct" in raw:
        state.color_temp_kelvin = mirek_to_kelvin(int(raw["ct"]))
    elif "xy" in raw:
        x, y = raw["xy"]
        state.rgb_color = xy_to_rgb((float(x), float(y)))
    return state


def v1_arguments(kwargs: dict[str, Any]) -> dict[str, Any]:
    """aiohue's v2 `set_state` arguments as v1's (`bri`, `ct`, `xy`, `transitiontime`)."""
    given: dict[str, Any] = {}
    if "on" in kwargs:
        given["on"] = kwargs["on"]
    if "brightness" in kwargs:
        given["bri"] = max(1, min(254, round(kwargs["brightness"] * 2.54)))
    if "color_temp" in kwargs:
        given["ct"] = kwargs["color_temp"]
    if "color_xy" in kwargs:
        given["xy"] = list(kwargs["color_xy"])
    if "transition_time" in kwargs:
        given["transitiontime"] = round(kwargs["transition_time"] / 100)
    return given


class V1BridgeLink(HueLink):
    """A bridge with API v1 only: its lights, read by polling."""

    poll_interval = V1_POLL_INTERVAL

    def __init__(
        self, bridge_id: str, host: str, key: str, *, timeout: float, push: StatePush
    ) -> None:
        super().__init__(bridge_id, host, key, timeout=timeout, push=push)
        self.api = HueBridgeV1(host, key)
        self._recalled: dict[str, str] = {}
        """When Dobby recalled each scene (ISO 8601), by unique id."""

    async def connect(self) -> None:
        """Read the whole bridge (checking the key)."""
        async with hue_errors(self.timeout):
            await self.api.initialize()
        self.connected = True

    async def close(self) -> None:
        """Close aiohue's session."""
        self.connected = False
        await self.api.close()

    def _room_of(self, light_id: str) -> str | None:
        for group in self.api.groups.values():
            if group.type == "Room" and light_id in group.lights:
                return str(group.name)
        return None

    def devices(self, *, groups: bool) -> Devices:
        """Each light as a device with one light entity, unique by the bulb's own id (rooms
        and zones as lights are a v2 feature: `groups` is not offered here)."""
        del groups
        found: Devices = []
        for light in self.api.lights.values():
            info = DeviceInfo(
                unique_id=str(light.uniqueid),
                name=str(light.name),
                host=self.host,
                manufacturer=str(light.manufacturername),
                model=str(light.productname or light.modelid),
                sw_version=str(light.swversion),
                suggested_area=self._room_of(light.id),
            )
            spec = EntitySpec(
                unique_id=str(light.uniqueid),
                domain=Domain.LIGHT,
                name=str(light.name),
                features=light_features(light),
                state=light_state(light),
            )
            found.append((info, [spec]))
        scenes = [
            scene_spec(uid, str(item.name), self._scene_state(uid), self._scene_room(item))
            for uid, item in self._scenes().items()
        ]
        return [*found, (self.bridge_device(), scenes)] if scenes else found

    def _scenes(self) -> dict[str, Any]:
        """aiohue's v1 scenes by unique id."""
        scenes = self.api.scenes
        if scenes is None:
            return {}
        return {f"{self.bridge_id}{SCENE_MARK}{item.id}": item for item in scenes.values()}

    def _scene_state(self, unique_id: str) -> SceneState:
        return SceneState(state=self._recalled.get(unique_id, "unknown"))

    def _group_of(self, item: Any) -> Any:
        """The room or zone of a scene (aiohue's v1 group), None for a scene of lights."""
        group_id = str(item.raw.get("group", ""))
        # aiohue's v1 items have no `get`: look the id up among them.
        return next((g for g in self.api.groups.values() if g.id == group_id), None)

    def _scene_room(self, item: Any) -> str | None:
        """The room of a room's scene; for a scene of lights, the room all of them are in."""
        group = self._group_of(item)
        if group is not None:
            return str(group.name) if group.type == "Room" else None
        rooms = {self._room_of(str(light_id)) for light_id in item.lights}
        return rooms.pop() if len(rooms) == 1 else None

    async def _recall(self, unique_id: str, command: CommandSpec) -> None:
        """Recall a scene through its group (0: every light), then read the lights back."""
        check_activate(command)
        item = self._scenes().get(unique_id)
        if item is None:
            raise UnsupportedCommandError("the bridge no longer knows this scene.")
        async with hue_errors(self.timeout):
            group = self._group_of(item)
            if group is None:
                group = await self.api.groups.get_all_lights_group()
            await group.set_action(scene=item.id)
        self._recalled[unique_id] = now_iso()
        for found_id, state in (await self.read()).items():
            self._push(found_id, state)

    def _light(self, unique_id: str) -> Any:
        for light in self.api.lights.values():
            if light.uniqueid == unique_id:
                return light
        return None

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """Send a light command, then read the lights back and push what they show."""
        if SCENE_MARK in unique_id:
            await self._recall(unique_id, command)
            return
        light = self._light(unique_id)
        if light is None:
            raise UnsupportedCommandError("the bridge no longer knows this light.")
        hue = command_for(command, params, light_state(light), mirek_range(light))
        async with hue_errors(self.timeout):
            await light.set_state(**v1_arguments(hue.kwargs()))
        for light_id, state in (await self.read()).items():
            self._push(light_id, state)

    async def read(self) -> dict[str, State]:
        """Read every light again (the poll); a scene's state is Dobby's own record."""
        async with hue_errors(self.timeout):
            await self.api.lights.update()
            found: dict[str, State] = {
                str(light.uniqueid): light_state(light) for light in self.api.lights.values()
            }
        for unique_id in self._scenes():
            found[unique_id] = self._scene_state(unique_id)
        return found
