"""An emulator of Sonos players on loopback that the released SoCo library drives unchanged.

async with SonosEmulator([SpeakerSpec("Kitchen", "127.0.0.10")]) as emulator:
    soco.SoCo("127.0.0.10").play()
    emulator.speaker("Kitchen").transport_state  # "PLAYING"
"""

from devices.adapters.sonos.emulator.core import SonosEmulator
from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.http import RequestRecord
from devices.adapters.sonos.emulator.state import (
    Favourite,
    Playlist,
    SpeakerSpec,
    SpeakerState,
    Track,
    TransportState,
    UPnPError,
)

__all__ = [
    "Favourite",
    "Household",
    "Playlist",
    "RequestRecord",
    "SonosEmulator",
    "SpeakerSpec",
    "SpeakerState",
    "Track",
    "TransportState",
    "UPnPError",
]
