"""The Sonos emulator, driven by the released SoCo library over real loopback sockets."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from queue import Empty, Queue
from typing import Any

import pytest
import requests
import soco
from aiohttp import web
from soco import events, events_asyncio
from soco.exceptions import SoCoSlaveException, SoCoUPnPException
from zeroconf import IPVersion
from zeroconf.asyncio import AsyncZeroconf

from devices.adapters.sonos.emulator import Favourite, Playlist, SonosEmulator, SpeakerSpec, Track
from devices.adapters.sonos.emulator.state import default_uid
from devices.testing.addresses import HostAllocator
from devices.testing.faults import Faults
from devices.testing.loop_thread import LoopThread

DEVICE = "{urn:schemas-upnp-org:device-1-0}"
QUEUE = (
    Track("Blue in Green", "Miles Davis", "Kind of Blue", 337),
    Track("So What", "Miles Davis", "Kind of Blue", 562),
    Track("Naima", "John Coltrane", "Giant Steps", 261),
)
StartEmulator = Callable[..., SonosEmulator]


def speakers(hosts: HostAllocator, *names: str, **options: Any) -> list[SpeakerSpec]:
    """One spec per name, each on its own address, all with the same queue."""
    return [SpeakerSpec(name, hosts.allocate(), queue=QUEUE, **options) for name in names]


def upnp_error(info: pytest.ExceptionInfo[SoCoUPnPException]) -> int:
    return int(info.value.error_code)


# --- discovery ------------------------------------------------------------------------


def test_discover_finds_exactly_the_emulated_speakers(
    start_emulator: StartEmulator, hosts: HostAllocator
) -> None:
    specs = speakers(hosts, "Kitchen", "Living Room", "Bedroom")
    emulator = start_emulator(specs)

    # household_id keeps answers from emulators other test runs may have on loopback out.
    zones = soco.discover(timeout=1, interface_addr="127.0.0.1", household_id=emulator.household_id)

    assert zones is not None
    assert {(z.ip_address, z.player_name) for z in zones} == {(s.host, s.name) for s in specs}
    assert {z.uid for z in zones} == {default_uid(s.host) for s in specs}


def m_search(target: str, wait: float = 0.3) -> list[tuple[str, dict[str, str]]]:
    """Send one M-SEARCH on loopback; every answer with its sender and headers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as sock:
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, struct.pack("B", 1))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
        sock.bind(("127.0.0.1", 0))
        search = (
            "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
            f'MAN: "ssdp:discover"\r\nMX: 1\r\nST: {target}\r\n\r\n'
        )
        sock.sendto(search.encode(), ("239.255.255.250", 1900))
        sock.settimeout(wait)
        answers = []
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                data, (sender, _) = sock.recvfrom(2048)
            except TimeoutError:
                break
            lines = data.decode().split("\r\n")
            assert lines[0] == "HTTP/1.1 200 OK"
            headers = {}
            for line in lines[1:]:
                key, sep, value = line.partition(":")
                if sep:
                    headers[key.upper()] = value.strip()
            answers.append((sender, headers))
    return answers


def test_ssdp_answers_from_each_speakers_own_address(
    start_emulator: StartEmulator, hosts: HostAllocator
) -> None:
    specs = speakers(hosts, "Kitchen", "Bedroom")
    emulator = start_emulator(specs)

    answers = [
        (sender, h)
        for sender, h in m_search("urn:schemas-upnp-org:device:ZonePlayer:1")
        if h.get("X-RINCON-HOUSEHOLD") == emulator.household_id
    ]

    assert sorted(sender for sender, _ in answers) == sorted(s.host for s in specs)
    for sender, headers in answers:
        uid = default_uid(sender)
        assert headers["LOCATION"] == f"http://{sender}:1400/xml/device_description.xml"
        assert headers["USN"] == f"uuid:{uid}::urn:schemas-upnp-org:device:ZonePlayer:1"
        assert headers["ST"] == "urn:schemas-upnp-org:device:ZonePlayer:1"
        assert headers["SERVER"] == "Linux UPnP/1.0 Sonos/80.1-55240 (ZPS18)"
        assert headers["CACHE-CONTROL"] == "max-age = 1800"
        assert "EXT" in headers
        assert headers["X-RINCON-BOOTSEQ"].isdigit()

    ours = {s.host for s in specs}
    every = [s for s, h in m_search("ssdp:all") if s in ours]
    assert sorted(every) == sorted([*ours] * 3)  # rootdevice, uuid, ZonePlayer
    assert not [s for s, _ in m_search("urn:schemas-upnp-org:device:Printer:1") if s in ours]


