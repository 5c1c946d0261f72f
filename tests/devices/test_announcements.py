"""Announcement clips: spoken by espeak-ng, served at a random path that is withdrawn or
expires, and the address speakers fetch them from."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import pytest
from aiohttp import web

from agent.config import ChannelSettings
from agent.service import announce_base_url, clip_host
from devices.announcements import Announcements, speech_available, wav_duration
from devices.errors import UnsupportedCommandError

needs_speech = pytest.mark.skipif(
    not speech_available(), reason="espeak-ng is not installed (apt-get install espeak-ng)"
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@asynccontextmanager
async def serving(announcements: Announcements) -> AsyncIterator[int]:
    app = web.Application()
    announcements.add_routes(app)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


async def status(url: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.read()


@needs_speech
async def test_a_clip_is_served_until_withdrawn_and_expires_on_its_own() -> None:
    clock = Clock()
    port: list[int] = []
    announcements = Announcements(lambda: f"http://127.0.0.1:{port[0]}", lifetime=60, clock=clock)
    async with serving(announcements) as bound:
        port.append(bound)
        first = await announcements.publish("Dinner is ready")
        second = await announcements.publish("Das Essen ist fertig", "de")
        assert first.url.startswith(f"http://127.0.0.1:{bound}/announcements/")
        code, body = await status(first.url)
        assert (code, body) == (200, first.wav)
        assert wav_duration(body) == pytest.approx(first.duration)
        assert announcements.fetches(first) == 1
        # A path next to a real one, or a guess, is nothing.
        assert (await status(first.url.replace(first.token, first.token[:-1] + "x")))[0] == 404
        # Withdrawn: gone. Expired: gone, though never withdrawn.
        announcements.withdraw(first)
        assert (await status(first.url))[0] == 404
        assert (await status(second.url))[0] == 200
        clock.now += 61
        assert (await status(second.url))[0] == 404
        assert announcements.serving() == 0


@needs_speech
async def test_an_unknown_language_is_refused_with_the_reason() -> None:
    announcements = Announcements("http://127.0.0.1:1")
    with pytest.raises(UnsupportedCommandError, match="cannot speak 'xx'"):
        await announcements.publish("hello", "xx")


async def test_without_espeak_the_error_says_what_to_install() -> None:
    announcements = Announcements("http://127.0.0.1:1", program="no-such-espeak-ng")
    with pytest.raises(UnsupportedCommandError, match=r"apt-get install espeak-ng"):
        await announcements.publish("hello")


def test_the_address_speakers_fetch_from() -> None:
    lan = ["192.168.1.20", "10.0.0.5"]
    given = ChannelSettings(announce_url="http://dobby.lan:8790", _env_file=None)
    assert announce_base_url(given, 8790, lan) == "http://dobby.lan:8790"
    bound = ChannelSettings(http_host="192.168.1.20", _env_file=None)
    assert announce_base_url(bound, 8790, lan) == "http://192.168.1.20:8790"
    everywhere = ChannelSettings(http_host="0.0.0.0", _env_file=None)
    assert announce_base_url(everywhere, 8791, lan) == "http://192.168.1.20:8791"
    # Listening on this machine only, the service serves the clips alone on the LAN.
    local = ChannelSettings(_env_file=None)
    assert announce_base_url(local, 8790, lan) == "http://192.168.1.20:8790"
    assert clip_host(local, lan) == "192.168.1.20"
    assert announce_base_url(local, 8790, []) == "http://127.0.0.1:8790"
    assert clip_host(local, []) is None
    assert clip_host(local, ["127.0.0.1"]) is None  # the service is there already
    assert clip_host(everywhere, lan) is None
    assert clip_host(bound, lan) is None
    assert clip_host(given, lan) is None
