"""The mqtt manifest: Zigbee2MQTT's devices (and Home Assistant MQTT discovery) through a
broker, with aiomqtt."""

from __future__ import annotations

from devices.adapters.mqtt.config import MqttConfig
from devices.capabilities import Domain
from devices.plugin import Manifest

MANIFEST = Manifest(
    name="mqtt",
    title="MQTT (Zigbee2MQTT)",
    adapter="devices.adapters.mqtt.adapter:MqttAdapter",
    domains=(
        Domain.LIGHT,
        Domain.SWITCH,
        Domain.COVER,
        Domain.CLIMATE,
        Domain.LOCK,
        Domain.SENSOR,
        Domain.BINARY_SENSOR,
    ),
    config_model=MqttConfig,
    emulator="devices.adapters.mqtt.demo:start_demo",
)