def test_ssdp_announces_alive_and_byebye(loop_thread: LoopThread, hosts: HostAllocator) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("239.255.255.250", 1900))
        membership = socket.inet_aton("239.255.255.250") + socket.inet_aton("127.0.0.1")
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sock.settimeout(0.5)
        emulator = SonosEmulator(speakers(hosts, "Kitchen"))
        host = emulator.speakers[0].host

        def notifications() -> list[str]:
            found = []
            with contextlib.suppress(TimeoutError):
                while True:
                    data, (sender, _) = sock.recvfrom(2048)
                    text = data.decode()
                    if sender == host and emulator.household_id in text:
                        found.append(text)
            return found

        loop_thread.run(emulator.start())
        alive = notifications()
        loop_thread.run(emulator.stop())
        gone = notifications()

    assert len(alive) == 3
    assert all(text.startswith("NOTIFY * HTTP/1.1\r\n") for text in alive)
    assert all("NTS: ssdp:alive" in text for text in alive)
    assert any("NT: urn:schemas-upnp-org:device:ZonePlayer:1" in text for text in alive)
    assert f"LOCATION: http://{host}:1400/xml/device_description.xml" in alive[0]
    assert len(gone) == 3
    assert all("NTS: ssdp:byebye" in text for text in gone)


# --- description and speaker info -----------------------------------------------------


def test_description_lists_the_services_where_soco_looks(
    start_emulator: StartEmulator, hosts: HostAllocator
) -> None:
    (spec,) = speakers(hosts, "Kitchen")
    start_emulator([spec])
    player = soco.SoCo(spec.host)

    info = player.get_speaker_info()

    assert info["zone_name"] == "Kitchen"
    assert info["model_name"] == "Sonos One"
    assert info["model_number"] == "S18"
    assert info["uid"] == default_uid(spec.host)
    assert info["software_version"] == "80.1-55240"
    assert info["mac_address"] == "48-A6-B8-" + "-".join(
        f"{b:02X}" for b in socket.inet_aton(spec.host)[1:]
    )

    root = ET.fromstring(
        requests.get(f"{player.base_url}/xml/device_description.xml", timeout=5).content
    )
    device = root.find(f"{DEVICE}device")
    assert device is not None
    assert device.findtext(f"{DEVICE}deviceType") == "urn:schemas-upnp-org:device:ZonePlayer:1"
    embedded = [d.findtext(f"{DEVICE}deviceType") for d in device.iter(f"{DEVICE}device")]
    assert embedded[1:] == [
        "urn:schemas-upnp-org:device:MediaServer:1",
        "urn:schemas-upnp-org:device:MediaRenderer:1",
    ]
    described = {
        (
            s.findtext(f"{DEVICE}controlURL"),
            s.findtext(f"{DEVICE}eventSubURL"),
            s.findtext(f"{DEVICE}SCPDURL"),
        )
        for s in root.iter(f"{DEVICE}service")
    }
    for service in (
        player.avTransport,
        player.renderingControl,
        player.groupRenderingControl,
        player.zoneGroupTopology,
        player.deviceProperties,
        player.contentDirectory,
        player.alarmClock,
    ):
        assert (service.control_url, service.event_subscription_url, service.scpd_url) in described
    # SoCo reads the SCPD whenever it calls an action by keyword.
    assert [a.name for a in player.renderingControl.actions if a.name == "SetVolume"]
    assert player.renderingControl.GetVolume(InstanceID=0, Channel="Master") == {
        "CurrentVolume": "20"
    }


# --- transport ------------------------------------------------------------------------


