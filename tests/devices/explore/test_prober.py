"""Read-only probing against the emulators: what they received is the proof."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.explore.probe import BudgetSpentError, Prober, ProbeRecord
from devices.explore.ranges import OutsideLocalNetworkError
from devices.explore.rules import ProbeRefusedError
from devices.testing.addresses import HostAllocator
from devices.testing.http import HttpServer
from devices.testing.loop_thread import LoopThread
from devices.testing.unknown.house import mac_of
from devices.testing.unknown.shelly import ShellyPlus1
from devices.testing.unknown.upnp_fan import SERVICE_TYPE, UpnpFan
from devices.testing.unknown.wled import WledStrip


@pytest.fixture
async def strip() -> AsyncIterator[WledStrip]:
    device = WledStrip(HostAllocator().allocate(), "Desk Strip", mac_of("Desk Strip"))
    await device.server.start()
    yield device
    await device.server.stop()


@pytest.fixture
async def relay() -> AsyncIterator[ShellyPlus1]:
    device = ShellyPlus1(HostAllocator().allocate(), "Porch Relay", mac_of("Porch Relay"))
    await device.server.start()
    yield device
    await device.server.stop()


async def test_reads_reach_the_device_and_the_audit(strip: WledStrip) -> None:
    audit: list[ProbeRecord] = []
    async with Prober(strip.host, strip.port, record=audit.append) as probe:
        info = await probe.get("/json/info")
        state = await probe.get("/json/state")
    assert info.json["brand"] == "WLED"
    assert state.json["on"] is False
    assert [(r.method, r.path) for r in strip.requests] == [
        ("GET", "/json/info"),
        ("GET", "/json/state"),
    ]
    assert [(r.method, r.target, r.status) for r in audit] == [
        ("GET", "/json/info", 200),
        ("GET", "/json/state", 200),
    ]


async def test_a_refused_request_never_reaches_the_device(relay: ShellyPlus1) -> None:
    async with Prober(relay.host, relay.port) as probe:
        for path in ("/rpc/Switch.Set?id=0&on=true", "/rpc/Switch.Toggle?id=0", "/relay/0?turn=on"):
            with pytest.raises(ProbeRefusedError):
                await probe.get(path)
        status = await probe.get("/rpc/Switch.GetStatus?id=0")
    assert status.json["output"] is False
    assert [r.path for r in relay.requests] == ["/rpc/Switch.GetStatus?id=0"]
    assert relay.changing_requests() == []


async def test_the_budget_is_kept(strip: WledStrip) -> None:
    async with Prober(strip.host, strip.port, budget=2) as probe:
        await probe.get("/json/info")
        await probe.get("/json/state")
        with pytest.raises(BudgetSpentError):
            await probe.get("/json")
    assert len(strip.requests) == 2


@pytest.mark.parametrize("host", ["8.8.8.8", "1.1.1.1", "203.0.113.5", "wled.example.com"])
async def test_no_address_outside_the_local_ranges(host: str) -> None:
    with pytest.raises(OutsideLocalNetworkError):
        Prober(host, 80)


async def test_slow_garbage_and_silent_devices_are_notes(strip: WledStrip) -> None:
    async with Prober(strip.host, strip.port, timeout=0.5) as probe:
        strip.faults.latency = 3.0
        slow = await probe.get("/json/info")
        strip.faults.clear()
        strip.faults.garbage = True
        garbage = await probe.get("/json/info")
    assert slow.note == "no answer within 0.5 seconds"
    assert garbage.note == "answered JSON that does not parse"
    assert not garbage.ok


async def test_a_device_that_is_gone_is_a_note() -> None:
    host = HostAllocator().allocate()
    async with Prober(host, 9) as probe:
        answer = await probe.get("/json/info")
    assert answer.note is not None
    assert answer.note.startswith("could not be reached")


async def test_huge_answers_and_redirects_elsewhere_are_not_read_or_followed() -> None:
    hosts = HostAllocator()
    elsewhere_hits: list[str] = []

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()  # no length given: read until the limit
        await response.prepare(request)
        for _ in range(64):
            await response.write(b"x" * 16384)
        return response

    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"http://{other.host}:{other.port}/json/info")

    async def home(request: web.Request) -> web.Response:
        raise web.HTTPFound("/json/info")

    async def info(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def anything(request: web.Request) -> web.Response:
        elsewhere_hits.append(request.path)
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/huge", huge)
    app.router.add_get("/away", away)
    app.router.add_get("/home", home)
    app.router.add_get("/json/info", info)
    other_app = web.Application()
    other_app.router.add_get("/{tail:.*}", anything)
    device, other = HttpServer(app, hosts.allocate()), HttpServer(other_app, hosts.allocate())
    await device.start()
    await other.start()
    try:
        async with Prober(device.host, device.port, max_bytes=100_000) as probe:
            big = await probe.get("/huge")
            outside = await probe.get("/away")
            inside = await probe.get("/home")
    finally:
        await device.stop()
        await other.stop()
    assert big.note == "answered more than 100000 bytes"
    assert big.body is None
    assert outside.note is not None
    assert "another host: not followed" in outside.note
    assert elsewhere_hits == []
    assert inside.json == {"ok": True}


async def test_upnp_reads_only_get_actions() -> None:
    fan = UpnpFan(HostAllocator().allocate(), "Bedroom Fan", "uuid:fan-2", speed=40, on=True)
    await fan.server.start()
    try:
        async with Prober(fan.host, fan.port) as probe:
            description = await probe.document("/description.xml")
            _, speed = await probe.soap_get("/upnp/control/FanControl1", SERVICE_TYPE, "GetSpeed")
            with pytest.raises(ProbeRefusedError):
                await probe.soap_get("/upnp/control/FanControl1", SERVICE_TYPE, "SetSpeed")
    finally:
        await fan.server.stop()
    assert description.ok
    assert speed == {"NewSpeed": "40"}
    assert fan.changing_requests() == []
    assert len(fan.requests) == 2


class _Garbage:
    """A device whose next answer is whatever a test sets."""

    def __init__(self) -> None:
        self.body = b""
        self.kind = "application/json"

    async def answer(self, request: web.Request) -> web.Response:
        del request
        return web.Response(body=self.body, headers={"Content-Type": self.kind})


@pytest.fixture(scope="module")
def garbage_device() -> Iterator[tuple[LoopThread, _Garbage, HttpServer]]:
    device = _Garbage()
    app = web.Application()
    app.router.add_get("/{tail:.*}", device.answer)
    server = HttpServer(app, HostAllocator().allocate())
    with LoopThread() as loop:
        loop.run(server.start())
        yield loop, device, server
        loop.run(server.stop())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=2048),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=10),
            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
        ).map(lambda value: repr(value).encode()),
    ),
    kind=st.sampled_from(["application/json", "text/html", "text/xml", "application/octet-stream"]),
)
def test_any_answer_is_an_answer_or_a_note(
    garbage_device: tuple[LoopThread, _Garbage, HttpServer], body: bytes, kind: str
) -> None:
    loop, device, server = garbage_device
    device.body, device.kind = body, kind

    async def probe_once() -> None:
        async with Prober(server.host, server.port) as probe:
            answer = await probe.get("/json/state")
        assert answer.status == 200
        assert answer.ok or answer.note == "answered JSON that does not parse"

    loop.run(probe_once())
