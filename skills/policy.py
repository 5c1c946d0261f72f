"""The policy in front of the executor: roles, bounds and confirmations, as code.

Every action of every plan passes here, whatever produced it. Nothing a model says can
change a verdict: the policy reads the action, the entity and who asked, nothing else.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from devices.capabilities import Domain
from devices.entities import Entity
from devices.registry import Registry
from skills.actions import Action, Path, Plan, Requester, Role


class Verdict(StrEnum):
    """What the policy says of one action."""

    ALLOW = "allow"
    CONFIRM = "confirm"
    REFUSE = "refuse"


class TemperatureBounds(BaseModel):
    """The setpoints a climate entity accepts, in the household's unit."""

    model_config = ConfigDict(extra="forbid")

    min: float
    max: float

    @model_validator(mode="after")
    def _ordered(self) -> TemperatureBounds:
        if self.min > self.max:
            raise ValueError("min must not be above max")
        return self


class RoleRules(BaseModel):
    """What one role may not do."""

    model_config = ConfigDict(extra="forbid")

    denied_domains: list[Domain] = []
    may_confirm: bool = False
    """Whether a person of this role may approve a sensitive action."""


def _default_roles() -> dict[Role, RoleRules]:
    return {
        Role.ADMIN: RoleRules(may_confirm=True),
        Role.MEMBER: RoleRules(may_confirm=True),
        Role.GUEST: RoleRules(denied_domains=[Domain.LOCK, Domain.ALARM_PANEL, Domain.CLIMATE]),
    }


class SensitiveRule(BaseModel):
    """A command that needs a confirmation, optionally only for some device classes."""

    model_config = ConfigDict(extra="forbid")

    command: str
    """A command name; `*` wildcards allowed (`lock.*`)."""
    device_classes: list[str] = []
    reason: str
    when: Literal["always", "raising"] = "always"
    """`raising`: only when the action turns the device on or up (a heat mode other than
    off, a setpoint above the present one, a cover opened further); turning it off or down
    never asks. A present value the device has not reported counts as lower."""

    def matches(self, action: Action, entity: Entity) -> bool:
        """Whether this rule covers the action."""
        if not fnmatch.fnmatchcase(action.command, self.command):
            return False
        if self.device_classes and entity.device_class not in self.device_classes:
            return False
        return self.when == "always" or raises(action, entity)


_OFF = ("off", "turn_off", "close")
"""Values and command verbs that only ever turn a device off or down."""
_LEVELS = {
    "temperature": "temperature",
    "target_temp_high": "target_temp_high",
    "target_temp_low": "target_temp_low",
    "position": "position",
    "brightness": "brightness",
}
"""Parameters that set a level, and the state attribute that holds the present one."""


def raises(action: Action, entity: Entity) -> bool:
    """Whether an action turns its device on or up (anything not surely down counts)."""
    verb = action.command.rpartition(".")[2]
    if verb in _OFF:
        return False
    present: dict[str, Any] = {}
    if entity.state is not None:
        present = {"state": entity.state.state, **entity.state.attributes()}
    mode = action.params.get("hvac_mode")
    if mode is not None:
        if mode == "off":
            return False
        if present.get("state") != mode:
            return True
    levels = [key for key in _LEVELS if isinstance(action.params.get(key), int | float)]
    if not levels:
        return mode is None  # a mode already on, or a command that is not a level: asks
    for key in levels:
        now = present.get(_LEVELS[key])
        if not isinstance(now, int | float) or action.params[key] > now:
            return True
    return False


def _default_sensitive() -> list[SensitiveRule]:
    return [
        SensitiveRule(command="lock.unlock", reason="unlocking a door"),
        SensitiveRule(command="alarm_panel.disarm", reason="disarming the alarm"),
        SensitiveRule(
            command="cover.open", device_classes=["garage", "gate"], reason="opening the garage"
        ),
        SensitiveRule(
            command="cover.set_position",
            device_classes=["garage", "gate"],
            reason="opening the garage",
            when="raising",
        ),
        SensitiveRule(
            command="switch.turn_on",
            device_classes=["zone_bypass"],
            reason="bypassing an alarm zone",
        ),
        SensitiveRule(
            command="switch.toggle",
            device_classes=["zone_bypass"],
            reason="bypassing an alarm zone",
        ),
    ]