def test_transport_commands_change_the_speaker(
    start_emulator: StartEmulator, hosts: HostAllocator
) -> None:
    (spec,) = speakers(hosts, "Kitchen")
    emulator = start_emulator([spec])
    state = emulator.speaker("Kitchen")
    player = soco.SoCo(spec.host)

    assert player.get_current_transport_info()["current_transport_state"] == "STOPPED"
    player.play()
    assert state.transport_state == "PLAYING"
    assert player.get_current_transport_info() == {
        "current_transport_state": "PLAYING",
        "current_transport_status": "OK",
        "current_transport_speed": "1",
    }
    track = player.get_current_track_info()
    assert (track["title"], track["artist"], track["album"]) == (
        "Blue in Green",
        "Miles Davis",
        "Kind of Blue",
    )
    assert (track["playlist_position"], track["duration"]) == ("1", "0:05:37")

    player.next()
    assert state.current == 1
    assert player.get_current_track_info()["title"] == "So What"
    player.pause()
    assert state.transport_state == "PAUSED_PLAYBACK"
    assert player.get_current_transport_info()["current_transport_state"] == "PAUSED_PLAYBACK"
    player.previous()
    assert player.get_current_track_info()["title"] == "Blue in Green"
    player.seek(track=2)
    assert player.get_current_track_info()["title"] == "Naima"
    player.seek(position="0:01:05")
    assert player.get_current_track_info()["position"] == "0:01:05"
    player.stop()
    assert state.transport_state == "STOPPED"
    assert player.get_current_media_info()["uri"] == f"x-rincon-queue:{state.uid}#0"


def test_invalid_transitions_are_upnp_faults(
    start_emulator: StartEmulator, hosts: HostAllocator
) -> None:
    specs = [*speakers(hosts, "Kitchen"), SpeakerSpec("Empty", hosts.allocate())]
    emulator = start_emulator(specs)
    player, empty = soco.SoCo(specs[0].host), soco.SoCo(specs[1].host)

    with pytest.raises(SoCoUPnPException) as paused_when_stopped:
        player.pause()
    assert upnp_error(paused_when_stopped) == 701
    with pytest.raises(SoCoUPnPException) as before_first:
        player.previous()
    assert upnp_error(before_first) == 711
    player.seek(track=2)
    with pytest.raises(SoCoUPnPException) as past_end:
        player.next()
    assert upnp_error(past_end) == 711
    with pytest.raises(SoCoUPnPException) as nothing_to_play:
        empty.play()
    assert upnp_error(nothing_to_play) == 701
    with pytest.raises(SoCoUPnPException) as no_such_mode:
        player.avTransport.SetPlayMode([("InstanceID", 0), ("NewPlayMode", "BACKWARDS")])
    assert upnp_error(no_such_mode) == 712
    assert emulator.speaker("Kitchen").transport_state == "STOPPED"

    player.play_mode = "REPEAT_ALL"
    player.next()
    assert player.get_current_track_info()["title"] == "Blue in Green"


def test_unknown_actions_and_bad_arguments_are_upnp_faults(
    start_emulator: StartEmulator, hosts: HostAllocator
) -> None:
    (spec,) = speakers(hosts, "Kitchen")
    start_emulator([spec])
    player = soco.SoCo(spec.host)

    with pytest.raises(SoCoUPnPException) as unknown:
        player.avTransport.send_command("SelfDestruct", args=[("InstanceID", 0)])
    assert upnp_error(unknown) == 401
    assert "Invalid Action" in str(unknown.value)
    with pytest.raises(SoCoUPnPException) as missing:
        player.renderingControl.send_command("SetVolume", args=[("InstanceID", 0)])
    assert upnp_error(missing) == 402
    with pytest.raises(SoCoUPnPException) as instance:
        player.avTransport.send_command("Play", args=[("InstanceID", 3), ("Speed", 1)])
    assert upnp_error(instance) == 718


def test_changes_on_the_speaker_are_what_soco_reads(
    start_emulator: StartEmulator, hosts: HostAllocator
) -> None:
    (spec,) = speakers(hosts, "Kitchen", transport_state="PLAYING", volume=35)
    emulator = start_emulator([spec])
    state = emulator.speaker("Kitchen")
    player = soco.SoCo(spec.host)
    assert player.get_current_transport_info()["current_transport_state"] == "PLAYING"

    state.transport_state = "PAUSED_PLAYBACK"  # someone pressed pause on the speaker
    state.volume = 12
    state.queue.append(Track("Giant Steps", "John Coltrane", "Giant Steps", 286))
    state.current = 3

    assert player.get_current_transport_info()["current_transport_state"] == "PAUSED_PLAYBACK"
    assert player.volume == 12
    assert player.get_current_track_info()["title"] == "Giant Steps"


