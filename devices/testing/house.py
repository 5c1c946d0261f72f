"""What the virtual house hands an adapter's emulator hook: one `DemoDevice` per device."""

from __future__ import annotations

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
