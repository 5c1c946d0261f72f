"""A generation 3 hub's shade event stream: what the emulator sends, and the adapter
reading shades from it instead of polling, polling often again while the stream is down."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from devices.adapters.powerview.adapter import EVENTS_POLL_INTERVAL, POLL_INTERVAL
from devices.adapters.powerview.emulator import PowerViewHub, ShadeSpec
from devices.testing import fresh_hosts
from tests.devices.adapters.powerview.test_powerview_adapter import Rig, rig


def shade_reads(r: Rig) -> int:
    """How often the hub was asked for its shades."""
    return sum(
        1
        for method, path in r.hub.requests
        if method == "GET" and "/shades" in path and "/events" not in path
    )


def streaming(r: Rig) -> bool:
    return all(link.streaming for link in r.adapter.devices.links())


async def test_the_hub_sends_a_shade_starting_and_stopping() -> None:
    host = fresh_hosts().allocate()
    shades = [ShadeSpec("Study Shade", "Study", position=100)]
    async with PowerViewHub(host, shades, generation=3, port=0, announce=False) as hub:
        url = f"http://{hub.address}/home/shades/events?sse=true"
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            assert response.headers["Content-Type"].startswith("text/event-stream")
            async with asyncio.timeout(30):  # the hub listens before it says hello
                assert await response.content.readline() == b": hello\n"
            assert hub.event_listeners == 1
            hub.shade("Study Shade").move(primary=0.0)
            events = []
            async with asyncio.timeout(30):
                async for line in response.content:
                    if line.startswith(b"data:"):
                        events.append(json.loads(line[5:]))
                    if len(events) == 2:
                        break
    started, stopped = events
    study = hub.shade("Study Shade")
    assert (started["evt"], started["id"]) == ("motion-started", study.id)
    assert started["targetPositions"]["primary"] == 0
    assert started["currentPositions"]["primary"] == 1.0
    assert (stopped["evt"], stopped["id"]) == ("motion-stopped", study.id)
    assert stopped["currentPositions"]["primary"] == 0
    assert stopped["isoDate"].endswith("Z")


async def test_a_shade_moved_at_the_remote_arrives_by_the_stream_without_a_poll() -> None:
    async with rig(3, travel_time=1.0) as r:
        assert streaming(r)
        before = shade_reads(r)
        r.hub.shade("Bedroom Blackout").move(primary=0.0)  # the remote, not Dobby
        assert await r.registry.wait_until(
            lambda: r.state("cover.bedroom_blackout")["state"] == "closing", 30
        )
        assert await r.registry.wait_until(
            lambda: (
                r.state("cover.bedroom_blackout")
                == {
                    "state": "closed",
                    "position": 0,
                    "battery_level": 100,
                }
            ),
            30,
        )
        assert shade_reads(r) == before  # told, not read


async def test_the_hub_is_polled_seldom_while_its_stream_is_open_and_often_while_not() -> None:
    async with rig(3, travel_time=1.0) as r:
        assert r.adapter.poll_interval == EVENTS_POLL_INTERVAL
        r.hub.offer_events(False)  # the stream drops, and does not come back yet
        await r.until(lambda: not streaming(r))
        assert r.adapter.poll_interval == POLL_INTERVAL
        before = shade_reads(r)
        r.hub.shade("Living Room Shade").move(primary=0.0)
        await r.until(lambda: r.state("cover.living_room_shade")["position"] == 0)
        assert shade_reads(r) > before  # polled meanwhile
        r.hub.shade("Living Room Shade").move(primary=1.0)
        await r.hub.shade("Living Room Shade").halt()  # moved while the stream was down
        r.hub.shade("Living Room Shade").primary = 1.0
        r.hub.offer_events(True)
        assert await r.registry.wait_until(lambda: streaming(r), 30)
        assert r.adapter.poll_interval == EVENTS_POLL_INTERVAL
        assert await r.registry.wait_until(  # read once as the stream came back
            lambda: r.state("cover.living_room_shade")["position"] == 100, 30
        )


async def test_a_generation_2_hub_is_polled() -> None:
    async with rig(2) as r:
        assert not any(link.streaming for link in r.adapter.devices.links())
        assert r.adapter.poll_interval == POLL_INTERVAL
        before = shade_reads(r)
        await r.adapter.refresh()
        assert shade_reads(r) == before + 1