def test_queue_and_streams(start_emulator: StartEmulator, hosts: HostAllocator) -> None:
    (spec,) = speakers(hosts, "Kitchen")
    emulator = start_emulator([spec])
    state = emulator.speaker("Kitchen")
    player = soco.SoCo(spec.host)

    queue = player.get_queue()
    assert [(t.title, t.creator, t.album) for t in queue] == [
        (t.title, t.artist, t.album) for t in QUEUE
    ]
    assert (queue.total_matches, player.queue_size) == (3, 3)
    assert player.add_uri_to_queue("http://127.0.0.1:9/impressions.mp3") == 4
    assert state.queue[-1].title == "impressions.mp3"
    player.play_from_queue(3)
    track = player.get_current_track_info()
    assert (track["playlist_position"], track["uri"]) == ("4", "http://127.0.0.1:9/impressions.mp3")
    assert state.transport_state == "PLAYING"

    player.play_uri("x-rincon-mp3radio://127.0.0.1:9/jazz", title="Jazz Radio")
    track = player.get_current_track_info()
    assert (track["title"], track["duration"]) == ("Jazz Radio", "0:00:00")
    assert player.get_current_media_info() == {
        "uri": "x-rincon-mp3radio://127.0.0.1:9/jazz",
        "channel": "Jazz Radio",
    }
    assert state.transport_state == "PLAYING"
    with pytest.raises(SoCoUPnPException) as no_queue:
        player.next()
    assert upnp_error(no_queue) == 701

    player.clear_queue()
    assert (player.queue_size, state.queue) == (0, [])
    assert state.transport_state == "PLAYING"  # the stream plays on


def test_favourites_and_playlists_play_as_the_sonos_app_plays_them(
    start_emulator: StartEmulator, hosts: HostAllocator
) -> None:
    (spec,) = speakers(hosts, "Kitchen")
    late = (Track("Take Five", "Dave Brubeck", "Time Out", 324), *QUEUE[:1])
    emulator = start_emulator(
        [spec],
        playlists=[Playlist("Late Jazz", late), Playlist("Empty", ())],
        favourites=[
            Favourite("Jazz Radio", stream_uri="x-sonosapi-stream:s1234?sid=254&flags=8224"),
            Favourite("My Late Jazz", playlist="Late Jazz", description="Sonos Playlist"),
        ],
    )
    state = emulator.speaker("Kitchen")
    player = soco.SoCo(spec.host)

    radio, shortcut = player.music_library.get_sonos_favorites()
    assert (radio.title, shortcut.title) == ("Jazz Radio", "My Late Jazz")
    assert radio.reference.get_uri() == "x-sonosapi-stream:s1234?sid=254&flags=8224"
    assert radio.reference.item_class == "object.item.audioItem.audioBroadcast"
    assert shortcut.reference.item_class == "object.container.playlistContainer"
    lists = player.get_sonos_playlists()
    assert [p.title for p in lists] == ["Late Jazz", "Empty"]

    # A playlist goes through the queue, all of its tracks, from the first.
    player.clear_queue()
    assert player.add_to_queue(shortcut.reference) == 1
    player.play_from_queue(0)
    assert [t.title for t in state.queue] == ["Take Five", "Blue in Green"]
    assert player.get_current_track_info()["title"] == "Take Five"
    assert state.transport_state == "PLAYING"
    with pytest.raises(SoCoUPnPException) as empty:
        player.add_to_queue(lists[1])
    assert upnp_error(empty) == 701

    # A station plays its stream, with the title it is given.
    player.play_uri(radio.reference.get_uri(), title=radio.title)
    assert player.get_current_media_info()["channel"] == "Jazz Radio"
    assert state.stream_uri.startswith("x-sonosapi-stream:s1234")


def test_a_favourite_names_what_exists() -> None:
    with pytest.raises(ValueError, match="a stream or a playlist"):
        Favourite("Nothing")
    with pytest.raises(ValueError, match="no radio stream"):
        Favourite("Web", stream_uri="http://127.0.0.1:9/a.mp3")
    with pytest.raises(ValueError, match="no playlist 'Gone'"):
        SonosEmulator(
            [SpeakerSpec("Kitchen", "127.0.0.2")], favourites=[Favourite("X", playlist="Gone")]
        )


