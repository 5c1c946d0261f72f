"""The coordinator's start-up order: nothing in the registry before the device is ready and
subscribed, and a set-up stopped half-way closes its link.

The link here is a device link written for the test (as an adapter writes one), with gates
where its device would be slow: the order of the coordinator's own steps is what is checked.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from devices.blocking import BlockingRunner
from devices.capabilities import CommandSpec, Domain, LightState, Params, State
from devices.coordinator import DeviceLink, Devices, Sink
from devices.entities import DeviceInfo, EntitySpec
from devices.plugin import AdapterContext
from devices.registry import Registry


class SlowLamp(DeviceLink):
    """A lamp whose `ready` and `subscribe` wait for the test to let them go on."""

    def __init__(self, address: str) -> None:
        super().__init__(address)
        self.ready_gate = asyncio.Event()
        self.subscribe_gate = asyncio.Event()
        self.subscribing = asyncio.Event()
        self.readying = asyncio.Event()
        self.state = LightState(state="off")
        self.closed = False
        self.sink: Sink | None = None

    async def connect(self) -> None:
        self.unique_id = "lamp-1"

    async def ready(self) -> None:
        self.readying.set()
        await self.ready_gate.wait()

    def describe(self) -> Sequence[tuple[DeviceInfo, Sequence[EntitySpec]]]:
        info = DeviceInfo(unique_id="lamp-1", name="Lamp")
        spec = EntitySpec(unique_id="lamp-1", domain=Domain.LIGHT, name="Lamp", state=self.state)
        return [(info, [spec])]

    async def read(self) -> Mapping[str, State]:
        return {"lamp-1": self.state}

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        raise AssertionError("no command is sent in these tests")

    async def subscribe(self, sink: Sink) -> bool:
        self.sink = sink
        self.subscribing.set()
        await self.subscribe_gate.wait()
        return True

    async def close(self) -> None:
        self.closed = True


def devices_of(registry: Registry, blocking: BlockingRunner) -> Devices[SlowLamp]:
    return Devices(AdapterContext("lamps", registry, blocking, None), timeout=5.0)


async def test_nothing_is_published_before_the_device_is_ready_and_subscribed() -> None:
    registry, blocking = Registry(), BlockingRunner()
    devices = devices_of(registry, blocking)
    lamp = SlowLamp("127.0.0.2")
    setting_up = asyncio.create_task(devices.set_up(lamp.address, lambda _: lamp))
    try:
        await lamp.readying.wait()
        assert registry.entities == {}
        lamp.ready_gate.set()
        await lamp.subscribing.wait()
        assert registry.entities == {}  # subscribing: nothing a command could reach yet
        # The lamp is switched on at the lamp while the subscription is on its way.
        assert lamp.sink is not None
        lamp.sink.pushed("lamp-1", LightState(state="on"))
        assert registry.entities == {}
        lamp.subscribe_gate.set()
        await setting_up
        (entity,) = registry.entities.values()
        assert entity.state == LightState(state="on")  # the push, recorded once published
    finally:
        await devices.close()
        blocking.shutdown()


async def test_a_set_up_stopped_half_way_closes_its_link() -> None:
    registry, blocking = Registry(), BlockingRunner()
    devices = devices_of(registry, blocking)
    lamp = SlowLamp("127.0.0.2")
    lamp.ready_gate.set()
    setting_up = asyncio.create_task(devices.set_up(lamp.address, lambda _: lamp))
    try:
        await lamp.subscribing.wait()  # half-way: ready, subscribing
        await devices.close()  # Dobby stops
        assert lamp.closed
        assert registry.entities == {}
        assert devices.coordinators == {}
    finally:
        setting_up.cancel()
        await asyncio.gather(setting_up, return_exceptions=True)
        blocking.shutdown()
