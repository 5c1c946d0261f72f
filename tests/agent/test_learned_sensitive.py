"""A learned lock or garage door asks for the same confirmations as every other: the
policy goes by domain and device class, whoever asks and whatever drives the device."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from agent.app import Dobby
from agent.config import load_config
from devices.adapters.recipe.manifest import MANIFEST
from devices.capabilities import Domain
from devices.plugin import LoadedAdapters
from devices.recipe import (
    RECIPES_DIR,
    Command,
    Read,
    Recipe,
    RecipeEntity,
    dump_recipe,
    identity_of,
)
from devices.testing.addresses import HostAllocator
from devices.testing.unknown.house import mac_of
from devices.testing.unknown.wled import WledStrip
from skills.actions import Action, Requester, Role

ADMIN = Requester("telegram:1", Role.ADMIN, "Alice", "telegram", "1")


def recipe_for(
    strip: WledStrip, entity: str, domain: Domain, states: tuple[str, str], verbs: tuple[str, str]
) -> Recipe:
    """A hand-written recipe that drives the strip's `on` as if it were a lock or a door:
    `states` and `verbs` are what on and off mean."""
    identity = identity_of(strip.mac)
    assert identity is not None
    body = "/json/state"
    return Recipe(
        name=entity,
        identity=identity,
        host=strip.host,
        port=strip.port,
        entities=[
            RecipeEntity(
                key="main",
                domain=domain,
                name=entity,
                area="Garden",
                device_class="garage" if domain == Domain.COVER else None,
                reads={
                    "state": Read(
                        path=body,
                        pointer="/on",
                        type="bool",
                        mapping={"true": states[0], "false": states[1]},
                    )
                },
                commands={
                    verbs[0]: Command(method="POST", path=body, body={"on": True}, verified=True),
                    verbs[1]: Command(method="POST", path=body, body={"on": False}, verified=True),
                },
            )
        ],
    )


@pytest.fixture
async def house(tmp_path: Path) -> AsyncIterator[tuple[Dobby, WledStrip, WledStrip]]:
    hosts = HostAllocator()
    lock = WledStrip(hosts.allocate(), "Shed Lock", mac_of("Shed Lock"), on=True)
    door = WledStrip(hosts.allocate(), "Garage Door", mac_of("Garage Door"), on=False)
    await lock.server.start()
    await door.server.start()
    directory = tmp_path / "config"
    (directory / RECIPES_DIR).mkdir(parents=True)
    (directory / "home.yaml").write_text("areas: [{name: Garden}]\nadapters: {}\n")
    recipes = [
        recipe_for(lock, "Shed Lock", Domain.LOCK, ("locked", "unlocked"), ("lock", "unlock")),
        recipe_for(door, "Garage Door", Domain.COVER, ("open", "closed"), ("open", "close")),
    ]
    for recipe in recipes:
        path = directory / RECIPES_DIR / f"{recipe.name.lower().replace(' ', '_')}.yaml"
        path.write_text(dump_recipe(recipe))
    dobby = Dobby(
        load_config(directory), tmp_path / "state", loaded=LoadedAdapters({"recipe": MANIFEST}, [])
    )
    await dobby.start(discover=False, freeze=False)
    try:
        yield dobby, lock, door
    finally:
        await dobby.stop()
        await door.server.stop()
        await lock.server.stop()


async def test_a_learned_lock_is_unlocked_only_after_approve(
    house: tuple[Dobby, WledStrip, WledStrip],
) -> None:
    dobby, lock, _ = house
    assert dobby.registry.entity("lock.shed_lock").state is not None
    reply = await dobby.handle("unlock the shed lock", ADMIN)
    assert reply.needs_confirmation, reply.reply
    assert lock.changing_requests() == []
    assert reply.confirmation is not None
    await dobby.confirm(reply.confirmation, ADMIN, approve=True)
    assert lock.on is False
    assert dobby.registry.entity("lock.shed_lock").state.state == "unlocked"  # type: ignore[union-attr]
    again = await dobby.handle("lock the shed lock", ADMIN)
    assert not again.needs_confirmation
    assert lock.on is True


async def test_a_learned_garage_door_asks_on_every_way_in(
    house: tuple[Dobby, WledStrip, WledStrip],
) -> None:
    dobby, _, door = house
    garage = dobby.registry.entity("cover.garage_door")
    assert garage.device_class == "garage"
    said = await dobby.handle("open the garage door", ADMIN)
    clicked = await dobby.act([Action(entity_id=garage.entity_id, command="cover.open")], ADMIN)
    assert said.needs_confirmation, said.reply
    assert clicked.needs_confirmation, clicked.reply
    assert door.changing_requests() == []
