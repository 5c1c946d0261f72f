"""mDNS for an emulated hub: `_powerview._tcp` (generation 2) or `_powerview-g3._tcp` (3)."""

from __future__ import annotations

from zeroconf import ServiceInfo

from devices.testing.mdns import service_info

SERVICE_TYPES = {2: "_powerview._tcp.local.", 3: "_powerview-g3._tcp.local."}


def hub_service(name: str, host: str, port: int, generation: int, serial: str) -> ServiceInfo:
    """The record a hub publishes: its name as the instance, its address and HTTP port."""
    return service_info(
        SERVICE_TYPES[generation],
        name.replace(".", " "),
        host,
        port,
        properties={"sn": serial, "gen": str(generation)},
        server=f"powerview-{serial.lower()}.local.",
    )
