"""pyenvisalink's alarm state (plain dicts) in the capability model's words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from devices.capabilities import AlarmPanelState, ArmMode, BinarySensorState

PanelWord = Literal[
    "disarmed", "armed_home", "armed_away", "armed_night", "arming", "pending", "triggered"
]
ARMED: dict[ArmMode, str] = {
    ArmMode.AWAY: "armed_away",
    ArmMode.HOME: "armed_home",
    ArmMode.NIGHT: "armed_night",
}


def partition_state(status: Mapping[str, Any], alarm_source: str | None = None) -> AlarmPanelState:
    """A partition's status as an alarm_panel state, with what set it off and its troubles.

    The alarm comes first; then the delays (an exit delay is "arming", an entry delay
    "pending"); then the arm mode, where an arming with no entry delay (DSC max, Vista
    instant) is what Dobby calls night.
    """
    away, stay = bool(status.get("armed_away")), bool(status.get("armed_stay"))
    ladder: list[tuple[object, PanelWord]] = [
        (status.get("alarm"), "triggered"),
        (status.get("exit_delay"), "arming"),
        (status.get("entry_delay"), "pending"),
        ((away or stay) and status.get("armed_zero_entry_delay"), "armed_night"),
        (away, "armed_away"),
        (stay, "armed_home"),
    ]
    word = next((word for holds, word in ladder if holds), "disarmed")
    return AlarmPanelState(
        state=word,
        alarm_source=alarm_source if word == "triggered" else None,
        trouble=trouble_words(status),
    )


def trouble_words(status: Mapping[str, Any]) -> str | None:
    """The partition's troubles in words, or None.

    The trouble light alone is left out: it names nothing, and lingers a moment after the
    trouble it stood for clears (DSC sends 803 AC restored, then 841 trouble off)."""
    troubles = [
        words
        for holds, words in (
            (status.get("ac_present") is False, "AC power lost"),
            (status.get("bat_trouble"), "low battery"),
        )
        if holds
    ]
    return ", ".join(troubles) or None


def zone_state(zone: Mapping[str, Any]) -> BinarySensorState:
    """A zone as a binary_sensor: "on" while open (faulted)."""
    return BinarySensorState(state="on" if zone["status"].get("open") else "off")
