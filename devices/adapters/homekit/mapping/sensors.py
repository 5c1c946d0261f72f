"""Contact, motion and leak sensors → binary_sensor; temperature and humidity → sensor."""

from __future__ import annotations

from typing import ClassVar

from aiohomekit.model.characteristics import CharacteristicsTypes as C
from aiohomekit.model.services import ServicesTypes as S

from devices.adapters.homekit.mapping.base import Family, View
from devices.capabilities import BinarySensorDeviceClass, BinarySensorState, Domain, SensorState

BINARY: dict[str, tuple[str, BinarySensorDeviceClass]] = {
    S.CONTACT_SENSOR: (C.CONTACT_STATE, BinarySensorDeviceClass.DOOR),
    S.MOTION_SENSOR: (C.MOTION_DETECTED, BinarySensorDeviceClass.MOTION),
    S.LEAK_SENSOR: (C.LEAK_DETECTED, BinarySensorDeviceClass.LEAK),
}


class BinarySensorFamily(Family):
    """On means open (contact not detected), motion seen, or water found."""

    domain: ClassVar = Domain.BINARY_SENSOR
    service_types: ClassVar = tuple(BINARY)

    def device_class(self, view: View) -> str:
        """door, motion or moisture."""
        return BINARY[view.service.type][1].value

    def state(self, view: View) -> BinarySensorState:
        """on or off."""
        value = view.value(BINARY[view.service.type][0], 0)
        return BinarySensorState(state="on" if value else "off")


class SensorFamily(Family):
    """A temperature (in the household's unit) or a relative humidity (%)."""

    domain: ClassVar = Domain.SENSOR
    service_types: ClassVar = (S.TEMPERATURE_SENSOR, S.HUMIDITY_SENSOR)

    def device_class(self, view: View) -> str:
        """temperature or humidity."""
        return "temperature" if view.service.type == S.TEMPERATURE_SENSOR else "humidity"

    def state(self, view: View) -> SensorState:
        """The reading as text, with its unit."""
        if view.service.type == S.TEMPERATURE_SENSOR:
            reading = view.temperature(C.TEMPERATURE_CURRENT)
            return SensorState(state=f"{reading:g}", unit_of_measurement=view.unit)
        humidity = view.value(C.RELATIVE_HUMIDITY_CURRENT, 0)
        return SensorState(state=f"{round(humidity)}", unit_of_measurement="%")
