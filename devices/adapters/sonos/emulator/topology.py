"""The ZoneGroupTopology and DeviceProperties actions: groups, names, household, LED."""

from __future__ import annotations

from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.services import REGISTRY, Arguments, Result
from devices.adapters.sonos.emulator.state import SOFTWARE_VERSION, SpeakerState, UPnPError
from devices.adapters.sonos.emulator.templates import zone_group_state

action = REGISTRY.action


@action(
    "ZoneGroupTopology",
    "GetZoneGroupState",
    inputs=(),
    outputs=("ZoneGroupState",),
)
def _zone_group_state(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    return {"ZoneGroupState": zone_group_state(house)}


@action(
    "ZoneGroupTopology",
    "GetZoneGroupAttributes",
    inputs=(),
    outputs=(
        "CurrentZoneGroupName",
        "CurrentZoneGroupID",
        "CurrentZonePlayerUUIDsInGroup",
        "CurrentMuseHouseholdId",
    ),
    variables={
        "CurrentZoneGroupName": "ZoneGroupName",
        "CurrentZoneGroupID": "ZoneGroupID",
        "CurrentZonePlayerUUIDsInGroup": "ZonePlayerUUIDsInGroup",
        "CurrentMuseHouseholdId": "MuseHouseholdId",
    },
)
def _zone_group_attributes(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    return group_attributes(house, speaker)


def group_attributes(house: Household, speaker: SpeakerState) -> dict[str, str]:
    """The name, id and members of the speaker's group, and the household's Muse id."""
    coordinator = house.coordinator_of(speaker)
    return {
        "CurrentZoneGroupName": house.group_name(coordinator),
        "CurrentZoneGroupID": house.group_id(coordinator),
        "CurrentZonePlayerUUIDsInGroup": ",".join(s.uid for s in house.members_of(coordinator)),
        "CurrentMuseHouseholdId": f"{house.household_id}.{house.household_id[-8:]}",
    }


@action(
    "DeviceProperties",
    "GetZoneAttributes",
    inputs=(),
    outputs=("CurrentZoneName", "CurrentIcon", "CurrentConfiguration", "CurrentTargetRoomName"),
    variables={
        "CurrentZoneName": "ZoneName",
        "CurrentIcon": "Icon",
        "CurrentConfiguration": "Configuration",
        "CurrentTargetRoomName": "TargetRoomName",
    },
)
def _zone_attributes(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    return {
        "CurrentZoneName": speaker.name,
        "CurrentIcon": speaker.icon,
        "CurrentConfiguration": "1",
        "CurrentTargetRoomName": speaker.name,
    }


@action(
    "DeviceProperties",
    "SetZoneAttributes",
    inputs=("DesiredZoneName", "DesiredIcon", "DesiredConfiguration"),
    variables={
        "DesiredZoneName": "ZoneName",
        "DesiredIcon": "Icon",
        "DesiredConfiguration": "Configuration",
    },
)
def _set_zone_attributes(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    name = args["DesiredZoneName"].strip()
    if not name:
        raise UPnPError(402, "a zone needs a name")
    speaker.name = name
    if args["DesiredIcon"].strip():
        speaker.icon = args["DesiredIcon"].strip()
    return None


@action(
    "DeviceProperties",
    "GetZoneInfo",
    inputs=(),
    outputs=(
        "SerialNumber",
        "SoftwareVersion",
        "DisplaySoftwareVersion",
        "HardwareVersion",
        "IPAddress",
        "MACAddress",
        "CopyrightInfo",
        "ExtraInfo",
        "HTAudioIn",
        "Flags",
    ),
)
def _zone_info(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    return {
        "SerialNumber": f"{speaker.mac.replace(':', '-')}:E",
        "SoftwareVersion": SOFTWARE_VERSION,
        "DisplaySoftwareVersion": "16.3",
        "HardwareVersion": "1.20.1.6-1.2",
        "IPAddress": speaker.host,
        "MACAddress": speaker.mac,
        "CopyrightInfo": "© 2004-2025 Sonos, Inc. All Rights Reserved.",
        "ExtraInfo": "",
        "HTAudioIn": 0,
        "Flags": 0,
    }


@action(
    "DeviceProperties",
    "GetHouseholdID",
    inputs=(),
    outputs=("CurrentHouseholdID",),
    variables={"CurrentHouseholdID": "A_ARG_TYPE_HouseholdID"},
)
def _household_id(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    return {"CurrentHouseholdID": house.household_id}


@action(
    "DeviceProperties",
    "GetLEDState",
    inputs=(),
    outputs=("CurrentLEDState",),
    variables={"CurrentLEDState": "LEDState"},
)
def _led_state(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    return {"CurrentLEDState": "On" if speaker.led_on else "Off"}


@action(
    "DeviceProperties",
    "SetLEDState",
    inputs=("DesiredLEDState",),
    variables={"DesiredLEDState": "LEDState"},
)
def _set_led_state(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    state = args["DesiredLEDState"].strip()
    if state not in ("On", "Off"):
        raise UPnPError(402, "LED state is On or Off")
    speaker.led_on = state == "On"
    return None


@action(
    "DeviceProperties",
    "GetButtonLockState",
    inputs=(),
    outputs=("CurrentButtonLockState",),
    variables={"CurrentButtonLockState": "ButtonLockState"},
)
def _button_lock(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    return {"CurrentButtonLockState": "On" if speaker.buttons_locked else "Off"}


@action(
    "DeviceProperties",
    "SetButtonLockState",
    inputs=("DesiredButtonLockState",),
    variables={"DesiredButtonLockState": "ButtonLockState"},
)
def _set_button_lock(house: Household, speaker: SpeakerState, args: Arguments) -> Result:
    state = args["DesiredButtonLockState"].strip()
    if state not in ("On", "Off"):
        raise UPnPError(402, "button lock state is On or Off")
    speaker.buttons_locked = state == "On"
    return None