# --- rendering ------------------------------------------------------------------------


def test_volume_mute_and_eq(start_emulator: StartEmulator, hosts: HostAllocator) -> None:
    (spec,) = speakers(hosts, "Kitchen", volume=30)
    emulator = start_emulator([spec])
    state = emulator.speaker("Kitchen")
    player = soco.SoCo(spec.host)

    assert player.volume == 30
    player.volume = 45
    assert state.volume == 45
    assert player.set_relative_volume(-50) == 0
    assert player.set_relative_volume(7) == 7
    player.volume = 250  # SoCo clamps, the player would too
    assert player.volume == 100
    assert player.mute is False
    player.mute = True
    assert state.muted is True
    assert player.mute is True
    player.bass, player.treble, player.loudness = 4, -3, False
    assert (player.bass, player.treble, player.loudness) == (4, -3, False)
    assert player.status_light is True
    player.status_light = False
    assert (state.led_on, player.status_light) == (False, False)


# --- groups ---------------------------------------------------------------------------


def test_join_and_unjoin(start_emulator: StartEmulator, hosts: HostAllocator) -> None:
    specs = speakers(hosts, "Kitchen", "Bedroom", "Office")
    emulator = start_emulator(specs)
    kitchen, bedroom, office = (soco.SoCo(s.host) for s in specs)

    assert len(kitchen.all_groups) == 3
    assert {z.player_name for z in kitchen.all_zones} == {"Kitchen", "Bedroom", "Office"}
    assert bedroom.is_coordinator

    bedroom.join(kitchen)
    assert emulator.speaker("Bedroom").coordinator_uid == kitchen.uid
    assert kitchen.group is bedroom.group
    assert kitchen.group.coordinator is kitchen
    assert set(kitchen.group.members) == {kitchen, bedroom}
    assert not bedroom.is_coordinator
    assert kitchen.is_coordinator
    assert len(kitchen.all_groups) == 2

    kitchen.play()
    assert bedroom.get_current_transport_info()["current_transport_state"] == "PLAYING"
    assert emulator.speaker("Bedroom").transport_state == "PLAYING"
    assert bedroom.get_current_track_info()["title"] == "Blue in Green"
    assert bedroom.get_current_media_info()["uri"] == f"x-rincon:{kitchen.uid}"
    with pytest.raises(SoCoSlaveException):
        bedroom.pause()  # SoCo refuses on its own
    with pytest.raises(SoCoUPnPException) as member:
        bedroom.avTransport.Pause([("InstanceID", 0), ("Speed", 1)])
    assert upnp_error(member) == 800

    kitchen.group.volume = 50
    assert (kitchen.volume, bedroom.volume) == (50, 50)
    bedroom.volume = 10  # each member keeps its own volume
    assert kitchen.volume == 50

    bedroom.unjoin()
    assert bedroom.is_coordinator
    assert emulator.speaker("Bedroom").coordinator_uid == bedroom.uid
    assert bedroom.get_current_transport_info()["current_transport_state"] == "STOPPED"
    assert kitchen.get_current_transport_info()["current_transport_state"] == "PLAYING"
    assert len(kitchen.all_groups) == 3

    office.join(kitchen)
    kitchen.unjoin()  # the group carries on under its next member
    assert office.is_coordinator
    assert office.get_current_transport_info()["current_transport_state"] == "PLAYING"
    assert kitchen.get_current_transport_info()["current_transport_state"] == "STOPPED"


def test_emulator_groups_speakers_for_a_demo(
    start_emulator: StartEmulator, hosts: HostAllocator
) -> None:
    specs = speakers(hosts, "Kitchen", "Bedroom")
    emulator = start_emulator(specs)
    emulator.join("Bedroom", "Kitchen")
    bedroom = soco.SoCo(specs[1].host)
    assert bedroom.group.coordinator.player_name == "Kitchen"


# --- faults ---------------------------------------------------------------------------


