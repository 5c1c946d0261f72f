"""What a broker announces, for `dobby discover`: Zigbee2MQTT's devices and Home Assistant
discovery's entities, heard by the adapter itself for a few seconds (nothing is sent)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from devices.adapters.mqtt.adapter import MqttAdapter
from devices.adapters.mqtt.config import MqttConfig
from devices.blocking import BlockingRunner
from devices.plugin import AdapterContext
from devices.registry import Registry


class Survey:
    """The adapter connected to the configured broker, on a registry of its own."""

    def __init__(self, config: MqttConfig) -> None:
        self.config = config
        self._blocking = BlockingRunner(max_workers=2)
        self.adapter = MqttAdapter(AdapterContext("mqtt", Registry(), self._blocking), config)

    async def start(self) -> None:
        """Connect (a broker that does not answer is reported, not raised)."""
        await self.adapter.start()

    async def stop(self) -> dict[str, Any]:
        """Say what was heard, and disconnect."""
        heard = self.report()
        with contextlib.suppress(asyncio.CancelledError):
            await self.adapter.stop()
        self._blocking.shutdown()
        return heard

    def report(self) -> dict[str, Any]:
        """The broker, whether it was reached, and what it announced."""
        adapter, config = self.adapter, self.config
        link = adapter.link
        devices = [
            {
                "friendly_name": d.friendly_name,
                "ieee": d.ieee,
                "vendor": d.info.manufacturer,
                "model": d.info.model,
                "entities": sorted(e.domain.value for e in d.entities),
                "gone": d.gone,
            }
            for d in sorted(adapter.listed.values(), key=lambda d: d.friendly_name)
        ]
        entities = [
            {"key": e.key, "domain": e.domain.value, "name": e.name, "unique_id": e.unique_id}
            for e in sorted(adapter.announced.values(), key=lambda e: e.key)
        ]
        return {
            "address": f"{config.broker_host}:{config.broker_port}",
            "connected": link is not None and link.connected,
            "problem": link.problem if link is not None else "not configured",
            "zigbee2mqtt": {
                "base_topic": config.base_topic,
                "online": adapter.bridge_online,
                "devices": devices,
            },
            "discovery": {"prefix": config.discovery_prefix, "entities": entities},
        }
