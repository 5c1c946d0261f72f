"""The broker's session on a real Mosquitto: how messages reach `on_message`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from devices.adapters.mqtt.link import BrokerLink, BrokerSettings
from devices.testing import HostAllocator
from devices.testing.mosquitto import Mosquitto

from .helpers import until


@asynccontextmanager
async def _broker() -> AsyncIterator[Mosquitto]:
    broker = Mosquitto(HostAllocator().allocate())
    await broker.start()
    try:
        yield broker
    finally:
        await broker.stop()


def _link(broker: Mosquitto, heard: list[str], *, fail_on: str = "") -> BrokerLink:
    def message(topic: str, payload: bytes, retained: bool) -> None:
        if topic == fail_on:
            raise ValueError("a bug reading this one")
        heard.append(f"{topic}={payload.decode()}{' (retained)' if retained else ''}")

    def connection(connected: bool, reason: str) -> None:
        heard.append("connected" if connected else f"lost: {reason}")

    return BrokerLink(
        BrokerSettings(broker.host, broker.port),
        ["test/#"],
        message,
        connection,
    )


async def test_retained_messages_come_after_the_connection_in_order_then_live_ones() -> None:
    """What the broker sends while the session subscribes waits until it is connected (the
    adapter resets what it knows then), and arrives in the broker's order; later messages
    are handed over as they arrive."""
    async with _broker() as broker:
        probed: list[str] = []
        publisher, probe = _link(broker, []), _link(broker, probed)
        publisher.start()
        probe.start()
        assert await publisher.wait_connected(10)
        assert await probe.wait_connected(10)
        for n in range(1, 6):
            await publisher.publish(f"test/retained/{n}", str(n), retain=True)
        assert await until(lambda: "test/retained/5=5" in probed)  # the broker keeps them
        await probe.stop()
        heard: list[str] = []
        reader = _link(broker, heard)
        reader.start()
        try:
            retained = [f"test/retained/{n}={n} (retained)" for n in range(1, 6)]
            assert await until(lambda: len(heard) == 1 + len(retained))
            assert heard == ["connected", *retained]
            await publisher.publish("test/live", "now")
            assert await until(lambda: "test/live=now" in heard)
            assert heard[-1] == "test/live=now"
        finally:
            await reader.stop()
            await publisher.stop()


async def test_a_message_that_cannot_be_read_does_not_drop_the_broker() -> None:
    """`on_message` raising for one message is logged; the next message still arrives, on
    the same connection."""
    async with _broker() as broker:
        heard: list[str] = []
        reader = _link(broker, heard, fail_on="test/bad")
        reader.start()
        publisher = _link(broker, [])
        publisher.start()
        try:
            assert await reader.wait_connected(10)
            assert await publisher.wait_connected(10)
            await publisher.publish("test/bad", "x")
            await publisher.publish("test/good", "y")
            assert await until(lambda: "test/good=y" in heard)
            assert heard == ["connected", "test/good=y"]
            assert reader.connected
        finally:
            await reader.stop()
            await publisher.stop()
