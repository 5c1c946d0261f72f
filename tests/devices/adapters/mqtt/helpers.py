"""A running MQTT adapter against an emulated Zigbee2MQTT bridge, for the bus tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiomqtt

from devices.adapters.mqtt import MqttConfig
from devices.adapters.mqtt.adapter import MqttAdapter
from devices.adapters.mqtt.demo import MqttDemo, start_zigbee
from devices.blocking import BlockingRunner
from devices.entities import Entity
from devices.plugin import AdapterContext
from devices.registry import Registry
from devices.testing import HostAllocator

HOUSE = [
    ("Hallway/Radiator", "trv"),
    ("Hallway/Door", "door_sensor"),
    ("Hallway/Plug", "plug"),
    ("Hallway/Remote", "remote"),
]
HOUSE_ENTITIES = 2 + 2 + 5 + 2  # radiator, door, plug, remote with their sensors


@dataclass
class Bus:
    """The adapter, its registry and the emulated bridge behind a real broker."""

    adapter: MqttAdapter
    registry: Registry
    zigbee: MqttDemo

    def entity(self, entity_id: str) -> Entity:
        """An entity of the registry."""
        return self.registry.entity(entity_id)

    async def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """Publish as another client of the broker would."""
        broker = self.zigbee.broker
        login: dict[str, Any] = {}
        if broker.users:
            name, secret = next(iter(broker.users.items()))
            login = {"username": name, "password": secret}
        async with aiomqtt.Client(broker.host, broker.port, **login) as client:
            await client.publish(topic, payload, qos=1, retain=retain)

    async def wait(self, predicate: Any, within: float = 10.0) -> bool:
        """Wait until `predicate()` holds."""
        return await self.registry.wait_until(predicate, within)


async def until(predicate: Any, within: float = 10.0) -> bool:
    """Wait until `predicate()` holds, for what the registry does not announce."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within):
            while not predicate():  # noqa: ASYNC110 - adapter counters, no event to wait on
                await asyncio.sleep(0.01)
    return bool(predicate())


@asynccontextmanager
async def running_bus(
    named: Sequence[tuple[str, str]] = HOUSE,
    entities: int = HOUSE_ENTITIES,
    *,
    users: dict[str, str] | None = None,
    **settings: Any,
) -> AsyncIterator[Bus]:
    """Broker, bridge and adapter; waits until `entities` entities are known."""
    zigbee = await start_zigbee(HostAllocator(), named, users=users)
    registry = Registry()
    blocking = BlockingRunner()
    config = MqttConfig(
        broker=zigbee.broker.host,
        port=zigbee.broker.port,
        request_timeout=settings.pop("request_timeout", 2.0),
        reconnect_min=0.1,
        reconnect_max=0.5,
        **settings,
    )
    adapter = MqttAdapter(AdapterContext("mqtt", registry, blocking), config)
    try:
        await adapter.start()
        if entities:
            found = await registry.wait_until(lambda: len(registry.entities) >= entities, 10)
            assert found, f"found {len(registry.entities)} of {entities} entities"
        yield Bus(adapter, registry, zigbee)
    finally:
        await adapter.stop()
        await zigbee.stop()
        blocking.shutdown()
