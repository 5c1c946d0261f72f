"""The Sonos adapter: the contract kit against the emulator, discovery, the executor."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from soco import events_asyncio

from devices.adapters.sonos import SonosConfig
from devices.adapters.sonos.adapter import POLL_WITH_EVENTS, POLL_WITHOUT_EVENTS, SonosAdapter
from devices.adapters.sonos.demo import DEMO_QUEUE
from devices.adapters.sonos.emulator import Favourite, Playlist, SonosEmulator, SpeakerSpec, Track
from devices.adapters.sonos.events import free_port
from devices.blocking import BlockingRunner
from devices.discovery import Discovery
from devices.entities import Entity
from devices.plugin import AdapterContext
from devices.registry import Registry
from devices.testing import AdapterContract, CommandCase, fresh_hosts
from devices.testing.addresses import HostAllocator
from skills.actions import Action, Path, Plan, Requester
from skills.executor import Executor
from tests.scripted_model import model_calls

FIRST, SECOND, THIRD = (track.title for track in DEMO_QUEUE)
LATE_JAZZ = (Track("Take Five", "Dave Brubeck", "Time Out", 324), Track("Naima", "John Coltrane"))
LIBRARY: dict[str, Any] = {
    "playlists": [Playlist("Late Jazz", LATE_JAZZ)],
    "favourites": [
        Favourite("Jazz Radio", stream_uri="x-sonosapi-stream:s1234?sid=254&flags=8224"),
        Favourite("Sunday", playlist="Late Jazz"),
    ],
}
"""A household's favourites (a station, a playlist shortcut) and its one Sonos playlist."""


def speakers(hosts: HostAllocator, *names: str, **options: Any) -> list[SpeakerSpec]:
    return [
        SpeakerSpec(name, hosts.allocate(), transport_state="PLAYING", queue=DEMO_QUEUE, **options)
        for name in names
    ]


class TestSonosContract(AdapterContract):
    adapter_class = SonosAdapter
    entity_count = 2
    command_cases = [  # noqa: RUF012 - the kit's declared shape
        CommandCase("media_player.pause", expect={"state": "paused"}),
        CommandCase("media_player.play", expect={"state": "playing"}),
        CommandCase("media_player.next_track", expect={"media_title": SECOND}),
        CommandCase("media_player.previous_track", expect={"media_title": FIRST}),
        CommandCase("media_player.set_volume", {"volume": 30}, expect={"volume": 30}),
        CommandCase("media_player.step_volume", {"delta": -5}, expect={"volume": 25}),
        CommandCase("media_player.mute", {"muted": True}, expect={"muted": True}),
        CommandCase("media_player.mute", {"muted": False}, expect={"muted": False}),
        CommandCase(
            "media_player.join",
            {"members": ["{other}"]},
            expect={"group_members": ["{self}", "{other}"]},
        ),
        CommandCase("media_player.unjoin", expect={"group_members": None}),
        CommandCase(
            "media_player.select_source",
            {"source": "late jazz"},
            expect={"state": "playing", "media_title": "Take Five"},
        ),
        CommandCase(
            "media_player.select_source",
            {"source": "Jazz Radio"},
            expect={"state": "playing", "media_title": "Jazz Radio"},
        ),
        CommandCase("media_player.stop", expect={"state": "stopped"}),
    ]

    async def start_emulator(self, hosts: HostAllocator) -> SonosEmulator:
        emulator = SonosEmulator(
            speakers(hosts, "Den", "Study"), ssdp_interface="127.0.0.1", **LIBRARY
        )
        await emulator.start()
        return emulator

    def adapter_config(self, emulated: Any) -> SonosConfig:
        return SonosConfig(request_timeout=self.timeout)

    async def change_on_device(self, emulated: Any) -> tuple[str, dict[str, Any]]:
        speaker = emulated.speaker("Study")
        speaker.volume = 7
        speaker.transport_state = "PAUSED_PLAYBACK"
        emulated.changed()
        return speaker.uid, {"volume": 7, "state": "paused"}


