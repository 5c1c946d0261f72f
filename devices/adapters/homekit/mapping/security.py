"""LockMechanism → lock, SecuritySystem → alarm_panel."""

from __future__ import annotations

from typing import Any, ClassVar

from aiohomekit.model.characteristics import CharacteristicsTypes as C
from aiohomekit.model.services import ServicesTypes as S

from devices.adapters.homekit.mapping.base import Family, View, Write
from devices.capabilities import AlarmPanelState, ArmMode, CommandSpec, Domain, LockState, Params
from devices.capabilities.security import LOCK, AlarmPanelFeature, Arm

ALARM_STATES: dict[int, Any] = {
    0: "armed_home",
    1: "armed_away",
    2: "armed_night",
    3: "disarmed",
    4: "triggered",
}
ARM_TARGETS = {ArmMode.HOME: 0, ArmMode.AWAY: 1, ArmMode.NIGHT: 2}
DISARM = 3


class LockFamily(Family):
    """A lock: locked, unlocked, on its way, or jammed."""

    domain: ClassVar = Domain.LOCK
    service_types: ClassVar = (S.LOCK_MECHANISM,)

    def state(self, view: View) -> LockState:
        """The current state, or where it is going when current and target differ."""
        current = view.value(C.LOCK_MECHANISM_CURRENT_STATE, 3)
        target = view.value(C.LOCK_MECHANISM_TARGET_STATE, 0)
        if current == 2:
            return LockState(state="jammed")
        if current == target or current not in (0, 1):
            return LockState(state="locked" if target == 1 else "unlocked")
        return LockState(state="locking" if target == 1 else "unlocking")

    def writes(self, view: View, command: CommandSpec, params: Params) -> list[Write]:
        """The lock's target state."""
        return [view.write(C.LOCK_MECHANISM_TARGET_STATE, 1 if command == LOCK else 0)]


class SecuritySystemFamily(Family):
    """A security system: disarmed, armed home, away or night, or triggered."""

    domain: ClassVar = Domain.ALARM_PANEL
    service_types: ClassVar = (S.SECURITY_SYSTEM,)

    def features(self, view: View) -> frozenset[str]:
        """The arm modes the panel's target state accepts (HomeKit cannot trigger it)."""
        valid = view.service[C.SECURITY_SYSTEM_STATE_TARGET].valid_values or [0, 1, 2, 3]
        return frozenset(
            f"arm_{mode.value}" for mode, code in ARM_TARGETS.items() if code in valid
        ) - {AlarmPanelFeature.TRIGGER.value}

    def state(self, view: View) -> AlarmPanelState:
        """The current state; "arming" while the target is an arm mode not reached yet."""
        current = view.value(C.SECURITY_SYSTEM_STATE_CURRENT, DISARM)
        target = view.value(C.SECURITY_SYSTEM_STATE_TARGET, DISARM)
        if current not in (target, 4) and target != DISARM:
            return AlarmPanelState(state="arming")
        return AlarmPanelState(state=ALARM_STATES.get(current, "disarmed"))

    def writes(self, view: View, command: CommandSpec, params: Params) -> list[Write]:
        """The panel's target state."""
        code = ARM_TARGETS[params.mode] if isinstance(params, Arm) else DISARM
        return [view.write(C.SECURITY_SYSTEM_STATE_TARGET, code)]