def test_latency_beyond_the_clients_timeout_is_a_timeout(
    start_emulator: StartEmulator, hosts: HostAllocator
) -> None:
    # How long answers take is measured in bench/; here only what a client sees.
    (spec,) = speakers(hosts, "Kitchen", faults=Faults(latency=1.0))
    emulator = start_emulator([spec])
    player = soco.SoCo(spec.host)
    args = [("InstanceID", 0), ("Channel", "Master")]
    with pytest.raises(requests.exceptions.Timeout):
        player.renderingControl.GetVolume(args, timeout=0.2)
    emulator.speaker("Kitchen").faults.clear()
    assert player.renderingControl.GetVolume(args, timeout=5)["CurrentVolume"] == "20"


def test_error_fault_is_a_upnp_fault(start_emulator: StartEmulator, hosts: HostAllocator) -> None:
    (spec,) = speakers(hosts, "Kitchen")
    emulator = start_emulator([spec])
    player = soco.SoCo(spec.host)
    emulator.speaker("Kitchen").faults.error = True

    with pytest.raises(SoCoUPnPException) as failed:
        player.volume = 40
    assert upnp_error(failed) == 501
    assert emulator.speaker("Kitchen").volume == 20

    emulator.speaker("Kitchen").faults.clear()
    player.volume = 40
    assert emulator.speaker("Kitchen").volume == 40


def test_garbage_fault_answers_what_is_not_xml(
    start_emulator: StartEmulator, hosts: HostAllocator
) -> None:
    (spec,) = speakers(hosts, "Kitchen", faults=Faults(garbage=True))
    start_emulator([spec])
    player = soco.SoCo(spec.host)

    with pytest.raises(ET.ParseError):
        _ = player.volume
    with pytest.raises(ET.ParseError):
        player.get_speaker_info(refresh=True)


def test_drop_fault_closes_the_connection(
    start_emulator: StartEmulator, hosts: HostAllocator
) -> None:
    (spec,) = speakers(hosts, "Kitchen", faults=Faults(drop=True))
    emulator = start_emulator([spec])
    player = soco.SoCo(spec.host)

    with pytest.raises(requests.exceptions.ConnectionError):
        player.play()
    assert emulator.speaker("Kitchen").transport_state == "STOPPED"
    assert [r.path for r in emulator.requests][-1] == "/xml/DeviceProperties1.xml"


# --- events ---------------------------------------------------------------------------


@pytest.fixture
def threaded_listener(listener_on_loopback: None) -> Iterator[None]:
    """soco.events' listener thread, stopped and its socket closed after the test."""
    yield
    listener = events.event_listener
    listener.stop()
    thread = getattr(listener, "_listener_thread", None)
    if thread is not None:  # SoCo stops serving but never closes its socket
        thread.server.server_close()


def next_event(subscription: Any, timeout: float = 3.0) -> Any:
    try:
        return subscription.events.get(timeout=timeout)
    except Empty:
        pytest.fail(f"no event from {subscription.service.service_type} within {timeout} s")


