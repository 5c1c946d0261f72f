"""Routines as data: phrases that trigger them, steps that say what to do, schedules.

A step targets entities the way people do (a name, an area, a floor, a domain, a device
class) and is expanded against whatever house it meets. A step whose targets this house
does not have is skipped with a note, not treated as an error. Steps run in order (or all
together), may wait ("wait: 5m"), run a group together, call another routine, and carry a
condition (a time window, the state of a device).

    routines:
      - name: good morning
        phrases: [morning]
        schedules: [{at: "06:30", days: weekdays}, {sun: sunrise, offset: -15m}]
        triggers: [{device: Bedside Button, action: single}]
        steps:
          - command: cover.open
            condition: {domain: alarm_panel, state: disarmed}
          - wait: 5m
          - together:
              - {command: light.turn_on, target: {area: Kitchen}, params: {brightness: 60}}
              - {routine: coffee}
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from devices.capabilities import Commands, Domain
from devices.errors import UnsupportedCommandError
from devices.names import normalize, resolve
from devices.registry import Registry
from skills.actions import Action

_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600}
_UNITS |= {"hour": 3600, "hr": 3600, "d": 86400, "day": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+?)s?(?![a-z])")


def parse_duration(value: object) -> float:
    """Seconds from `90`, `"90s"`, `"5m"`, `"1h30m"`, `"-15 minutes"`; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("expected a duration such as 30s, 5m or 1h")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise ValueError("expected a duration such as 30s, 5m or 1h")
    text = value.strip().casefold()
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.lstrip("+-").strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return sign * float(text)
    parts = _PART.findall(text)
    if not parts or _PART.sub("", text).strip(" ,and"):
        raise ValueError(f"{value!r} is not a duration such as 30s, 5m or 1h")
    total = 0.0
    for number, unit in parts:
        if unit not in _UNITS:
            raise ValueError(f"{value!r}: unknown unit {unit!r} (use s, m, h or d)")
        total += float(number) * _UNITS[unit]
    return sign * total


