"""Testing tools for adapters: the contract kit and the emulator kit.

The contract kit (`devices.testing.contract`) runs pytest checks of an adapter against its
emulator. The emulator kit is what every emulator is built from:

- `devices.testing.addresses`: `HostAllocator` (a 127.x.y.z of its own for every device,
  a broadcast address per virtual house), `PortTakenError`, `bind`, `bind_first`
- `devices.testing.faults`: `Faults`, the misbehaviour switch of one device
- `devices.testing.mdns`: `Announcer`, `service_info`, `zeroconf_on`
- `devices.testing.http`: `HttpServer`, `fault_middleware`
- `devices.testing.tcp`: `serve_streams`, `serve_protocol`, `port_of`
- `devices.testing.udp`: `UdpServer`, `hear_broadcasts`, `Hearing`
- `devices.testing.house`: `DemoDevice`, what the virtual house hands an emulator hook
- `devices.testing.loop_thread`: `LoopThread`, for blocking client libraries
- `devices.testing.mosquitto`: `Mosquitto`, a real MQTT broker on an address of its own

Names are imported on first use, so `dobby demo` runs the emulators without pytest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devices.testing.addresses import HostAllocator, PortTakenError
    from devices.testing.contract import AdapterContract, CommandCase, Harness, fresh_hosts
    from devices.testing.faults import Faults
    from devices.testing.house import DemoDevice

_WHERE = {
    "AdapterContract": "contract",
    "CommandCase": "contract",
    "Harness": "contract",
    "fresh_hosts": "contract",
    "PortTakenError": "addresses",
    "HostAllocator": "addresses",
    "Faults": "faults",
    "DemoDevice": "house",
}

__all__ = [
    "AdapterContract",
    "CommandCase",
    "DemoDevice",
    "Faults",
    "Harness",
    "HostAllocator",
    "PortTakenError",
    "fresh_hosts",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
