"""What an emulated Sonos speaker is made of: its spec, its live state, its tracks.

`SpeakerState` is a plain dataclass: tests and the demo read and change it directly (as
if someone pressed pause on the speaker); the emulator publishes the changes.
"""

from __future__ import annotations

import ipaddress
import secrets
import string
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args
from urllib.parse import quote

from devices.testing.faults import Faults

TransportState = Literal["PLAYING", "PAUSED_PLAYBACK", "STOPPED", "TRANSITIONING"]
TRANSPORT_STATES: tuple[str, ...] = get_args(TransportState)
PLAY_MODES = (
    "NORMAL",
    "REPEAT_ALL",
    "REPEAT_ONE",
    "SHUFFLE_NOREPEAT",
    "SHUFFLE",
    "SHUFFLE_REPEAT_ONE",
)
SOFTWARE_VERSION = "80.1-55240"
SONOS_OUI = "48A6B8"


class UPnPError(Exception):
    """An action the player refuses, answered as a SOAP fault with this UPnP error code."""

    def __init__(self, code: int, description: str = "") -> None:
        super().__init__(f"UPnP error {code}: {description}" if description else f"{code}")
        self.code = code
        self.description = description


@dataclass(frozen=True)
class Track:
    """One track of a speaker's queue."""

    title: str
    artist: str = ""
    album: str = ""
    duration: int = 180
    """Length in seconds."""
    uri: str = ""
    """Where the player would fetch it; made up from the names when empty."""

    @property
    def track_uri(self) -> str:
        """The track's URI as the player reports it."""
        if self.uri:
            return self.uri
        parts = (self.artist or "Unknown", self.album or "Unknown", f"{self.title}.mp3")
        return "x-file-cifs://nas/Music/" + "/".join(quote(p) for p in parts)


RADIO_SCHEMES = (
    "x-sonosapi-stream:",
    "x-sonosapi-radio:",
    "x-sonosapi-hls:",
    "x-rincon-mp3radio:",
    "hls-radio:",
    "aac:",
)
"""URI schemes a player plays as a radio station (no queue), as the Sonos app sets them."""
CLIP_SCHEMES = ("http://", "https://")
"""URIs a player fetches as a file and plays once (an announcement): `emulator.clips`."""
CLIP_TYPES = frozenset({"audio/wav", "audio/x-wav", "audio/wave"})
"""The content types of the clips an emulated player can play (it decodes WAV only)."""
TRANSPORT_OK = "OK"
TRANSPORT_ERROR = "ERROR_OCCURRED"
"""The TransportStatus of a player that could not play what it was told to (UPnP
AVTransport); it stays until the player is told to play something else."""


@dataclass(frozen=True)
class Playlist:
    """A Sonos playlist (the household's saved queues, ContentDirectory object SQ:<n>)."""

    title: str
    tracks: tuple[Track, ...]


@dataclass(frozen=True)
class Favourite:
    """A Sonos favourite (FV:2): a radio station's stream, or a saved playlist."""

    title: str
    stream_uri: str = ""
    """The station's stream, for a radio favourite."""
    playlist: str = ""
    """The title of the household playlist it stands for, for a playlist favourite."""
    description: str = ""

    def __post_init__(self) -> None:
        if bool(self.stream_uri) == bool(self.playlist):
            raise ValueError(f"favourite {self.title!r}: a stream or a playlist, one of them")
        if self.stream_uri and not self.stream_uri.startswith(RADIO_SCHEMES):
            raise ValueError(f"favourite {self.title!r}: {self.stream_uri} is no radio stream")


def hms(seconds: float) -> str:
    """Seconds as the H:MM:SS the UPnP AV services use."""
    total = max(0, int(seconds))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def parse_hms(text: str) -> int:
    """H:MM:SS (or MM:SS) as seconds; ValueError if it is not a time."""
    parts = [int(p) for p in text.strip().split(":")]
    if not 2 <= len(parts) <= 3 or any(p < 0 for p in parts):
        raise ValueError(text)
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    return seconds


def default_uid(host: str) -> str:
    """A RINCON id for a loopback host: RINCON_ + 12 hex digits (a MAC) + 01400."""
    packed = ipaddress.IPv4Address(host).packed
    return f"RINCON_{SONOS_OUI}{packed[1:].hex().upper()}01400"


def new_household_id() -> str:
    """A random household id shaped like a real one (Sonos_ + 26 characters)."""
    alphabet = string.ascii_letters + string.digits
    return "Sonos_" + "".join(secrets.choice(alphabet) for _ in range(26))


@dataclass
class SpeakerSpec:
    """What one emulated speaker starts as."""

    name: str
    host: str
    """Its own 127.0.0.x address; SoCo always talks to port 1400."""
    transport_state: TransportState = "STOPPED"
    volume: int = 20
    muted: bool = False
    queue: Sequence[Track] = ()
    current: int = 0
    """Index of the current track in the queue."""
    uid: str | None = None
    model_name: str = "Sonos One"
    model_number: str = "S18"
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        if not ipaddress.IPv4Address(self.host).is_loopback:
            raise ValueError(f"emulated speakers live on loopback only, not {self.host}")
        if self.transport_state not in TRANSPORT_STATES:
            raise ValueError(f"unknown transport state {self.transport_state!r}")
        if not 0 <= self.volume <= 100:
            raise ValueError(f"volume {self.volume} is not within 0-100")
        if self.queue and not 0 <= self.current < len(self.queue):
            raise ValueError(f"current track {self.current} is not in the queue")
        if not self.queue and self.transport_state != "STOPPED":
            raise ValueError("a speaker with an empty queue can only be STOPPED")