class PolicyConfig(BaseModel):
    """The `policy` section of home.yaml."""

    model_config = ConfigDict(extra="forbid")

    temperature: TemperatureBounds = TemperatureBounds(min=10, max=30)
    """Default setpoint bounds for every climate entity."""
    temperature_by_entity: dict[str, TemperatureBounds] = {}
    """Bounds for particular entities (pool and spa heat), by entity id."""
    confirm: list[SensitiveRule] = Field(default_factory=_default_sensitive)
    roles: dict[Role, RoleRules] = Field(default_factory=_default_roles)


@dataclass(frozen=True)
class Decision:
    """The policy's verdict on one action, with the reason in plain words."""

    action: Action
    verdict: Verdict
    reason: str = ""


@dataclass(frozen=True)
class Review:
    """The policy's verdicts on a whole plan."""

    decisions: list[Decision]

    def with_verdict(self, verdict: Verdict) -> list[Decision]:
        """The decisions that came out `verdict`."""
        return [d for d in self.decisions if d.verdict is verdict]

    @property
    def needs_confirmation(self) -> bool:
        """Whether some action waits for a person's approval."""
        return bool(self.with_verdict(Verdict.CONFIRM))


@dataclass
class Policy:
    """Checks plans against the household's rules."""

    registry: Registry
    config: PolicyConfig

    def review(self, plan: Plan) -> Review:
        """A verdict for every action of the plan."""
        return Review([self.decide(action, plan) for action in plan.actions])

    def decide(self, action: Action, plan: Plan) -> Decision:
        """The verdict on one action of a plan."""
        entity = self.registry.entities.get(action.entity_id)
        if entity is None:
            return Decision(action, Verdict.REFUSE, f"there is no {action.entity_id}")
        role = plan.requester.role
        rules = self.config.roles.get(role, RoleRules())
        if entity.domain in rules.denied_domains:
            return Decision(action, Verdict.REFUSE, f"a {role.value} may not control {entity.name}")
        bound = self._bound_refusal(action, entity)
        if bound:
            return Decision(action, Verdict.REFUSE, bound)
        for rule in self.config.confirm:
            if rule.matches(action, entity) and not self.approval_holds(plan):
                if plan.path in (Path.SCHEDULE, Path.TRIGGER):  # nobody there to Approve now
                    return Decision(
                        action,
                        Verdict.REFUSE,
                        f"{rule.reason} needs a confirmation, and no approval holds for it now",
                    )
                return Decision(action, Verdict.CONFIRM, f"{rule.reason} needs a confirmation")
        return Decision(action, Verdict.ALLOW)

    def approval_holds(self, plan: Plan) -> bool:
        """Whether the plan carries an approval by a person who may confirm."""
        return plan.approved_by is not None and self.may_confirm(plan.approved_by.role)

    def standing_approval(self, requester: Requester, owner: Requester) -> Requester | None:
        """The approval a routine's owner gives the runs of their routine, or None.

        A routine its owner confirmed (an admin's routines.yaml, a routine saved from chat
        after an Approve) runs its sensitive steps without asking again, but only for a
        person who could have confirmed them: for anyone else (a guest) they still wait
        for an authorised person's Approve.
        """
        if self.may_confirm(requester.role) and self.may_confirm(owner.role):
            return owner
        return None

    def bounds_for(self, entity_id: str) -> TemperatureBounds:
        """The setpoint bounds of a climate entity."""
        return self.config.temperature_by_entity.get(entity_id, self.config.temperature)

    def _bound_refusal(self, action: Action, entity: Entity) -> str | None:
        if entity.domain is not Domain.CLIMATE or action.command != "climate.set_temperature":
            return None
        bounds = self.bounds_for(entity.entity_id)
        for key in ("temperature", "target_temp_low", "target_temp_high"):
            value = action.params.get(key)
            if isinstance(value, int | float) and not bounds.min <= value <= bounds.max:
                return (
                    f"{value:g}° is outside the allowed range for {entity.name} "
                    f"({bounds.min:g}° to {bounds.max:g}°)"
                )
        return None

    def may_confirm(self, role: Role) -> bool:
        """Whether a person of this role may approve a sensitive action."""
        rules = self.config.roles.get(role)
        return bool(rules and rules.may_confirm)
