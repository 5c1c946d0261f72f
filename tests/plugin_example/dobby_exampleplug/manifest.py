"""The plug's manifest: data Dobby reads without importing the adapter or aiohttp."""

from __future__ import annotations

from devices.capabilities import Domain
from devices.plugin import Manifest, Pairing

SERVICE = "_exampleplug._tcp.local."

MANIFEST = Manifest(
    name="exampleplug",
    title="Example Plug",
    adapter="dobby_exampleplug.adapter:ExamplePlugAdapter",
    domains=(Domain.SWITCH,),
    mdns_types=(SERVICE,),
    pairing=Pairing(
        pair="dobby_exampleplug.pairing:pair", target="the plug's address", target_required=True
    ),
    emulator="dobby_exampleplug.emulator:start_demo",
)
