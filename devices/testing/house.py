"""What the virtual house hands an adapter's emulator hook: one `DemoDevice` per device;
and `all_at_once`, how emulators are started and stopped together."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field


@dataclass
class DemoDevice:
    """One device of the virtual house, as `config/demo/house.yaml` lists it."""

    name: str
    area: str
    kind: str
    """What the adapter emulates (e.g. "speaker", "light"); adapters define their kinds."""
    state: dict[str, object] = field(default_factory=dict)
    """The start state, in the capability model's words (state, volume, brightness, ...)."""
    via: str | None = None
    """The bridge it is behind, by name (a HomeKit bridge), or None: it stands alone."""


async def all_at_once(calls: Iterable[Awaitable[object]]) -> None:
    """Await every call at once (starting an emulator is mostly waiting: an mDNS
    announcement probes for its name for a second or so); once all have ended, raise the
    first failure, if any."""
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
