"""Announcements on Sonos: Dobby speaks a text into a WAV (espeak-ng), serves it at a
one-time path on its own HTTP server, and the speaker (the emulator, over real HTTP)
fetches and plays it; what played before comes back, at the volume it had."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path as FilePath
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web

from devices.adapters.sonos import SonosConfig
from devices.adapters.sonos.adapter import SonosAdapter
from devices.adapters.sonos.demo import DEMO_QUEUE
from devices.adapters.sonos.emulator import SonosEmulator, SpeakerSpec, SpeakerState
from devices.announcements import MISSING, Announcements, speech_available
from devices.blocking import BlockingRunner
from devices.plugin import AdapterContext
from devices.registry import Registry
from devices.testing import fresh_hosts
from skills.actions import Action, Path, Plan, Requester, Role
from skills.audit import AuditLog
from skills.executor import Executor
from skills.house import House
from skills.policy import Policy, PolicyConfig
from skills.routines import Routine
from skills.runner import RoutineRunner
from tests.scripted_model import model_calls

needs_speech = pytest.mark.skipif(
    not speech_available(), reason="espeak-ng is not installed (apt-get install espeak-ng)"
)
SPEAKER_SECOND = 1  # the queue's second track is playing before the announcement
MEMBER = Requester(id="telegram:1001", role=Role.MEMBER, name="Alex", channel="telegram")


@dataclass
class Rig:
    emulator: SonosEmulator
    registry: Registry
    adapter: SonosAdapter
    announcements: Announcements | None
    house: House
    audit: AuditLog

    async def announce(self, *entity_ids: str, **params: Any) -> list[Any]:
        actions = [
            Action(entity_id=e, command="media_player.announce", params=params) for e in entity_ids
        ]
        outcome = await self.house.carry_out(Plan(actions, MEMBER, Path.INTENT))
        assert not outcome.refused, outcome.refused
        return outcome.results


@asynccontextmanager
async def house(
    tmp_path: FilePath, *, serve: bool = True, advertise: str | None = None, **speech: Any
) -> AsyncIterator[Rig]:
    """Kitchen and Den playing the demo queue (second track, volume 20), Dobby's HTTP server
    serving announcements on loopback, and the Sonos adapter with the house's policy."""
    hosts = fresh_hosts()
    specs = [
        SpeakerSpec(
            name,
            hosts.allocate(),
            transport_state="PLAYING",
            queue=DEMO_QUEUE,
            current=SPEAKER_SECOND,
            volume=20,
        )
        for name in ("Kitchen", "Den")
    ]
    emulator = SonosEmulator(specs, ssdp_interface="127.0.0.1")
    await emulator.start()
    runner: web.AppRunner | None = None
    announcements: Announcements | None = None
    if serve:
        app = web.Application()
        runner = web.AppRunner(app)
        site_port: list[int] = []
        announcements = Announcements(
            lambda: advertise or f"http://127.0.0.1:{site_port[0]}", **speech
        )
        announcements.add_routes(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        site_port.append(runner.addresses[0][1])
    registry = Registry()
    blocking = BlockingRunner()
    context = AdapterContext("sonos", registry, blocking, announcements=announcements)
    config = SonosConfig(hosts=[s.host for s in emulator.speakers])
    adapter = SonosAdapter(context, config)
    audit = AuditLog(tmp_path / "audit.db")
    executor = Executor(registry, {"sonos": adapter}, audit)
    try:
        await adapter.start()
        rig_house = House(registry, Policy(registry, PolicyConfig()), executor)
        yield Rig(emulator, registry, adapter, announcements, rig_house, audit)
    finally:
        await adapter.stop()
        await emulator.stop()
        if runner is not None:
            await runner.cleanup()
        blocking.shutdown()
        audit.close()


async def den_under_kitchen(rig: Rig) -> tuple[SpeakerState, SpeakerState]:
    """Den grouped under Kitchen a while ago: Dobby has heard of it (an event still on its
    way when an announcement starts could leave the member at its own volume, never worse).
    The two speakers, Kitchen first."""
    rig.emulator.join("Den", "Kitchen")
    entity = rig.registry.entity("media_player.den")
    assert await rig.registry.wait_until(
        lambda: (
            getattr(entity.state, "group_members", None)
            == ["media_player.kitchen", "media_player.den"]
        ),
        10,
    )
    await rig.emulator.publisher.delivered()
    return rig.emulator.speaker("Kitchen"), rig.emulator.speaker("Den")


@asynccontextmanager
async def watching(emulator: SonosEmulator, name: str) -> AsyncIterator[list[tuple[Any, ...]]]:
    """What the speaker `name` did meanwhile: (transport, volume, uri) whenever it changed."""
    speaker = emulator.speaker(name)
    seen: list[tuple[Any, ...]] = []

    async def watch() -> None:
        while True:
            now = (speaker.transport_state, speaker.volume, speaker.stream_uri)
            if not seen or seen[-1] != now:
                seen.append(now)
            await asyncio.sleep(0.02)

    task = asyncio.create_task(watch())
    try:
        yield seen
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


@needs_speech
async def test_an_announcement_is_fetched_spoken_and_the_music_comes_back(
    tmp_path: FilePath,
) -> None:
    async with house(tmp_path) as rig:
        kitchen = rig.emulator.speaker("Kitchen")
        kitchen.set_position(42.0)  # 42 s into the track (UPnP counts whole seconds)
        async with watching(rig.emulator, "Kitchen") as seen:
            [result] = await rig.announce("media_player.kitchen", text="Dinner is ready", volume=45)
        assert result.ok, result
        # The speaker fetched a WAV over HTTP: mono 16-bit speech of a second or so.
        [clip] = rig.emulator.fetched
        assert clip.speaker == "Kitchen"
        assert (clip.status, clip.content_type) == (200, "audio/wav")
        assert (clip.channels, clip.sample_width) == (1, 2)
        assert clip.sample_rate >= 16000
        assert 0.4 < clip.duration < 5
        assert clip.uri.startswith("http://127.0.0.1:")
        assert clip.uri.endswith(".wav")
        # It played it, at the announcement's volume, after the music and before it again.
        assert (
            "PLAYING",
            45,
            clip.uri,
        ) in seen, seen
        # What played before is back: the same track, playing, from about where it was,
        # at the volume it had; and the clip is no longer served.
        assert (kitchen.transport_state, kitchen.volume, kitchen.stream_uri) == (
            "PLAYING",
            20,
            "",
        )
        assert kitchen.current == SPEAKER_SECOND
        assert 42 <= kitchen.rel_time() < 60
        assert rig.announcements is not None
        assert rig.announcements.serving() == 0
        async with aiohttp.ClientSession() as session, session.get(clip.uri) as response:
            assert response.status == 404
        state = rig.registry.entity("media_player.kitchen").state
        assert state is not None
        assert (state.state, state.attributes()["volume"]) == ("playing", 20)
        # The audit log says who asked for what.
        [entry] = rig.audit.recent(entity_id="media_player.kitchen")
        assert (entry.requester, entry.command, entry.ok) == (
            "telegram:1001",
            "media_player.announce",
            True,
        )
        assert entry.params["text"] == "Dinner is ready"


@needs_speech
async def test_a_group_hears_it_once_through_its_coordinator(tmp_path: FilePath) -> None:
    """ "On all speakers" with Den grouped under Kitchen: both are asked, the clip is
    fetched once, by the coordinator, and both volumes come back."""
    async with house(tmp_path) as rig:
        kitchen, den = await den_under_kitchen(rig)
        den.volume = 33
        async with watching(rig.emulator, "Den") as seen:
            results = await rig.announce(
                "media_player.den", "media_player.kitchen", text="Bedtime", volume=50
            )
        assert all(r.ok for r in results), results
        assert [c.speaker for c in rig.emulator.fetched] == ["Kitchen"]
        [clip] = rig.emulator.fetched
        assert ("PLAYING", 50, "") in seen  # the member spoke along, at the volume asked
        assert den.coordinator_uid == kitchen.uid
        assert (kitchen.volume, den.volume) == (20, 33)
        assert (kitchen.transport_state, den.transport_state) == ("PLAYING", "PLAYING")
        assert kitchen.current == SPEAKER_SECOND
        assert clip.duration > 0


@needs_speech
async def test_two_announcements_get_different_one_time_paths(tmp_path: FilePath) -> None:
    async with house(tmp_path) as rig:
        for text in ("One", "Two"):
            [result] = await rig.announce("media_player.den", text=text, language="de")
            assert result.ok, result
        first, second = (clip.uri for clip in rig.emulator.fetched)
        assert first != second
        token = first.rsplit("/", 1)[1].removesuffix(".wav")
        assert len(token) >= 32


@needs_speech
async def test_a_speaker_that_cannot_reach_dobby_is_reported_and_keeps_playing(
    tmp_path: FilePath,
) -> None:
    """The advertised address is wrong (nothing listens there): the person hears why, and
    the music goes on."""
    async with house(tmp_path, advertise="http://127.0.0.1:9") as rig:
        [result] = await rig.announce("media_player.kitchen", text="Dinner is ready")
        assert not result.ok
        assert "did not fetch the announcement" in (result.error or "")
        assert "DOBBY_HTTP_HOST, DOBBY_ANNOUNCE_URL" in (result.error or "")
        kitchen = rig.emulator.speaker("Kitchen")
        assert (kitchen.transport_state, kitchen.current) == ("PLAYING", SPEAKER_SECOND)


async def test_without_espeak_the_reason_is_given(tmp_path: FilePath) -> None:
    async with house(tmp_path, program="no-such-espeak-ng") as rig:
        [result] = await rig.announce("media_player.kitchen", text="Dinner is ready")
        assert result.error == f"Kitchen: {MISSING}"
        assert rig.emulator.fetched == []
        assert rig.emulator.speaker("Kitchen").transport_state == "PLAYING"


async def test_without_an_http_server_speakers_do_not_offer_announcements(
    tmp_path: FilePath,
) -> None:
    async with house(tmp_path, serve=False) as rig:
        kitchen = rig.registry.entity("media_player.kitchen")
        assert "announce" not in kitchen.features
        assert "select_source" in kitchen.features
        [result] = await rig.announce("media_player.kitchen", text="Dinner is ready")
        assert result.error == "Kitchen cannot do that: it has no announce support."


@needs_speech
async def test_the_language_models_tool_announces_in_german(tmp_path: FilePath) -> None:
    """The model's control_media_player tool: announce, with the language of the text."""
    call = {
        "entity_ids": ["media_player.den"],
        "action": "announce",
        "text": "Das Essen ist fertig",
        "language": "de",
    }
    async with house(tmp_path) as rig:
        [answer] = await model_calls(
            rig.registry, {"sonos": rig.adapter}, ("control_media_player", call)
        )
        assert answer == "Done: announce on Den."
        [clip] = rig.emulator.fetched
        assert (clip.speaker, clip.status, clip.channels) == ("Den", 200, 1)
        den = rig.emulator.speaker("Den")
        assert (den.transport_state, den.current, den.volume) == ("PLAYING", SPEAKER_SECOND, 20)
        # Without a text there is nothing to say: the tool is told why, nothing is fetched.
        [refused] = await model_calls(
            rig.registry,
            {"sonos": rig.adapter},
            ("control_media_player", {"entity_ids": ["media_player.den"], "action": "announce"}),
        )
        assert "text: field required" in str(refused), refused
        assert len(rig.emulator.fetched) == 1


ROUTINE = """
name: dinner time
steps:
  - command: media_player.announce
    params: {text: "Dinner is ready", volume: 40}
  - command: media_player.pause
    target: {name: Den}
"""


@needs_speech
async def test_a_routine_step_announces_on_every_speaker_then_goes_on(
    tmp_path: FilePath,
) -> None:
    """An announce step with no target speaks on every speaker; the next step runs after
    it, once the music is back."""
    routine = Routine.model_validate(yaml.safe_load(ROUTINE))
    async with house(tmp_path) as rig:
        runner = RoutineRunner(rig.house, lambda: [routine])
        report = await runner.run(routine, MEMBER)
        assert not report.failed, report.failed
        assert sorted(c.speaker for c in rig.emulator.fetched) == ["Den", "Kitchen"]
        kitchen, den = rig.emulator.speaker("Kitchen"), rig.emulator.speaker("Den")
        assert (kitchen.transport_state, kitchen.volume) == ("PLAYING", 20)
        assert (den.transport_state, den.volume, den.current) == (
            "PAUSED_PLAYBACK",
            20,
            SPEAKER_SECOND,
        )


async def until(condition: Any, seconds: float = 10.0) -> None:
    """Wait until `condition()` holds (an emulated speaker's state, changed meanwhile)."""
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - emulator state, no event to wait on
            await asyncio.sleep(0.02)


LONG_TEXT = "Dinner is ready. Please wash your hands and come to the table, all of you."


async def speaking(rig: Rig) -> asyncio.Task[list[Any]]:
    """A long announcement on the Kitchen at volume 45, once the speaker plays its clip
    (the task ends with the announcement's results)."""
    kitchen = rig.emulator.speaker("Kitchen")
    announcing = asyncio.create_task(
        rig.announce("media_player.kitchen", text=LONG_TEXT, volume=45)
    )
    await until(lambda: kitchen.transport_state == "PLAYING" and kitchen.stream_uri != "")
    return announcing


@needs_speech
async def test_an_announcement_the_speaker_cannot_play_is_reported_and_the_music_comes_back(
    tmp_path: FilePath,
) -> None:
    """The speaker fetches the clip, cannot play it (it plays no WAV) and stops at once with
    an error in its TransportStatus: the person hears that it failed, and the music and its
    volume come back."""
    async with house(tmp_path) as rig:
        kitchen = rig.emulator.speaker("Kitchen")
        kitchen.clip_types = frozenset({"audio/mpeg"})
        [result] = await rig.announce("media_player.kitchen", text="Dinner is ready", volume=45)
        assert not result.ok
        assert result.error == (
            "Kitchen: could not play the announcement it fetched; what it played before is back."
        )
        [clip] = rig.emulator.fetched
        assert (clip.speaker, clip.status, clip.content_type) == ("Kitchen", 200, "audio/wav")
        assert (kitchen.transport_state, kitchen.volume, kitchen.stream_uri) == (
            "PLAYING",
            20,
            "",
        )
        assert kitchen.current == SPEAKER_SECOND
        assert kitchen.transport_status == "OK"  # told to play something else: no error
        [entry] = rig.audit.recent(entity_id="media_player.kitchen")
        assert (entry.command, entry.ok) == ("media_player.announce", False)


@needs_speech
async def test_stop_during_an_announcement_ends_it_and_the_speaker_stays_stopped(
    tmp_path: FilePath,
) -> None:
    """Someone says "stop" while the speaker speaks: the announcement ends, what played
    before is put back at its volume but not played again, and the announcement is done."""
    async with house(tmp_path) as rig:
        kitchen = rig.emulator.speaker("Kitchen")
        async with watching(rig.emulator, "Kitchen") as seen:
            announcing = await speaking(rig)
            stop = Action(entity_id="media_player.kitchen", command="media_player.stop")
            outcome = await rig.house.carry_out(Plan([stop], MEMBER, Path.INTENT))
            assert [r.ok for r in outcome.results] == [True], outcome.results
            [result] = await announcing
        assert result.ok, result
        [clip] = rig.emulator.fetched
        assert clip.duration > 2  # it was stopped well before the end
        # The music is back where it was, stopped, at its own volume; it never played again.
        assert (kitchen.transport_state, kitchen.volume, kitchen.stream_uri) == (
            "STOPPED",
            20,
            "",
        )
        assert kitchen.current == SPEAKER_SECOND
        spoken = seen.index(("PLAYING", 45, clip.uri))
        assert [s for s in seen[spoken:] if s[0] == "PLAYING" and s[2] != clip.uri] == [], seen
        state = rig.registry.entity("media_player.kitchen").state
        assert state is not None
        assert (state.state, state.attributes()["volume"]) == ("stopped", 20)


@needs_speech
async def test_a_pause_in_the_sonos_app_during_an_announcement_leaves_it_stopped(
    tmp_path: FilePath,
) -> None:
    """Paused at the speaker (or in the app), not through Dobby: the same as a stop."""
    async with house(tmp_path) as rig:
        kitchen = rig.emulator.speaker("Kitchen")
        announcing = await speaking(rig)
        rig.emulator.household.pause(kitchen)
        rig.emulator.changed()
        [result] = await announcing
        assert result.ok, result
        assert (kitchen.transport_state, kitchen.volume, kitchen.stream_uri) == (
            "STOPPED",
            20,
            "",
        )
        assert kitchen.current == SPEAKER_SECOND


@needs_speech
async def test_something_new_played_during_an_announcement_plays_at_the_volume_before(
    tmp_path: FilePath,
) -> None:
    """A station picked in the Sonos app mid-announcement plays on, not replaced by what
    played before; the announcement's volume does not stay."""
    station = "x-sonosapi-stream:s1234?sid=254&flags=8224"
    async with house(tmp_path) as rig:
        kitchen = rig.emulator.speaker("Kitchen")
        announcing = await speaking(rig)
        rig.emulator.household.set_uri(kitchen, station, "")
        rig.emulator.household.play(kitchen)
        rig.emulator.changed()
        [result] = await announcing
        assert result.ok, result
        assert (kitchen.transport_state, kitchen.volume, kitchen.stream_uri) == (
            "PLAYING",
            20,
            station,
        )


@needs_speech
async def test_stop_to_a_group_member_during_an_announcement_stops_the_whole_group(
    tmp_path: FilePath,
) -> None:
    """Den plays with Kitchen, which announces to both: "stop the den" ends it for the
    group, and both volumes come back, the group stopped."""
    async with house(tmp_path) as rig:
        kitchen, den = await den_under_kitchen(rig)
        den.volume = 33
        announcing = await speaking(rig)
        assert den.volume == 45
        stop = Action(entity_id="media_player.den", command="media_player.stop")
        outcome = await rig.house.carry_out(Plan([stop], MEMBER, Path.INTENT))
        assert [r.ok for r in outcome.results] == [True], outcome.results
        [result] = await announcing
        assert result.ok, result
        assert (kitchen.transport_state, den.transport_state) == ("STOPPED", "STOPPED")
        assert (kitchen.volume, den.volume) == (20, 33)
        assert (kitchen.stream_uri, kitchen.current) == ("", SPEAKER_SECOND)
        assert den.coordinator_uid == kitchen.uid
