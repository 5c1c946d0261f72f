"""MQTT: Zigbee2MQTT's devices through a broker, with aiomqtt."""

from __future__ import annotations

from devices.adapters.mqtt.adapter import BROKER, MqttAdapter
from devices.adapters.mqtt.config import PASSWORD_ENV, USERNAME_ENV, MqttConfig

__all__ = ["BROKER", "PASSWORD_ENV", "USERNAME_ENV", "MqttAdapter", "MqttConfig"]
