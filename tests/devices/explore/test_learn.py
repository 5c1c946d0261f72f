"""`dobby explore HOST` against the emulators: a draft, its reads tried, nothing commanded."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from devices.capabilities import Domain
from devices.explore.learn import Learner, resolve, typed, walk
from devices.explore.probe import ProbeRecord
from devices.recipe import dump_recipe, parse_recipe
from devices.testing.addresses import HostAllocator
from devices.testing.unknown.house import mac_of
from devices.testing.unknown.shelly import ShellyPlus1
from devices.testing.unknown.upnp_fan import SERVICE_TYPE, UpnpFan
from devices.testing.unknown.wled import WledStrip


@pytest.fixture
async def strip() -> AsyncIterator[WledStrip]:
    device = WledStrip(HostAllocator().allocate(), "Desk Strip", mac_of("Desk Strip"), on=True)
    await device.server.start()
    yield device
    await device.server.stop()


async def test_a_wled_strip_is_drafted_as_a_light(strip: WledStrip) -> None:
    audit: list[ProbeRecord] = []
    learned = await Learner(strip.host, strip.port, record=audit.append).learn(area="Office")
    assert learned.family is not None
    assert learned.family.id == "wled"
    draft = learned.draft
    assert draft is not None
    assert draft.identity.mac == mac_of("Desk Strip")
    assert draft.name == "Desk Strip"
    entity = draft.entities[0]
    assert entity.domain is Domain.LIGHT
    assert set(entity.commands) == {"turn_on", "turn_off"}
    assert not any(c.verified for c in entity.commands.values())
    assert learned.tried == {"main.state": True, "main.brightness": 128}
    # Only reads reached the strip, each one in the audit.
    assert strip.changing_requests() == []
    assert {r.method for r in strip.requests} == {"GET"}
    assert len(audit) == len(strip.requests) == learned.requests
    # The draft is data that validates as a saved recipe does.
    assert parse_recipe(dump_recipe(draft), "desk.yaml") == draft


async def test_a_shelly_relay_is_drafted_as_a_switch() -> None:
    relay = ShellyPlus1(HostAllocator().allocate(), "Porch Relay", mac_of("Porch Relay"), on=True)
    await relay.server.start()
    try:
        learned = await Learner(relay.host, relay.port).learn()
    finally:
        await relay.server.stop()
    assert learned.family is not None
    assert learned.family.id == "shelly_gen2"
    assert learned.draft is not None
    assert learned.draft.identity.device_id == relay.device_id
    assert learned.draft.entities[0].domain is Domain.SWITCH
    assert learned.tried == {"switch_0.state": True}
    assert relay.changing_requests() == []
    assert not any("Set" in r.path or "Toggle" in r.path for r in relay.requests)


async def test_a_upnp_fan_is_drafted_from_its_get_set_pairs() -> None:
    fan = UpnpFan(HostAllocator().allocate(), "Bedroom Fan", "uuid:fan-3", on=True, speed=40)
    await fan.server.start()
    try:
        learned = await Learner(fan.host, fan.port, location=fan.location).learn()
    finally:
        await fan.server.stop()
    assert learned.draft is not None
    assert learned.draft.identity.udn == "uuid:fan-3"
    assert learned.draft.upnp_service == SERVICE_TYPE
    entity = learned.draft.entities[0]
    assert set(entity.commands) == {"turn_on", "turn_off", "set_level"}
    assert learned.tried == {"main.state": True, "main.level": 40}
    assert fan.changing_requests() == []


async def test_the_budget_ends_the_probe_with_a_note(strip: WledStrip) -> None:
    learned = await Learner(strip.host, strip.port, budget=1).learn()
    assert learned.draft is None
    assert len(strip.requests) == 1
    assert any("budget" in note for note in learned.notes)


async def test_a_device_that_answers_garbage_gets_no_draft(strip: WledStrip) -> None:
    strip.faults.garbage = True
    learned = await Learner(strip.host, strip.port).learn()
    assert learned.draft is None
    assert learned.family is None
    assert any("does not parse" in note for note in learned.notes)
    assert strip.changing_requests() == []


def test_pointers_and_types() -> None:
    document = {"on": True, "seg": [{"bri": 7}], "a/b": {"~": 1.5}}
    assert dict(walk(document)) == {"/on": True, "/seg/0/bri": 7, "/a~1b/~0": 1.5}
    for pointer, value in walk(document):
        assert resolve(document, pointer) == value
    with pytest.raises(KeyError):
        resolve(document, "/seg/3")
    assert typed("1", "bool") is True
    assert typed("40", "int") == 40
    with pytest.raises(ValueError, match="not a bool"):
        typed("maybe", "bool")
