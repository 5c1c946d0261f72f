"""One Sonos speaker through SoCo: blocking calls, mapped onto the capability model.

Everything here blocks (SoCo speaks HTTP with `requests`), so the adapter runs it in the
shared thread pool. SoCo's errors become Dobby's device errors here, in one place.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError

import requests
import soco
from soco.core import MUSIC_SRC_LINE_IN, MUSIC_SRC_RADIO
from soco.data_structures import DidlFavorite, DidlObject
from soco.exceptions import SoCoException, SoCoUPnPException
from soco.snapshot import Snapshot

from devices.capabilities import CommandSpec, MediaPlayerState, Params, media_player
from devices.capabilities.media_player import Join, Mute, SelectSource, SetVolume, StepVolume
from devices.errors import (
    DeviceConnectionError,
    DeviceRefusedError,
    DeviceResponseError,
    DeviceTimeoutError,
    UnsupportedCommandError,
)

TRANSPORT_STATES = {
    "PLAYING": "playing",
    "TRANSITIONING": "playing",
    "PAUSED_PLAYBACK": "paused",
    "STOPPED": "stopped",
    "NO_MEDIA_PRESENT": "idle",
}

UPNP_ERRORS = {
    "701": "that is not possible right now",
    "711": "it has nothing to play",
    "712": "it has nothing to play",
    "800": "only the group's coordinator can do that",
}
NOT_COORDINATOR = "800"


@dataclass(frozen=True)
class Sources:
    """What a household's speakers can be asked to play by name: its Sonos favourites
    (stations and shortcuts) and its Sonos playlists, as the Sonos app lists them."""

    items: dict[str, DidlObject]
    """By name as the app shows it; a favourite wins over a playlist of the same name."""
    radio: list[str]
    """The names of the favourites that are radio stations."""

    @property
    def names(self) -> list[str]:
        """Every name, favourites first, in the app's order."""
        return list(self.items)

    def find(self, name: str) -> DidlObject | None:
        """The source called `name`, whatever its case."""
        wanted = name.strip().casefold()
        return next((v for k, v in self.items.items() if k.casefold() == wanted), None)


@dataclass(frozen=True)
class Announcing:
    """An announcement a group's coordinator plays, and how to put back what it played."""

    coordinator: soco.SoCo
    uri: str
    snapshots: list[Snapshot]
    """The coordinator's first (what it played, its volume), then its members' (volume)."""
    uids: frozenset[str]
    """The uids of the group's speakers: a command to any of them reaches the clip."""
    volume: int | None = None
    """The volume it speaks at, if not the group's own."""


@dataclass(frozen=True)
class SpeakerInfo:
    """What a speaker says about itself when it is first found."""

    uid: str
    name: str
    model: str
    software: str
    host: str


@contextmanager
def soco_errors() -> Iterator[None]:
    """Turn SoCo's and requests' errors into Dobby's device errors."""
    try:
        yield
    except requests.Timeout as error:
        raise DeviceTimeoutError("did not answer in time.") from error
    except requests.ConnectionError as error:
        raise DeviceConnectionError("cannot be reached.") from error
    except SoCoUPnPException as error:
        meaning = UPNP_ERRORS.get(str(error.error_code), f"UPnP error {error.error_code}")
        raise DeviceRefusedError(f"refused: {meaning}.") from error
    except (ParseError, SoCoException, KeyError, ValueError, requests.RequestException) as error:
        raise DeviceResponseError("answered with something that makes no sense.") from error


