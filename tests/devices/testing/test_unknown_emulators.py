"""The demo's unknown devices speak their real devices' APIs, and log what they receive."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import aiohttp
import pytest

from devices.plugin import Discovered
from devices.ssdp import SSDPSearcher
from devices.testing.addresses import HostAllocator
from devices.testing.unknown.house import UnknownDevice, mac_of, start_unknown
from devices.testing.unknown.shelly import ShellyPlus1
from devices.testing.unknown.upnp_fan import DEVICE_TYPE, SERVICE_TYPE, UpnpFan
from devices.testing.unknown.wled import WledStrip

LOOPBACK = "127.0.0.1"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(trust_env=False) as opened:
        yield opened


async def test_wled_answers_its_json_api_and_takes_a_partial_state(
    session: aiohttp.ClientSession,
) -> None:
    strip = WledStrip(HostAllocator().allocate(), "Desk Strip", mac_of("Desk Strip"))
    await strip.server.start()
    try:
        async with session.get(f"{strip.base_url}/json/info") as response:
            info = await response.json()
        assert info["brand"] == "WLED"
        assert info["mac"] == mac_of("Desk Strip").replace(":", "")
        body = {"on": True, "bri": 40, "v": True}
        async with session.post(f"{strip.base_url}/json/state", json=body) as response:
            state = await response.json()
        assert (state["on"], state["bri"]) == (True, 40)
        async with session.post(f"{strip.base_url}/json/state", json={"on": "t"}) as response:
            assert await response.json() == {"success": True}
        assert strip.on is False
    finally:
        await strip.server.stop()
    assert [(r.method, r.path) for r in strip.requests] == [
        ("GET", "/json/info"),
        ("POST", "/json/state"),
        ("POST", "/json/state"),
    ]
    assert len(strip.changing_requests()) == 2


async def test_shelly_serves_rpc_by_get_and_by_json_rpc(session: aiohttp.ClientSession) -> None:
    relay = ShellyPlus1(HostAllocator().allocate(), "Porch Relay", mac_of("Porch Relay"))
    await relay.server.start()
    try:
        async with session.get(f"{relay.base_url}/shelly") as response:
            assert (await response.json())["gen"] == 2
        url = f"{relay.base_url}/rpc/Switch.Set?id=0&on=true"
        async with session.get(url) as response:
            assert await response.json() == {"was_on": False}
        frame = {"id": 7, "method": "Switch.GetStatus", "params": {"id": 0}}
        async with session.post(f"{relay.base_url}/rpc", json=frame) as response:
            answer = await response.json()
        assert answer["id"] == 7
        assert answer["result"]["output"] is True
        async with session.get(f"{relay.base_url}/rpc/Switch.GetStatus?id=3") as response:
            assert response.status == 400
        async with session.get(f"{relay.base_url}/rpc/Cover.Open") as response:
            assert response.status == 404
    finally:
        await relay.server.stop()
    # The log keeps the query string as sent; a GET that commands is a GET all the same.
    assert relay.requests[1].path == "/rpc/Switch.Set?id=0&on=true"


async def test_the_fan_describes_its_service_and_answers_soap(
    session: aiohttp.ClientSession,
) -> None:
    fan = UpnpFan(HostAllocator().allocate(), "Bedroom Fan", "uuid:fan-1", speed=40)
    await fan.server.start()
    try:
        async with session.get(fan.location) as response:
            description = await response.text()
        assert DEVICE_TYPE in description
        assert "<UDN>uuid:fan-1</UDN>" in description
        envelope = (
            '<?xml version="1.0"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/'
            f'envelope/"><s:Body><u:SetSpeed xmlns:u="{SERVICE_TYPE}"><NewSpeed>75</NewSpeed>'
            "</u:SetSpeed></s:Body></s:Envelope>"
        )
        headers = {"SOAPACTION": f'"{SERVICE_TYPE}#SetSpeed"', "Content-Type": "text/xml"}
        url = f"{fan.base_url}/upnp/control/FanControl1"
        async with session.post(url, data=envelope, headers=headers) as response:
            assert response.status == 200
        assert fan.speed == 75
        headers["SOAPACTION"] = f'"{SERVICE_TYPE}#Explode"'
        async with session.post(url, data=envelope, headers=headers) as response:
            assert response.status == 500
            assert "<errorCode>401</errorCode>" in await response.text()
    finally:
        await fan.server.stop()
    assert [r.changes_state for r in fan.requests] == [False, True, True]


async def test_the_fan_answers_an_ssdp_search_from_its_own_address() -> None:
    hosts = HostAllocator()
    unknown = await start_unknown(
        [UnknownDevice(name="Bedroom Fan", area="Bedroom", kind="upnp_fan")],
        hosts,
        interface=LOOPBACK,
        seed=secrets.token_hex(6),
    )
    found: list[Discovered] = []
    searcher = SSDPSearcher(["ssdp:all"], found.append, interfaces=[LOOPBACK])
    await searcher.start()
    try:
        fan = unknown.named("Bedroom Fan")
        for _ in range(50):
            searcher.search()
            await asyncio.sleep(0.1)
            if any(f.host == fan.host and f.type == DEVICE_TYPE for f in found):
                break
        mine = [f for f in found if f.host == fan.host]
        assert {f.type for f in mine} >= {"upnp:rootdevice", DEVICE_TYPE, SERVICE_TYPE}
        assert all(f.location == fan.location for f in mine)
    finally:
        await searcher.stop()
        await unknown.stop()
