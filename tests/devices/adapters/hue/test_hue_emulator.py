"""The emulated Hue bridge, driven by the released aiohue over HTTPS on loopback."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohue import HueBridgeV1, HueBridgeV2
from aiohue.discovery import is_v2_bridge
from aiohue.errors import AiohueException, Unauthorized
from aiohue.v2.controllers.events import EventType
from cryptography import x509
from cryptography.x509.oid import NameOID

from devices.adapters.hue.emulator import HueBridgeEmulator, LightSpec, SceneSpec
from devices.testing import fresh_hosts

KEY = "emulator-test-key"


@pytest.fixture
async def bridge() -> AsyncIterator[HueBridgeEmulator]:
    emulator = HueBridgeEmulator(
        fresh_hosts().allocate(),
        [
            LightSpec("Desk", "Study", kind="color", on=True, brightness=70.0),
            LightSpec("Shelf", "Study", kind="ambiance"),
        ],
        scenes=[
            SceneSpec(
                "Read", "Study", {"Shelf": {"on": {"on": True}, "dimming": {"brightness": 90}}}
            )
        ],
        keys=[KEY],
        mdns_interface=None,
    )
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def api(bridge: HueBridgeEmulator) -> AsyncIterator[HueBridgeV2]:
    client = HueBridgeV2(bridge.address, KEY)
    await client.initialize()
    yield client
    await client.close()
    await asyncio.sleep(0)


async def test_aiohue_reads_the_home(bridge: HueBridgeEmulator, api: HueBridgeV2) -> None:
    assert api.config.bridge_id == bridge.bridge_id
    assert api.config.software_version.startswith("1.66")
    assert sorted(light.metadata.name for light in api.lights) == ["Desk", "Shelf"]
    [room] = api.groups.room.items
    assert room.metadata.name == "Study"
    assert sorted(light.metadata.name for light in api.groups.room.get_lights(room.id)) == [
        "Desk",
        "Shelf",
    ]
    desk = next(light for light in api.lights if light.metadata.name == "Desk")
    assert (desk.on.on, desk.dimming.brightness, desk.supports_color) == (True, 70.0, True)
    [scene] = api.scenes.scene.items
    assert api.scenes.get_group(scene.id).metadata.name == "Study"


async def test_changes_at_the_bridge_reach_aiohue_without_polling(
    bridge: HueBridgeEmulator, api: HueBridgeV2
) -> None:
    heard: asyncio.Queue[tuple[Any, Any]] = asyncio.Queue()
    api.lights.subscribe(lambda kind, light: heard.put_nowait((kind, light)))
    await bridge.wait_for_listener()
    bridge.set_light("Shelf", on=True, mirek=200)
    async with asyncio.timeout(10):
        kind, light = await heard.get()
    assert kind is EventType.RESOURCE_UPDATED
    assert (light.metadata.name, light.on.on, light.color_temperature.mirek) == ("Shelf", True, 200)


async def test_commands_change_the_lights_and_the_group(
    bridge: HueBridgeEmulator, api: HueBridgeV2
) -> None:
    desk = next(light for light in api.lights if light.metadata.name == "Desk")
    await api.lights.set_state(desk.id, color_xy=(0.7006, 0.2993), transition_time=300)
    emulated = bridge.model.light("Desk")
    assert (emulated.xy, emulated.mirek, emulated.last_transition_ms) == (
        (0.7006, 0.2993),
        None,
        300,
    )
    [room] = api.groups.room.items
    await api.groups.grouped_light.set_state(room.grouped_light, on=False)
    assert [light.on for light in bridge.model.lights] == [False, False]
    [home] = api.config.bridge_home.items
    [everything] = [s.rid for s in home.services if s.rtype.value == "grouped_light"]
    await api.groups.grouped_light.set_state(everything, on=True, brightness=25.0)
    assert [(light.on, light.brightness) for light in bridge.model.lights] == [
        (True, 25.0),
        (True, 25.0),
    ]
    assert api.groups.grouped_light.get_zone(everything) is None  # the home's, not a room's
    [scene] = api.scenes.scene.items
    await api.scenes.recall(scene.id)
    shelf = bridge.model.light("Shelf")
    assert (shelf.on, shelf.brightness) == (True, 90.0)


async def test_a_wrong_key_is_refused(bridge: HueBridgeEmulator) -> None:
    client = HueBridgeV2(bridge.address, "not-a-key")
    with pytest.raises(Unauthorized):
        await client.initialize()
    await client.close()
    assert await is_v2_bridge(bridge.address)


async def test_the_protocol_error_fault_is_a_clip_error(
    bridge: HueBridgeEmulator, api: HueBridgeV2
) -> None:
    bridge.faults.error = True
    desk = next(light for light in api.lights if light.metadata.name == "Desk")
    with pytest.raises(AiohueException, match="internal error"):
        await api.lights.turn_off(desk.id)
    bridge.faults.clear()
    await api.lights.turn_off(desk.id)
    assert not bridge.model.light("Desk").on


async def test_a_missed_event_is_replayed_after_last_event_id(bridge: HueBridgeEmulator) -> None:
    bridge.set_light("Desk", on=False)
    bridge.set_light("Desk", on=True)
    headers = {"hue-application-key": KEY}
    async with aiohttp.ClientSession() as session:
        url = f"https://{bridge.address}/eventstream/clip/v2"
        first, second = bridge.event_ids
        headers["Last-Event-ID"] = first  # as aiohue sends it when it reconnects
        async with session.get(url, headers=headers, ssl=False) as response:
            lines = [await response.content.readline() for _ in range(4)]
    assert lines[:3] == [b": hi\n", b"\n", f"id: {second}\n".encode()]
    assert lines[3].startswith(b"data: [")
    assert b'"on":{"on":true}' in lines[3]


def _put_without_reading(bridge: HueBridgeEmulator, light_id: str) -> ssl.SSLSocket:
    """Send a PUT over TLS and leave its reply unread in the socket."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    raw = socket.create_connection((bridge.host, bridge.port), timeout=5)
    sock = context.wrap_socket(raw)
    body = b'{"on": {"on": false}}'
    sock.sendall(
        f"PUT /clip/v2/resource/light/{light_id} HTTP/1.1\r\nHost: {bridge.host}\r\n"
        f"hue-application-key: {KEY}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    return sock


async def test_a_change_is_sent_as_an_event_after_the_reply_to_its_request(
    bridge: HueBridgeEmulator,
) -> None:
    """A real bridge answers the request first; its event follows on the stream."""
    desk = bridge.model.light("Desk")
    headers = {"hue-application-key": KEY}
    async with aiohttp.ClientSession() as session:
        url = f"https://{bridge.address}/eventstream/clip/v2"
        async with session.get(url, headers=headers, ssl=False) as stream:
            assert await stream.content.readline() == b": hi\n"
            await stream.content.readline()
            sock = await asyncio.to_thread(_put_without_reading, bridge, desk.id)
            try:
                while not (await stream.content.readline()).startswith(b"data: "):
                    pass
                # The event is here: the reply was written before it, so it is waiting in
                # the socket already (no wait: a read that must block fails the test).
                sock.setblocking(False)
                reply = sock.recv(65536)
            finally:
                sock.close()
    assert reply.startswith(b"HTTP/1.1 200")
    assert not desk.on


async def test_the_certificate_is_self_signed_for_the_bridge_id(bridge: HueBridgeEmulator) -> None:
    pem = await asyncio.to_thread(ssl.get_server_certificate, (bridge.host, bridge.port))
    certificate = x509.load_pem_x509_certificate(pem.encode())
    [common_name] = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    assert common_name.value == bridge.bridge_id
    assert certificate.issuer == certificate.subject
    context = ssl.create_default_context()
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        async with aiohttp.ClientSession() as session:
            await session.get(f"https://{bridge.address}/api/config", ssl=context)


async def test_a_bridge_without_api_v2_answers_aiohue_v1_over_http() -> None:
    old = HueBridgeEmulator(
        fresh_hosts().allocate(),
        [LightSpec("Desk", "Study", kind="color", on=True, brightness=70.0)],
        keys=[KEY],
        api="v1",
    )
    await old.start()
    try:
        assert not await is_v2_bridge(old.address)
        client = HueBridgeV1(old.address, KEY)
        await client.initialize()
        assert client.config.bridge_id.lower() == old.bridge_id
        [number] = list(client.lights)
        desk = client.lights[number]
        assert (desk.name, desk.state["on"], desk.state["bri"]) == ("Desk", True, 178)
        [study] = client.groups.values()
        assert (study.name, study.type, study.lights) == ("Study", "Room", [number])
        await desk.set_state(on=True, bri=127, ct=300, transitiontime=4)
        emulated = old.model.light("Desk")
        assert (round(emulated.brightness), emulated.mirek, emulated.last_transition_ms) == (
            50,
            300,
            400,
        )
        await client.close()
        stranger = HueBridgeV1(old.address, "not-a-key")
        with pytest.raises(Unauthorized):
            await stranger.initialize()
        await stranger.close()
    finally:
        await old.stop()
