"""mDNS for an emulated hub: `_powerview._tcp` (generation 2) or `_powerview-g3._tcp` (3)."""

from __future__ import annotations

import asyncio
import socket

from zeroconf import IPVersion, ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

SERVICE_TYPES = {2: "_powerview._tcp.local.", 3: "_powerview-g3._tcp.local."}


def service_info(name: str, host: str, port: int, generation: int, serial: str) -> ServiceInfo:
    """The record a hub publishes: its name as the instance, its address and HTTP port."""
    service_type = SERVICE_TYPES[generation]
    label = name.replace(".", " ")
    return ServiceInfo(
        service_type,
        f"{label}.{service_type}",
        port=port,
        properties={"sn": serial, "gen": str(generation)},
        server=f"powerview-{serial.lower()}.local.",
        addresses=[socket.inet_aton(host)],
    )


class Announcer:
    """Publishes one hub with zeroconf on one (loopback) interface, and withdraws it."""

    def __init__(self, info: ServiceInfo, interface: str = "127.0.0.1") -> None:
        self.info = info
        self.interface = interface
        self._zeroconf: AsyncZeroconf | None = None
        self._announcing: asyncio.Future[object] | None = None

    async def start(self) -> None:
        """Register the hub's service (probing and announcing run in the background)."""
        zeroconf = AsyncZeroconf(interfaces=[self.interface], ip_version=IPVersion.V4Only)
        self._zeroconf = zeroconf
        # As a real hub does, take another instance name if this one is taken on the network.
        registered = await zeroconf.async_register_service(self.info, allow_name_change=True)
        self._announcing = asyncio.ensure_future(registered)

    async def stop(self) -> None:
        """Say goodbye and close zeroconf."""
        zeroconf, self._zeroconf = self._zeroconf, None
        announcing, self._announcing = self._announcing, None
        if announcing is not None:
            announcing.cancel()
            await asyncio.gather(announcing, return_exceptions=True)
        if zeroconf is not None:
            await zeroconf.async_unregister_all_services()
            await zeroconf.async_close()