async def test_speakers_are_found_over_loopback_mdns_alone() -> None:
    hosts = fresh_hosts()
    emulator = SonosEmulator(speakers(hosts, "Den"), ssdp_interface="127.0.0.1", announce_mdns=True)
    await emulator.start()
    registry = Registry()
    blocking = BlockingRunner()
    adapter = SonosAdapter(AdapterContext("sonos", registry, blocking), SonosConfig())
    mdns_only = SonosAdapter.manifest.model_copy(update={"ssdp_targets": ()})
    discovery = Discovery({"sonos": mdns_only}, adapter.discovered, interfaces=["127.0.0.1"])
    try:
        await discovery.start()
        assert await registry.wait_until(lambda: "media_player.den" in registry.entities, 10)
        [finding] = [f for f in discovery.findings.values() if f.adapter == "sonos"]
        assert finding.found.source == "mdns"
        assert finding.found.host == emulator.speaker("Den").host
        entity = registry.entity("media_player.den")
        assert registry.area_name(entity) == "Den"
        assert entity.unique_id == f"sonos:{emulator.speaker('Den').uid}"
    finally:
        await discovery.stop()
        await adapter.stop()
        await emulator.stop()
        blocking.shutdown()


@dataclass
class Rig:
    emulator: SonosEmulator
    registry: Registry
    adapter: SonosAdapter


@asynccontextmanager
async def configured(*names: str, **settings: Any) -> AsyncIterator[Rig]:
    """Emulated speakers of these names, and the adapter started on their addresses (no
    discovery, and no poller: only what the test calls reads the speakers)."""
    emulator = SonosEmulator(speakers(fresh_hosts(), *names), ssdp_interface="127.0.0.1", **LIBRARY)
    await emulator.start()
    registry = Registry()
    blocking = BlockingRunner()
    config = SonosConfig(hosts=[s.host for s in emulator.speakers], **settings)
    adapter = SonosAdapter(AdapterContext("sonos", registry, blocking), config)
    try:
        await adapter.start()
        yield Rig(emulator, registry, adapter)
    finally:
        for speaker in emulator.speakers:
            speaker.faults.clear()
        await adapter.stop()
        await emulator.stop()
        blocking.shutdown()


def fields(entity: Entity) -> dict[str, Any]:
    assert entity.state is not None
    return {"state": entity.state.state, **entity.state.attributes()}


async def test_a_speaker_not_answering_at_start_is_set_up_soon_without_a_poll() -> None:
    """A device slow at Dobby's start (or on a busy machine) is tried again within seconds,
    not only at the next poll (nothing polls here)."""
    emulator = SonosEmulator(speakers(fresh_hosts(), "Den"), ssdp_interface="127.0.0.1")
    registry, blocking = Registry(), BlockingRunner()
    config = SonosConfig(hosts=[s.host for s in emulator.speakers])
    adapter = SonosAdapter(AdapterContext("sonos", registry, blocking), config)
    try:
        await adapter.start()  # nothing answers yet
        assert registry.entities == {}
        await emulator.start()
        assert await registry.wait_until(lambda: "media_player.den" in registry.entities, 30)
    finally:
        await adapter.stop()
        await emulator.stop()
        blocking.shutdown()


async def test_configured_hosts_need_no_discovery() -> None:
    async with configured("Den", "Study") as rig:
        assert sorted(rig.registry.entities) == ["media_player.den", "media_player.study"]
        assert fields(rig.registry.entity("media_player.den"))["media_title"] == FIRST


