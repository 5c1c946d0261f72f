"""Numbers: a value a device lets a person set within its range (a pool pump's speed, a
chlorinator's output). One command, `set_value`.

The state is the value, as Home Assistant's number entities read, with the range the device
accepts (`min`, `max`, `step`) and its unit. A value off the step is refused here; one
outside the range is refused by the policy, which names the range.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any

from devices.capabilities.base import Commands, Domain, Params, State


def number_text(value: float) -> str:
    """A number as its state reads: `2500`, `7.5`."""
    return f"{value:g}"


class NumberState(State):
    """A settable number: its value and the range the device accepts."""

    state: str
    """The value, as text (`unknown` before the device has said)."""
    min: int | float
    """The lowest value (whole numbers stay whole: `min=450`, not `450.0`)."""
    max: int | float
    step: int | float = 1
    unit_of_measurement: str | None = None

    @property
    def value(self) -> float | None:
        """The value as a number, or None while it is unknown."""
        try:
            return float(self.state)
        except ValueError:
            return None

    def on_steps(self, low: float, high: float) -> tuple[float, float]:
        """A range within this one (the household's bounds) brought onto the steps the
        device takes from its minimum (`min: 455` for a pump in steps of 10 from 450 is
        460), so that every value of a slider over it is one the device accepts."""
        step = self.step
        if step <= 0:
            return low, high
        first = self.min + math.ceil((low - self.min) / step - 1e-9) * step
        last = self.min + math.floor((high - self.min) / step + 1e-9) * step
        return (first, last) if first <= last else (low, high)


class SetValue(Params):
    """number.set_value: the new value, in the entity's unit."""

    value: float

    def refusal(self, state: State | None) -> str | None:
        """A value between the steps the device takes (2505 RPM in steps of 10)."""
        if not isinstance(state, NumberState) or state.step <= 0:
            return None
        steps = (self.value - state.min) / state.step
        if abs(steps - round(steps)) > 1e-6:
            unit = f" {state.unit_of_measurement}" if state.unit_of_measurement else ""
            return (
                f"it takes steps of {number_text(state.step)}{unit} from "
                f"{number_text(state.min)}{unit}, so not {number_text(self.value)}{unit}."
            )
        return None


def _value_is(params: Params) -> Mapping[str, Collection[Any]]:
    assert isinstance(params, SetValue)
    return {"state": (number_text(params.value),)}


SET_VALUE = Commands.define(
    Domain.NUMBER,
    "set_value",
    SetValue,
    summary="Set the value, within the range the device accepts.",
    idempotent=True,
    expect=_value_is,
)
