"""Loading the adapter plugins does not load the client libraries of their devices.

`dobby run` loads every installed adapter at start; each library is imported with the
first device of its kind (issue 7: "load heavy modules only when needed").
"""

from __future__ import annotations

import json
import subprocess
import sys

LAZY_LIBRARIES = ("soco", "aiohue", "aiohomekit", "aiomqtt")

PROBE = f"""
import json, sys
from devices.plugin import load_adapters
loaded = load_adapters()
print(json.dumps({{
    "adapters": sorted(loaded.adapters),
    "problems": [p.reason for p in loaded.problems],
    "imported": [m for m in {LAZY_LIBRARIES!r} if m in sys.modules],
}}))
"""


def test_loading_the_adapters_imports_no_heavy_client_library() -> None:
    """A fresh interpreter loads every adapter and none of soco, aiohue, aiohomekit, aiomqtt."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    seen = json.loads(done.stdout)
    assert {"sonos", "hue", "homekit", "mqtt"} <= set(seen["adapters"])
    assert seen["problems"] == []
    assert seen["imported"] == []


def test_homekit_service_type_is_aiohomekits() -> None:
    """The manifest's mDNS type, written out to keep aiohomekit unloaded, is the library's."""
    from aiohomekit.zeroconf import HAP_TYPE_TCP

    from devices.adapters.homekit import HomeKitAdapter

    assert HomeKitAdapter.manifest.mdns_types == (HAP_TYPE_TCP,)


CONCURRENT = """
import asyncio, json, sys
from devices.blocking import BlockingRunner
from devices.plugin import AdapterContext
from devices.registry import Registry

HOMEKIT = (
    "devices.adapters.homekit.pairing",
    "devices.adapters.homekit.connection",
    "devices.adapters.homekit.mapping",
)

async def main() -> None:
    blocking = BlockingRunner()
    context = AdapterContext("homekit", Registry(), blocking)
    try:
        await asyncio.gather(*(context.load_library(*HOMEKIT) for _ in range(4)))
    finally:
        blocking.shutdown()
    print(json.dumps(sorted(m for m in HOMEKIT + ("aiohomekit",) if m in sys.modules)))

asyncio.run(main())
"""


def test_devices_found_together_load_their_library_once_and_whole() -> None:
    """Four accessories set up at once all get aiohomekit (its modules import each other)."""
    done = subprocess.run(
        [sys.executable, "-c", CONCURRENT], check=False, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        "aiohomekit",
        "devices.adapters.homekit.connection",
        "devices.adapters.homekit.mapping",
        "devices.adapters.homekit.pairing",
    ]