async def test_favourites_and_playlists_are_what_a_speaker_can_play_by_name() -> None:
    async with configured("Den", "Study") as rig:
        den = fields(rig.registry.entity("media_player.den"))
        assert den["source_list"] == ["Jazz Radio", "Sunday", "Late Jazz"]
        assert den["radio_sources"] == ["Jazz Radio"]
        # Played on the group's coordinator: the whole group plays it.
        executor = Executor(rig.registry, {"sonos": rig.adapter})
        ask = Requester.local_admin()
        join = Action(
            entity_id="media_player.den",
            command="media_player.join",
            params={"members": ["media_player.study"]},
        )
        play = Action(
            entity_id="media_player.study",
            command="media_player.select_source",
            params={"source": "SUNDAY"},
        )
        for action in (join, play):  # two devices: one plan would send both at once
            [result] = await executor.run(Plan([action], ask, Path.ROUTINE))
            assert result.ok, result
        coordinator = rig.emulator.speaker("Den")
        assert [t.title for t in coordinator.queue] == ["Take Five", "Naima"]
        assert {s.transport_state for s in rig.emulator.speakers} == {"PLAYING"}
        # A name it does not have is refused, and nothing is sent to the speaker.
        before = len(rig.emulator.requests)
        wrong = Action(
            entity_id="media_player.den",
            command="media_player.select_source",
            params={"source": "Polka Hour"},
        )
        [result] = await executor.run(Plan([wrong], ask, Path.ROUTINE))
        assert result.error == "Den: has no favourite or playlist called 'Polka Hour'."
        sent = [r.action for r in list(rig.emulator.requests)[before:]]
        assert sent == ["Browse", "Browse"]  # it looked, and changed nothing


async def test_a_group_changed_before_its_event_arrives_still_plays_on_its_coordinator() -> None:
    """Grouped in the Sonos app a moment ago, before any topology event said so: the
    member refuses a transport command (fault 800), Dobby reads who leads the group now and
    sends it there, once."""
    async with configured("Den", "Study") as rig:
        study, den = rig.emulator.speaker("Study"), rig.emulator.speaker("Den")
        # The topology events are late: held back until the command has been carried out
        # (the first ones, sent as Dobby subscribed, have arrived: Dobby knows both alone).
        publisher = rig.emulator.publisher
        await publisher.delivered()
        late = {
            sid: s
            for sid, s in publisher.subscriptions.items()
            if "ZoneGroupTopology" in s.service.event_url
        }
        assert late
        for sid in late:
            del publisher.subscriptions[sid]
        rig.emulator.join("Study", "Den")
        executor = Executor(rig.registry, {"sonos": rig.adapter})
        play = Action(
            entity_id="media_player.study",
            command="media_player.select_source",
            params={"source": "Sunday"},
        )
        before = len(rig.emulator.requests)
        [result] = await executor.run(Plan([play], Requester.local_admin(), Path.ROUTINE))
        assert result.ok, result
        assert [t.title for t in den.queue] == ["Take Five", "Naima"]
        sent = [(r.host, r.action) for r in list(rig.emulator.requests)[before:]]
        assert (study.host, "GetZoneGroupState") in sent  # it asked who leads the group
        assert sent.count((den.host, "AddURIToQueue")) == 1  # and sent it there once
        publisher.subscriptions.update(late)


async def test_the_language_models_tool_plays_a_favourite_on_a_group() -> None:
    """The model's control_media_player tool: group, then play a favourite by its name,
    through the policy and the executor to the speakers."""
    group = {
        "entity_ids": ["media_player.den"],
        "action": "group",
        "members": ["media_player.study"],
    }
    play = {"entity_ids": ["media_player.den"], "action": "play_source", "source": "Jazz Radio"}
    async with configured("Den", "Study") as rig:
        answers = await model_calls(
            rig.registry,
            {"sonos": rig.adapter},
            ("control_media_player", group),
            ("control_media_player", play),
        )
        assert len(answers) == 2, answers
        den, study = rig.emulator.speaker("Den"), rig.emulator.speaker("Study")
        assert study.coordinator_uid == den.uid
        assert den.stream_uri.startswith("x-sonosapi-stream:s1234")
        assert (den.transport_state, study.transport_state) == ("PLAYING", "PLAYING")