def _clock_time(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError('write a time in quotes, like "06:30" (YAML reads 6:30 as a number)')
    return value


Duration = Annotated[float, BeforeValidator(parse_duration)]
"""Seconds; YAML may say `90`, `30s`, `5m`, `1h30m`."""
ClockTime = Annotated[time, BeforeValidator(_clock_time)]
"""A time of day, `"06:30"`."""

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Days = Literal["daily", "weekdays", "weekends"] | list[Weekday]


class Target(BaseModel):
    """Which entities a step acts on; an empty target means every entity of the domain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    area: str | None = None
    floor: str | None = None
    device_class: str | None = None

    def describe(self) -> str:
        """ "the Bedroom", "Kitchen Pendant", "everything"."""
        parts = [p for p in (self.name, self.device_class, self.area, self.floor) if p]
        return " ".join(parts) if parts else "everything"


class Condition(BaseModel):
    """When a step (or a routine) may run: a time window, and/or devices in a state.

    `{after: "22:00", before: "06:00"}` wraps midnight. `{domain: alarm_panel, state:
    disarmed}` holds when every alarm panel here is disarmed; with a name, area or floor
    it means the entities those name. If nothing here matches, the condition does not hold.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    after: ClockTime | None = None
    before: ClockTime | None = None
    name: str | None = None
    area: str | None = None
    floor: str | None = None
    domain: Domain | None = None
    state: list[str] | None = None
    """Any of these states will do; a single text is allowed too."""

    @field_validator("state", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _says_something(self) -> Condition:
        names_device = any(v is not None for v in (self.name, self.area, self.floor, self.domain))
        if names_device and not self.state:
            raise ValueError("a device condition needs a state, e.g. state: disarmed")
        if self.state and not names_device:
            raise ValueError("a state condition needs a name, area, floor or domain")
        if not self.state and self.after is None and self.before is None:
            raise ValueError("a condition needs after/before or a device and a state")
        return self

    def describe(self) -> str:
        """ "between 22:00 and 06:00", "only if alarm_panel is disarmed"."""
        parts = []
        if self.after is not None or self.before is not None:
            after = self.after.strftime("%H:%M") if self.after else "midnight"
            before = self.before.strftime("%H:%M") if self.before else "midnight"
            parts.append(f"between {after} and {before}")
        if self.state:
            what = " ".join(
                str(p) for p in (self.name, self.area, self.floor, self.domain) if p is not None
            )
            parts.append(f"if {what} is {' or '.join(self.state)}")
        return " and ".join(parts)


class Step(BaseModel):
    """One thing a routine does: a command, a wait, a group run together, or a routine."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: str | None = None
    target: Target = Target()
    params: dict[str, Any] = {}
    wait: Duration | None = Field(default=None, ge=0)
    together: list[Step] | None = Field(default=None, min_length=1)
    routine: str | None = None
    """Run another routine by name."""
    condition: Condition | None = None

    @field_validator("command")
    @classmethod
    def _known_command(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            Commands.get(value)
        except UnsupportedCommandError as error:
            raise ValueError(str(error)) from None
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [
            k for k in ("command", "wait", "together", "routine") if getattr(self, k) is not None
        ]
        if len(kinds) != 1:
            raise ValueError("a step has exactly one of: command, wait, together, routine")
        if kinds[0] != "command" and (self.params or self.target != Target()):
            raise ValueError("target and params belong to a command step")
        return self

    @property
    def domain(self) -> Domain:
        """The domain of the step's command."""
        if self.command is None:
            raise ValueError("only a command step has a domain")
        return Commands.get(self.command).domain

    def describe(self) -> str:
        """A short line for previews and results."""
        if self.wait is not None:
            return f"wait {format_seconds(self.wait)}"
        if self.routine is not None:
            return f"run routine {self.routine}"
        if self.together is not None:
            return "together: " + "; ".join(s.describe() for s in self.together)
        args = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.command}({args}) on {self.target.describe()}"


class Schedule(BaseModel):
    """When a routine runs by itself: a time of day, sunrise/sunset with an offset, or cron.

    `{at: "06:30", days: weekdays}`, `{sun: sunset, offset: -30m}`,
    `{cron: "30 6 * * mon-fri"}` (minute hour day month weekday).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    at: ClockTime | None = None
    sun: Literal["sunrise", "sunset"] | None = None
    offset: Duration = 0.0
    cron: str | None = None
    days: Days = "daily"

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value is not None:
            from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

            try:
                CronTrigger.from_crontab(value, timezone="UTC")
            except ValueError as error:
                raise ValueError(f"{value!r} is not a cron expression: {error}") from None
        return value

    @model_validator(mode="after")
    def _one_kind(self) -> Schedule:
        kinds = [k for k in ("at", "sun", "cron") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a schedule has exactly one of: at, sun, cron")
        if self.offset and self.sun is None:
            raise ValueError("offset belongs to a sunrise or sunset schedule")
        return self

    def weekdays(self) -> str:
        """The days as cron's day_of_week: `mon-fri`, `*`, `sat,sun`."""
        if isinstance(self.days, list):
            return ",".join(self.days) or "*"
        return {"daily": "*", "weekdays": "mon-fri", "weekends": "sat,sun"}[self.days]

    def describe(self) -> str:
        """ "at 06:30 on weekdays", "15 min before sunrise daily", "cron 30 6 * * *"."""
        if self.cron is not None:
            return f"cron {self.cron}"
        days = ", ".join(self.days) if isinstance(self.days, list) else self.days
        days = f"on {days}" if isinstance(self.days, list) or days != "daily" else "daily"
        if self.at is not None:
            return f"at {self.at.strftime('%H:%M')} {days}"
        shift = ""
        if self.offset:
            shift = (
                f"{format_seconds(abs(self.offset))} {'before' if self.offset < 0 else 'after'} "
            )
        return f"{shift}{self.sun} {days}"


class EventTrigger(BaseModel):
    """A device event that runs a routine: a button pressed, a remote's action.

    `{device: Hallway Remote, action: toggle}`: `device` names the entity that reports the
    action (its name or entity id), `action` is the value it reports.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    device: str = Field(min_length=1)
    action: str = Field(min_length=1)

    def matches(self, entity_id: str, name: str, value: str) -> bool:
        """Whether an event of the entity (`entity_id`, called `name`) is this trigger's."""
        if value != self.action:
            return False
        wanted = normalize(self.device)
        return self.device == entity_id or wanted in (normalize(name), normalize(entity_id))

    def describe(self) -> str:
        """ "when Hallway Remote sends toggle"."""
        return f"when {self.device} sends {self.action}"


class Routine(BaseModel):
    """A named list of steps, the phrases that run it, and when it runs by itself."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    phrases: list[str] = []
    description: str = ""
    run: Literal["in_order", "together"] = "in_order"
    """Whether the top-level steps run one after another or all at once."""
    condition: Condition | None = None
    steps: list[Step] = Field(min_length=1)
    schedules: list[Schedule] = []
    triggers: list[EventTrigger] = []
    """Device events that run it (a button press), as the routine's owner."""
    made_by: str | None = None
    """The member who made it in chat (`telegram:1001`); its schedules act as them, with
    the role they have when it fires. Unset: the admin who wrote routines.yaml."""
    approved_by: str | None = None
    """The member who confirmed it when it was made in chat: its sensitive steps run on
    that approval while they may still confirm. Unset: routines.yaml's admin."""

    def all_phrases(self) -> list[str]:
        """Its name and every phrase, normalised for matching."""
        return [normalize(p) for p in (self.name, *self.phrases)]


class RoutinesFile(BaseModel):
    """The shape of routines.yaml."""

    model_config = ConfigDict(extra="forbid")

    routines: list[Routine] = []


def format_seconds(seconds: float) -> str:
    """ "90 s" → "1 min 30 s"; "3600" → "1 h"."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    parts.append(f"{secs} s" if secs or not (hours or minutes) else "")
    return " ".join(p for p in parts if p)


def find_routine(routines: Sequence[Routine], name: str) -> Routine | None:
    """The routine with this name or phrase, ignoring case and punctuation."""
    return match_phrase(list(routines), name)


@dataclass(frozen=True)
class Problem:
    """Something wrong in a set of routines, and where (a path into routines.yaml)."""

    loc: tuple[str | int, ...]
    message: str


def _called(
    steps: Sequence[Step], loc: tuple[str | int, ...]
) -> list[tuple[str, tuple[str | int, ...]]]:
    found: list[tuple[str, tuple[str | int, ...]]] = []
    for index, step in enumerate(steps):
        here = (*loc, index)
        if step.routine is not None:
            found.append((step.routine, (*here, "routine")))
        if step.together is not None:
            found.extend(_called(step.together, (*here, "together")))
    return found


def find_problems(routines: Sequence[Routine]) -> list[Problem]:
    """Names or phrases used twice, calls to unknown routines, routines that call themselves."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, routine in enumerate(routines):
        for phrase in routine.all_phrases():
            if phrase in seen:
                problems.append(
                    Problem(("routines", index, "phrases"), f"the phrase {phrase!r} is used twice")
                )
            seen.add(phrase)
    for index, routine in enumerate(routines):
        for called, loc in _called(routine.steps, ("routines", index, "steps")):
            target = find_routine(routines, called)
            if target is None:
                known = ", ".join(r.name for r in routines) or "none"
                problems.append(Problem(loc, f"unknown routine {called!r} (routines: {known})"))
            elif _reaches(routines, target, routine.name, set()):
                problems.append(Problem(loc, f"{routine.name!r} ends up calling itself"))
    return problems


def _reaches(routines: Sequence[Routine], start: Routine, wanted: str, seen: set[str]) -> bool:
    if normalize(start.name) == normalize(wanted):
        return True
    if start.name in seen:
        return False
    seen.add(start.name)
    for called, _ in _called(start.steps, ()):
        target = find_routine(routines, called)
        if target is not None and _reaches(routines, target, wanted, seen):
            return True
    return False


def step_actions(step: Step, registry: Registry) -> list[Action]:
    """The actions a command step means in this house (none if it targets nothing here)."""
    if step.command is None:
        return []
    target = step.target
    found = resolve(
        registry,
        target.name,
        area=target.area,
        floor=target.floor,
        domains=[step.domain],
        device_classes=[target.device_class] if target.device_class else None,
    )
    return [
        Action(entity_id=e.entity_id, command=step.command, params=dict(step.params))
        for e in found.entities
    ]


def expand(
    routine: Routine, registry: Registry, routines: Sequence[Routine] = ()
) -> tuple[list[Action], list[str]]:
    """Every action a routine may take in this house, and notes on steps that found nothing.

    Waits and conditions are not applied here (the runner does that); called routines are
    expanded when `routines` is given.
    """
    actions: list[Action] = []
    notes: list[str] = []

    def walk(steps: Sequence[Step], stack: tuple[str, ...]) -> None:
        for step in steps:
            if step.together is not None:
                walk(step.together, stack)
            elif step.routine is not None:
                called = find_routine(routines, step.routine)
                if called is not None and called.name not in stack:
                    walk(called.steps, (*stack, called.name))
            elif step.command is not None:
                found = step_actions(step, registry)
                if not found:
                    notes.append(
                        f"Skipped {step.command} on {step.target.describe()}: nothing like it here."
                    )
                actions.extend(found)

    walk(routine.steps, (routine.name,))
    return actions, notes


def match_phrase(routines: list[Routine], text: str) -> Routine | None:
    """The routine whose name or phrase the text is, ignoring case, punctuation and how the
    words are run together ("nighty-night", "nighty night" and "nightynight" are one)."""
    wanted = normalize(text).replace(" ", "")
    for routine in routines:
        if wanted in (p.replace(" ", "") for p in routine.all_phrases()):
            return routine
    return None
