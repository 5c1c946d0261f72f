"""Scenes: a set of device states a controller keeps and sets at once (a PowerView hub's
"Movie", a Hue room's "Relax"). A scene has one command, `activate`.

Its state is, as in Home Assistant, when it was last activated (an ISO 8601 time), or
`unknown` if Dobby has not seen it activated. What a scene moves is read back through
those devices, not through the scene.
"""

from __future__ import annotations

from devices.capabilities.base import Commands, Domain, State


class SceneState(State):
    """A scene's state: the time it was last activated, or `unknown`."""

    state: str = "unknown"


ACTIVATE = Commands.define(
    Domain.SCENE,
    "activate",
    summary="Activate the scene: its devices go to the states it holds.",
    idempotent=True,
)
