"""mDNS announcements of emulated devices, on one (loopback) interface only.

    announcer = Announcer([service_info("_myplug._tcp.local.", "Desk Plug", host, port)])
    await announcer.start()   # probing and announcing go on in the background
    await announcer.stop()    # goodbye packets, then zeroconf closes

Instance names are not unique across houses that share loopback: as a real device does,
an announcer takes another name ("Desk Plug (2)") when its own is taken.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Mapping, Sequence

from zeroconf import IPVersion, ServiceInfo
from zeroconf.asyncio import AsyncZeroconf

LOOPBACK = "127.0.0.1"


def zeroconf_on(interface: str = LOOPBACK) -> AsyncZeroconf:
    """A zeroconf instance that sends and listens on `interface` only, IPv4."""
    return AsyncZeroconf(interfaces=[interface], ip_version=IPVersion.V4Only)


def service_info(
    service_type: str,
    instance: str,
    host: str,
    port: int,
    *,
    properties: Mapping[str, str] | None = None,
    server: str | None = None,
) -> ServiceInfo:
    """The record of one service: `instance` under `service_type` at host:port."""
    return ServiceInfo(
        service_type,
        f"{instance}.{service_type}",
        port=port,
        properties=dict(properties or {}),
        server=server or f"{host.replace('.', '-')}.local.",
        addresses=[socket.inet_aton(host)],
    )


class Announcer:
    """Publishes services with zeroconf on one interface, and withdraws them."""

    def __init__(self, infos: Sequence[ServiceInfo], interface: str = LOOPBACK) -> None:
        self.infos = list(infos)
        self.interface = interface
        self._zeroconf: AsyncZeroconf | None = None
        self._announcing: list[asyncio.Future[object]] = []

    @property
    def running(self) -> bool:
        """Whether the services are published."""
        return self._zeroconf is not None

    async def start(self) -> None:
        """Register every service (probing runs for all of them at once, in the background)."""
        zeroconf = zeroconf_on(self.interface)
        self._zeroconf = zeroconf
        registered: list[Awaitable[object]] = await asyncio.gather(
            *(zeroconf.async_register_service(info, allow_name_change=True) for info in self.infos)
        )
        self._announcing = [asyncio.ensure_future(done) for done in registered]

    async def stop(self) -> None:
        """Say goodbye and close zeroconf. Idempotent."""
        zeroconf, self._zeroconf = self._zeroconf, None
        announcing, self._announcing = self._announcing, []
        for future in announcing:
            future.cancel()
        await asyncio.gather(*announcing, return_exceptions=True)
        if zeroconf is not None:
            await zeroconf.async_unregister_all_services()
            await zeroconf.async_close()
