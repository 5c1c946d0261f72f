"""MQTT: Zigbee2MQTT's devices through a broker, with aiomqtt.

The package imports only its manifest (`manifest.py`); the adapter and the client library
load when the broker is configured.
"""

from __future__ import annotations

from devices.adapters.mqtt.config import PASSWORD_ENV, USERNAME_ENV, MqttConfig
from devices.adapters.mqtt.manifest import MANIFEST

__all__ = ["MANIFEST", "PASSWORD_ENV", "USERNAME_ENV", "MqttConfig"]
