"""The PowerView hub emulator, seen through aiopvapi and plain HTTP."""

from __future__ import annotations

import asyncio
import base64

import aiohttp
import pytest
from aiopvapi.helpers.aiorequest import AioRequest
from aiopvapi.hub import Hub
from aiopvapi.resources.shade import ShadePosition
from aiopvapi.shades import Shades

from devices.adapters.powerview.emulator import Generation, PowerViewHub, ShadeSpec
from devices.testing import fresh_hosts

PORT = 8080


@pytest.mark.parametrize(("generation", "absent"), [(2, "/gateway/info"), (3, "/api/fwversion")])
async def test_aiopvapi_detects_the_generation(generation: Generation, absent: str) -> None:
    host = fresh_hosts().allocate()
    shades = [ShadeSpec("Küche Rollo", "Küche", position=30)]
    async with (
        PowerViewHub(host, shades, generation=generation, port=PORT, announce=False) as hub,
        aiohttp.ClientSession() as session,
    ):
        address = f"{host}:{PORT}"
        async with session.get(f"http://{address}{absent}") as response:
            assert response.status == 404
        request = AioRequest(address, loop=asyncio.get_running_loop(), websession=session)
        pv_hub = Hub(request)
        await pv_hub.query_firmware()
        assert request.api_version == generation
        assert pv_hub.serial_number == hub.serial
        assert pv_hub.name == hub.name
        [shade] = (await Shades(request).get_shades()).processed.values()
        assert shade.name == "Küche Rollo"  # decoded from base64
        assert base64.b64decode(shade.raw_data["name"]).decode() == "Küche Rollo"
        assert shade.current_position.primary == 30


@pytest.mark.parametrize("generation", [2, 3])
async def test_a_shade_travels_in_steps(generation: Generation) -> None:
    host = fresh_hosts().allocate()
    shades = [ShadeSpec("Den", "Den", position=0)]
    async with (
        PowerViewHub(
            host, shades, generation=generation, port=PORT, announce=False, travel_time=2
        ) as hub,
        aiohttp.ClientSession() as session,
    ):
        request = AioRequest(f"{host}:{PORT}", loop=asyncio.get_running_loop(), websession=session)
        await Hub(request).query_firmware()
        [shade] = (await Shades(request).get_shades()).processed.values()
        await shade.move(ShadePosition(primary=100))
        seen = []
        async with asyncio.timeout(10):
            while not seen or seen[-1] != 100:
                seen.append((await shade.get_current_position()).primary)
                await asyncio.sleep(0.05)
        assert any(0 < p < 100 for p in seen), seen
        assert seen == sorted(seen)
        assert not hub.shade("Den").moving


async def test_garbage_is_not_json() -> None:
    host = fresh_hosts().allocate()
    async with (
        PowerViewHub(host, [ShadeSpec("Den", "Den")], port=PORT, announce=False) as hub,
        aiohttp.ClientSession() as session,
    ):
        hub.faults.garbage = True
        async with session.get(f"http://{host}:{PORT}/home/shades") as response:
            assert response.status == 200
            with pytest.raises(UnicodeDecodeError):
                await response.json()