def test_subscriptions_receive_changes(
    start_emulator: StartEmulator, hosts: HostAllocator, threaded_listener: None
) -> None:
    specs = speakers(hosts, "Kitchen", "Bedroom", volume=25)
    emulator = start_emulator(specs)
    kitchen, bedroom = (soco.SoCo(s.host) for s in specs)
    transport = kitchen.avTransport.subscribe(requested_timeout=600)
    rendering = kitchen.renderingControl.subscribe()
    topology = kitchen.zoneGroupTopology.subscribe()
    try:
        assert transport.timeout == 600
        initial = next_event(transport)
        assert (initial.seq, initial.transport_state) == ("0", "STOPPED")
        assert initial.current_track_meta_data.title == "Blue in Green"
        assert initial.current_track_meta_data.creator == "Miles Davis"
        assert initial.current_track_meta_data.album == "Kind of Blue"
        assert next_event(rendering).volume == {"Master": "25", "LF": "100", "RF": "100"}
        topology_state = next_event(topology).zone_group_state
        # A live topology subscription stops SoCo's polling: uid, player_name, group and
        # is_coordinator come from this event from now on.
        assert kitchen.uid == default_uid(specs[0].host)
        assert kitchen.uid in topology_state

        kitchen.play()
        played = next_event(transport)
        assert (played.seq, played.transport_state) == ("1", "PLAYING")

        emulator.speaker("Kitchen").transport_state = "PAUSED_PLAYBACK"  # the pause button
        assert next_event(transport).transport_state == "PAUSED_PLAYBACK"

        kitchen.volume = 61
        changed = next_event(rendering)
        assert changed.volume["Master"] == "61"
        assert changed.mute["Master"] == "0"

        bedroom.join(kitchen)
        grouped = next_event(topology)
        assert grouped.zone_player_uui_ds_in_group == f"{kitchen.uid},{bedroom.uid}"
        assert {m.player_name for m in kitchen.group.members} == {"Kitchen", "Bedroom"}

        transport.renew()
        with pytest.raises(Empty):
            transport.events.get(timeout=0.3)  # nothing changed, nothing sent
    finally:
        for subscription in (transport, rendering, topology):
            subscription.unsubscribe()
    assert not list(emulator.publisher.active())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_asyncio_subscription_receives_changes(
    start_emulator: StartEmulator,
    hosts: HostAllocator,
    listener_on_loopback: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # SoCo's asyncio listener binds without SO_REUSEADDR, and leaks the socket when 1400
    # is taken (or in TIME_WAIT after the threaded listener): give it a free port.
    monkeypatch.setattr(events_asyncio.event_listener, "requested_port_number", free_port())
    (spec,) = speakers(hosts, "Kitchen", volume=25)
    start_emulator([spec])
    player = soco.SoCo(spec.host)
    # Subscribing reads player.household_id, over the network the first time: do that in a
    # thread, or SoCo blocks the event loop with it.
    await asyncio.to_thread(lambda: player.household_id)
    received: Queue[Any] = Queue()
    subscription = events_asyncio.Subscription(player.renderingControl, callback=received.put)
    await subscription.subscribe()
    try:
        initial = await asyncio.to_thread(received.get, timeout=3)
        assert initial.volume["Master"] == "25"
        await asyncio.to_thread(setattr, player, "volume", 33)
        changed = await asyncio.to_thread(received.get, timeout=3)
        assert changed.volume["Master"] == "33"
    finally:
        await subscription.unsubscribe()
        listener = events_asyncio.event_listener
        if listener._stop_grace_task is not None:
            listener._stop_grace_task.cancel()
        await listener.async_stop()


def raw(method: str, url: str, **headers: str) -> requests.Response:
    return requests.request(method, url, headers=headers, timeout=5)


def test_events_go_to_loopback_only(start_emulator: StartEmulator, hosts: HostAllocator) -> None:
    (spec,) = speakers(hosts, "Kitchen")
    emulator = start_emulator([spec])
    url = f"http://{spec.host}:1400/MediaRenderer/AVTransport/Event"

    refused = raw("SUBSCRIBE", url, CALLBACK="<http://192.0.2.1:1400/>", NT="upnp:event")
    assert refused.status_code == 412
    assert (
        raw("SUBSCRIBE", url, CALLBACK="<http://sonos.example/>", NT="upnp:event").status_code
        == 412
    )
    assert not list(emulator.publisher.active())

    accepted = raw(
        "SUBSCRIBE", url, CALLBACK="<http://127.0.0.1:9/>", NT="upnp:event", TIMEOUT="Second-60"
    )
    assert accepted.status_code == 200
    sid = accepted.headers["SID"]
    assert sid.startswith(f"uuid:{default_uid(spec.host)}_sub")
    assert accepted.headers["TIMEOUT"] == "Second-60"
    assert raw("SUBSCRIBE", url, SID=sid, TIMEOUT="Second-120").headers["TIMEOUT"] == "Second-120"
    assert raw("SUBSCRIBE", url, SID="uuid:nobody").status_code == 412
    assert raw("UNSUBSCRIBE", url, SID=sid).status_code == 200
    assert raw("UNSUBSCRIBE", url, SID=sid).status_code == 412


# --- mDNS -----------------------------------------------------------------------------


async def test_mdns_announces_each_speaker(
    start_emulator: StartEmulator, hosts: HostAllocator
) -> None:
    specs = speakers(hosts, "Kitchen", "Bedroom")
    emulator = start_emulator(specs, announce_mdns=True)
    zeroconf = AsyncZeroconf(interfaces=["127.0.0.1"], ip_version=IPVersion.V4Only)
    try:
        for spec in specs:
            uid = default_uid(spec.host)
            name = f"{uid}@{spec.name}._sonos._tcp.local."
            info = await zeroconf.async_get_service_info("_sonos._tcp.local.", name, timeout=3000)
            assert info is not None, name
            assert info.parsed_addresses() == [spec.host]
            assert info.server == f"Sonos-{uid[7:19]}.local."
            properties = info.decoded_properties
            assert properties["hhid"] == emulator.household_id
            assert properties["location"] == f"http://{spec.host}:1400/xml/device_description.xml"
            assert properties["info"] == f"/api/v1/players/{uid}/info"
            assert properties["bootseq"] == "42"
    finally:
        await zeroconf.async_close()


# --- the emulator itself --------------------------------------------------------------


def test_specs_stay_on_loopback_and_distinct() -> None:
    with pytest.raises(ValueError, match="loopback"):
        SpeakerSpec("Kitchen", "192.168.1.20")
    with pytest.raises(ValueError, match="name"):
        SonosEmulator([SpeakerSpec("A", "127.0.0.2"), SpeakerSpec("A", "127.0.0.3")])
    with pytest.raises(ValueError, match="loopback"):
        SonosEmulator([SpeakerSpec("A", "127.0.0.2")], ssdp_interface="10.0.0.1")
    with pytest.raises(ValueError, match="empty queue"):
        SpeakerSpec("A", "127.0.0.2", transport_state="PLAYING")


def test_speakers_are_found_by_name_and_uid(
    start_emulator: StartEmulator, hosts: HostAllocator
) -> None:
    (spec,) = speakers(hosts, "Kitchen")
    emulator = start_emulator([spec])
    state = emulator.speaker("Kitchen")
    assert emulator.speaker(state.uid) is state
    assert emulator.all_faults() == [state.faults]
    with pytest.raises(KeyError):
        emulator.speaker("Garage")


def test_loop_thread_runs_coroutines_and_refuses_its_own_thread() -> None:
    async def whoami() -> str:
        return threading.current_thread().name

    with LoopThread(name="helper") as thread:
        assert thread.run(whoami()) == "helper"
        assert thread.call(lambda: threading.current_thread().name) == "helper"

        async def nested() -> None:
            thread.run(whoami())

        with pytest.raises(RuntimeError, match="deadlock"):
            thread.run(nested())
    with pytest.raises(RuntimeError):
        _ = thread.loop


def test_a_clip_the_player_cannot_play_stops_it_with_an_error_status(
    start_emulator: StartEmulator, hosts: HostAllocator, loop_thread: LoopThread
) -> None:
    """A file served as something it does not play, or no sound at all, is fetched and then
    stops the player at once with TransportStatus ERROR_OCCURRED; the next thing it is told
    to play clears it."""

    async def text(request: web.Request) -> web.Response:
        return web.Response(text="no sound in here", content_type="audio/wav")

    async def ogg(request: web.Request) -> web.Response:
        return web.Response(body=b"OggS", content_type="audio/ogg")

    async def serve() -> tuple[web.AppRunner, int]:
        app = web.Application()
        app.router.add_get("/text.wav", text)
        app.router.add_get("/song.ogg", ogg)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner, runner.addresses[0][1]

    runner, port = loop_thread.run(serve(), timeout=10)
    try:
        emulator = start_emulator(speakers(hosts, "Den"))
        player, state = soco.SoCo(emulator.speakers[0].host), emulator.speakers[0]
        for path in ("text.wav", "song.ogg"):
            uri = f"http://127.0.0.1:{port}/{path}"
            player.play_uri(uri, title=path)
            deadline = time.monotonic() + 10
            while len(emulator.fetched) < 1 + ("ogg" in path) and time.monotonic() < deadline:
                time.sleep(0.02)
            info = player.get_current_transport_info()
            assert (info["current_transport_state"], info["current_transport_status"]) == (
                "STOPPED",
                "ERROR_OCCURRED",
            )
            assert emulator.fetched[-1].uri == uri
            assert emulator.fetched[-1].status == 200
        player.play_from_queue(0)
        info = player.get_current_transport_info()
        assert (info["current_transport_state"], info["current_transport_status"]) == (
            "PLAYING",
            "OK",
        )
        assert state.transport_status == "OK"
    finally:
        loop_thread.run(runner.cleanup(), timeout=10)
