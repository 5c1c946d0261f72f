"""An emulator of Hunter Douglas PowerView hubs (generation 2 and 3) that aiopvapi drives.

async with PowerViewHub("127.0.0.20", [ShadeSpec("Den Shade", "Den")], generation=3) as hub:
    ...  # aiopvapi at 127.0.0.20 sees a generation 3 hub with one shade in the Den
    hub.shade("Den Shade").percent  # where it is now; it moves over a couple of seconds
"""

from devices.adapters.powerview.emulator.core import PowerViewHub, PowerViewHubs
from devices.adapters.powerview.emulator.kinds import KINDS, Kind, KindSpec
from devices.adapters.powerview.emulator.mdns import SERVICE_TYPES
from devices.adapters.powerview.emulator.server import Generation
from devices.adapters.powerview.emulator.state import (
    EmulatedShade,
    HubState,
    SceneSpec,
    ShadeSpec,
    encode_name,
)

__all__ = [
    "KINDS",
    "SERVICE_TYPES",
    "EmulatedShade",
    "Generation",
    "HubState",
    "Kind",
    "KindSpec",
    "PowerViewHub",
    "PowerViewHubs",
    "SceneSpec",
    "ShadeSpec",
    "encode_name",
]
