"""Routines as data: phrases that trigger them and steps that say what to do.

A step targets entities the way people do (a name, an area, a floor, a domain, a device
class) and is expanded against whatever house it meets. A step whose targets this house
does not have is skipped with a note, not treated as an error.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from devices.capabilities import Commands, Domain
from devices.errors import UnsupportedCommandError
from devices.names import normalize, resolve
from devices.registry import Registry
from skills.actions import Action


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


class Step(BaseModel):
    """One command for the entities a target names."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    command: str
    target: Target = Target()
    params: dict[str, Any] = {}

    @field_validator("command")
    @classmethod
    def _known_command(cls, value: str) -> str:
        try:
            Commands.get(value)
        except UnsupportedCommandError as error:
            raise ValueError(str(error)) from None
        return value

    @property
    def domain(self) -> Domain:
        """The domain of the step's command."""
        return Commands.get(self.command).domain


class Routine(BaseModel):
    """A named list of steps, and the phrases that run it."""

    model_config = ConfigDict(extra="forbid")

    name: str
    phrases: list[str] = []
    description: str = ""
    steps: list[Step] = Field(min_length=1)

    def all_phrases(self) -> list[str]:
        """Its name and every phrase, normalised for matching."""
        return [normalize(p) for p in (self.name, *self.phrases)]


class RoutinesFile(BaseModel):
    """The shape of routines.yaml."""

    model_config = ConfigDict(extra="forbid")

    routines: list[Routine] = []


def expand(routine: Routine, registry: Registry) -> tuple[list[Action], list[str]]:
    """The actions a routine means in this house, and notes on steps that found nothing."""
    actions: list[Action] = []
    notes: list[str] = []
    for step in routine.steps:
        target = step.target
        found = resolve(
            registry,
            target.name,
            area=target.area,
            floor=target.floor,
            domains=[step.domain],
            device_classes=[target.device_class] if target.device_class else None,
        )
        if not found.entities:
            notes.append(f"Skipped {step.command} on {target.describe()}: nothing like it here.")
            continue
        actions.extend(
            Action(entity_id=e.entity_id, command=step.command, params=dict(step.params))
            for e in found.entities
        )
    return actions, notes


def match_phrase(routines: list[Routine], text: str) -> Routine | None:
    """The routine whose name or phrase the text is, ignoring case and punctuation."""
    wanted = normalize(text)
    for routine in routines:
        if wanted in routine.all_phrases():
            return routine
    return None
