"""Control tools: one per domain, with the domain's typed parameters.

Each tool turns its arguments into actions (`<domain>.<verb>` with parameters) and hands
them to `act`, so the capability model, the policy and the executor see them exactly as
they see a local intent's. Setpoint bounds are deliberately not in the tools' schemas:
the policy owns them, and a model that asks for too much gets the policy's refusal.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any, Literal

from pydantic import Field, WithJsonSchema
from pydantic_ai import FilteredToolset, FunctionToolset, RunContext, ToolDefinition

from devices.capabilities import ArmMode, Domain, HVACMode
from skills.actions import Action
from skills.toolsets.deps import HouseDeps, act

PREFIX = "control"
"""Control tools are named `control_<domain>`."""

Percent = Annotated[int, Field(ge=0, le=100)]
EntityIds = Annotated[list[str], Field(min_length=1)]


def _shown_as(schema: dict[str, Any]) -> WithJsonSchema:
    """An optional argument, shown to the model as just `schema`: left out, it is None.

    The nullable union pydantic would write says nothing more to a model and costs tokens
    in every prompt that carries the tool.
    """
    return WithJsonSchema(schema)


_PERCENT = _shown_as({"type": "integer", "minimum": 0, "maximum": 100})
_INTEGER = _shown_as({"type": "integer"})
_NUMBER = _shown_as({"type": "number"})
MaybePercent = Annotated[Percent | None, _PERCENT]
MaybeText = Annotated[str | None, _shown_as({"type": "string"})]
MaybeIds = Annotated[list[str] | None, _shown_as({"type": "array", "items": {"type": "string"}})]


def _actions(entity_ids: Iterable[str], command: str, **params: Any) -> list[Action]:
    given = {key: value for key, value in params.items() if value is not None}
    return [Action(entity_id=e, command=command, params=given) for e in dict.fromkeys(entity_ids)]


async def light(
    ctx: RunContext[HouseDeps],
    entity_ids: EntityIds,
    action: Literal["turn_on", "turn_off", "toggle"] = "turn_on",
    brightness: MaybePercent = None,
    color_temp_kelvin: Annotated[int | None, _INTEGER] = None,
    rgb_color: Annotated[
        tuple[int, int, int] | None, _shown_as({"type": "array", "items": {"type": "integer"}})
    ] = None,
    transition: Annotated[float | None, _NUMBER] = None,
    zones: Annotated[
        tuple[int, int] | None, _shown_as({"type": "array", "items": {"type": "integer"}})
    ] = None,
) -> str:
    """Turn lights on or off, dim them, or change their colour.

    Args:
        entity_ids: e.g. ["light.kitchen_ceiling"].
        action: turn_on (also to dim or colour), turn_off or toggle.
        brightness: Percent.
        color_temp_kelvin: 2700 warm white to 6500 daylight.
        rgb_color: [red, green, blue], each 0-255.
        transition: Seconds to fade.
        zones: [first, last] zone (from 1) of a strip with a zone_count, for turn_on.
    """
    if action == "turn_on":
        params = {
            "brightness": brightness,
            "color_temp_kelvin": color_temp_kelvin,
            "rgb_color": rgb_color,
            "transition": transition,
            "zones": zones,
        }
        return await act(ctx, _actions(entity_ids, "light.turn_on", **params))
    if action == "turn_off":
        return await act(ctx, _actions(entity_ids, "light.turn_off", transition=transition))
    return await act(ctx, _actions(entity_ids, "light.toggle"))


async def switch(
    ctx: RunContext[HouseDeps],
    entity_ids: EntityIds,
    action: Literal["turn_on", "turn_off", "toggle"],
) -> str:
    """Turn switches, plugs and pool circuits (pump, cleaner) on or off.

    Args:
        entity_ids: Switch entity ids, e.g. ["switch.pool_pump"].
        action: turn_on, turn_off or toggle.
    """
    return await act(ctx, _actions(entity_ids, f"switch.{action}"))


async def media_player(
    ctx: RunContext[HouseDeps],
    entity_ids: EntityIds,
    action: Literal[
        "play",
        "pause",
        "stop",
        "next_track",
        "previous_track",
        "set_volume",
        "volume_up",
        "volume_down",
        "mute",
        "unmute",
        "play_source",
        "group",
        "ungroup",
        "announce",
    ],
    volume: MaybePercent = None,
    step: Annotated[int, Field(ge=1, le=100)] = 10,
    source: MaybeText = None,
    members: MaybeIds = None,
    text: MaybeText = None,
    language: MaybeText = None,
) -> str:
    """Control speakers: play, pause, skip, volume, mute, favourites, groups, announcements.

    Args:
        entity_ids: Media player entity ids, e.g. ["media_player.kitchen"].
        action: What to do. set_volume needs `volume`; volume_up and volume_down use `step`;
            play_source plays `source` (one of the player's source_list: favourites and
            playlists); group makes `members` play with the first entity (its coordinator);
            ungroup makes each entity play on its own; announce speaks `text`, then what
            played resumes.
        volume: The volume in percent, for set_volume (or announce).
        step: Percentage points for volume_up and volume_down.
        source: A name from the player's source_list, for play_source.
        members: Media player entity ids to join the first entity's group, for group.
        text: What to say, for announce.
        language: The language of `text` (en, de), if not the household's.
    """
    if action == "play_source":
        actions = _actions(entity_ids, "media_player.select_source", source=source)
    elif action == "group":
        leader = entity_ids[:1]
        actions = _actions(leader, "media_player.join", members=members)
    elif action == "ungroup":
        actions = _actions(entity_ids, "media_player.unjoin")
    elif action == "announce":
        actions = _actions(
            entity_ids, "media_player.announce", text=text, language=language, volume=volume
        )
    elif action == "set_volume":
        actions = _actions(entity_ids, "media_player.set_volume", volume=volume)
    elif action in ("volume_up", "volume_down"):
        delta = step if action == "volume_up" else -step
        actions = _actions(entity_ids, "media_player.step_volume", delta=delta)
    elif action in ("mute", "unmute"):
        actions = _actions(entity_ids, "media_player.mute", muted=action == "mute")
    else:
        actions = _actions(entity_ids, f"media_player.{action}")
    return await act(ctx, actions)


async def climate(
    ctx: RunContext[HouseDeps],
    entity_ids: EntityIds,
    temperature: Annotated[float | None, _NUMBER] = None,
    target_temp_low: Annotated[float | None, _NUMBER] = None,
    target_temp_high: Annotated[float | None, _NUMBER] = None,
    hvac_mode: HVACMode | None = None,
    humidity: MaybePercent = None,
    fan_mode: MaybeText = None,
) -> str:
    """Set thermostats, and pool or spa heat: a target temperature, a range, or a mode;
    on thermostats that have them, the humidity to keep and the fan mode.

    Temperatures are in the household's unit. The house has limits on setpoints; if a
    value is refused, tell the person the allowed range.

    Args:
        entity_ids: Climate entity ids, e.g. ["climate.hallway"].
        temperature: The target temperature.
        target_temp_low: The low end of a range (auto mode), with target_temp_high.
        target_temp_high: The high end of a range (auto mode), with target_temp_low.
        hvac_mode: off, heat, cool or auto. Alone it only changes the mode.
        humidity: The humidity to keep, in percent.
        fan_mode: One of the thermostat's fan_modes (usually auto or on).
    """
    extra = (
        _actions(entity_ids, "climate.set_humidity", humidity=humidity)
        if humidity is not None
        else []
    )
    if fan_mode is not None:
        extra += _actions(entity_ids, "climate.set_fan_mode", fan_mode=fan_mode)
    if temperature is None and target_temp_low is None and target_temp_high is None:
        if hvac_mode is None and not extra:
            return "Say what to change: a temperature, a range, a mode, humidity or fan."
        if hvac_mode is not None:
            extra += _actions(entity_ids, "climate.set_hvac_mode", hvac_mode=hvac_mode)
        return await act(ctx, extra)
    params = {
        "temperature": temperature,
        "target_temp_low": target_temp_low,
        "target_temp_high": target_temp_high,
        "hvac_mode": hvac_mode,
    }
    return await act(ctx, _actions(entity_ids, "climate.set_temperature", **params) + extra)


async def cover(
    ctx: RunContext[HouseDeps],
    entity_ids: EntityIds,
    action: Literal["open", "close", "stop", "set_position", "set_tilt", "set_top_position"],
    position: MaybePercent = None,
    tilt: MaybePercent = None,
) -> str:
    """Open, close or move shades, blinds, curtains and garage doors.

    Opening a garage door or gate needs a person's confirmation; the house asks for it.

    Args:
        entity_ids: Cover entity ids, e.g. ["cover.bedroom_shade"].
        action: open, close, stop, set_position (needs position), set_tilt (needs tilt), or
            set_top_position (needs position) for the top rail of a top-down/bottom-up
            shade (one with a top_position).
        position: Position in percent: 0 is closed, 100 is open. For the top rail: 0 at
            the top, 100 all the way down.
        tilt: Slat tilt in percent: 0 is closed, 100 is open.
    """
    if action in ("set_position", "set_top_position"):
        return await act(ctx, _actions(entity_ids, f"cover.{action}", position=position))
    if action == "set_tilt":
        return await act(ctx, _actions(entity_ids, "cover.set_tilt", tilt=tilt))
    return await act(ctx, _actions(entity_ids, f"cover.{action}"))


async def lock(
    ctx: RunContext[HouseDeps], entity_ids: EntityIds, action: Literal["lock", "unlock"]
) -> str:
    """Lock or unlock doors. Unlocking needs a person's confirmation; the house asks for it.

    Args:
        entity_ids: Lock entity ids, e.g. ["lock.front_door"].
        action: lock or unlock.
    """
    return await act(ctx, _actions(entity_ids, f"lock.{action}"))


async def alarm_panel(
    ctx: RunContext[HouseDeps],
    entity_ids: EntityIds,
    action: Literal["arm", "disarm"],
    mode: ArmMode = ArmMode.AWAY,
) -> str:
    """Arm or disarm the alarm. Disarming needs a person's confirmation; the house asks for it.

    Args:
        entity_ids: Alarm panel entity ids, e.g. ["alarm_panel.house"].
        action: arm or disarm.
        mode: How to arm: home, away or night.
    """
    if action == "disarm":
        return await act(ctx, _actions(entity_ids, "alarm_panel.disarm"))
    return await act(ctx, _actions(entity_ids, "alarm_panel.arm", mode=mode))


async def scene(ctx: RunContext[HouseDeps], entity_ids: EntityIds) -> str:
    """Activate scenes a hub or bridge keeps (a shade hub's "Movie", a light bridge's
    "Relax"): their devices go to the states the scene holds.

    Args:
        entity_ids: Scene entity ids, e.g. ["scene.movie"].
    """
    return await act(ctx, _actions(entity_ids, "scene.activate"))


async def number(ctx: RunContext[HouseDeps], entity_ids: EntityIds, value: float) -> str:
    """Set a number a device lets a person set (a pool pump's speed, a chlorinator's
    output), in the entity's own unit (its unit_of_measurement) and on its steps. A value
    outside its min-max range is refused by the house, naming the range.

    Args:
        entity_ids: Number entity ids, e.g. ["number.pool_chlorinator_output"].
        value: The new value, in the entity's unit.
    """
    return await act(ctx, _actions(entity_ids, "number.set_value", value=value))


_TOOLS = (light, switch, media_player, climate, cover, lock, alarm_panel, scene, number)

CONTROL_DOMAINS: dict[str, Domain] = {
    f"{PREFIX}_{tool.__name__}": Domain(tool.__name__) for tool in _TOOLS
}
"""The domain each control tool acts on, by tool name."""


def _shown(ctx: RunContext[HouseDeps], tool: ToolDefinition) -> bool:
    """Show a domain's tool only when the house has that domain and the turn is about it."""
    domain = CONTROL_DOMAINS.get(tool.name)
    if domain is None:
        return True
    wanted = ctx.deps.focus.domains
    if wanted is not None and domain not in wanted:
        return False
    return any(e.domain is domain for e in ctx.deps.house.registry.entities.values())


def control_toolset() -> FilteredToolset[HouseDeps]:
    """The control tools, `control_<domain>`, for the domains the house has and the turn
    is about (`HouseDeps.focus`)."""
    tools = FunctionToolset[HouseDeps](list(_TOOLS), id="house_control")
    return tools.prefixed(PREFIX).filtered(_shown)
