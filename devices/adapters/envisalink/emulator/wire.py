"""What every TPI dialect of the emulator provides, and the bits both panel families share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

from devices.adapters.envisalink.emulator.panel import Mode, Panel, PanelEvent

ARM_USER = 0
"""The user number a panel records for an arming that needed no code (quick arm)."""


@dataclass
class Answer:
    """The lines that answer one command, and what the panel then does."""

    lines: list[str] = field(default_factory=list)
    then: Callable[[], object] | None = None
    """Run after the lines are sent, so the acknowledgement comes before the news."""


class Dialect(ABC):
    """One TPI session's way of speaking: DSC or Honeywell. One instance per connection."""

    name: str

    def __init__(self, panel: Panel, version: int) -> None:
        self.panel = panel
        self.version = version

    @abstractmethod
    def login_prompt(self) -> list[str]:
        """What the module says when a client connects."""

    @abstractmethod
    def password_of(self, line: str) -> str | None:
        """The password in a login line, or None when the line is not a login."""

    @abstractmethod
    def login_result(self, *, ok: bool) -> list[str]:
        """The answer to a login."""

    @abstractmethod
    def snapshot(self) -> list[str]:
        """Every zone and partition as it is now (after a login or a status request)."""

    @abstractmethod
    def handle(self, line: str) -> Answer:
        """The answer to one command line."""

    @abstractmethod
    def announce(self, event: PanelEvent) -> list[str]:
        """The lines that tell a client what just happened on the panel."""

    @abstractmethod
    def error(self, line: str) -> list[str]:
        """The protocol's own error answer to a command (the `error` fault)."""

    def zone_timers(self) -> str:
        """The zone timer dump: 64 little-endian 16-bit timers, FFFF for an open zone."""
        zones = self.panel.zones
        return "".join(
            "FFFF" if number in zones and zones[number].open else "0000" for number in range(1, 65)
        )

    def arm_mode(self, mode: Mode, partition: int, user: int) -> Callable[[], object]:
        """A deferred arm, for `Answer.then`."""
        return lambda: self.panel.arm(partition, mode, user)
