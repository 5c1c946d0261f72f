"""A LIFX bulb's firmware effects through light.turn_on(effect=...): pulse and breathe
(LightSetWaveform) on every bulb, move on a strip (MultiZoneSetEffect), as the emulated
bulbs receive them."""

from __future__ import annotations

import pytest

from devices.adapters.lifx.demo import BulbSpec, LifxEmulation
from devices.errors import UnsupportedCommandError
from devices.testing import fresh_hosts
from tests.devices.adapters.lifx.test_lifx_adapter import lifx, send

PULSE, SINE, MOVE = 4, 1, 1


def lamp_and_beam() -> LifxEmulation:
    hosts = fresh_hosts()
    return LifxEmulation(
        [
            BulbSpec("Desk Lamp", "Study", on=False),
            BulbSpec("Shelf Beam", "Living Room", zones=16),
        ],
        hosts.allocate(),
        broadcast=hosts.broadcast,
    )


async def test_pulse_and_breathe_reach_the_bulb_as_waveforms() -> None:
    emulation = lamp_and_beam()
    async with lifx(emulation) as (registry, adapter):
        lamp = registry.entity("light.desk_lamp")
        assert lamp.state is not None
        assert lamp.state.attributes()["effect_list"] == ["breathe", "pulse"]
        await send(registry, adapter, "light.desk_lamp", effect="pulse")
        device = emulation.bulb("Desk Lamp").state
        assert (device.waveform_active, device.waveform_type) == (True, PULSE)
        assert device.waveform_cycles == 3
        assert device.power_level > 0  # it came on to show it
        await send(registry, adapter, "light.shelf_beam", effect="breathe")
        beam = emulation.bulb("Shelf Beam").state
        assert (beam.waveform_active, beam.waveform_type) == (True, SINE)


async def test_a_strip_moves_and_a_bulb_cannot() -> None:
    emulation = lamp_and_beam()
    async with lifx(emulation) as (registry, adapter):
        beam = registry.entity("light.shelf_beam")
        assert beam.state is not None
        assert beam.state.attributes()["effect_list"] == ["breathe", "move", "pulse", "stop"]
        await send(registry, adapter, "light.shelf_beam", effect="move")
        assert emulation.bulb("Shelf Beam").state.multizone_effect_type == MOVE
        await send(registry, adapter, "light.shelf_beam", effect="stop")
        assert emulation.bulb("Shelf Beam").state.multizone_effect_type == 0
        with pytest.raises(UnsupportedCommandError, match="no effect called 'move'"):
            await send(registry, adapter, "light.desk_lamp", effect="move")