@dataclass
class SpeakerState:
    """One speaker as it is now. Change it freely; the emulator publishes the changes."""

    name: str
    host: str
    uid: str
    model_name: str
    model_number: str
    transport_state: TransportState
    volume: int
    muted: bool
    queue: list[Track]
    current: int
    faults: Faults
    coordinator_uid: str = ""
    """The uid of its group's coordinator; its own uid when it leads (or is alone)."""
    bass: int = 0
    treble: int = 0
    loudness: bool = True
    led_on: bool = True
    buttons_locked: bool = False
    play_mode: str = "NORMAL"
    crossfade: bool = False
    boot_seq: int = 42
    icon: str = "x-rincon-roomicon:living"
    stream_uri: str = ""
    """A URI set with SetAVTransportURI (play_uri); empty while it plays its queue."""
    stream_metadata: str = ""
    position: float = 0.0
    """Seconds into the current track, as of the last state change."""
    transport_status: str = TRANSPORT_OK
    """`OK`, or TRANSPORT_ERROR after a clip it could not play (`emulator.clips`)."""
    clip_types: frozenset[str] = CLIP_TYPES
    """The content types of clips it plays; one served as anything else fails to play, as
    a file of a kind a real player does not know does."""
    _since: float = field(default=0.0, repr=False, compare=False)
    _clock_state: str = field(default="STOPPED", repr=False, compare=False)
    _clock_track: int = field(default=0, repr=False, compare=False)

    @classmethod
    def from_spec(cls, spec: SpeakerSpec) -> SpeakerState:
        """The state a spec describes, standalone."""
        uid = spec.uid or default_uid(spec.host)
        state = cls(
            name=spec.name,
            host=spec.host,
            uid=uid,
            model_name=spec.model_name,
            model_number=spec.model_number,
            transport_state=spec.transport_state,
            volume=spec.volume,
            muted=spec.muted,
            queue=list(spec.queue),
            current=spec.current,
            faults=spec.faults,
            coordinator_uid=uid,
        )
        state._clock_state = spec.transport_state
        state._clock_track = spec.current
        state._since = time.monotonic()
        return state

    @property
    def is_coordinator(self) -> bool:
        """Whether it leads its group (a standalone speaker leads its own)."""
        return self.coordinator_uid == self.uid

    @property
    def location(self) -> str:
        """The URL of its device description."""
        return f"http://{self.host}:1400/xml/device_description.xml"

    @property
    def mac(self) -> str:
        """The MAC address its uid encodes."""
        digits = self.uid[len("RINCON_") : len("RINCON_") + 12]
        return ":".join(digits[i : i + 2] for i in range(0, 12, 2))

    @property
    def queue_uri(self) -> str:
        """The AVTransport URI of its own queue."""
        return f"x-rincon-queue:{self.uid}#0"

    @property
    def current_track(self) -> Track | None:
        """The track it is on, None with an empty queue or while it plays a stream."""
        if self.stream_uri or not self.queue:
            return None
        return self.queue[self.track_number - 1]

    def topology_fingerprint(self) -> tuple[object, ...]:
        """What the household's ZoneGroupState says of it."""
        return (self.name, self.icon, self.host, self.boot_seq, self.coordinator_uid)

    def fingerprint(self) -> tuple[object, ...]:
        """Everything its events report, cheap to compare: a change means new events."""
        return (
            self.name,
            self.icon,
            self.transport_state,
            self.volume,
            self.muted,
            self.bass,
            self.treble,
            self.loudness,
            tuple(self.queue),
            self.current,
            self.coordinator_uid,
            self.play_mode,
            self.crossfade,
            self.stream_uri,
            self.stream_metadata,
            self.transport_status,
            self.boot_seq,
        )

    @property
    def track_number(self) -> int:
        """The 1-based number of the current track in the queue; 0 with an empty queue."""
        return min(self.current, len(self.queue) - 1) + 1 if self.queue else 0

    def observe_clock(self, now: float | None = None) -> None:
        """Fold playing time into `position` when the transport state changed, and start
        from the top when the current track changed (however it was changed)."""
        now = time.monotonic() if now is None else now
        if self.current != self._clock_track:
            self._clock_track = self.current
            self.position, self._since = 0.0, now
        if self.transport_state == self._clock_state:
            return
        if self._clock_state == "PLAYING":
            self.position += now - self._since
        self._since = now
        self._clock_state = self.transport_state

    def rel_time(self) -> float:
        """Seconds into the current track, now."""
        now = time.monotonic()
        self.observe_clock(now)
        elapsed = self.position + (now - self._since if self.transport_state == "PLAYING" else 0)
        track = self.current_track
        return min(elapsed, track.duration) if track else elapsed

    def set_transport(self, state: TransportState) -> None:
        """Change the transport state, keeping the playing clock right."""
        self.observe_clock()
        self.transport_state = state
        self.observe_clock()

    def set_position(self, seconds: float) -> None:
        """Jump to `seconds` into the current track."""
        self.observe_clock()
        self.position, self._since = seconds, time.monotonic()

    def go_to(self, index: int) -> None:
        """Make the queue's track `index` current, from its start."""
        self.observe_clock()
        self.current = self._clock_track = index
        self.position, self._since = 0.0, time.monotonic()
