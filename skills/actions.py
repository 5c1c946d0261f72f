"""Actions and plans: the one currency of every change to the house.

An action names one entity and one capability command with its parameters. A plan is a
list of them, with who asked and through which path. Targets are already entity ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, Protocol

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
    """How a plan came to be: the way in, as the audit log names it."""

    PHRASE = "phrase"
    """A routine's phrase ("sleepy time")."""
    ROUTINE = "routine"
    """A routine run by name (the command line, "activate movie night", an LLM tool)."""
    INTENT = "intent"
    """A sentence read by local understanding."""
    LLM = "llm"
    """A tool call of the LLM agent."""
    SCHEDULE = "schedule"
    """A schedule fired: a one-shot command, a routine's schedule, a catch-up run."""
    TRIGGER = "trigger"
    """A device event ran a routine (a button pressed): nobody is there to approve either."""
    WEB = "web"
    MCP = "mcp"
    MQTT = "mqtt"
    """A command on Dobby's own entities published on the MQTT broker (agent.bus)."""


@dataclass(frozen=True)
class Requester:
    """Who asked: a household member, their role, and where they asked from."""

    id: str
    """The member id (`telegram:1001`, `whatsapp:+4915...`), or `terminal` at this machine."""
    role: Role
    name: str = ""
    channel: str = ""
    """The way in: `telegram`, `whatsapp`, `terminal`, `web`, `mcp`."""
    chat: str = ""
    """Where answers and later news for this request go on that channel (a chat id)."""

    @classmethod
    def local_admin(cls) -> Requester:
        """The person at the terminal of the machine Dobby runs on."""
        return cls(id=TERMINAL, role=Role.ADMIN, name="terminal", channel=TERMINAL)

    @classmethod
    def routines_file(cls) -> Requester:
        """The admin who wrote routines.yaml: its routines and schedules act as them."""
        return cls(id=ROUTINES_FILE, role=Role.ADMIN, name="routines.yaml")

    @classmethod
    def named(cls, member_id: str) -> Requester:
        """The person a stored member id names, reached in their own chat.

        The terminal and routines.yaml's admin are who they always are; for a member the
        role here means nothing until the household's directory gives the current one
        (`Directory.current`), so it is the least: guest.
        """
        if member_id == TERMINAL:
            return cls.local_admin()
        if member_id == ROUTINES_FILE:
            return cls.routines_file()
        channel, _, chat = member_id.partition(":")
        return cls(member_id, Role.GUEST, channel=channel if chat else "", chat=chat)

    @property
    def address(self) -> str | None:
        """`<channel>:<chat>`, where news about this request goes; None if unknown."""
        return f"{self.channel}:{self.chat}" if self.channel and self.chat else None


TERMINAL = "terminal"
ROUTINES_FILE = "routines.yaml"


class Directory(Protocol):
    """Who is who now: the household's members and their current roles."""

    def current(self, who: Requester) -> Requester | None:
        """`who` with the role they have now, or None if they are no longer a member."""
        ...


class Unchanged:
    """A directory for a house without a member list: everyone stays as they were."""

    def current(self, who: Requester) -> Requester | None:
        """`who`, unchanged."""
        return who


@dataclass
class Plan:
    """What to do, who asked, who approved, and how it was understood."""

    actions: list[Action]
    requester: Requester
    path: Path
    approved_by: Requester | None = None
    """Who confirmed the sensitive actions here: the person who pressed Approve, or the
    owner of a routine (its author) standing behind a run. The policy checks that this
    person may confirm; nobody approves by default."""
    routine: str | None = None
    """The routine this plan is a step of, if any."""
    notes: list[str] = field(default_factory=list)
    """What was left out and why (a routine step with no target in this house)."""

    def approved(self, approver: Requester) -> Plan:
        """The same plan, approved by `approver`."""
        return replace(self, approved_by=approver)

    def only(self, actions: list[Action]) -> Plan:
        """The same plan with only these actions."""
        return replace(self, actions=actions)


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
