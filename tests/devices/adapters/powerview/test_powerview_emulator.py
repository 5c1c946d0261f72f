"""The PowerView hub emulator, seen through aiopvapi and plain HTTP."""

from __future__ import annotations

import asyncio
import base64

import aiohttp
import pytest
from aiopvapi.helpers.aiorequest import AioRequest
from aiopvapi.hub import Hub
from aiopvapi.resources.shade import ShadePosition
from aiopvapi.rooms import Rooms
from aiopvapi.shades import Shades

from devices.adapters.powerview.emulator import KINDS, Generation, Kind, PowerViewHub, ShadeSpec
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


AIOPVAPI_CLASS: dict[Kind, str] = {
    "roller": "ShadeBottomUp",
    "tilt_on_closed": "ShadeBottomUpTiltOnClosed90",
    "twist": "ShadeBottomUpTiltOnClosed180",
    "venetian": "ShadeBottomUpTiltAnywhere",
    "vertical": "ShadeVertical",
    "vertical_tilt": "ShadeVerticalTiltAnywhere",
    "tilt_only": "ShadeTiltOnly",
    "top_down": "ShadeTopDown",
    "top_down_bottom_up": "ShadeTopDownBottomUp",
    "dual_overlapped": "ShadeDualOverlapped",
    "dual_overlapped_tilt": "ShadeDualOverlappedTilt90",
    "dual_overlapped_tilt_180": "ShadeDualOverlappedTilt180",
    "illuminated": "ShadeDualOverlappedIlluminated",
}
"""The class aiopvapi makes of each kind the emulator serves (by type, else capability)."""


@pytest.mark.parametrize("generation", [2, 3])
async def test_every_capability_kind_is_the_shade_aiopvapi_knows(generation: Generation) -> None:
    assert set(AIOPVAPI_CLASS) == set(KINDS)
    host = fresh_hosts().allocate()
    specs = [ShadeSpec(kind, "Den", position=100, kind=kind) for kind in KINDS]
    specs.append(ShadeSpec("Lost", "Default Room", position=None, battery=None))
    async with (
        PowerViewHub(host, specs, generation=generation, port=PORT, announce=False),
        aiohttp.ClientSession() as session,
    ):
        request = AioRequest(f"{host}:{PORT}", loop=asyncio.get_running_loop(), websession=session)
        await Hub(request).query_firmware()
        shades = {s.name: s for s in (await Shades(request).get_shades()).processed.values()}
        for kind, name in AIOPVAPI_CLASS.items():
            shade = shades[kind]
            assert type(shade).__name__ == name, kind
            assert shade.raw_data["capabilities"] == KINDS[kind].capability
            assert shade.get_battery_strength() == 100
        assert shades["roller"].current_position.primary == 100
        assert shades["top_down"].current_position.primary == 0  # its rail is up: open
        assert shades["tilt_only"].current_position.primary is None
        assert shades["dual_overlapped"].current_position.primary == 100
        assert shades["dual_overlapped"].current_position.secondary == 100
        lost = shades["Lost"]
        assert not lost.is_battery_powered()
        if generation == 2:
            assert "positions" not in lost.raw_data
        else:
            assert set(lost.raw_data["positions"].values()) == {None}
        rooms = {room.name for room in (await Rooms(request).get_rooms()).processed.values()}
        assert {"Default Room", "Repeaters", "Den"} <= rooms


@pytest.mark.parametrize("generation", [2, 3])
async def test_close_brings_down_both_fabrics_of_a_dual_shade(generation: Generation) -> None:
    host = fresh_hosts().allocate()
    specs = [
        ShadeSpec("Duolite", "Den", position=100, kind="dual_overlapped"),
        ShadeSpec("Duette", "Den", position=0, top=70, kind="top_down_bottom_up"),
    ]
    async with (
        PowerViewHub(
            host, specs, generation=generation, port=PORT, announce=False, travel_time=0.2
        ) as hub,
        aiohttp.ClientSession() as session,
    ):
        request = AioRequest(f"{host}:{PORT}", loop=asyncio.get_running_loop(), websession=session)
        await Hub(request).query_firmware()
        shades = {s.name: s for s in (await Shades(request).get_shades()).processed.values()}
        assert shades["Duette"].current_position.secondary == 70
        await shades["Duolite"].close()
        # The top rail never passes the bottom rail: raising the bottom one to half
        # brings the top one (70% down) back up to meet it.
        await shades["Duette"].move(ShadePosition(primary=50))
        for _ in range(100):
            if not (hub.shade("Duolite").moving or hub.shade("Duette").moving):
                break
            await asyncio.sleep(0.05)
        duolite = hub.shade("Duolite")
        assert (duolite.primary, duolite.secondary, duolite.percent) == (0.0, 0.0, 0)
        duette = hub.shade("Duette")
        assert (duette.percent, duette.top) == (50, 50)


async def test_a_home_with_two_gateways_has_one_primary() -> None:
    hosts = fresh_hosts()
    first, second = hosts.allocate(), hosts.allocate()
    specs = [ShadeSpec(f"Shade {n}", "Den") for n in range(4)]
    async with (
        PowerViewHub(first, specs, port=PORT, announce=False, second_gateway=second) as hub,
        aiohttp.ClientSession() as session,
    ):
        roles = {}
        for host in (first, second):
            request = AioRequest(
                f"{host}:{PORT}", loop=asyncio.get_running_loop(), websession=session
            )
            pv_hub = Hub(request)
            await pv_hub.query_firmware()
            roles[pv_hub.serial_number] = (pv_hub.role, pv_hub.name)
        [secondary] = [g for g in hub.state.gateways if not g.primary]
        assert roles == {
            hub.serial: ("Primary", hub.name),
            secondary.serial: ("Secondary", f"{hub.name} 2"),
        }
        async with session.get(f"http://{first}:{PORT}/home") as response:
            gateways = (await response.json())["gateways"]
        assert sorted(i for g in gateways for i in g["shd_Ids"]) == sorted(hub.state.shades)
