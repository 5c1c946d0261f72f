"""mDNS for the emulated players: `_sonos._tcp.local.` records on loopback, as real ones publish.

Each speaker is published as "RINCON_...@<zone name>" on a host named Sonos-<MAC>.local.,
with the TXT properties a real player sends.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable

from zeroconf import IPVersion, ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

from devices.adapters.sonos.emulator.household import Household
from devices.adapters.sonos.emulator.state import SpeakerState

SERVICE_TYPE = "_sonos._tcp.local."
_LOGGER = logging.getLogger(__name__)


def service_info(speaker: SpeakerState, household_id: str) -> ServiceInfo:
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
    return ServiceInfo(
        SERVICE_TYPE,
        f"{speaker.uid}@{speaker.name}.{SERVICE_TYPE}",
        port=1400,
        properties=properties,
        server=f"Sonos-{mac}.local.",
        addresses=[socket.inet_aton(speaker.host)],
    )


class MdnsAnnouncer:
    """Publishes every speaker of a household with zeroconf on one loopback interface."""

    def __init__(self, household: Household, interface: str = "127.0.0.1") -> None:
        self.household = household
        self.interface = interface
        self._zeroconf: AsyncZeroconf | None = None
        self._announcing: list[asyncio.Future[object]] = []

    async def start(self) -> None:
        """Register every speaker (probing runs for all of them at once)."""
        zeroconf = AsyncZeroconf(interfaces=[self.interface], ip_version=IPVersion.V4Only)
        self._zeroconf = zeroconf
        infos = [
            service_info(s, self.household.household_id) for s in self.household.speakers.values()
        ]
        registered: list[Awaitable[object]] = await asyncio.gather(
            # As real players do, take another instance name if this one is taken.
            *(zeroconf.async_register_service(info, allow_name_change=True) for info in infos)
        )
        self._announcing = [asyncio.ensure_future(a) for a in registered]
        _LOGGER.debug("Published %d speakers as %s", len(infos), SERVICE_TYPE)

    async def stop(self) -> None:
        """Unregister every speaker and close zeroconf."""
        zeroconf, self._zeroconf = self._zeroconf, None
        for future in self._announcing:
            future.cancel()
        await asyncio.gather(*self._announcing, return_exceptions=True)
        self._announcing.clear()
        if zeroconf is not None:
            await zeroconf.async_unregister_all_services()
            await zeroconf.async_close()
