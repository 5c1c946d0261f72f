"""Dobby's own sentences, added to Home Assistant's: what people type in a chat."""

from __future__ import annotations

import pytest

from agent.intents import IntentReader
from devices.capabilities import CoverState, Domain, LightState
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry


@pytest.fixture
def house() -> Registry:
    registry = Registry()
    registry.add_area("Living Room")
    registry.add_area("Bedroom")
    registry.upsert_device(
        "t",
        DeviceInfo(unique_id="lamp", name="Floor Lamp", suggested_area="Living Room"),
        [
            EntitySpec(
                unique_id="lamp",
                domain=Domain.LIGHT,
                name="Floor Lamp",
                features=frozenset({"brightness", "color_temp"}),
                state=LightState(state="on", brightness=40),
            )
        ],
    )
    registry.upsert_device(
        "t",
        DeviceInfo(unique_id="shade", name="Bedroom Blackout", suggested_area="Bedroom"),
        [
            EntitySpec(
                unique_id="shade",
                domain=Domain.COVER,
                name="Bedroom Blackout",
                device_class="shade",
                features=frozenset({"open", "close", "set_position"}),
                state=CoverState(state="open", position=100),
            )
        ],
    )
    return registry


@pytest.mark.parametrize(
    ("language", "text", "kelvin"),
    [
        ("en", "make the floor lamp warm white", 2700),
        ("en", "set the floor lamp to daylight", 6500),
        ("en", "turn the living room to cool white", 4000),
        ("de", "Setze die Floor Lamp auf Warmweiß", 2700),
    ],
)
def test_colour_temperature_by_name(house: Registry, language: str, text: str, kelvin: int) -> None:
    found = IntentReader(house, language).read(text)
    assert found is not None
    assert found.intent == "HassLightSet"
    assert [(a.entity_id, a.command, a.params) for a in found.actions] == [
        ("light.floor_lamp", "light.turn_on", {"color_temp_kelvin": kelvin})
    ]


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "open the bedroom blackout halfway"),
        ("en", "close the bedroom blackout half way"),
        ("de", "Öffne die Bedroom Blackout halb"),
    ],
)
def test_halfway(house: Registry, language: str, text: str) -> None:
    found = IntentReader(house, language).read(text)
    assert found is not None
    assert found.slots == {"name": "Bedroom Blackout", "position": 50}
    assert [(a.entity_id, a.command, a.params) for a in found.actions] == [
        ("cover.bedroom_blackout", "cover.set_position", {"position": 50})
    ]


def test_a_light_is_not_opened_halfway(house: Registry) -> None:
    found = IntentReader(house, "en").read("open the floor lamp halfway")
    assert found is None or found.actions == []
