"""The pieces every domain's capability model is built from.

A command is `<domain>.<verb>` with a typed parameter model. An entity declares the features
it has; a command, or a parameter of it, that needs a feature the entity lacks is refused
with a reason before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from devices.errors import UnsupportedCommandError


class Domain(StrEnum):
    """The kinds of entity the home is made of."""

    LIGHT = "light"
    SWITCH = "switch"
    MEDIA_PLAYER = "media_player"
    CLIMATE = "climate"
    COVER = "cover"
    LOCK = "lock"
    ALARM_PANEL = "alarm_panel"
    SENSOR = "sensor"
    BINARY_SENSOR = "binary_sensor"
    SCENE = "scene"
    NUMBER = "number"


class Params(BaseModel):
    """Parameters of one command. `None` means "leave unchanged"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def needs(self) -> set[str]:
        """Features these particular parameters need beyond the command's own."""
        return set()

    def refusal(self, state: State | None) -> str | None:
        """Why these parameters cannot be applied to an entity in `state`, or None."""
        del state
        return None


class NoParams(Params):
    """A command that takes no parameters."""


class State(BaseModel):
    """An entity's state: `state` is the headline, every other field an attribute."""

    model_config = ConfigDict(extra="forbid")

    state: str

    def attributes(self) -> dict[str, Any]:
        """Attributes as JSON-ready values, leaving out the unknown ones."""
        return self.model_dump(mode="json", exclude={"state"}, exclude_none=True)


Expectation = Callable[[Params], Mapping[str, Collection[Any]]]
"""What a device's state must read after a command: each state field and the values that
confirm it (`{"state": ("locked", "locking")}`)."""


def headline_is(*values: str) -> Expectation:
    """An expectation on the state's headline only: one of `values`."""

    def expect(params: Params) -> Mapping[str, Collection[Any]]:
        del params
        return {"state": values}

    return expect


@dataclass(frozen=True)
class CommandSpec:
    """One command of one domain: its parameters and the feature it needs.

    Adapters dispatch on the constants each domain module defines (`match command:` with
    `case light.TURN_ON:`), never on `verb` strings.
    """

    domain: Domain
    verb: str
    params: type[Params]
    feature: str | None
    summary: str
    idempotent: bool = False
    """Sending it twice leaves the device as sending it once does (set a value, lock, move
    to a position), so a request that may have been lost is sent again. A toggle, a track
    skip, a volume step or an alarm arm is not: it is never sent twice."""
    expect: Expectation | None = field(default=None, compare=False)
    """The state that confirms the command, read back from the device afterwards; None
    where the device may rightly take longer (a shade travels, a speaker buffers)."""
    takes: float | None = None
    """Seconds one attempt may take where the command itself lasts (an announcement is
    spoken to its end, then the music comes back); None: the executor's own timeout."""

    @property
    def name(self) -> str:
        """The command's full name, `<domain>.<verb>`."""
        return f"{self.domain}.{self.verb}"


class Commands:
    """Every command of every domain, by full name."""

    _all: ClassVar[dict[str, CommandSpec]] = {}

    @classmethod
    def define(
        cls,
        domain: Domain,
        verb: str,
        params: type[Params] = NoParams,
        *,
        feature: str | None = None,
        summary: str,
        idempotent: bool = False,
        expect: Expectation | None = None,
        takes: float | None = None,
    ) -> CommandSpec:
        """Declare a command; called once per command at import time."""
        spec = CommandSpec(domain, verb, params, feature, summary, idempotent, expect, takes)
        cls._all[spec.name] = spec
        return spec

    @classmethod
    def get(cls, name: str) -> CommandSpec:
        """The command called `name`, or UnsupportedCommandError."""
        try:
            return cls._all[name]
        except KeyError:
            raise UnsupportedCommandError(f"There is no command called {name!r}.") from None

    @classmethod
    def of(cls, domain: Domain) -> list[CommandSpec]:
        """Every command of a domain, in declaration order."""
        return [spec for spec in cls._all.values() if spec.domain == domain]

    @classmethod
    def all(cls) -> list[CommandSpec]:
        """Every command there is."""
        return list(cls._all.values())


def describe_validation(error: ValidationError) -> str:
    """Pydantic's complaint in one short sentence a person can read."""
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"]) or "value"
        parts.append(f"{where}: {item['msg'].lower()}")
    return "; ".join(parts)


def validate_command(
    label: str,
    domain: Domain,
    features: frozenset[str],
    command: str,
    params: Mapping[str, Any] | Params,
    *,
    state: State | None = None,
) -> tuple[CommandSpec, Params]:
    """Check that an entity can carry out a command, and type its parameters.

    `label` names the entity in the refusal: its name for a person, its id for a model.
    Raises UnsupportedCommandError with a reason fit for a person when it cannot.
    """
    spec = Commands.get(command)
    if spec.domain != domain:
        raise UnsupportedCommandError(f"{label} is a {domain}, it cannot do {command}.")
    if isinstance(params, Params):
        typed = params
    else:
        try:
            typed = spec.params.model_validate(dict(params))
        except ValidationError as error:
            raise UnsupportedCommandError(
                f"{command} on {label}: {describe_validation(error)}"
            ) from None
    needed = set(typed.needs())
    if spec.feature:
        needed.add(spec.feature)
    missing = sorted(needed - features)
    if missing:
        raise UnsupportedCommandError(
            f"{label} cannot do that: it has no {', '.join(missing)} support."
        )
    reason = typed.refusal(state)
    if reason:
        raise UnsupportedCommandError(f"{label}: {reason}")
    return spec, typed
