"""The MQTT adapter's settings (`adapters.mqtt` in home.yaml).

    adapters:
      mqtt:
        broker: 192.168.1.5       # where Mosquitto (or any MQTT broker) listens
        port: 1883
        tls: false                # true: TLS with the system's CA certificates (port 8883)
        base_topic: zigbee2mqtt   # Zigbee2MQTT's `mqtt.base_topic`
        discovery_prefix: homeassistant

The username and password are secrets: they come from the environment variables the
settings name (DOBBY_MQTT_USERNAME, DOBBY_MQTT_PASSWORD by default), never from the YAML.
"""

from __future__ import annotations

import os
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from devices.plugin import AdapterConfig

USERNAME_ENV = "DOBBY_MQTT_USERNAME"
PASSWORD_ENV = "DOBBY_MQTT_PASSWORD"  # noqa: S105 - a variable's name, not a secret
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")
_TOPIC = re.compile(r"[^#+\s][^#+]*")


class MqttConfig(AdapterConfig):
    """Settings under `adapters.mqtt`: one broker, and what is announced on it."""

    broker: str | None = None
    """The broker's address (None: the first of `hosts`; neither: the adapter stays idle)."""
    port: int | None = Field(default=None, ge=1, le=65535)
    """The broker's port (None: 1883, or 8883 with TLS)."""
    tls: bool = False
    """Connect with TLS, checking the broker's certificate against `ca_file` or the system's."""
    ca_file: str | None = None
    """A CA certificate file for a broker with a certificate of its own making."""
    base_topic: str = "zigbee2mqtt"
    """Zigbee2MQTT's base topic (its `mqtt.base_topic`)."""
    discovery_prefix: str = "homeassistant"
    """Where Home Assistant MQTT discovery configs are announced."""
    username_env: str = USERNAME_ENV
    """The environment variable that holds the broker username (never the username)."""
    password_env: str = PASSWORD_ENV
    """The environment variable that holds the broker password (never the password)."""
    client_id: str = ""
    """The client id Dobby connects with ("" lets the client library choose one)."""
    request_timeout: float = Field(default=5.0, gt=0)
    """Seconds a command waits for the device to report its new state."""
    reconnect_min: float = Field(default=1.0, gt=0)
    """Seconds before the first attempt to reconnect; doubled after each failure..."""
    reconnect_max: float = Field(default=60.0, gt=0)
    """...up to this many seconds between attempts."""
    keepalive: int = Field(default=30, ge=5)
    protocol: Literal["3.1.1", "5"] = "5"
    """The MQTT version to speak (Mosquitto 2 speaks both)."""

    @field_validator("username_env", "password_env")
    @classmethod
    def _names_a_variable(cls, value: str) -> str:
        if not _ENV_NAME.fullmatch(value):
            raise ValueError(
                "name an environment variable (like DOBBY_MQTT_PASSWORD); "
                "secrets never go in home.yaml"
            )
        return value

    @field_validator("base_topic", "discovery_prefix")
    @classmethod
    def _a_topic(cls, value: str) -> str:
        value = value.strip().strip("/")
        if not _TOPIC.fullmatch(value):
            raise ValueError("a topic without the wildcards # and +, like zigbee2mqtt")
        return value

    @model_validator(mode="after")
    def _one_broker(self) -> MqttConfig:
        if self.broker is None and len(self.hosts) > 1:
            raise ValueError("one broker per adapter: set `broker`, or list one address in hosts")
        if self.reconnect_max < self.reconnect_min:
            raise ValueError("reconnect_max must not be below reconnect_min")
        return self

    @property
    def broker_host(self) -> str | None:
        """Where the broker is, if configured."""
        return self.broker or (self.hosts[0] if self.hosts else None)

    @property
    def broker_port(self) -> int:
        """The broker's port, 8883 with TLS and 1883 without unless configured."""
        return self.port or (8883 if self.tls else 1883)

    def credentials(self) -> tuple[str | None, str | None]:
        """The username and password from the environment (None where unset)."""
        return os.environ.get(self.username_env) or None, os.environ.get(self.password_env) or None