async def test_a_slow_speaker_does_not_delay_the_others() -> None:
    names = [f"Room {n}" for n in range(1, 6)]
    async with configured(*names, request_timeout=5) as rig:
        emulator, registry = rig.emulator, rig.registry
        emulator.speaker("Room 1").faults.latency = 3.0
        executor = Executor(registry, {"sonos": rig.adapter}, timeout=0.5)
        plan = Plan(
            [Action(entity_id=e, command="media_player.stop") for e in sorted(registry.entities)],
            Requester.local_admin(),
            Path.ROUTINE,
        )
        results = await executor.run(plan)
        assert [r.ok for r in results] == [False, True, True, True, True]
        assert results[0].error == "Room 1: did not answer within 0.5 s."
        assert [s.transport_state for s in emulator.speakers[1:]] == ["STOPPED"] * 4
        # Slow is not gone: two late answers (stop is sent twice, being idempotent) are
        # fewer than the failures in a row that mark a speaker unavailable.
        assert registry.entity("media_player.room_1").available
        assert registry.entity("media_player.room_2").available


async def test_changes_at_the_speaker_arrive_as_events_without_polling() -> None:
    async with configured("Den") as rig:
        speaker = rig.emulator.speaker("Den")
        assert rig.adapter.events.subscribed(speaker.uid)
        den = rig.registry.entity("media_player.den")
        # Someone turns the speaker down and pauses it at the speaker itself. Nothing
        # polls here: only events can tell.
        speaker.volume = 7
        speaker.transport_state = "PAUSED_PLAYBACK"
        rig.emulator.changed()
        assert await rig.registry.wait_until(
            lambda: (fields(den)["volume"], fields(den)["state"]) == (7, "paused"), 5
        )


async def test_without_events_the_speaker_is_polled() -> None:
    async with configured("Den", events=False) as rig:
        speaker = rig.emulator.speaker("Den")
        assert not rig.adapter.events.subscribed(speaker.uid)
        assert rig.adapter.poll_interval == POLL_WITHOUT_EVENTS
        speaker.volume = 9
        rig.emulator.changed()
        await rig.adapter.refresh()
        assert fields(rig.registry.entity("media_player.den"))["volume"] == 9


async def test_groups_made_in_the_sonos_app_arrive_as_events() -> None:
    async with configured("Den", "Study") as rig:
        den = rig.registry.entity("media_player.den")
        # Grouped and ungrouped in the Sonos app; nothing polls here, only the speakers'
        # topology events can tell.
        rig.emulator.join("Study", "Den")
        assert await rig.registry.wait_until(
            lambda: fields(den).get("group_members") == ["media_player.den", "media_player.study"],
            30,
        )
        rig.emulator.unjoin("Study")
        assert await rig.registry.wait_until(lambda: fields(den).get("group_members") is None, 30)


async def test_another_speakers_topology_event_does_not_bring_back_one_that_answers_garbage() -> (
    None
):
    """Every speaker's group is worked out again after a topology event; a speaker that
    answers garbage is not heard from by that, so it stays unavailable."""
    async with configured("Den", "Study", "Kitchen") as rig:
        kitchen = rig.emulator.speaker("Kitchen")
        await rig.emulator.settled()  # its first events are in: it was heard
        kitchen.faults.garbage = True
        await rig.adapter.refresh()
        entity = rig.registry.entity("media_player.kitchen")
        assert not entity.available
        den = rig.registry.entity("media_player.den")
        rig.emulator.join("Study", "Den")
        assert await rig.registry.wait_until(
            lambda: fields(den).get("group_members") == ["media_player.den", "media_player.study"],
            30,
        )
        assert not entity.available
        # It answers properly again: the next poll brings it back.
        kitchen.faults.clear()
        await rig.adapter.refresh()
        assert entity.available
        assert fields(entity)["state"] == "playing"


