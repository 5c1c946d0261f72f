"""What each service of an emulated player sends in its UPnP events (GENA NOTIFY bodies).

AVTransport and RenderingControl send a LastChange document; ZoneGroupTopology,
GroupRenderingControl and DeviceProperties send their variables as properties.
"""

from __future__ import annotations

from collections.abc import Callable

from devices.adapters.sonos.emulator.avtransport import current_transport_actions, transport_uri
from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.rendering import group_volume
from devices.adapters.sonos.emulator.services import Service
from devices.adapters.sonos.emulator.state import SpeakerState, hms
from devices.adapters.sonos.emulator.templates import (
    last_change,
    propertyset,
    track_didl,
    zone_group_state,
)
from devices.adapters.sonos.emulator.topology import group_attributes

NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
Variables = list[tuple[str, dict[str, str]]]
Memo = dict[str, str]
"""What one round of events renders once for every speaker (the ZoneGroupState)."""


def _flag(value: bool) -> str:
    return "1" if value else "0"


def avtransport_body(house: Household, speaker: SpeakerState) -> str:
    """The AVTransport LastChange event; a group member reports its coordinator's play."""
    source = house.coordinator_of(speaker)
    track = source.current_track
    uri, uri_metadata = transport_uri(house, speaker)
    if source.stream_uri:
        number, count, track_uri = "1", "1", source.stream_uri
        duration, metadata = "0:00:00", source.stream_metadata
    elif track is not None:
        number, count, track_uri = str(source.track_number), str(len(source.queue)), track.track_uri
        duration, metadata = hms(track.duration), track_didl(track)
    else:
        number, count, track_uri, duration, metadata = "0", "0", "", "0:00:00", ""
    following = None
    if track is not None and source.track_number < len(source.queue):
        following = source.queue[source.track_number]
    enqueued = source.stream_uri or (source.queue_uri if source.queue else "")
    values: list[tuple[str, str]] = [
        ("TransportState", source.transport_state),
        ("TransportStatus", source.transport_status),
        ("CurrentPlayMode", source.play_mode),
        ("CurrentCrossfadeMode", _flag(source.crossfade)),
        ("NumberOfTracks", count),
        ("CurrentTrack", number),
        ("CurrentSection", "0"),
        ("CurrentTrackURI", track_uri),
        ("CurrentTrackDuration", duration),
        ("CurrentTrackMetaData", metadata),
        ("r:NextTrackURI", following.track_uri if following else ""),
        ("r:NextTrackMetaData", track_didl(following) if following else ""),
        ("r:EnqueuedTransportURI", enqueued),
        ("r:EnqueuedTransportURIMetaData", source.stream_metadata),
        ("PlaybackStorageMedium", "NETWORK"),
        ("AVTransportURI", uri),
        ("AVTransportURIMetaData", uri_metadata),
        ("NextAVTransportURI", ""),
        ("NextAVTransportURIMetaData", ""),
        ("CurrentTransportActions", current_transport_actions(source)),
        ("r:CurrentValidPlayModes", "SHUFFLE,REPEAT,SHUFFLE_REPEAT_ONE,REPEAT_ONE,CROSSFADE"),
        ("r:SleepTimerGeneration", "0"),
        ("r:AlarmRunning", "0"),
        ("r:SnoozeRunning", "0"),
        ("r:RestartPending", "0"),
        ("TransportPlaySpeed", "1"),
        ("CurrentMediaDuration", NOT_IMPLEMENTED),
        ("RecordStorageMedium", NOT_IMPLEMENTED),
        ("PossiblePlaybackStorageMedia", "NONE, NETWORK"),
        ("PossibleRecordStorageMedia", NOT_IMPLEMENTED),
        ("RecordMediumWriteStatus", NOT_IMPLEMENTED),
        ("CurrentRecordQualityMode", NOT_IMPLEMENTED),
        ("PossibleRecordQualityModes", NOT_IMPLEMENTED),
    ]
    return last_change("AVT", [(tag, {"val": value}) for tag, value in values])


def rendering_body(house: Household, speaker: SpeakerState) -> str:
    """The RenderingControl LastChange event: volume and mute per channel, EQ."""
    variables: Variables = [
        ("Volume", {"channel": "Master", "val": str(speaker.volume)}),
        ("Volume", {"channel": "LF", "val": "100"}),
        ("Volume", {"channel": "RF", "val": "100"}),
        ("Mute", {"channel": "Master", "val": _flag(speaker.muted)}),
        ("Mute", {"channel": "LF", "val": "0"}),
        ("Mute", {"channel": "RF", "val": "0"}),
        ("Bass", {"val": str(speaker.bass)}),
        ("Treble", {"val": str(speaker.treble)}),
        ("Loudness", {"channel": "Master", "val": _flag(speaker.loudness)}),
        ("OutputFixed", {"val": "0"}),
        ("HeadphoneConnected", {"val": "0"}),
        ("SpeakerSize", {"val": "3"}),
        ("SubGain", {"val": "0"}),
        ("SubCrossover", {"val": "0"}),
        ("SubPolarity", {"val": "0"}),
        ("SubEnabled", {"val": "1"}),
        ("PresetNameList", {"val": "FactoryDefaults"}),
    ]
    return last_change("RCS", variables)


