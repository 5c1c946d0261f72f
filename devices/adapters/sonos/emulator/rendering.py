"""The RenderingControl and GroupRenderingControl actions: volume, mute, EQ."""

from __future__ import annotations

from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.services import (
    REGISTRY,
    Arguments,
    Result,
    bool_arg,
    clamp,
    int_arg,
)
from devices.adapters.sonos.emulator.state import SpeakerState

action = REGISTRY.action

# --- RenderingControl ------------------------------------------------------------------

_VOLUME = {"CurrentVolume": "Volume", "DesiredVolume": "Volume", "NewVolume": "Volume"}
_MUTE = {"CurrentMute": "Mute", "DesiredMute": "Mute"}


@action(
    "RenderingControl",
    "GetVolume",
    ("InstanceID", "Channel"),
    ("CurrentVolume",),
    variables=_VOLUME,
)
def _get_volume(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    master = args["Channel"].strip() == "Master"
    return {"CurrentVolume": speaker.volume if master else 100}


@action(
    "RenderingControl", "SetVolume", ("InstanceID", "Channel", "DesiredVolume"), variables=_VOLUME
)
def _set_volume(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    volume = int_arg(args, "DesiredVolume")
    if args["Channel"].strip() == "Master":
        speaker.volume = clamp(volume)
    return None


@action(
    "RenderingControl",
    "SetRelativeVolume",
    ("InstanceID", "Channel", "Adjustment"),
    ("NewVolume",),
    variables={**_VOLUME, "Adjustment": "A_ARG_TYPE_VolumeAdjustment"},
)
def _relative_volume(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    speaker.volume = clamp(speaker.volume + int_arg(args, "Adjustment"))
    return {"NewVolume": speaker.volume}


@action(
    "RenderingControl",
    "RampToVolume",
    ("InstanceID", "Channel", "RampType", "DesiredVolume", "ResetVolumeAfter", "ProgramURI"),
    ("RampTime",),
    variables={
        **_VOLUME,
        "RampType": "A_ARG_TYPE_RampType",
        "ResetVolumeAfter": "A_ARG_TYPE_Boolean",
        "ProgramURI": "A_ARG_TYPE_ProgramURI",
        "RampTime": "A_ARG_TYPE_RampTime",
    },
)
def _ramp(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    target = clamp(int_arg(args, "DesiredVolume"))
    seconds = int(abs(target - speaker.volume) / 1.25)
    speaker.volume = target
    return {"RampTime": seconds}


@action("RenderingControl", "GetMute", ("InstanceID", "Channel"), ("CurrentMute",), variables=_MUTE)
def _get_mute(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    return {"CurrentMute": speaker.muted}


@action("RenderingControl", "SetMute", ("InstanceID", "Channel", "DesiredMute"), variables=_MUTE)
def _set_mute(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    speaker.muted = bool_arg(args, "DesiredMute")
    return None


@action("RenderingControl", "GetBass", outputs=("CurrentBass",), variables={"CurrentBass": "Bass"})
def _get_bass(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    return {"CurrentBass": speaker.bass}


@action(
    "RenderingControl", "SetBass", ("InstanceID", "DesiredBass"), variables={"DesiredBass": "Bass"}
)
def _set_bass(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    speaker.bass = clamp(int_arg(args, "DesiredBass"), -10, 10)
    return None


@action(
    "RenderingControl",
    "GetTreble",
    outputs=("CurrentTreble",),
    variables={"CurrentTreble": "Treble"},
)
def _get_treble(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    return {"CurrentTreble": speaker.treble}


@action(
    "RenderingControl",
    "SetTreble",
    ("InstanceID", "DesiredTreble"),
    variables={"DesiredTreble": "Treble"},
)
def _set_treble(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    speaker.treble = clamp(int_arg(args, "DesiredTreble"), -10, 10)
    return None


@action(
    "RenderingControl",
    "GetLoudness",
    ("InstanceID", "Channel"),
    ("CurrentLoudness",),
    variables={"CurrentLoudness": "Loudness"},
)
def _get_loudness(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    return {"CurrentLoudness": speaker.loudness}


@action(
    "RenderingControl",
    "SetLoudness",
    ("InstanceID", "Channel", "DesiredLoudness"),
    variables={"DesiredLoudness": "Loudness"},
)
def _set_loudness(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    speaker.loudness = bool_arg(args, "DesiredLoudness")
    return None


@action(
    "RenderingControl",
    "GetOutputFixed",
    outputs=("CurrentFixed",),
    variables={"CurrentFixed": "OutputFixed"},
)
def _output_fixed(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    return {"CurrentFixed": False}


@action(
    "RenderingControl",
    "GetSupportsOutputFixed",
    outputs=("CurrentSupportsFixed",),
    variables={"CurrentSupportsFixed": "A_ARG_TYPE_Boolean"},
)
def _supports_fixed(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    return {"CurrentSupportsFixed": False}


# --- GroupRenderingControl -------------------------------------------------------------


def group_volume(house: Household, coordinator: SpeakerState) -> int:
    """The group's volume: the mean of its members' volumes."""
    group = house.members_of(coordinator)
    return round(sum(s.volume for s in group) / len(group))


def _set_group_volume(house: Household, coordinator: SpeakerState, volume: int) -> None:
    """Scale every member's volume so that the group's becomes `volume`."""
    group = house.members_of(coordinator)
    current = group_volume(house, coordinator)
    for member in group:
        scaled = member.volume * volume / current if current else volume
        member.volume = clamp(round(scaled))


@action(
    "GroupRenderingControl",
    "GetGroupVolume",
    outputs=("CurrentVolume",),
    variables={"CurrentVolume": "GroupVolume"},
)
def _get_group_volume(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.require_coordinator(speaker)
    return {"CurrentVolume": group_volume(house, speaker)}


@action(
    "GroupRenderingControl",
    "SetGroupVolume",
    ("InstanceID", "DesiredVolume"),
    variables={"DesiredVolume": "GroupVolume"},
)
def _set_group_volume_action(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.require_coordinator(speaker)
    _set_group_volume(house, speaker, clamp(int_arg(args, "DesiredVolume")))
    return None


@action(
    "GroupRenderingControl",
    "SetRelativeGroupVolume",
    ("InstanceID", "Adjustment"),
    ("NewVolume",),
    variables={"Adjustment": "A_ARG_TYPE_VolumeAdjustment", "NewVolume": "GroupVolume"},
)
def _relative_group_volume(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.require_coordinator(speaker)
    target = clamp(group_volume(house, speaker) + int_arg(args, "Adjustment"))
    _set_group_volume(house, speaker, target)
    return {"NewVolume": group_volume(house, speaker)}


@action(
    "GroupRenderingControl",
    "GetGroupMute",
    outputs=("CurrentMute",),
    variables={"CurrentMute": "GroupMute"},
)
def _get_group_mute(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.require_coordinator(speaker)
    return {"CurrentMute": all(s.muted for s in house.members_of(speaker))}


@action(
    "GroupRenderingControl",
    "SetGroupMute",
    ("InstanceID", "DesiredMute"),
    variables={"DesiredMute": "GroupMute"},
)
def _set_group_mute(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.require_coordinator(speaker)
    muted = bool_arg(args, "DesiredMute")
    for member in house.members_of(speaker):
        member.muted = muted
    return None


@action("GroupRenderingControl", "SnapshotGroupVolume")
def _snapshot_group_volume(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    house.require_coordinator(speaker)
    return None
