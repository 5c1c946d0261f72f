"""The policy in front of the executor: roles, bounds and confirmations, as code.

Every action of every plan passes here, whatever produced it. Nothing a model says can
change a verdict: the policy reads the action, the entity and who asked, nothing else.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from devices.capabilities import Domain, NumberState
from devices.capabilities.number import number_text
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


class NumberBounds(BaseModel):
    """The values a household lets a number entity be set to, in the entity's unit (a
    narrower range than the device's own: the chlorinator never above 60 %)."""

    model_config = ConfigDict(extra="forbid")

    min: float | None = None
    max: float | None = None


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
        # A guest leaves the doors, the alarm, the heat and the equipment's settings (a
        # pump's speed, a chlorinator's output) alone.
        Role.GUEST: RoleRules(
            denied_domains=[Domain.LOCK, Domain.ALARM_PANEL, Domain.CLIMATE, Domain.NUMBER]
        ),
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
        return self.covers(action.command, action.params, entity)

    def covers(self, command: str, params: Mapping[str, Any], entity: Entity) -> bool:
        """Whether this rule covers a command its pattern matches, with these parameters,
        on this entity."""
        if self.device_classes and entity.device_class not in self.device_classes:
            return False
        return self.when == "always" or raises_with(command, params, entity)


_OFF = ("off", "turn_off", "close")
"""Values and command verbs that only ever turn a device off or down."""
_LEVELS = {
    "temperature": "temperature",
    "target_temp_high": "target_temp_high",
    "target_temp_low": "target_temp_low",
    "position": "position",
    "brightness": "brightness",
    "value": "value",
}
"""Parameters that set a level, and the state attribute that holds the present one."""


def raises(action: Action, entity: Entity) -> bool:
    """Whether an action turns its device on or up (anything not surely down counts)."""
    return raises_with(action.command, action.params, entity)


def raises_with(command: str, params: Mapping[str, Any], entity: Entity) -> bool:
    """Whether a command with these parameters turns the entity on or up."""
    if command.rpartition(".")[2] in _OFF:
        return False
    present: dict[str, Any] = {}
    if entity.state is not None:
        present = {"state": entity.state.state, **entity.state.attributes()}
    if isinstance(entity.state, NumberState):
        present["value"] = entity.state.value
    mode = params.get("hvac_mode")
    if mode is not None:
        if mode == "off":
            return False
        if present.get("state") != mode:
            return True
    levels = [key for key in _LEVELS if isinstance(params.get(key), int | float)]
    if not levels:
        return mode is None  # a mode already on, or a command that is not a level: asks
    for key in levels:
        now = present.get(_LEVELS[key])
        if not isinstance(now, int | float) or params[key] > now:
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
    numbers: dict[str, NumberBounds] = {}
    """Bounds for number entities (a pump's speed, a chlorinator's output), by entity id,
    inside the range the device reports; without one, the device's own range holds."""
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
        permissions = self.permissions(
            plan.requester.role, plan.path, approved=self.approval_holds(plan)
        )
        verdict, reason = permissions.verdict(entity, action.command, action.params)
        return Decision(action, verdict, reason)

    def permissions(self, role: Role, path: Path, *, approved: bool = False) -> Permissions:
        """The verdicts for a person of `role` asking through `path` (`approved`: with an
        approval that holds), for any number of commands."""
        return Permissions(self, role, path, approved)

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

    def number_range(self, entity: Entity) -> tuple[float, float] | None:
        """The values a number entity may be set to: the device's range, narrowed by the
        household's `numbers` bounds; None while the device has not said its range."""
        if not isinstance(entity.state, NumberState):
            return None
        low, high = entity.state.min, entity.state.max
        bounds = self.config.numbers.get(entity.entity_id)
        if bounds is not None:
            low = max(low, bounds.min) if bounds.min is not None else low
            high = min(high, bounds.max) if bounds.max is not None else high
        return low, high

    def may_learn_devices(self, role: Role) -> bool:
        """Whether a person of this role may teach Dobby a device (probe it, try its
        commands, save its recipe): admins only, whatever the config says."""
        return role == Role.ADMIN

    def may_explore(self, role: Role) -> bool:
        """Whether a person of this role may ask what is on the network (read-only)."""
        return role in (Role.ADMIN, Role.MEMBER)

    def may_confirm(self, role: Role) -> bool:
        """Whether a person of this role may approve a sensitive action."""
        rules = self.config.roles.get(role)
        return bool(rules and rules.may_confirm)


