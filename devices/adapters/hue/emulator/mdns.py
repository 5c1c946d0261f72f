"""The emulated bridge's mDNS announcement: `_hue._tcp.local.`, as a real bridge publishes it.

A bridge is published as "Hue Bridge - XXXXXX" (the last six digits of its id) on a host
named after its MAC, with its bridge id and model id in the TXT record.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable

from zeroconf import IPVersion, ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

SERVICE_TYPE = "_hue._tcp.local."


def service_info(bridge_id: str, host: str, port: int) -> ServiceInfo:
    """The `_hue._tcp` record of one bridge."""
    mac = bridge_id[:6] + bridge_id[10:]
    return ServiceInfo(
        SERVICE_TYPE,
        f"Hue Bridge - {bridge_id[-6:].upper()}.{SERVICE_TYPE}",
        port=port,
        properties={"bridgeid": bridge_id, "modelid": "BSB002"},
        server=f"{mac}.local.",
        addresses=[socket.inet_aton(host)],
    )


class BridgeAnnouncer:
    """Publishes one bridge with zeroconf on one (loopback) interface."""

    def __init__(self, info: ServiceInfo, interface: str = "127.0.0.1") -> None:
        self.info = info
        self.interface = interface
        self._zeroconf: AsyncZeroconf | None = None
        self._announcing: asyncio.Future[object] | None = None

    async def start(self) -> None:
        """Register the bridge (probing and announcing run in the background)."""
        self._zeroconf = AsyncZeroconf(interfaces=[self.interface], ip_version=IPVersion.V4Only)
        # As a real bridge does, take another instance name if this one is taken.
        registered: Awaitable[object] = await self._zeroconf.async_register_service(
            self.info, allow_name_change=True
        )
        self._announcing = asyncio.ensure_future(registered)

    async def stop(self) -> None:
        """Withdraw the announcement and close zeroconf."""
        zeroconf, self._zeroconf = self._zeroconf, None
        if self._announcing is not None:
            self._announcing.cancel()
            await asyncio.gather(self._announcing, return_exceptions=True)
            self._announcing = None
        if zeroconf is not None:
            await zeroconf.async_unregister_all_services()
            await zeroconf.async_close()
