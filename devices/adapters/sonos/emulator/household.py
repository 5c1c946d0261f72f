"""The household of emulated speakers: the groups they form and their transport rules.

`Household` enforces what a real player enforces with UPnP faults: only a group's
coordinator takes transport commands, there is nothing to play in an empty queue, and
Next stops at the end of the queue unless it repeats.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from devices.adapters.sonos.emulator.state import (
    CLIP_SCHEMES,
    TRANSPORT_ERROR,
    TRANSPORT_OK,
    Favourite,
    Playlist,
    SpeakerState,
    Track,
    TransportState,
    UPnPError,
    new_household_id,
    parse_hms,
)


class Household:
    """The speakers of one household, their groups, and the rules of their transports."""

    def __init__(
        self,
        speakers: Iterable[SpeakerState],
        household_id: str | None = None,
        *,
        favourites: Iterable[Favourite] = (),
        playlists: Iterable[Playlist] = (),
    ) -> None:
        self.household_id = household_id or new_household_id()
        self.playlists = list(playlists)
        """The household's Sonos playlists, SQ:1 first."""
        self.favourites = list(favourites)
        """The household's Sonos favourites, FV:2/1 first."""
        titles = {p.title for p in self.playlists}
        for favourite in self.favourites:
            if favourite.playlist and favourite.playlist not in titles:
                name, wanted = favourite.title, favourite.playlist
                raise ValueError(f"favourite {name!r}: no playlist {wanted!r}")
        self.speakers: dict[str, SpeakerState] = {}
        for speaker in speakers:
            if speaker.uid in self.speakers:
                raise ValueError(f"two speakers share the uid {speaker.uid}")
            self.speakers[speaker.uid] = speaker
        self.topology_version = 1
        self.clips_to_fetch: list[tuple[SpeakerState, str]] = []
        """Clips players were told to play, for the emulator to fetch (`emulator.clips`)."""

    def topology_fingerprint(self) -> tuple[object, ...]:
        """Everything the ZoneGroupState reports: the groups and their members."""
        return (
            self.topology_version,
            *(speaker.topology_fingerprint() for speaker in self.speakers.values()),
        )

    def find(self, key: str) -> SpeakerState:
        """A speaker by zone name or uid; KeyError if there is none."""
        if key in self.speakers:
            return self.speakers[key]
        for speaker in self.speakers.values():
            if speaker.name == key:
                return speaker
        raise KeyError(key)

    def coordinator_of(self, speaker: SpeakerState) -> SpeakerState:
        """The coordinator of the speaker's group (itself if it leads or is alone)."""
        coordinator = self.speakers.get(speaker.coordinator_uid)
        if coordinator is None or not coordinator.is_coordinator:
            speaker.coordinator_uid = speaker.uid
            return speaker
        return coordinator

    def members_of(self, coordinator: SpeakerState) -> list[SpeakerState]:
        """Every speaker of a coordinator's group, the coordinator first."""
        others = [
            s
            for s in self.speakers.values()
            if s is not coordinator and self.coordinator_of(s) is coordinator
        ]
        return [coordinator, *others]

    def groups(self) -> list[list[SpeakerState]]:
        """Every group, each with its coordinator first."""
        groups: dict[str, list[SpeakerState]] = {}
        for speaker in self.speakers.values():
            coordinator = self.coordinator_of(speaker)
            group = groups.setdefault(coordinator.uid, [coordinator])
            if speaker is not coordinator:
                group.append(speaker)
        return list(groups.values())

    def group_id(self, coordinator: SpeakerState) -> str:
        """The id of the coordinator's group; it changes whenever the topology does."""
        return f"{coordinator.uid}:{self.topology_version}"

    @staticmethod
    def playlist_uri(number: int) -> str:
        """The URI a player enqueues the household's playlist SQ:<number> by."""
        return f"file:///jffs/settings/savedqueues.rsq#{number}"

    def playlist_number(self, title: str) -> int:
        """The number (SQ:<n>) of the playlist called `title`."""
        titles = [p.title for p in self.playlists]
        return titles.index(title) + 1

    def tracks_at(self, uri: str) -> tuple[Track, ...] | None:
        """The tracks of the playlist a URI names, or None if it names none."""
        for number, playlist in enumerate(self.playlists, start=1):
            if uri == self.playlist_uri(number):
                return playlist.tracks
        return None

    def group_name(self, coordinator: SpeakerState) -> str:
        """The name the Sonos app shows for a group: "Kitchen + 2"."""
        others = len(self.members_of(coordinator)) - 1
        return f"{coordinator.name} + {others}" if others else coordinator.name

    def join(self, member: SpeakerState, target_uid: str) -> None:
        """Make `member` join the group of the speaker `target_uid`."""
        target = self.speakers.get(target_uid)
        if target is None:
            raise UPnPError(714, "no such coordinator")
        coordinator = self.coordinator_of(target)
        if coordinator is member:
            raise UPnPError(701, "a speaker cannot join itself")
        self.leave(member)
        member.coordinator_uid = coordinator.uid
        member.stream_uri = member.stream_metadata = ""
        member.set_transport(coordinator.transport_state)
        self.topology_version += 1

    def leave(self, speaker: SpeakerState) -> None:
        """Make `speaker` standalone; a group it led continues under its next member."""
        coordinator = self.coordinator_of(speaker)
        group = self.members_of(coordinator)
        if len(group) == 1:
            return
        if coordinator is speaker:
            successor = group[1]
            for other in group[1:]:
                other.coordinator_uid = successor.uid
            successor.queue = list(speaker.queue)
            successor.play_mode = speaker.play_mode
            successor.stream_uri = speaker.stream_uri
            successor.stream_metadata = speaker.stream_metadata
            successor.go_to(speaker.current)
            successor.set_position(speaker.rel_time())
            successor.set_transport(speaker.transport_state)
        speaker.coordinator_uid = speaker.uid
        speaker.set_transport("STOPPED")
        self.topology_version += 1

    def sync_groups(self) -> None:
        """Members follow their coordinator's transport state."""
        for group in self.groups():
            for member in group[1:]:
                if member.transport_state != group[0].transport_state:
                    member.set_transport(group[0].transport_state)

    def require_coordinator(self, speaker: SpeakerState) -> None:
        """Refuse a transport command sent to a group member, as a real player does."""
        if not speaker.is_coordinator:
            raise UPnPError(800, "not the group coordinator")

    def transport(self, speaker: SpeakerState, state: TransportState) -> None:
        """Set the transport state of the speaker's whole group."""
        for member in self.members_of(speaker):
            member.set_transport(state)

    def play(self, speaker: SpeakerState) -> None:
        """Play the queue or the stream; 701 with nothing to play."""
        self.require_coordinator(speaker)
        if not speaker.stream_uri and not speaker.queue:
            raise UPnPError(701, "nothing to play")
        speaker.transport_status = TRANSPORT_OK
        if speaker.stream_uri.startswith(CLIP_SCHEMES):
            if speaker.transport_state not in ("PLAYING", "TRANSITIONING"):
                self.transport(speaker, "TRANSITIONING")  # fetching it first
                self.clips_to_fetch.append((speaker, speaker.stream_uri))
            return
        self.transport(speaker, "PLAYING")

    def cannot_play(self, speaker: SpeakerState) -> None:
        """The clip it fetched cannot be played: it stops at once, and says so in its
        TransportStatus, as a real player does."""
        self.transport(speaker, "STOPPED")
        speaker.position = 0.0
        speaker.transport_status = TRANSPORT_ERROR

    def pause(self, speaker: SpeakerState) -> None:
        """Pause; 701 when stopped."""
        self.require_coordinator(speaker)
        if speaker.transport_state == "STOPPED":
            raise UPnPError(701, "cannot pause when stopped")
        self.transport(speaker, "PAUSED_PLAYBACK")

    def stop(self, speaker: SpeakerState) -> None:
        """Stop and rewind the current track."""
        self.require_coordinator(speaker)
        self.transport(speaker, "STOPPED")
        speaker.position = 0.0

    def step(self, speaker: SpeakerState, delta: int) -> None:
        """Next (+1) or Previous (-1) in the queue; 711 past either end without repeat."""
        self.require_coordinator(speaker)
        if speaker.stream_uri or not speaker.queue:
            raise UPnPError(701, "no queue to move in")
        index = speaker.track_number - 1 + delta
        if not 0 <= index < len(speaker.queue):
            if speaker.play_mode not in ("REPEAT_ALL", "SHUFFLE"):
                raise UPnPError(711, "no track there")
            index %= len(speaker.queue)
        speaker.go_to(index)

    def seek(self, speaker: SpeakerState, unit: str, target: str) -> None:
        """Seek to a track number (TRACK_NR) or a time in the track (REL_TIME)."""
        self.require_coordinator(speaker)
        if unit == "TRACK_NR":
            try:
                number = int(target)
            except ValueError:
                raise UPnPError(711, "not a track number") from None
            if speaker.stream_uri or not 1 <= number <= len(speaker.queue):
                raise UPnPError(711, "no such track")
            speaker.go_to(number - 1)
        elif unit == "REL_TIME":
            track = speaker.current_track
            try:
                seconds = parse_hms(target)
            except ValueError:
                raise UPnPError(711, "not a time") from None
            if track is None or seconds > track.duration:
                raise UPnPError(711, "beyond the track")
            speaker.set_position(float(seconds))
        else:
            raise UPnPError(710, f"seek mode {unit} not supported")

    def set_uri(self, speaker: SpeakerState, uri: str, metadata: str) -> None:
        """SetAVTransportURI: join a group (x-rincon:), play the queue, or play a stream.

        A member that picks something of its own leaves its group; the coordinator's
        group follows it to the new source."""
        if uri.startswith("x-rincon:"):
            self.join(speaker, uri.removeprefix("x-rincon:"))
            return
        if not speaker.is_coordinator:
            self.leave(speaker)
        speaker.transport_status = TRANSPORT_OK
        if uri.startswith("x-rincon-queue:"):
            if uri.split("#", maxsplit=1)[0] != speaker.queue_uri.split("#")[0]:
                raise UPnPError(714, "not this speaker's queue")
            speaker.stream_uri = speaker.stream_metadata = ""
        else:
            speaker.stream_uri, speaker.stream_metadata = uri, metadata
        self.transport(speaker, "STOPPED")
        speaker.position = 0.0

    def clear_queue(self, speaker: SpeakerState) -> None:
        """Empty the queue; playing it stops."""
        self.require_coordinator(speaker)
        speaker.queue = []
        speaker.current = 0
        if not speaker.stream_uri:
            self.transport(speaker, "STOPPED")
            speaker.position = 0.0

    def enqueue(
        self, speaker: SpeakerState, tracks: Sequence[Track], position: int, as_next: bool
    ) -> int:
        """Add tracks (at a 1-based position, 0 for the end); returns the first one's number."""
        self.require_coordinator(speaker)
        if as_next and speaker.queue:
            index = speaker.current + 1
        elif 1 <= position <= len(speaker.queue) + 1:
            index = position - 1
        else:
            index = len(speaker.queue)
        had_tracks = bool(speaker.queue)
        speaker.queue[index:index] = tracks
        if had_tracks and index <= speaker.current:
            speaker.current += len(tracks)
        return index + 1