async def test_a_speaker_gone_at_stop_is_one_line_not_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unsubscribing from a speaker that has gone cannot reach it: that is said in one line
    (the subscription ends on the speaker when it expires), not as SoCo's error traceback."""
    async with configured("Den") as rig:
        speaker = rig.emulator.speaker("Den")
        assert rig.adapter.events.subscribed(speaker.uid)
        speaker.faults.drop = True
        with caplog.at_level(logging.INFO):
            await rig.adapter.events.stop()
    [gone] = [r for r in caplog.records if "Could not unsubscribe" in r.getMessage()]
    assert speaker.host in gone.getMessage()  # one line for its three services
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


async def test_stopping_unsubscribes_from_slow_speakers_all_at_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Six speakers that each take a while to answer: their eighteen unsubscribes are on
    the way together (one after another, a stop would take eighteen answers' time), and
    every one is answered."""
    async with configured(*(f"Room {n}" for n in range(1, 7)), request_timeout=30) as rig:
        await rig.emulator.settled()
        for speaker in rig.emulator.speakers:
            assert rig.adapter.events.subscribed(speaker.uid)
            speaker.faults.latency = 2.0
        with caplog.at_level(logging.INFO):
            await rig.adapter.stop()
        assert rig.emulator.in_flight.most["UNSUBSCRIBE"] == 18
        assert list(rig.emulator.publisher.active()) == []  # every speaker was told
    assert [r for r in caplog.records if "Could not unsubscribe" in r.getMessage()] == []


async def test_stopping_waits_for_speakers_that_never_answer_no_longer_than_one_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Two of three speakers take the unsubscribes and never answer: stopping asks them all
    together, gives them one request's time, and says so in one line each."""
    async with configured("Den", "Study", "Kitchen", request_timeout=1.0) as rig:
        await rig.emulator.settled()
        gone = [rig.emulator.speaker(name) for name in ("Den", "Study")]
        for speaker in gone:
            speaker.faults.silent = True
        with caplog.at_level(logging.INFO):
            await rig.adapter.stop()  # without a bound, this would wait for ever
        # The six that never answer were all on the way at once.
        assert rig.emulator.in_flight.most["UNSUBSCRIBE"] >= 6
        kitchen = rig.emulator.speaker("Kitchen")
        assert list(rig.emulator.publisher.active(kitchen)) == []
    lines = [r.getMessage() for r in caplog.records if "Could not unsubscribe" in r.getMessage()]
    assert sorted(lines) == sorted(
        f"Could not unsubscribe from {s.host} (no answer in time): it ends on the speaker "
        "when it expires"
        for s in gone
    )
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


async def test_polled_rarely_while_events_flow_and_at_once_when_they_stop() -> None:
    async with configured("Den", request_timeout=1) as rig:
        speaker, adapter, registry = rig.emulator.speaker("Den"), rig.adapter, rig.registry
        assert adapter.poll_interval == POLL_WITH_EVENTS

        # The speaker is unplugged; SoCo's next renewal of its subscriptions fails.
        speaker.faults.drop = True
        subscriptions = events_asyncio.subscriptions_map.subscriptions.values()
        mine = [s for s in subscriptions if s.service.soco.ip_address == speaker.host]
        assert mine
        await mine[0].renew(is_autorenew=True, strict=False)
        assert not adapter.events.subscribed(speaker.uid)
        assert adapter.poll_interval == POLL_WITHOUT_EVENTS
        den = registry.entity("media_player.den")
        assert await registry.wait_until(lambda: not den.available, 30)

        # Plugged in again, it answers discovery: events and a fresh state follow.
        speaker.faults.clear()
        speaker.volume = 11
        await adapter.add_host(speaker.host)
        assert adapter.events.subscribed(speaker.uid)
        assert adapter.poll_interval == POLL_WITH_EVENTS
        assert den.available
        assert fields(den)["volume"] == 11


def test_the_event_listener_gets_a_port_that_binds() -> None:
    """SoCo leaks a socket for every port it fails to bind: it is handed one that binds,
    the configured one when free, else one the system picks."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        taken = held.getsockname()[1]
        other = free_port("127.0.0.1", taken)
        assert other != taken
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", other))  # it binds
    assert free_port("127.0.0.1", other) == other  # free: the configured port itself
