"""The AVTransport actions: play, pause, stop, next, previous, seek, the queue, grouping.

Transport commands go to a group's coordinator; a member refuses them with fault 800, as
a real player does. Members report their coordinator's transport state and track.
"""

from __future__ import annotations

from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.services import (
    REGISTRY,
    Arguments,
    Result,
    bool_arg,
    int_arg,
)
from devices.adapters.sonos.emulator.state import PLAY_MODES, SpeakerState, UPnPError, hms
from devices.adapters.sonos.emulator.templates import track_didl, track_from_didl

action = REGISTRY.action
NOT_IMPLEMENTED = "NOT_IMPLEMENTED"


@action("AVTransport", "Play", ("InstanceID", "Speed"), variables={"Speed": "TransportPlaySpeed"})
def _play(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.play(speaker)
    return None


@action("AVTransport", "Pause")
def _pause(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.pause(speaker)
    return None


@action("AVTransport", "Stop")
def _stop(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.stop(speaker)
    return None


@action("AVTransport", "Next")
def _next(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.step(speaker, +1)
    return None


@action("AVTransport", "Previous")
def _previous(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.step(speaker, -1)
    return None


@action(
    "AVTransport",
    "Seek",
    ("InstanceID", "Unit", "Target"),
    variables={"Unit": "A_ARG_TYPE_SeekMode", "Target": "A_ARG_TYPE_SeekTarget"},
)
def _seek(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.seek(speaker, args["Unit"].strip(), args["Target"].strip())
    return None


@action(
    "AVTransport",
    "GetTransportInfo",
    outputs=("CurrentTransportState", "CurrentTransportStatus", "CurrentSpeed"),
    variables={
        "CurrentTransportState": "TransportState",
        "CurrentTransportStatus": "TransportStatus",
        "CurrentSpeed": "TransportPlaySpeed",
    },
)
def _transport_info(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    source = house.coordinator_of(speaker)
    return {
        "CurrentTransportState": source.transport_state,
        "CurrentTransportStatus": source.transport_status,
        "CurrentSpeed": "1",
    }


@action(
    "AVTransport",
    "GetPositionInfo",
    outputs=(
        "Track",
        "TrackDuration",
        "TrackMetaData",
        "TrackURI",
        "RelTime",
        "AbsTime",
        "RelCount",
        "AbsCount",
    ),
    variables={
        "Track": "CurrentTrack",
        "TrackDuration": "CurrentTrackDuration",
        "TrackMetaData": "CurrentTrackMetaData",
        "TrackURI": "CurrentTrackURI",
        "RelTime": "A_ARG_TYPE_SeekTarget",
        "AbsTime": "A_ARG_TYPE_SeekTarget",
        "RelCount": "A_ARG_TYPE_Count",
        "AbsCount": "A_ARG_TYPE_Count",
    },
)
def _position_info(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    source = house.coordinator_of(speaker)
    track = source.current_track
    result: dict[str, str | int | bool] = {
        "Track": 0,
        "TrackDuration": "0:00:00",
        "TrackMetaData": "",
        "TrackURI": "",
        "RelTime": hms(source.rel_time()),
        "AbsTime": NOT_IMPLEMENTED,
        "RelCount": 2147483647,
        "AbsCount": 2147483647,
    }
    if source.stream_uri:
        result.update(Track=1, TrackMetaData=source.stream_metadata, TrackURI=source.stream_uri)
    elif track is not None:
        result.update(
            Track=source.track_number,
            TrackDuration=hms(track.duration),
            TrackMetaData=track_didl(track),
            TrackURI=track.track_uri,
        )
    else:
        result["RelTime"] = "0:00:00"
    return result


@action(
    "AVTransport",
    "GetMediaInfo",
    outputs=(
        "NrTracks",
        "MediaDuration",
        "CurrentURI",
        "CurrentURIMetaData",
        "NextURI",
        "NextURIMetaData",
        "PlayMedium",
        "RecordMedium",
        "WriteStatus",
    ),
    variables={
        "NrTracks": "NumberOfTracks",
        "MediaDuration": "CurrentMediaDuration",
        "CurrentURI": "AVTransportURI",
        "CurrentURIMetaData": "AVTransportURIMetaData",
        "NextURI": "NextAVTransportURI",
        "NextURIMetaData": "NextAVTransportURIMetaData",
        "PlayMedium": "PlaybackStorageMedium",
        "RecordMedium": "RecordStorageMedium",
        "WriteStatus": "RecordMediumWriteStatus",
    },
)
def _media_info(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    uri, metadata = transport_uri(house, speaker)
    source = house.coordinator_of(speaker)
    tracks = 1 if source.stream_uri else len(source.queue)
    return {
        "NrTracks": tracks,
        "MediaDuration": NOT_IMPLEMENTED,
        "CurrentURI": uri,
        "CurrentURIMetaData": metadata,
        "NextURI": "",
        "NextURIMetaData": "",
        "PlayMedium": "NETWORK",
        "RecordMedium": NOT_IMPLEMENTED,
        "WriteStatus": NOT_IMPLEMENTED,
    }


def transport_uri(house: Household, speaker: SpeakerState) -> tuple[str, str]:
    """The AVTransportURI and its metadata: x-rincon:<coordinator> for a group member."""
    if not speaker.is_coordinator:
        return f"x-rincon:{house.coordinator_of(speaker).uid}", ""
    if speaker.stream_uri:
        return speaker.stream_uri, speaker.stream_metadata
    return (speaker.queue_uri if speaker.queue else ""), ""


@action(
    "AVTransport",
    "GetTransportSettings",
    outputs=("PlayMode", "RecQualityMode"),
    variables={"PlayMode": "CurrentPlayMode", "RecQualityMode": "CurrentRecordQualityMode"},
)
def _transport_settings(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    mode = house.coordinator_of(speaker).play_mode
    return {"PlayMode": mode, "RecQualityMode": NOT_IMPLEMENTED}


@action(
    "AVTransport",
    "SetPlayMode",
    ("InstanceID", "NewPlayMode"),
    variables={"NewPlayMode": "CurrentPlayMode"},
)
def _set_play_mode(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.require_coordinator(speaker)
    mode = args["NewPlayMode"].strip().upper()
    if mode not in PLAY_MODES:
        raise UPnPError(712, f"play mode {mode} not supported")
    speaker.play_mode = mode
    return None


@action(
    "AVTransport",
    "GetCrossfadeMode",
    outputs=("CrossfadeMode",),
    variables={"CrossfadeMode": "CurrentCrossfadeMode"},
)
def _crossfade(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    return {"CrossfadeMode": house.coordinator_of(speaker).crossfade}


@action(
    "AVTransport",
    "SetCrossfadeMode",
    ("InstanceID", "CrossfadeMode"),
    variables={"CrossfadeMode": "CurrentCrossfadeMode"},
)
def _set_crossfade(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.require_coordinator(speaker)
    speaker.crossfade = bool_arg(args, "CrossfadeMode")
    return None


@action(
    "AVTransport",
    "SetAVTransportURI",
    ("InstanceID", "CurrentURI", "CurrentURIMetaData"),
    variables={"CurrentURI": "AVTransportURI", "CurrentURIMetaData": "AVTransportURIMetaData"},
)
def _set_uri(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.set_uri(speaker, args["CurrentURI"].strip(), args["CurrentURIMetaData"])
    return None


@action(
    "AVTransport",
    "BecomeCoordinatorOfStandaloneGroup",
    outputs=("DelegatedGroupCoordinatorID", "NewGroupID"),
    variables={
        "DelegatedGroupCoordinatorID": "A_ARG_TYPE_MemberID",
        "NewGroupID": "A_ARG_TYPE_GroupID",
    },
)
def _standalone(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    group = house.members_of(house.coordinator_of(speaker))
    delegate = group[1].uid if speaker.is_coordinator and len(group) > 1 else ""
    house.leave(speaker)
    return {"DelegatedGroupCoordinatorID": delegate, "NewGroupID": house.group_id(speaker)}


@action("AVTransport", "RemoveAllTracksFromQueue")
def _clear_queue(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.clear_queue(speaker)
    return None


@action(
    "AVTransport",
    "AddURIToQueue",
    (
        "InstanceID",
        "EnqueuedURI",
        "EnqueuedURIMetaData",
        "DesiredFirstTrackNumberEnqueued",
        "EnqueueAsNext",
    ),
    ("FirstTrackNumberEnqueued", "NumTracksAdded", "NewQueueLength"),
    variables={
        "EnqueuedURI": "A_ARG_TYPE_URI",
        "EnqueuedURIMetaData": "A_ARG_TYPE_URIMetaData",
        "DesiredFirstTrackNumberEnqueued": "A_ARG_TYPE_TrackNumber",
        "EnqueueAsNext": "A_ARG_TYPE_EnqueueAsNext",
        "FirstTrackNumberEnqueued": "A_ARG_TYPE_TrackNumber",
        "NumTracksAdded": "A_ARG_TYPE_NumTracks",
        "NewQueueLength": "A_ARG_TYPE_NumTracks",
    },
)
def _enqueue(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    uri = args["EnqueuedURI"].strip()
    playlist = house.tracks_at(uri)
    if playlist is not None and not playlist:
        raise UPnPError(701, "the playlist is empty")
    tracks = playlist or (track_from_didl(uri, args["EnqueuedURIMetaData"]),)
    number = house.enqueue(
        speaker,
        tracks,
        int_arg(args, "DesiredFirstTrackNumberEnqueued"),
        bool_arg(args, "EnqueueAsNext"),
    )
    return {
        "FirstTrackNumberEnqueued": number,
        "NumTracksAdded": len(tracks),
        "NewQueueLength": len(speaker.queue),
    }


@action(
    "AVTransport",
    "GetCurrentTransportActions",
    outputs=("Actions",),
    variables={"Actions": "CurrentTransportActions"},
)
def _transport_actions(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    return {"Actions": current_transport_actions(house.coordinator_of(speaker))}


def current_transport_actions(speaker: SpeakerState) -> str:
    """The transport actions available now, as a player lists them."""
    actions = ["Set", "Stop", "Pause", "Play"]
    if speaker.queue and not speaker.stream_uri:
        actions += ["X_DLNA_SeekTime", "Next", "Previous", "X_DLNA_SeekTrackNr"]
    return ", ".join(actions)
