"""Locks and alarm panels: the domains whose commands the policy guards most closely."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from devices.capabilities.base import Commands, Domain, Params, State, headline_is


class LockState(State):
    """A lock's state."""

    state: Literal["locked", "unlocked", "locking", "unlocking", "jammed", "open"]


class ArmMode(StrEnum):
    """How an alarm panel is armed."""

    HOME = "home"
    AWAY = "away"
    NIGHT = "night"


class AlarmPanelFeature(StrEnum):
    """Which arm modes a panel offers, and whether it can be triggered from here."""

    ARM_HOME = "arm_home"
    ARM_AWAY = "arm_away"
    ARM_NIGHT = "arm_night"
    TRIGGER = "trigger"


class AlarmPanelState(State):
    """An alarm panel's state."""

    state: Literal[
        "disarmed", "armed_home", "armed_away", "armed_night", "arming", "pending", "triggered"
    ]
    code_required: bool | None = None
    alarm_source: str | None = None
    """While triggered: what set it off, as the panel tells ("Patio Door, zone 3")."""
    trouble: str | None = None
    """A trouble the panel reports, in words ("AC power lost"); None when all is well."""


class Arm(Params):
    """Arm the panel in a mode."""

    mode: ArmMode = ArmMode.AWAY

    def needs(self) -> set[str]:
        """Each mode is a feature of its own."""
        return {f"arm_{self.mode.value}"}


class Disarm(Params):
    """Disarm the panel. The code, where one is needed, comes from the adapter's secrets."""


LOCK = Commands.define(
    Domain.LOCK,
    "lock",
    summary="Lock.",
    idempotent=True,
    expect=headline_is("locked", "locking"),
)
UNLOCK = Commands.define(
    Domain.LOCK,
    "unlock",
    summary="Unlock.",
    idempotent=True,
    expect=headline_is("unlocked", "unlocking"),
)
# Arming and disarming are never sent twice: a panel that took the first arm may take the
# second as something else (a DSC panel armed twice toggles its night mode).
ARM = Commands.define(Domain.ALARM_PANEL, "arm", Arm, summary="Arm the alarm: home, away or night.")
DISARM = Commands.define(Domain.ALARM_PANEL, "disarm", Disarm, summary="Disarm the alarm.")
TRIGGER = Commands.define(
    Domain.ALARM_PANEL,
    "trigger",
    feature=AlarmPanelFeature.TRIGGER,
    summary="Sound the alarm.",
)