class Permissions:
    """What the policy says of one person's commands on one path, worked out once per
    command: the role's rules are read once and each command is matched against the
    confirmation rules once, so a verdict costs a few lookups, not a plan of its own.
    `Policy.decide` asks it for every action; the web page asks it for every quick control
    it shows a person, so the buttons say what pressing them will meet."""

    def __init__(self, policy: Policy, role: Role, path: Path, approved: bool = False) -> None:
        self.policy, self.role, self.path, self.approved = policy, role, path, approved
        rules = policy.config.roles.get(role)
        self._denied = frozenset(rules.denied_domains if rules else ())
        self._sensitive: dict[str, list[SensitiveRule]] = {}

    def _rules(self, command: str) -> list[SensitiveRule]:
        """The confirmation rules whose pattern names this command."""
        rules = self._sensitive.get(command)
        if rules is None:
            confirm = self.policy.config.confirm
            rules = [r for r in confirm if fnmatch.fnmatchcase(command, r.command)]
            self._sensitive[command] = rules
        return rules

    def _out_of_bounds(self, entity: Entity, command: str, params: Mapping[str, Any]) -> str | None:
        """Why a value is refused: a setpoint, or a number, outside its bounds."""
        if entity.domain is Domain.CLIMATE and command == "climate.set_temperature":
            return _bound_refusal(self.policy.bounds_for(entity.entity_id), entity, params)
        if entity.domain is Domain.NUMBER and command == "number.set_value":
            return _number_refusal(self.policy.number_range(entity), entity, params)
        return None

    def verdict(
        self, entity: Entity, command: str, params: Mapping[str, Any]
    ) -> tuple[Verdict, str]:
        """The verdict on `command` with `params` for `entity`, and its reason in words."""
        if entity.domain in self._denied:
            return Verdict.REFUSE, f"a {self.role.value} may not control {entity.name}"
        bound = self._out_of_bounds(entity, command, params)
        if bound:
            return Verdict.REFUSE, bound
        if self.approved:
            return Verdict.ALLOW, ""
        for rule in self._rules(command):
            if rule.covers(command, params, entity):
                if self.path in (Path.SCHEDULE, Path.TRIGGER):  # nobody there to Approve now
                    return (
                        Verdict.REFUSE,
                        f"{rule.reason} needs a confirmation, and no approval holds for it now",
                    )
                return Verdict.CONFIRM, f"{rule.reason} needs a confirmation"
        return Verdict.ALLOW, ""


def _bound_refusal(
    bounds: TemperatureBounds, entity: Entity, params: Mapping[str, Any]
) -> str | None:
    """Why a setpoint is refused: a value outside the entity's bounds."""
    for key in ("temperature", "target_temp_low", "target_temp_high"):
        value = params.get(key)
        if isinstance(value, int | float) and not bounds.min <= value <= bounds.max:
            return (
                f"{value:g}° is outside the allowed range for {entity.name} "
                f"({bounds.min:g}° to {bounds.max:g}°)"
            )
    return None


def _number_refusal(
    allowed: tuple[float, float] | None, entity: Entity, params: Mapping[str, Any]
) -> str | None:
    """Why a number's value is refused: outside the range the device and household allow."""
    value = params.get("value")
    if allowed is None or not isinstance(value, int | float):
        return None
    low, high = allowed
    if low <= value <= high:
        return None
    unit = ""
    if isinstance(entity.state, NumberState) and entity.state.unit_of_measurement:
        unit = f" {entity.state.unit_of_measurement}"
    return (
        f"{number_text(value)}{unit} is outside the allowed range for {entity.name} "
        f"({number_text(low)}{unit} to {number_text(high)}{unit})"
    )
