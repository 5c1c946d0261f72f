"""Discovery: one AsyncZeroconf and one SSDP searcher for every adapter's manifest.

What answers is routed to the adapter whose manifest names its service type or search
target. Answers nobody handles are kept, so `dobby discover` can list them too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field

from zeroconf import IPVersion, NotRunningException, ServiceStateChange, Zeroconf
from zeroconf.asyncio import AsyncServiceBrowser, AsyncServiceInfo, AsyncZeroconf

from devices.background import Background
from devices.errors import DeviceError
from devices.plugin import Discovered, Manifest
from devices.ssdp import SSDPSearcher, ipv4_interfaces

_LOGGER = logging.getLogger(__name__)

SERVICE_TYPE_ENUMERATION = "_services._dns-sd._udp.local."

Handler = Callable[[Discovered], Awaitable[None]]


@dataclass
class Finding:
    """One answer, and the adapter that takes it (None: no adapter knows it)."""

    found: Discovered
    adapter: str | None
    accepted: bool = True
    """False when it came from a host outside `Discovery.only_hosts`."""


@dataclass
class Discovery:
    """Finds devices for a set of adapters and hands each to its adapter."""

    manifests: Mapping[str, Manifest]
    handler: Handler
    """Called once per new answer an adapter handles, with the adapter resolved by type."""
    interfaces: Sequence[str] | None = None
    """IPv4 addresses to discover on; None means every interface but loopback."""
    list_unknown: bool = False
    """Also look for services no adapter handles (for `dobby discover`)."""
    only_hosts: Collection[str] | None = None
    """Hand adapters only answers from these addresses (the virtual house's own devices,
    when other emulators share the loopback network); None takes every answer."""
    findings: dict[tuple[str, str, str], Finding] = field(default_factory=dict)
    _zeroconf: AsyncZeroconf | None = None
    _browsers: list[AsyncServiceBrowser] = field(default_factory=list)
    _ssdp: SSDPSearcher | None = None
    _tasks: Background = field(default_factory=Background)
    _search_task: asyncio.Task[None] | None = None

    def adapter_for(self, found: Discovered) -> str | None:
        """The name of the adapter that handles this answer, if any."""
        for name, manifest in self.manifests.items():
            types = manifest.mdns_types if found.source == "mdns" else manifest.ssdp_targets
            if found.type.lower() in (t.lower() for t in types):
                return name
        return None

    @property
    def mdns_types(self) -> list[str]:
        """The union of every manifest's mDNS types."""
        return sorted({t for m in self.manifests.values() for t in m.mdns_types})

    @property
    def ssdp_targets(self) -> list[str]:
        """The union of every manifest's SSDP targets."""
        return sorted({t for m in self.manifests.values() for t in m.ssdp_targets})

    async def start(self, *, search_interval: float = 300.0) -> None:
        """Start browsing mDNS and searching SSDP; answers arrive at the handler."""
        interfaces = list(self.interfaces) if self.interfaces is not None else ipv4_interfaces()
        types = self.mdns_types
        if types or self.list_unknown:
            self._zeroconf = AsyncZeroconf(interfaces=interfaces, ip_version=IPVersion.V4Only)
            if types:
                self._browsers.append(
                    AsyncServiceBrowser(
                        self._zeroconf.zeroconf, types, handlers=[self._on_mdns_change]
                    )
                )
            if self.list_unknown:
                self._browsers.append(
                    AsyncServiceBrowser(
                        self._zeroconf.zeroconf,
                        SERVICE_TYPE_ENUMERATION,
                        handlers=[self._on_service_type],
                    )
                )
        targets = self.ssdp_targets + (["ssdp:all"] if self.list_unknown else [])
        if targets:
            self._ssdp = SSDPSearcher(targets, self._on_ssdp, interfaces=interfaces)
            await self._ssdp.start()
            self._search_task = asyncio.create_task(self._search_forever(search_interval))

    async def _search_forever(self, interval: float) -> None:
        assert self._ssdp is not None
        while True:
            self._ssdp.search()
            await asyncio.sleep(1.0)
            self._ssdp.search()  # UDP is lossy: a second search a moment later
            await asyncio.sleep(interval)

    def _record(self, found: Discovered) -> None:
        key = (found.source, found.type.lower(), found.name or found.host)
        known = self.findings.get(key)
        if known is not None and known.found.host == found.host:
            return
        adapter = self.adapter_for(found)
        accepted = self.only_hosts is None or found.host in self.only_hosts
        self.findings[key] = Finding(found, adapter, accepted)
        if adapter is None or not accepted:
            return
        self._tasks.spawn(self._deliver(found))

    async def _deliver(self, found: Discovered) -> None:
        what = found.name or found.type
        try:
            await self.handler(found)
        except DeviceError as error:  # it went away or answers wrongly: one line, no trace
            _LOGGER.warning("Setting up %s at %s failed: %s", what, found.host, error)
        except Exception:
            _LOGGER.exception("Setting up %s at %s failed", what, found.host)

    def _on_ssdp(self, found: Discovered) -> None:
        if found.type.lower() == "ssdp:all":  # pragma: no cover - devices answer with their ST
            return
        self._record(found)

    def _on_mdns_change(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        if state_change is ServiceStateChange.Removed or self._zeroconf is None:
            return
        self._tasks.spawn(self._resolve_mdns(self._zeroconf.zeroconf, service_type, name))

    async def _resolve_mdns(self, zeroconf: Zeroconf, service_type: str, name: str) -> None:
        info = AsyncServiceInfo(service_type, name)
        try:
            resolved = await info.async_request(zeroconf, 3000)
        except NotRunningException:  # closed under it: discovery is stopping
            return
        if not resolved:
            _LOGGER.debug("mDNS service %s did not resolve", name)
            return
        addresses = info.parsed_addresses(IPVersion.V4Only)
        if not addresses:
            return
        properties = {
            key.decode(errors="replace"): (value or b"").decode(errors="replace")
            for key, value in info.properties.items()
        }
        self._record(
            Discovered(
                source="mdns",
                type=service_type,
                host=addresses[0],
                port=info.port,
                name=name,
                properties=properties,
            )
        )

    def _on_service_type(
        self,
        zeroconf: Zeroconf,
        service_type: str,
        name: str,
        state_change: ServiceStateChange,
    ) -> None:
        """A service type exists on the network: browse it too, to list its instances."""
        if state_change is not ServiceStateChange.Added or self._zeroconf is None:
            return
        if name in self.mdns_types:
            return
        self._browsers.append(
            AsyncServiceBrowser(self._zeroconf.zeroconf, name, handlers=[self._on_mdns_change])
        )

    async def stop(self) -> None:
        """Stop browsing and searching."""
        if self._search_task is not None:
            self._search_task.cancel()
            await asyncio.gather(self._search_task, return_exceptions=True)
        for browser in self._browsers:
            await browser.async_cancel()
        self._browsers.clear()
        # Resolutions under way end before zeroconf closes under them; an announcement that
        # arrives meanwhile starts none (a late one gives up quietly, see _resolve_mdns).
        zeroconf, self._zeroconf = self._zeroconf, None
        await self._tasks.cancel()
        if zeroconf is not None:
            await zeroconf.async_close()
        if self._ssdp is not None:
            await self._ssdp.stop()
        await self._tasks.cancel()
