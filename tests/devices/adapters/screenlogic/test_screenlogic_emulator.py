"""The emulated gateway, checked by screenlogicpy's own gateway class and discovery parser."""

from __future__ import annotations

import asyncio
from typing import Any

from screenlogicpy import ScreenLogicGateway
from screenlogicpy.discovery import (
    DISCOVERY_PAYLOAD,
    DISCOVERY_PORT,
    ScreenLogicDiscoveryProtocol,
)

from devices.adapters.screenlogic.emulator import ScreenLogicEmulator, pool_and_spa
from devices.adapters.screenlogic.emulator.server import GARBAGE
from devices.adapters.screenlogic.search import GatewaySearch, _Answers
from devices.testing import fresh_hosts


class _Listening(ScreenLogicDiscoveryProtocol):  # type: ignore[misc]
    """screenlogicpy's discovery protocol, telling the test when an answer arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.answered = asyncio.Event()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        super().datagram_received(data, addr)
        self.answered.set()


async def test_screenlogicpys_gateway_reads_the_whole_controller() -> None:
    emulator = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa())
    await emulator.start()
    gateway = ScreenLogicGateway()
    try:
        assert await gateway.async_connect(emulator.host, emulator.port)
        await gateway.async_update()
        assert gateway.mac == emulator.mac
        assert gateway.controller_model == "EasyTouch2 8"
        assert gateway.temperature_unit == "°F"
        assert gateway.get_value("pump", 0, "rpm_now") == 2500
        assert gateway.get_value("scg", "sensor", "salt_ppm") == 3200
        assert gateway.get_value("intellichem", "sensor", "ph_now") == 7.4
        assert gateway.get_data("circuit", 503, "name") == "Pool Light"
        await gateway.async_set_circuit(506, 1)
        await gateway.async_set_heat_mode(1, 3)
        await gateway.async_set_heat_temp(1, 102)
        await gateway.async_update()
        assert emulator.equipment.circuit(506).on
        assert gateway.get_value("body", 1, "heat_setpoint") == 102
        assert gateway.get_value("body", 1, "heat_mode") == 3
    finally:
        await gateway.async_disconnect()
        await emulator.stop()


async def test_the_discovery_answer_reads_with_screenlogicpys_parser() -> None:
    emulator = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa())
    await emulator.start()
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        _Listening, local_addr=(emulator.host, 0)
    )
    try:
        transport.sendto(DISCOVERY_PAYLOAD, (emulator.host, DISCOVERY_PORT))
        async with asyncio.timeout(5):
            await protocol.answered.wait()
        assert protocol.hosts == [
            {
                "ip": emulator.host,
                "port": emulator.port,
                "gtype": 2,
                "gsubtype": 12,
                "name": emulator.name,
            }
        ]
    finally:
        transport.close()
        await emulator.stop()


async def test_a_garbled_discovery_answer_is_ignored_and_a_good_one_counts() -> None:
    emulator = ScreenLogicEmulator(fresh_hosts().allocate(), pool_and_spa())
    await emulator.start()
    found: list[tuple[str, int, str]] = []
    arrived = asyncio.Event()

    def record(*answer: Any) -> None:
        found.append(answer)
        arrived.set()

    answers = _Answers(record)
    answers.datagram_received(GARBAGE, (emulator.host, DISCOVERY_PORT))
    answers.datagram_received(b"", (emulator.host, DISCOVERY_PORT))
    assert found == []
    search = GatewaySearch([(emulator.host, emulator.host)], answers.found)
    await search.start()
    try:
        search.probe()
        async with asyncio.timeout(5):
            await arrived.wait()
        assert found == [(emulator.host, emulator.port, emulator.name)]
    finally:
        search.stop()
        await emulator.stop()
