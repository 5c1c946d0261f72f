"""Covers: shades, blinds, curtains, garage doors. Position in percent, 100 is open."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from devices.capabilities.base import Commands, Domain, Params, State

Percent = Annotated[int, Field(ge=0, le=100)]


class CoverFeature(StrEnum):
    """What a cover may be able to do."""

    OPEN = "open"
    CLOSE = "close"
    STOP = "stop"
    SET_POSITION = "set_position"
    SET_TILT = "set_tilt"
    SET_TOP_POSITION = "set_top_position"
    """A top-down/bottom-up shade: its top rail comes down, opening the window from above."""


class CoverDeviceClass(StrEnum):
    """What kind of cover it is; people say "the blinds" or "the garage"."""

    SHADE = "shade"
    BLIND = "blind"
    CURTAIN = "curtain"
    SHUTTER = "shutter"
    AWNING = "awning"
    GARAGE = "garage"
    GATE = "gate"
    DOOR = "door"
    WINDOW = "window"


class CoverState(State):
    """A cover's state; `position` 100 is fully open, 0 closed.

    `unknown` is a cover whose position its controller does not know (a PowerView hub
    that lost a shade reports nulls): not closed. A top-down/bottom-up shade is one cover
    whose `position` is its bottom rail and `top_position` how far its top rail has come
    down (0 at the top); it is closed only with both at 0.
    """

    state: Literal["open", "closed", "opening", "closing", "unknown"]
    position: Percent | None = None
    tilt: Percent | None = None
    top_position: Percent | None = None
    battery_level: Percent | None = None


class SetPosition(Params):
    """Move to a position in percent: 0 closed, 100 open."""

    position: Percent


class SetTilt(Params):
    """Tilt the slats to a percentage: 0 closed, 100 open."""

    tilt: Percent


class SetTopPosition(Params):
    """Bring the top rail down to a position in percent: 0 at the top, 100 all the way."""

    position: Percent


# A shade travels for seconds: its commands expect no state at once.
OPEN = Commands.define(
    Domain.COVER, "open", feature=CoverFeature.OPEN, summary="Open fully.", idempotent=True
)
CLOSE = Commands.define(
    Domain.COVER, "close", feature=CoverFeature.CLOSE, summary="Close fully.", idempotent=True
)
STOP = Commands.define(
    Domain.COVER, "stop", feature=CoverFeature.STOP, summary="Stop moving.", idempotent=True
)
SET_POSITION = Commands.define(
    Domain.COVER,
    "set_position",
    SetPosition,
    feature=CoverFeature.SET_POSITION,
    idempotent=True,
    summary="Move to a position in percent (0 closed, 100 open).",
)
SET_TILT = Commands.define(
    Domain.COVER,
    "set_tilt",
    SetTilt,
    feature=CoverFeature.SET_TILT,
    idempotent=True,
    summary="Tilt the slats (0 closed, 100 open).",
)
SET_TOP_POSITION = Commands.define(
    Domain.COVER,
    "set_top_position",
    SetTopPosition,
    feature=CoverFeature.SET_TOP_POSITION,
    idempotent=True,
    summary=(
        "Move the top rail of a top-down/bottom-up shade (0 at the top, 100 all the way "
        "down; it stops at the bottom rail)."
    ),
)
