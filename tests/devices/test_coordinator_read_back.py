"""The coordinator's read-back after a command, where the link waited for the device's own
report (`reported_after_command`): that report is the first look, without a read.

The link here is a device link written for the test (as an adapter writes one): what is
checked is which of its calls the coordinator makes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from devices.blocking import BlockingRunner
from devices.capabilities import CommandSpec, Domain, LightState, Params, State, light
from devices.coordinator import DeviceLink, Devices
from devices.entities import DeviceInfo, EntitySpec
from devices.errors import DeviceUnconfirmedError
from devices.plugin import AdapterContext
from devices.registry import Registry


class ReportingLamp(DeviceLink):
    """A lamp whose command returns once the lamp reported `answer`; `state` is what a
    read finds."""

    def __init__(self, answer: str, state: str) -> None:
        super().__init__("127.0.0.2")
        self.answer = LightState(state=answer)
        self.state = LightState(state=state)
        self.reads = 0
        self.fresh = False

    async def connect(self) -> None:
        self.unique_id = "lamp-1"

    def describe(self) -> Sequence[tuple[DeviceInfo, Sequence[EntitySpec]]]:
        info = DeviceInfo(unique_id="lamp-1", name="Lamp")
        spec = EntitySpec(unique_id="lamp-1", domain=Domain.LIGHT, name="Lamp", state=self.state)
        return [(info, [spec])]

    async def read(self) -> Mapping[str, State]:
        self.reads += 1
        return {"lamp-1": self.state}

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        self.fresh = True

    def reported_after_command(self, unique_id: str) -> State | None:
        fresh, self.fresh = self.fresh, False
        return self.answer if fresh else None


async def _turn_off(lamp: ReportingLamp) -> None:
    blocking = BlockingRunner()
    devices: Devices[ReportingLamp] = Devices(
        AdapterContext("lamps", Registry(), blocking, None), timeout=5.0
    )
    try:
        await devices.set_up(lamp.address, lambda _: lamp)
        coordinator = devices.coordinators["lamp-1"]
        await coordinator.execute("lamp-1", light.TURN_OFF, light.TURN_OFF.params())
    finally:
        await devices.close()
        blocking.shutdown()


async def test_a_report_that_confirms_the_command_needs_no_read() -> None:
    lamp = ReportingLamp(answer="off", state="on")  # a read would find it on: none is made
    await _turn_off(lamp)
    assert lamp.reads == 0


async def test_a_report_that_does_not_confirm_it_is_read_again() -> None:
    """The lamp answered that it is still on: the read-back reads it, finds it off."""
    lamp = ReportingLamp(answer="on", state="off")
    await _turn_off(lamp)
    assert lamp.reads == 1


async def test_a_device_that_stays_on_is_unconfirmed() -> None:
    lamp = ReportingLamp(answer="on", state="on")
    with pytest.raises(DeviceUnconfirmedError, match="accepted the command"):
        await _turn_off(lamp)
    assert lamp.reads >= 1
