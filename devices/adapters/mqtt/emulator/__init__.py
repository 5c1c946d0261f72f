"""An emulated Zigbee2MQTT bridge and the device models it knows."""

from __future__ import annotations

from devices.adapters.mqtt.emulator.bridge import EmulatedDevice, Zigbee2MqttEmulator
from devices.adapters.mqtt.emulator.models import MODELS, Model

__all__ = ["MODELS", "EmulatedDevice", "Model", "Zigbee2MqttEmulator"]
