"""Switches: plugs, relays, pool circuits. On and off."""

from __future__ import annotations

from typing import Literal

from devices.capabilities.base import Commands, Domain, State, headline_is


class SwitchState(State):
    """A switch's state."""

    state: Literal["on", "off"]


TURN_ON = Commands.define(
    Domain.SWITCH,
    "turn_on",
    summary="Turn a switch on.",
    idempotent=True,
    expect=headline_is("on"),
)
TURN_OFF = Commands.define(
    Domain.SWITCH,
    "turn_off",
    summary="Turn a switch off.",
    idempotent=True,
    expect=headline_is("off"),
)
TOGGLE = Commands.define(Domain.SWITCH, "toggle", summary="Switch to the other state.")
