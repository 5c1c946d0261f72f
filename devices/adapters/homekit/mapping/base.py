"""What every service family's mapping is made of: a view of one service, and writes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from aiohomekit.model.services import Service

from devices.capabilities import CommandSpec, Domain, Params, State
from devices.errors import UnsupportedCommandError

Unit = Literal["°C", "°F"]
Write = tuple[int, int, Any]
"""(aid, iid, value): one characteristic to write."""


def to_unit(celsius: float | None, unit: Unit) -> float | None:
    """A HomeKit temperature (°C) in the household's unit, to one decimal."""
    if celsius is None:
        return None
    return round(celsius * 9 / 5 + 32 if unit == "°F" else float(celsius), 1)


def from_unit(value: float, unit: Unit, step: float | None = None) -> float:
    """A temperature in the household's unit as HomeKit wants it (°C, on its step)."""
    celsius = (value - 32) * 5 / 9 if unit == "°F" else value
    step = step or 0.1
    return round(round(celsius / step) * step, 2)


@dataclass
class View:
    """One service of one accessory, with its current values, seen in the household's unit."""

    aid: int
    service: Service
    unit: Unit

    def has(self, ctype: str) -> bool:
        """Whether the service has this characteristic."""
        return self.service.has(ctype)

    def value(self, ctype: str, default: Any = None) -> Any:
        """The characteristic's current value."""
        return self.service.value(ctype, default) if self.has(ctype) else default

    def write(self, ctype: str, value: Any) -> Write:
        """A write of one characteristic of this service."""
        return (self.aid, self.service[ctype].iid, value)

    def temperature(self, ctype: str) -> float | None:
        """A temperature characteristic, in the household's unit."""
        value = self.value(ctype)
        return to_unit(float(value), self.unit) if value is not None else None

    def write_temperature(self, ctype: str, value: float) -> Write:
        """A write of a temperature given in the household's unit."""
        step = self.service[ctype].minStep
        return self.write(ctype, from_unit(value, self.unit, float(step) if step else None))

    def bound(self, ctype: str, which: Literal["minValue", "maxValue"]) -> float | None:
        """A temperature characteristic's limit, in the household's unit."""
        if not self.has(ctype):
            return None
        limit = getattr(self.service[ctype], which)
        return to_unit(float(limit), self.unit) if limit is not None else None


class Family:
    """The mapping of one family of HomeKit services onto one domain."""

    domain: ClassVar[Domain]
    service_types: ClassVar[tuple[str, ...]]

    def features(self, view: View) -> frozenset[str]:
        """The capability features the service has."""
        del view
        return frozenset()

    def device_class(self, view: View) -> str | None:
        """The entity's device class, where the domain has them."""
        del view
        return None

    def state(self, view: View) -> State:
        """The service's state in the capability model."""
        raise NotImplementedError

    def writes(self, view: View, command: CommandSpec, params: Params) -> list[Write]:
        """The characteristic writes that carry out a command."""
        raise UnsupportedCommandError(f"HomeKit cannot do {command.name} here.")
