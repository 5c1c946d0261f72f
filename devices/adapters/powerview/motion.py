"""Whether a shade is moving, told from the positions a hub reports over time.

A PowerView hub reports where a shade is, not whether it is on its way. A shade is
`opening` or `closing` while it has not reached a position Dobby sent it to, or while
its position keeps changing between reads (someone used the remote); it is at rest once
it has arrived, or has not moved for a while. A top rail coming down opens the shade. A
shade whose position the hub does not know is `unknown`, not closed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

Headline = Literal["open", "closed", "opening", "closing", "unknown"]
Axis = Literal["position", "tilt", "top"]


@dataclass
class Motion:
    """The motion of one shade, fed with every position read from the hub."""

    settle: float = 0.5
    """Seconds without a change after which a shade moved by someone else is at rest."""
    stall: float = 10.0
    """Seconds without a change after which a shade sent somewhere is taken as stopped."""
    clock: Callable[[], float] = time.monotonic
    targets: dict[Axis, int] = field(default_factory=dict)
    last: dict[Axis, int] = field(default_factory=dict)
    direction: Literal["opening", "closing"] | None = None
    last_change: float = float("-inf")

    def sent(self, axis: Axis, target: int) -> None:
        """Dobby sent the shade to `target` on `axis`."""
        if self.last.get(axis) == target:
            self.targets.pop(axis, None)
            return
        self.targets[axis] = target
        self.last_change = self.clock()

    def heading(self, position: int | None, tilt: int | None, top: int | None = None) -> None:
        """The shade was sent to these targets (each axis given, as `sent`)."""
        axes: tuple[tuple[Axis, int | None], ...] = (
            ("position", position),
            ("tilt", tilt),
            ("top", top),
        )
        for axis, value in axes:
            if value is not None:
                self.sent(axis, value)

    def stopped(self) -> None:
        """Dobby stopped the shade: it is at rest wherever it is."""
        self.targets.clear()
        self.direction = None
        self.last_change = float("-inf")

    def observe(self, position: int | None, tilt: int | None, top: int | None = None) -> Headline:
        """Record what the hub reports now, and say what the shade is doing."""
        now = self.clock()
        seen: dict[Axis, int] = {}
        if position is not None:
            seen["position"] = position
        if tilt is not None:
            seen["tilt"] = tilt
        if top is not None:
            seen["top"] = top
        for axis in ("position", "tilt", "top"):
            before, after = self.last.get(axis), seen.get(axis)
            if before is not None and after is not None and before != after:
                self.direction = "opening" if after > before else "closing"
                self.last_change = now
                break
        self.last = seen
        for axis, target in list(self.targets.items()):
            if seen.get(axis, target) == target:
                del self.targets[axis]
        if self.targets and now - self.last_change > self.stall:
            self.targets.clear()
        return self.headline(now)

    def headline(self, now: float | None = None) -> Headline:
        """`opening`/`closing` while moving, else `open`/`closed` by the last position."""
        now = self.clock() if now is None else now
        for axis, target in self.targets.items():
            current = self.last.get(axis)
            if current is not None:
                return "opening" if target > current else "closing"
        if not self.last:
            return "unknown"
        if self.direction is not None and now - self.last_change < self.settle:
            return self.direction
        level = self.last.get("position", self.last.get("tilt"))
        if level is None:
            return "unknown"
        return "closed" if level == 0 and not self.last.get("top") else "open"