def group_rendering_body(house: Household, speaker: SpeakerState) -> str:
    """GroupRenderingControl: the group's volume and mute."""
    coordinator = house.coordinator_of(speaker)
    muted = all(s.muted for s in house.members_of(coordinator))
    return propertyset(
        [
            ("GroupMute", _flag(muted)),
            ("GroupVolume", str(group_volume(house, coordinator))),
            ("GroupVolumeChangeable", "1"),
        ]
    )


def topology_body(house: Household, speaker: SpeakerState, memo: Memo) -> str:
    """ZoneGroupTopology: the household's ZoneGroupState and the speaker's group."""
    attributes = group_attributes(house, speaker)
    if "ZoneGroupState" not in memo:
        memo["ZoneGroupState"] = zone_group_state(house)
    return propertyset(
        [
            ("ZoneGroupState", memo["ZoneGroupState"]),
            ("ThirdPartyMediaServersX", ""),
            ("AvailableSoftwareUpdate", ""),
            ("AlarmRunSequence", f"{speaker.uid}:{speaker.boot_seq}:0"),
            ("ZoneGroupName", attributes["CurrentZoneGroupName"]),
            ("ZoneGroupID", attributes["CurrentZoneGroupID"]),
            ("ZonePlayerUUIDsInGroup", attributes["CurrentZonePlayerUUIDsInGroup"]),
            ("MuseHouseholdId", attributes["CurrentMuseHouseholdId"]),
        ]
    )


def device_body(house: Household, speaker: SpeakerState) -> str:
    """DeviceProperties: the zone's name and icon, and that it is a visible player."""
    return propertyset(
        [
            ("ZoneName", speaker.name),
            ("Icon", speaker.icon),
            ("Configuration", "1"),
            ("Invisible", "0"),
            ("IsZoneBridge", "0"),
            ("ChannelMapSet", ""),
            ("HTSatChanMapSet", ""),
            ("MicEnabled", "0"),
            ("VoiceConfigState", "0"),
        ]
    )


def _static(properties: Callable[[SpeakerState], list[tuple[str, str]]]) -> BodyMaker:
    def make(house: Household, speaker: SpeakerState) -> str:
        return propertyset(properties(speaker))

    return make


BodyMaker = Callable[[Household, SpeakerState], str]
BODIES: dict[str, BodyMaker] = {
    "AVTransport": avtransport_body,
    "RenderingControl": rendering_body,
    "GroupRenderingControl": group_rendering_body,
    "DeviceProperties": device_body,
    "AlarmClock": _static(
        lambda s: [
            ("TimeZone", "0000000000000000000000000000000000"),
            ("TimeServer", "0.sonostime.pool.ntp.org"),
            ("TimeGeneration", "1"),
            ("AlarmListVersion", f"{s.uid}:1"),
            ("DailyIndexRefreshTime", "02:00:00"),
            ("TimeFormat", "INV"),
            ("DateFormat", "INV"),
        ]
    ),
    "ContentDirectory": _static(
        lambda s: [
            ("SystemUpdateID", "1"),
            ("ContainerUpdateIDs", "Q:0,1"),
            ("ShareListRefreshState", "NOTRUN"),
            ("ShareIndexInProgress", "0"),
            ("FavoritesUpdateID", f"{s.uid},1"),
            ("SavedQueuesUpdateID", f"{s.uid},1"),
        ]
    ),
    "ConnectionManager": _static(
        lambda s: [
            ("SourceProtocolInfo", ""),
            ("SinkProtocolInfo", ""),
            ("CurrentConnectionIDs", "0"),
        ]
    ),
    "GroupManagement": _static(
        lambda s: [
            ("GroupCoordinatorIsLocal", _flag(s.is_coordinator)),
            ("LocalGroupUUID", s.coordinator_uid),
            ("ResetVolumeAfter", "0"),
            ("VirtualLineInGroupID", ""),
        ]
    ),
    "Queue": _static(lambda s: [("LastChange", _queue_change())]),
}


def _queue_change() -> str:
    return (
        '<Event xmlns="urn:schemas-sonos-com:metadata-1-0/Queue/">'
        '<QueueID val="0"><UpdateID val="1"/></QueueID></Event>'
    )


def event_body(
    service: Service, house: Household, speaker: SpeakerState, memo: Memo | None = None
) -> str:
    """The NOTIFY body the service sends now (no variables for services it does not model)."""
    if service.name == "ZoneGroupTopology":
        return topology_body(house, speaker, {} if memo is None else memo)
    maker = BODIES.get(service.name)
    return maker(house, speaker) if maker else propertyset([])
