"""Device definitions as Zigbee2MQTT lists them in `bridge/devices`, for a handful of models.

Written from Zigbee2MQTT's published documentation: the exposes format
(zigbee2mqtt.io/guide/usage/exposes.html) and each model's device page, which lists its
exposes with their properties, ranges and access:

- Philips 9290022166, Hue White and Color Ambiance E26/E27 (zigbee2mqtt.io/devices/9290022166.html)
- IKEA E2206, INSPELNING plug with power metering (zigbee2mqtt.io/devices/E2206.html)
- Aqara MCCGQ11LM, door and window sensor (zigbee2mqtt.io/devices/MCCGQ11LM.html)
- Eurotronic SPZB0001, Spirit Zigbee radiator valve (zigbee2mqtt.io/devices/SPZB0001.html)
- IKEA E1757, FYRTUR roller blind (zigbee2mqtt.io/devices/E1757.html)
- IKEA E1524/E1810, TRADFRI remote control (zigbee2mqtt.io/devices/E1524_E1810.html)

Access bits: 1 published, 2 /set, 4 /get.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

STATE, SET, GET = 1, 2, 4
LOCK = {
    "type": "lock",
    "features": [
        {"type": "binary", "name": "state", "property": "state", "access": 7,
         "value_on": "LOCK", "value_off": "UNLOCK"},
        {"type": "enum", "name": "lock_state", "property": "lock_state", "access": 5,
         "values": ["not_fully_locked", "locked", "unlocked"]},
    ],
}  # fmt: skip
"""A lock's expose, as Zigbee2MQTT gives door locks (no lock in the emulated house)."""


def binary(
    name: str, access: int, on: Any = True, off: Any = False, **extra: Any
) -> dict[str, Any]:
    """A generic binary feature."""
    return {
        "type": "binary", "name": name, "property": name, "access": access,
        "value_on": on, "value_off": off, **extra,
    }  # fmt: skip


def numeric(name: str, access: int, unit: str | None = None, **extra: Any) -> dict[str, Any]:
    """A generic numeric feature."""
    feature = {"type": "numeric", "name": name, "property": name, "access": access, **extra}
    if unit is not None:
        feature["unit"] = unit
    return feature


def enum(name: str, access: int, values: list[str]) -> dict[str, Any]:
    """A generic enum feature."""
    return {"type": "enum", "name": name, "property": name, "access": access, "values": values}


BATTERY = numeric("battery", STATE | GET, "%", value_min=0, value_max=100)
LINKQUALITY = numeric("linkquality", STATE, "lqi", value_min=0, value_max=255)


@dataclass(frozen=True)
class Model:
    """A device model: what Zigbee2MQTT says about it, and its state when it joins."""

    kind: str
    """What the virtual house calls it: bulb, plug, door_sensor, trv, blind, remote."""
    model: str
    vendor: str
    description: str
    exposes: list[dict[str, Any]]
    start: dict[str, Any]
    power_source: str = "Mains (single phase)"
    device_type: str = "Router"


MODELS: dict[str, Model] = {
    "bulb": Model(
        "bulb", "9290022166", "Philips", "Hue white and color ambiance E26/E27",
        [
            {
                "type": "light",
                "features": [
                    binary("state", STATE | SET | GET, "ON", "OFF", value_toggle="TOGGLE"),
                    numeric("brightness", STATE | SET | GET, value_min=0, value_max=254),
                    numeric("color_temp", STATE | SET | GET, "mired", value_min=153, value_max=500),
                    {
                        "type": "composite", "name": "color_xy", "property": "color",
                        "access": STATE | SET | GET,
                        "features": [numeric("x", STATE | SET | GET),
                                     numeric("y", STATE | SET | GET)],
                    },
                ],
            },
            enum("effect", SET, ["blink", "breathe", "okay", "channel_change", "finish_effect"]),
            LINKQUALITY,
        ],
        {"state": "ON", "brightness": 254, "color_temp": 370, "color_mode": "color_temp",
         "color": {"x": 0.4599, "y": 0.4106}},
    ),
    "plug": Model(
        "plug", "E2206", "IKEA", "INSPELNING smart plug",
        [
            {"type": "switch",
             "features": [binary("state", STATE | SET | GET, "ON", "OFF", value_toggle="TOGGLE")]},
            numeric("power", STATE | GET, "W"),
            numeric("current", STATE | GET, "A"),
            numeric("voltage", STATE | GET, "V"),
            numeric("energy", STATE | GET, "kWh"),
            LINKQUALITY,
        ],
        {"state": "ON", "power": 35.2, "current": 0.16, "voltage": 231, "energy": 12.41},
    ),
    "door_sensor": Model(
        "door_sensor", "MCCGQ11LM", "Aqara", "Door and window sensor",
        [
            binary("contact", STATE),  # true: closed, the magnet is near
            BATTERY | {"access": STATE},
            numeric("voltage", STATE, "mV"),
            numeric("device_temperature", STATE, "°C"),
            LINKQUALITY,
        ],
        {"contact": True, "battery": 91, "voltage": 3005, "device_temperature": 21},
        power_source="Battery", device_type="EndDevice",
    ),
    "trv": Model(
        "trv", "SPZB0001", "Eurotronic", "Spirit Zigbee wireless heater thermostat",
        [
            {
                "type": "climate",
                "features": [
                    numeric("occupied_heating_setpoint", STATE | SET | GET, "°C",
                            value_min=5, value_max=30, value_step=0.5),
                    numeric("local_temperature", STATE | GET, "°C"),
                    enum("system_mode", STATE | SET | GET, ["off", "auto", "heat"]),
                    enum("running_state", STATE | GET, ["idle", "heat"]),
                    numeric("local_temperature_calibration", STATE | SET | GET, "°C",
                            value_min=-12.8, value_max=12.7, value_step=0.1),
                    numeric("pi_heating_demand", STATE | GET, "%", value_min=0, value_max=100),
                ],
            },
            enum("trv_mode", STATE | SET | GET, ["1", "2"]),
            numeric("valve_position", STATE | SET | GET, value_min=0, value_max=255),
            BATTERY,
            LINKQUALITY,
        ],
        {"occupied_heating_setpoint": 21, "local_temperature": 20.5, "system_mode": "heat",
         "running_state": "heat", "local_temperature_calibration": 0, "pi_heating_demand": 40,
         "trv_mode": "2", "valve_position": 100, "battery": 78},
        power_source="Battery", device_type="EndDevice",
    ),
    "blind": Model(
        "blind", "E1757", "IKEA", "FYRTUR roller blind",
        [
            {
                "type": "cover",
                "features": [
                    enum("state", STATE | SET, ["OPEN", "CLOSE", "STOP"]),
                    numeric("position", STATE | SET | GET, "%", value_min=0, value_max=100),
                ],
            },
            BATTERY,
            LINKQUALITY,
        ],
        {"state": "OPEN", "position": 100, "battery": 84},
        power_source="Battery", device_type="EndDevice",
    ),
    "remote": Model(
        "remote", "E1524/E1810", "IKEA", "TRADFRI remote control",
        [
            BATTERY | {"access": STATE},
            enum("action", STATE, [
                "arrow_left_click", "arrow_left_hold", "arrow_left_release",
                "arrow_right_click", "arrow_right_hold", "arrow_right_release",
                "brightness_down_click", "brightness_down_hold", "brightness_down_release",
                "brightness_up_click", "brightness_up_hold", "brightness_up_release",
                "toggle", "toggle_hold",
            ]),
            LINKQUALITY,
        ],
        {"battery": 67},
        power_source="Battery", device_type="EndDevice",
    ),
}  # fmt: skip
