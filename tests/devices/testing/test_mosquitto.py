"""The emulator kit's Mosquitto: a real broker on an address of its own, stopped and restarted."""

from __future__ import annotations

import asyncio

import aiomqtt
import pytest

from devices.testing import HostAllocator, PortTakenError
from devices.testing.mosquitto import Mosquitto, mosquitto_program

pytestmark = pytest.mark.skipif(mosquitto_program() is None, reason="mosquitto is not installed")


async def _round_trip(broker: Mosquitto, **login: str) -> bytes:
    async with aiomqtt.Client(broker.host, broker.port, **login) as client:  # type: ignore[arg-type]
        await client.subscribe("dobby/test")
        await client.publish("dobby/test", b"hello")
        async with asyncio.timeout(5):
            async for message in client.messages:
                return bytes(message.payload)  # type: ignore[arg-type]
    raise AssertionError("no message")


async def test_a_broker_on_its_own_address_carries_messages_and_restarts() -> None:
    """Started on a free port, it carries a message; killed and started again, same port."""
    broker = Mosquitto(HostAllocator().allocate())
    await broker.start()
    try:
        port = broker.port
        assert port != 0
        assert await _round_trip(broker) == b"hello"
        await broker.kill()
        assert not broker.running
        with pytest.raises(aiomqtt.MqttError):
            await _round_trip(broker)
        await broker.start()
        assert broker.port == port
        assert await _round_trip(broker) == b"hello"
    finally:
        await broker.stop()


async def test_a_taken_port_is_a_one_line_error() -> None:
    """A second broker on the first one's port is PortTakenError naming address and port."""
    first = Mosquitto(HostAllocator().allocate())
    await first.start()
    try:
        second = Mosquitto(first.host, first.port)
        with pytest.raises(PortTakenError) as caught:
            await second.start()
        assert str(caught.value) == f"{first.host}:{first.port} (TCP) is taken by another process"
    finally:
        await first.stop()


async def test_users_are_required_when_given() -> None:
    """With users, the right password gets in and a wrong one is refused."""
    broker = Mosquitto(HostAllocator().allocate(), users={"dobby": "s3cret"})
    await broker.start()
    try:
        assert await _round_trip(broker, username="dobby", password="s3cret") == b"hello"
        with pytest.raises(aiomqtt.MqttCodeError):
            await _round_trip(broker, username="dobby", password="wrong")
    finally:
        await broker.stop()
