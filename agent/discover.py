"""`dobby discover`: the installed adapters, and everything that answers on the network."""

from __future__ import annotations

import asyncio
from typing import Any

from agent.config import Config
from devices.discovery import Discovery
from devices.plugin import Discovered, LoadedAdapters, load_adapters


def _broker(config: Config, loaded: LoadedAdapters) -> Any:
    """A survey of the configured MQTT broker, if the mqtt adapter is on and has one."""
    from agent.app import enabled_adapters
    from agent.config import ConfigError

    try:
        enabled = enabled_adapters(config, loaded).get("mqtt")
    except ConfigError:
        return None  # `dobby config check` says what is wrong
    if enabled is None:
        return None
    from devices.adapters.mqtt.config import MqttConfig

    settings = enabled.config
    if not isinstance(settings, MqttConfig) or settings.broker_host is None:
        return None
    from devices.adapters.mqtt.survey import Survey

    return Survey(settings)


async def scan(config: Config, seconds: float, interfaces: list[str] | None) -> dict[str, Any]:
    """Listen for `seconds` and report adapters, plugin problems and every answer, and what
    the configured MQTT broker announces."""
    loaded = load_adapters()
    broker = _broker(config, loaded)

    async def ignore(_: Discovered) -> None:
        return None

    discovery = Discovery(
        dict(loaded.manifests),
        ignore,
        interfaces=interfaces or config.home.discovery.addresses(),
        list_unknown=True,
    )
    await discovery.start()
    heard: dict[str, Any] | None = None
    try:
        if broker is not None:
            await broker.start()
        await asyncio.sleep(seconds)
    finally:
        await discovery.stop()
        if broker is not None:
            heard = await broker.stop()
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
    return {"adapters": adapters, "problems": problems, "found": found, "broker": heard}
