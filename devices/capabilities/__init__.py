"""The capability model: what each kind of entity can do and how its state reads.

Importing this package declares every command of every domain.
"""

from __future__ import annotations

from devices.capabilities import (
    climate,
    cover,
    light,
    media_player,
    number,
    scene,
    security,
    sensors,
    switch,
)
from devices.capabilities.base import (
    Commands,
    CommandSpec,
    Domain,
    NoParams,
    Params,
    State,
    validate_command,
)
from devices.capabilities.climate import ClimateState, HVACMode
from devices.capabilities.cover import CoverDeviceClass, CoverState
from devices.capabilities.light import LightState
from devices.capabilities.media_player import MediaPlayerFeature, MediaPlayerState
from devices.capabilities.number import NumberState
from devices.capabilities.scene import SceneState
from devices.capabilities.security import AlarmPanelState, ArmMode, LockState
from devices.capabilities.sensors import BinarySensorDeviceClass, BinarySensorState, SensorState
from devices.capabilities.switch import SwitchState

STATE_MODELS: dict[Domain, type[State]] = {
    Domain.LIGHT: LightState,
    Domain.SWITCH: SwitchState,
    Domain.MEDIA_PLAYER: MediaPlayerState,
    Domain.CLIMATE: ClimateState,
    Domain.COVER: CoverState,
    Domain.LOCK: LockState,
    Domain.ALARM_PANEL: AlarmPanelState,
    Domain.SENSOR: SensorState,
    Domain.BINARY_SENSOR: BinarySensorState,
    Domain.SCENE: SceneState,
    Domain.NUMBER: NumberState,
}
"""The state model of each domain."""

__all__ = [
    "STATE_MODELS",
    "AlarmPanelState",
    "ArmMode",
    "BinarySensorDeviceClass",
    "BinarySensorState",
    "ClimateState",
    "CommandSpec",
    "Commands",
    "CoverDeviceClass",
    "CoverState",
    "Domain",
    "HVACMode",
    "LightState",
    "LockState",
    "MediaPlayerFeature",
    "MediaPlayerState",
    "NoParams",
    "NumberState",
    "Params",
    "SceneState",
    "SensorState",
    "State",
    "SwitchState",
    "climate",
    "cover",
    "light",
    "media_player",
    "number",
    "scene",
    "security",
    "sensors",
    "switch",
    "validate_command",
]
