"""The Sonos speakers of the virtual house: one emulator, each speaker on its own address."""

from __future__ import annotations

from collections.abc import Sequence

from devices.adapters.sonos.emulator import (
    Favourite,
    Playlist,
    SonosEmulator,
    SpeakerSpec,
    Track,
    TransportState,
)
from devices.testing.addresses import HostAllocator
from devices.testing.house import DemoDevice

SPEAKER_PORT = 1400
"""SoCo reaches every speaker on port 1400 of its address."""
TRANSPORT: dict[str, TransportState] = {
    "playing": "PLAYING",
    "paused": "PAUSED_PLAYBACK",
    "stopped": "STOPPED",
}

DEMO_QUEUE = (
    Track(title="Morning Light", artist="The Emulators", album="Loopback", duration=215),
    Track(title="127 Ways Home", artist="The Emulators", album="Loopback", duration=198),
    Track(title="Quiet Hours", artist="Dobby & Friends", album="Sleepy Time", duration=240),
)

DEMO_PLAYLISTS = (
    Playlist(
        "Late Jazz",
        (
            Track(title="Blue Loopback", artist="The Emulators", album="After Hours", duration=301),
            Track(title="Port 1400", artist="Dobby & Friends", album="After Hours", duration=254),
        ),
    ),
)
DEMO_FAVOURITES = (
    Favourite("Jazz Radio", stream_uri="x-rincon-mp3radio://127.0.0.1:9/jazz", description="Radio"),
    Favourite("Sunday Morning", playlist="Late Jazz", description="Sonos Playlist"),
)
"""The household's Sonos favourites: a station (played as a stream; nothing fetches it)
and a shortcut to its one playlist."""


def speaker_spec(device: DemoDevice, host: str) -> SpeakerSpec:
    """The emulated speaker for one device of a house file."""
    state = str(device.state.get("state", "stopped"))
    volume = device.state.get("volume", 20)
    return SpeakerSpec(
        name=device.name,
        host=host,
        transport_state=TRANSPORT[state],
        volume=int(volume) if isinstance(volume, int | str) else 20,
        queue=DEMO_QUEUE,
    )


async def start_demo(
    devices: Sequence[DemoDevice], hosts: HostAllocator, *, interface: str
) -> SonosEmulator:
    """Start every speaker of the house, announced by SSDP on `interface`."""
    emulator = SonosEmulator(
        [speaker_spec(device, hosts.allocate(tcp=[SPEAKER_PORT])) for device in devices],
        ssdp_interface=interface,
        favourites=DEMO_FAVOURITES,
        playlists=DEMO_PLAYLISTS,
    )
    await emulator.start()
    return emulator
