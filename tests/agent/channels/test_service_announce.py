"""`dobby run` serves announcements beside /healthz: said in a chat, spoken on a speaker
that fetches the clip from the service's own HTTP server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from agent.config import ChannelSettings, load_config
from agent.service import Service
from devices.adapters.sonos.demo import DEMO_QUEUE
from devices.adapters.sonos.emulator import SonosEmulator, SpeakerSpec
from devices.announcements import speech_available
from devices.testing import fresh_hosts
from skills.actions import Requester

pytestmark = pytest.mark.skipif(
    not speech_available(), reason="espeak-ng is not installed (apt-get install espeak-ng)"
)


@asynccontextmanager
async def announced(
    tmp_path: Path, speaker: str, http_host: str, interface: str
) -> AsyncIterator[tuple[Service, SonosEmulator]]:
    """A service listening on `http_host` (discovery on `interface`) with one playing
    Kitchen speaker at `speaker`, after "announce dinner is ready in the kitchen"."""
    spec = SpeakerSpec("Kitchen", speaker, transport_state="PLAYING", queue=DEMO_QUEUE, current=1)
    emulator = SonosEmulator([spec], ssdp_interface=interface)
    config = tmp_path / "config"
    config.mkdir()
    (config / "home.yaml").write_text(
        f"name: Test House\nadapters:\n  sonos:\n    hosts: [{speaker}]\n", encoding="utf-8"
    )
    settings = ChannelSettings(
        _env_file=None,  # type: ignore[call-arg]
        http_host=http_host,
        http_port=0,
        web=False,
    )
    service = Service(
        load_config(config),
        tmp_path / "state",
        settings,
        interfaces=[interface],
        only_hosts=[speaker],
    )
    await emulator.start()
    try:
        await service.start()
        assert service.dobby is not None
        registry = service.dobby.registry
        assert await registry.wait_until(lambda: "media_player.kitchen" in registry.entities, 20)
        reply = await service.dobby.handle(
            "announce dinner is ready in the kitchen", Requester.local_admin()
        )
        assert reply.reply == "Announcing “dinner is ready” on Kitchen."
        assert [r["ok"] for r in reply.results] == [True], reply.results
        yield service, emulator
    finally:
        await service.stop()
        await emulator.stop()


async def test_an_announcement_said_in_chat_is_fetched_from_the_service(tmp_path: Path) -> None:
    host = fresh_hosts().allocate()
    async with announced(tmp_path, host, "127.0.0.1", "127.0.0.1") as (service, emulator):
        [clip] = emulator.fetched
        assert clip.uri.startswith(f"http://127.0.0.1:{service.port}/announcements/")
        assert (clip.status, clip.content_type) == (200, "audio/wav")
        kitchen = emulator.speaker("Kitchen")
        assert (kitchen.transport_state, kitchen.current) == ("PLAYING", 1)


async def test_a_service_on_this_machine_only_serves_the_clips_where_speakers_reach_it(
    tmp_path: Path,
) -> None:
    """Listening on loopback (the default), the web page and the webhooks stay there; the
    speakers, on the LAN (here another loopback address), fetch their clips from the
    discovery interface, where nothing else is served."""
    hosts = fresh_hosts()
    speaker, own, lan = hosts.allocate(), hosts.allocate(), hosts.allocate()
    async with announced(tmp_path, speaker, own, lan) as (service, emulator):
        [clip] = emulator.fetched
        assert clip.uri.startswith(f"http://{lan}:{service.port}/announcements/")
        assert (clip.status, clip.content_type) == (200, "audio/wav")
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://{own}:{service.port}/healthz") as answer:
                assert answer.status == 200
            async with http.get(f"http://{lan}:{service.port}/healthz") as answer:
                assert answer.status == 404  # the clips only