class Speaker:
    """A SoCo instance and the calls Dobby makes of it."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.device = soco.SoCo(host)
        self.known_sources: Sources | None = None
        """The favourites and playlists as last read (`sources`)."""
        self.logger = logging.getLogger(f"{__name__}[{host}]")

    def describe(self) -> SpeakerInfo:
        """Ask the speaker who it is (blocking)."""
        with soco_errors():
            info = self.device.get_speaker_info(refresh=True)
            return SpeakerInfo(
                uid=str(info["uid"]),
                name=str(info["zone_name"]),
                model=str(info.get("model_name", "Sonos")),
                software=str(info.get("software_version", "")),
                host=self.host,
            )

    def read_state(self, uid_to_entity: Callable[[str], str | None]) -> MediaPlayerState:
        """Read transport, volume, mute, track and group (blocking)."""
        with soco_errors():
            coordinator = self._coordinator()
            transport = coordinator.get_current_transport_info()["current_transport_state"]
            track = self._track_info(coordinator)
            volume = int(self.device.volume)
            muted = bool(self.device.mute)
            members = self.group_members(uid_to_entity)
        return MediaPlayerState(
            state=TRANSPORT_STATES.get(transport, "idle"),
            volume=volume,
            muted=muted,
            group_members=members,
            **_track_fields(track),
        )

    def sources(self) -> Sources:
        """The household's favourites and playlists, read now (blocking: two Browse
        requests), and kept as `known_sources`."""
        with soco_errors():
            favourites = self.device.music_library.get_sonos_favorites(complete_result=True)
            playlists = self.device.get_sonos_playlists(complete_result=True)
        items: dict[str, DidlObject] = {}
        radio: list[str] = []
        for favourite in favourites:
            uri = favourite.resources[0].uri if favourite.resources else ""
            items.setdefault(favourite.title, favourite)
            if _is_stream(uri):
                radio.append(favourite.title)
        for playlist in playlists:
            items.setdefault(playlist.title, playlist)
        self.known_sources = Sources(items, radio)
        return self.known_sources

    def group_members(self, uid_to_entity: Callable[[str], str | None]) -> list[str] | None:
        """The entities of the speaker's group, its coordinator first; None when it plays
        alone (blocking: SoCo asks the speaker unless topology events keep it current)."""
        with soco_errors():
            group = self.device.group
            if group is None or len(group.members) <= 1:
                return None
            ordered = [group.coordinator, *(m for m in group.members if m != group.coordinator)]
            return [e for e in (uid_to_entity(m.uid) for m in ordered) if e] or None

    def coordinator_uid(self) -> str:
        """The uid of the speaker's group coordinator as it is now (blocking: one request)."""
        with soco_errors():
            self.read_topology()
            return str(self._coordinator().uid)

    def start_announcement(self, uri: str, title: str, volume: int | None) -> Announcing:
        """Play the clip at `uri` on the group's coordinator, so the whole group hears it,
        after taking a snapshot (SoCo's) of what it plays (blocking).

        With a `volume`, every speaker of the group speaks at it, unmuted; the members'
        volumes are then snapshotted as well, to be put back."""
        with soco_errors():
            coordinator = self._coordinator()
            group = coordinator.group
            members = [m for m in group.members if m != coordinator] if group else []
            speakers = [coordinator, *(members if volume is not None else [])]
            snapshots = [Snapshot(speaker) for speaker in speakers]
            for snapshot in snapshots:
                snapshot.snapshot()
            if volume is not None:
                for speaker in speakers:
                    speaker.mute = False
                    speaker.volume = volume
            coordinator.play_uri(uri, title=title, mime_type="audio/wav")
            uids = frozenset(m.uid for m in group.members) if group else frozenset()
            return Announcing(coordinator, uri, snapshots, uids | {coordinator.uid}, volume)

    def announcement_state(self, announcing: Announcing) -> str:
        """`playing` while the coordinator plays the clip (or fetches it), `ended` once it
        has stopped, `paused` when someone paused it, `failed` when the speaker could not
        play it (a TransportStatus other than OK: it fetched a file it cannot play, or could
        not fetch it), `replaced` when someone made it play something else meanwhile
        (blocking)."""
        with soco_errors():
            coordinator = announcing.coordinator
            media = coordinator.avTransport.GetMediaInfo([("InstanceID", 0)])
            if media["CurrentURI"] != announcing.uri:
                return "replaced"
            info = coordinator.get_current_transport_info()
            if info.get("current_transport_status", "OK") not in ("OK", ""):
                self.logger.info(
                    "Could not play %s: %s", announcing.uri, info["current_transport_status"]
                )
                return "failed"
            match info["current_transport_state"]:
                case "PLAYING" | "TRANSITIONING":
                    return "playing"
                case "PAUSED_PLAYBACK":
                    return "paused"
                case _:
                    return "ended"

    def end_announcement(self, announcing: Announcing, *, resume: bool = True) -> None:
        """Put back what the group played, where it was, and the volumes (blocking).

        With `resume=False` (someone stopped the announcement) what it played comes back
        stopped: it does not start playing again."""
        with soco_errors():
            coordinator, *members = announcing.snapshots
            if not resume:
                coordinator.transport_state = "STOPPED"
            for snapshot in (coordinator, *members):
                snapshot.restore()

    def restore_volumes(self, announcing: Announcing) -> None:
        """Put back the group's volumes and mutes, if the announcement changed them, and
        nothing else: someone has picked something new to play (blocking)."""
        if announcing.volume is None:
            return
        with soco_errors():
            for snapshot in announcing.snapshots:
                snapshot.device.mute = snapshot.mute
                snapshot.device.volume = snapshot.volume

    def _track_info(self, coordinator: soco.SoCo) -> dict[str, Any]:
        """What is playing; an optional read: a speaker that cannot say (no
        GetPositionInfo, a fault) plays on without track info rather than being dropped."""
        try:
            track: dict[str, Any] = coordinator.get_current_track_info()
        except (SoCoException, ParseError, KeyError, ValueError) as error:
            self.logger.debug("No track info: %r", error)
            return {}
        return track

    def _coordinator(self) -> soco.SoCo:
        group = self.device.group
        return group.coordinator if group is not None else self.device

    def read_topology(self) -> None:
        """Read who plays with whom from the speaker itself (blocking: one request).

        While topology events are subscribed, SoCo answers `group` from what the last event
        said; a join or unjoin Dobby has just made, or one made in the Sonos app a moment
        ago, may not have reached us yet. Reading it here means the next command goes to
        the group's coordinator as it is now, not as it was.
        """
        payload = self.device.zoneGroupTopology.GetZoneGroupState()["ZoneGroupState"]
        self.device.zone_group_state.process_payload(
            payload=payload, source="read", source_ip=self.host
        )

    def run(
        self, command: CommandSpec, params: Params, resolve_member: Callable[[str], soco.SoCo]
    ) -> dict[str, Any] | None:
        """Carry out one media_player command (blocking).

        Returns the state fields the command changed, read back with as few requests as
        the command allows, or None when the whole state must be read again.
        """
        with soco_errors():
            try:
                return self._run(command, params, resolve_member)
            except SoCoUPnPException as error:
                if str(error.error_code) != NOT_COORDINATOR:
                    raise
                # Sent to a speaker that no longer leads its group (the group changed after
                # the last topology event): read who leads it now and send it there, once.
                self.read_topology()
                return self._run(command, params, resolve_member)

    def _run(
        self, command: CommandSpec, params: Params, resolve_member: Callable[[str], soco.SoCo]
    ) -> dict[str, Any] | None:
        changed: dict[str, Any] | None
        match command, params:
            case (
                (
                    media_player.PLAY
                    | media_player.PAUSE
                    | media_player.STOP
                    | media_player.NEXT_TRACK
                    | media_player.PREVIOUS_TRACK
                ),
                _,
            ):
                changed = self._transport(command)
            case media_player.SET_VOLUME, SetVolume(volume=volume):
                self.device.volume = volume
                changed = {"volume": volume}
            case media_player.STEP_VOLUME, StepVolume(delta=delta):
                changed = {"volume": int(self.device.set_relative_volume(delta))}
            case media_player.MUTE, Mute(muted=muted):
                self.device.mute = muted
                changed = {"muted": muted}
            case media_player.JOIN, Join(members=members):
                for member in members:
                    resolve_member(member).join(self.device)
                self.read_topology()
                changed = None
            case media_player.SELECT_SOURCE, SelectSource(source=name):
                changed = self._play_source(name)
            case media_player.UNJOIN, _:
                self.device.unjoin()
                self.read_topology()
                changed = None
            case _:
                raise UnsupportedCommandError(f"A Sonos speaker cannot do {command.name}.")
        return changed

    def _play_source(self, name: str) -> dict[str, Any]:
        """Play a favourite or playlist on the group's coordinator, as the Sonos app does: a
        station by its stream, anything else through the queue, from its first track."""
        sources = self.sources()
        source = sources.find(name)
        if source is None:
            raise UnsupportedCommandError(f"has no favourite or playlist called {name!r}.")
        coordinator = self._coordinator()
        title = source.title
        if isinstance(source, DidlFavorite):
            source = source.reference
        uri = source.get_uri()
        if _is_stream(uri):
            coordinator.play_uri(uri, title=title)
        else:
            coordinator.clear_queue()
            coordinator.add_to_queue(source)
            coordinator.play_from_queue(0)
        return {
            **_transport_state(coordinator),
            "source_list": sources.names,
            "radio_sources": sources.radio,
            **_track_fields(self._track_info(coordinator)),
        }

    def _transport(self, command: CommandSpec) -> dict[str, Any]:
        """Play, pause, stop or skip on the group's coordinator; read back what changed."""
        coordinator = self._coordinator()
        steps: dict[CommandSpec, Callable[[], object]] = {
            media_player.PLAY: coordinator.play,
            media_player.PAUSE: coordinator.pause,
            media_player.STOP: coordinator.stop,
            media_player.NEXT_TRACK: coordinator.next,
            media_player.PREVIOUS_TRACK: coordinator.previous,
        }
        steps[command]()
        changed = _transport_state(coordinator)
        if command in (media_player.NEXT_TRACK, media_player.PREVIOUS_TRACK):
            changed.update(_track_fields(self._track_info(coordinator)))
        return changed


def _is_stream(uri: str) -> bool:
    """Whether a player plays `uri` as a stream (a station, line-in), not through its queue."""
    return soco.SoCo.music_source_from_uri(uri) in (MUSIC_SRC_RADIO, MUSIC_SRC_LINE_IN)


def _transport_state(coordinator: soco.SoCo) -> dict[str, Any]:
    """The group's transport state, read back from its coordinator (one request)."""
    info = coordinator.get_current_transport_info()
    return {"state": TRANSPORT_STATES.get(info["current_transport_state"], "idle")}


def _track_fields(track: dict[str, Any]) -> dict[str, Any]:
    return {
        "media_title": track.get("title") or None,
        "media_artist": track.get("artist") or None,
        "media_album": track.get("album") or None,
    }
