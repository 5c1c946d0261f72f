"""Actions and plans: the one currency of every change to the house.

An action names one entity and one capability command with its parameters. A plan is a
list of them, with who asked and through which path. Targets are already entity ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class Action(BaseModel):
    """One command for one entity."""

    model_config = ConfigDict(frozen=True)

    entity_id: str
    command: str
    """`<domain>.<verb>`, e.g. `media_player.set_volume`."""
    params: dict[str, Any] = {}

    def describe(self) -> str:
        """`media_player.set_volume(volume=30) on media_player.kitchen`."""
        args = ", ".join(f"{k}={v}" for k, v in self.params.items())
        return f"{self.command}({args}) on {self.entity_id}"


class Role(StrEnum):
    """What a household member may do; what each role may do is config."""

    ADMIN = "admin"
    MEMBER = "member"
    GUEST = "guest"


class Path(StrEnum):
    """How a plan came to be."""

    ROUTINE = "routine"
    INTENT = "intent"
    LLM = "llm"
    SCHEDULE = "schedule"


@dataclass(frozen=True)
class Requester:
    """Who asked."""

    id: str
    role: Role
    name: str = ""

    @classmethod
    def local_admin(cls) -> Requester:
        """The person at the terminal of the machine Dobby runs on."""
        return cls(id="terminal", role=Role.ADMIN, name="terminal")


@dataclass
class Plan:
    """What to do, who asked and how it was understood."""

    actions: list[Action]
    requester: Requester
    path: Path
    preapproved: bool = False
    """A sensitive action here was confirmed already (an admin's routine, a schedule)."""
    notes: list[str] = field(default_factory=list)
    """What was left out and why (a routine step with no target in this house)."""


@dataclass(frozen=True)
class ActionResult:
    """What became of one action."""

    action: Action
    ok: bool
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The shape `dobby say --json` prints."""
        return {
            "entity_id": self.action.entity_id,
            "command": self.action.command,
            "ok": self.ok,
            "error": self.error,
        }
