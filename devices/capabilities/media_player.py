"""Media players: transport, volume in percent, mute, grouping, sources, what is playing,
and spoken announcements."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field

from devices.capabilities.base import Commands, CommandSpec, Domain, Params, State

Percent = Annotated[int, Field(ge=0, le=100)]


class MediaPlayerFeature(StrEnum):
    """What a media player may be able to do."""

    PLAY = "play"
    PAUSE = "pause"
    STOP = "stop"
    NEXT_TRACK = "next_track"
    PREVIOUS_TRACK = "previous_track"
    VOLUME_SET = "volume_set"
    VOLUME_STEP = "volume_step"
    MUTE = "mute"
    GROUPING = "grouping"
    SELECT_SOURCE = "select_source"
    ANNOUNCE = "announce"


class MediaPlayerState(State):
    """A media player's state."""

    state: Literal["playing", "paused", "stopped", "idle", "off"]
    volume: Percent | None = None
    muted: bool | None = None
    media_title: str | None = None
    media_artist: str | None = None
    media_album: str | None = None
    group_members: list[str] | None = None
    """Entity ids of the group this player is in, coordinator first."""
    source_list: list[str] | None = None
    """What it can be asked to play by name: favourites, playlists, stations."""
    radio_sources: list[str] | None = None
    """The names in `source_list` that are radio stations ("put the radio on")."""


class SetVolume(Params):
    """Set the volume to a percentage."""

    volume: Percent


class StepVolume(Params):
    """Change the volume by some percentage points, up or down."""

    delta: Annotated[int, Field(ge=-100, le=100)]


class Mute(Params):
    """Mute or unmute."""

    muted: bool = True


class Join(Params):
    """Group other players with this one, which becomes the coordinator."""

    members: Annotated[list[str], Field(min_length=1)]


class SelectSource(Params):
    """Play one of the player's sources by its name (a favourite, a playlist)."""

    source: Annotated[str, Field(min_length=1, max_length=200)]


ANNOUNCEMENT_MAX_CHARS = 300
"""The longest text an announcement speaks (some 20 seconds): a message, not a reading."""
ANNOUNCEMENT_TAKES = 90.0
"""Seconds an announcement may take: made into sound, spoken to its end, the music back."""


class Announce(Params):
    """Speak a short text on the player, then resume what it played at the volume it had."""

    text: Annotated[str, Field(min_length=1, max_length=ANNOUNCEMENT_MAX_CHARS)]
    language: Annotated[str | None, Field(pattern=r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")] = None
    """The language to speak it in (`en`, `de`, `en-gb`); None: the household's."""
    volume: Percent | None = None
    """The volume to speak it at, for the announcement only; None: as it plays now."""

    def refusal(self, state: State | None) -> str | None:
        """An announcement of nothing but spaces says nothing."""
        del state
        return None if self.text.strip() else "there is nothing to announce."


def _define(
    verb: str, feature: MediaPlayerFeature, summary: str, *, idempotent: bool
) -> CommandSpec:
    return Commands.define(
        Domain.MEDIA_PLAYER, verb, feature=feature, summary=summary, idempotent=idempotent
    )


# A speaker buffers before it plays: playback commands expect no state at once.
PLAY = _define("play", MediaPlayerFeature.PLAY, "Start or resume playback.", idempotent=True)
PAUSE = _define("pause", MediaPlayerFeature.PAUSE, "Pause playback.", idempotent=True)
STOP = _define("stop", MediaPlayerFeature.STOP, "Stop playback.", idempotent=True)
NEXT_TRACK = _define(
    "next_track", MediaPlayerFeature.NEXT_TRACK, "Skip to the next track.", idempotent=False
)
PREVIOUS_TRACK = _define(
    "previous_track",
    MediaPlayerFeature.PREVIOUS_TRACK,
    "Go back to the previous track.",
    idempotent=False,
)
UNJOIN = _define(
    "unjoin", MediaPlayerFeature.GROUPING, "Leave the group and play on its own.", idempotent=True
)
SET_VOLUME = Commands.define(
    Domain.MEDIA_PLAYER,
    "set_volume",
    SetVolume,
    feature=MediaPlayerFeature.VOLUME_SET,
    idempotent=True,
    summary="Set the volume in percent.",
)
STEP_VOLUME = Commands.define(
    Domain.MEDIA_PLAYER,
    "step_volume",
    StepVolume,
    feature=MediaPlayerFeature.VOLUME_STEP,
    summary="Turn the volume up (positive) or down (negative) by percentage points.",
)
MUTE = Commands.define(
    Domain.MEDIA_PLAYER,
    "mute",
    Mute,
    feature=MediaPlayerFeature.MUTE,
    summary="Mute or unmute.",
    idempotent=True,
)
JOIN = Commands.define(
    Domain.MEDIA_PLAYER,
    "join",
    Join,
    feature=MediaPlayerFeature.GROUPING,
    idempotent=True,
    summary="Group other players with this one.",
)
SELECT_SOURCE = Commands.define(
    Domain.MEDIA_PLAYER,
    "select_source",
    SelectSource,
    feature=MediaPlayerFeature.SELECT_SOURCE,
    idempotent=True,
    summary="Play a favourite, playlist or station by its name (one of source_list).",
)
ANNOUNCE = Commands.define(
    Domain.MEDIA_PLAYER,
    "announce",
    Announce,
    feature=MediaPlayerFeature.ANNOUNCE,
    summary="Speak a short text on the player (its group hears it too); what played before "
    "resumes afterwards.",
    takes=ANNOUNCEMENT_TAKES,
)
