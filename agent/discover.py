"""`dobby discover`: the installed adapters, and everything that answers on the network."""

from __future__ import annotations

import asyncio
from typing import Any

from agent.config import Config
from devices.discovery import Discovery
from devices.plugin import Discovered, load_adapters


async def scan(config: Config, seconds: float, interfaces: list[str] | None) -> dict[str, Any]:
    """Listen for `seconds` and report adapters, plugin problems and every answer."""
    loaded = load_adapters()

    async def ignore(_: Discovered) -> None:
        return None

    discovery = Discovery(
        dict(loaded.manifests),
        ignore,
        interfaces=interfaces or config.home.discovery.addresses(),
        list_unknown=True,
    )
    await discovery.start()
    try:
        await asyncio.sleep(seconds)
    finally:
        await discovery.stop()
    found = [
        {
            "source": f.found.source,
            "type": f.found.type,
            "host": f.found.host,
            "name": f.found.name,
            "adapter": f.adapter,
        }
        for f in sorted(discovery.findings.values(), key=lambda f: (f.found.host, f.found.type))
    ]
    adapters = []
    for manifest in loaded.manifests.values():
        described = manifest.describe()
        described.pop("config")
        adapters.append(described)
    problems = [{"entry_point": p.entry_point, "reason": p.reason} for p in loaded.problems]
    return {"adapters": adapters, "problems": problems, "found": found}
