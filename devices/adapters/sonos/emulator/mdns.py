"""mDNS for the emulated players: `_sonos._tcp.local.` records on loopback, as real ones publish.

Each speaker is published as "RINCON_...@<zone name>" on a host named Sonos-<MAC>.local.,
with the TXT properties a real player sends.
"""

from __future__ import annotations

from zeroconf import ServiceInfo

from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.state import SpeakerState
from devices.testing.mdns import service_info

SERVICE_TYPE = "_sonos._tcp.local."


def speaker_service(speaker: SpeakerState, household_id: str) -> ServiceInfo:
    """The `_sonos._tcp` record of one speaker."""
    mac = speaker.mac.replace(":", "")
    properties = {
        "info": f"/api/v1/players/{speaker.uid}/info",
        "vers": "3",
        "protovers": "1.40.1",
        "bootseq": str(speaker.boot_seq),
        "hhid": household_id,
        "mhhid": f"{household_id}.{household_id[-8:]}",
        "locationid": f"lc_{mac.lower()}",
        "location": speaker.location,
        "sslport": "1443",
        "hhsslport": "1843",
        "variant": "2",
        "mdnssequence": "0",
    }
    return service_info(
        SERVICE_TYPE,
        f"{speaker.uid}@{speaker.name}",
        speaker.host,
        1400,
        properties=properties,
        server=f"Sonos-{mac}.local.",
    )


def household_services(household: Household) -> list[ServiceInfo]:
    """The `_sonos._tcp` record of every speaker of a household."""
    return [speaker_service(s, household.household_id) for s in household.speakers.values()]
