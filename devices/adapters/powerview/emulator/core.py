"""One emulated PowerView hub: its state, its REST API and its mDNS announcement."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import Self

from devices.adapters.powerview.emulator.mdns import SERVICE_TYPES, hub_service
from devices.adapters.powerview.emulator.server import Generation, HubServer
from devices.adapters.powerview.emulator.state import (
    EmulatedShade,
    HubState,
    SceneSpec,
    ShadeSpec,
    gateway_named,
)
from devices.testing.faults import Faults
from devices.testing.house import all_at_once
from devices.testing.mdns import Announcer


class PowerViewHub:
    """A generation 2 or 3 hub on `host:port` that aiopvapi drives unchanged.

    `vanish()` takes it off the network (server and announcement) keeping its shades;
    `reappear()` brings it back, at the same address or a new one.
    """

    def __init__(
        self,
        host: str,
        shades: Sequence[ShadeSpec],
        *,
        generation: Generation = 3,
        name: str = "PowerView Hub",
        scenes: Sequence[SceneSpec] = (),
        port: int | None = None,
        travel_time: float = 2.0,
        announce: bool = True,
        interface: str = "127.0.0.1",
        second_gateway: str | None = None,
    ) -> None:
        self.host = host
        self.port = port or 0
        """Where it serves: `port`, or a real hub's 80 (8080 where 80 needs privileges)."""
        self._ports = (port,) if port is not None else (80, 8080)
        self.generation: Generation = generation
        self.announce = announce
        self.interface = interface
        self.faults = Faults()
        self.state = HubState(name, list(shades), list(scenes), travel_time=travel_time)
        self.second_gateway = second_gateway
        """Where a second, secondary gateway of the same home serves (generation 3)."""
        if second_gateway is not None:
            self.state.gateways.append(gateway_named(f"{name} 2", primary=False))
        self.requests: list[tuple[str, str]] = []
        """Every (method, path with query) the hub was asked, oldest first."""
        self._servers: list[HubServer] = []
        self._announcers: list[Announcer] = []
        self.events_offered = True
        """Whether the generation 3 hub serves its shade event stream."""

    @property
    def name(self) -> str:
        """The hub's name."""
        return self.state.name

    @property
    def serial(self) -> str:
        """The hub's serial number, which the adapter's unique ids start with."""
        return self.state.serial

    @property
    def address(self) -> str:
        """Where a client reaches the hub: `host`, or `host:port` off port 80."""
        return self.host if self.port == 80 else f"{self.host}:{self.port}"

    @property
    def service_type(self) -> str:
        """The mDNS service type the hub announces."""
        return SERVICE_TYPES[self.generation]

    @property
    def shades(self) -> list[EmulatedShade]:
        """Every shade of the hub."""
        return list(self.state.shades.values())

    @property
    def running(self) -> bool:
        """Whether the hub is on the network."""
        return bool(self._servers)

    def shade(self, key: str | int) -> EmulatedShade:
        """A shade by name or id."""
        return self.state.shade(key)

    def all_faults(self) -> list[Faults]:
        """The hub's faults switch (one per hub: the shades answer through it)."""
        return [self.faults]

    @property
    def event_listeners(self) -> int:
        """How many shade event streams are open on the hub (generation 3)."""
        return sum(server.event_listeners for server in self._servers)

    def offer_events(self, offered: bool) -> None:
        """Serve the shade event stream or not (`False` also ends the open ones): a hub
        whose stream drops, or a firmware without one."""
        self.events_offered = offered
        for server in self._servers:
            server.events_offered = offered
            if not offered:
                server.drop_event_streams()

    async def start(self) -> None:
        """Serve the API and announce the hub (and its second gateway, if it has one)."""
        hosts = [self.host]
        announcers: list[Announcer] = []
        if self.second_gateway is not None:
            hosts.append(self.second_gateway)
        for host, gateway in zip(hosts, self.state.gateways, strict=False):
            server = HubServer(
                self.state,
                host,
                self._ports,
                self.generation,
                self.faults,
                gateway=gateway,
                on_request=lambda method, path: self.requests.append((method, path)),
            )
            server.events_offered = self.events_offered
            await server.start()
            self._servers.append(server)
            if len(self._servers) == 1:
                self.port = server.port
                self._ports = (server.port,)  # both serve, and come back, on this port
            if self.announce:
                info = hub_service(gateway.name, host, server.port, self.generation, gateway.serial)
                announcers.append(Announcer([info], self.interface))
        self._announcers.extend(announcers)
        await all_at_once(announcer.start() for announcer in announcers)

    async def vanish(self) -> None:
        """Leave the network: stop serving and withdraw the announcement; shades keep state."""
        servers, self._servers = self._servers, []
        announcers, self._announcers = self._announcers, []
        for announcer in announcers:
            await announcer.stop()
        for server in servers:
            await server.stop()

    async def reappear(self, host: str | None = None) -> None:
        """Come back, at `host` if the hub got a new address."""
        if host is not None:
            self.host = host
        await self.start()

    async def stop(self) -> None:
        """Leave the network and stop every shade."""
        await self.vanish()
        await self.state.halt()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        await self.stop()


class PowerViewHubs:
    """Several hubs started and stopped together (what the contract kit and demo hold)."""

    def __init__(self, hubs: Sequence[PowerViewHub]) -> None:
        self.hubs = list(hubs)

    def all_faults(self) -> list[Faults]:
        """Every hub's faults switch."""
        return [hub.faults for hub in self.hubs]

    async def start(self) -> None:
        """Start every hub."""
        await all_at_once(hub.start() for hub in self.hubs)

    async def stop(self) -> None:
        """Stop every hub."""
        await all_at_once(hub.stop() for hub in self.hubs)
