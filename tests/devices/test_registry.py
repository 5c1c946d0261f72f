"""The registry: idempotent devices, entity ids, overrides, state and availability."""

from __future__ import annotations

from devices.capabilities import Domain, MediaPlayerState
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Change, EntityOverride, Registry


def speaker_spec(name: str = "Kitchen", state: str = "playing") -> EntitySpec:
    return EntitySpec(
        unique_id="RINCON_1",
        domain=Domain.MEDIA_PLAYER,
        name=name,
        state=MediaPlayerState(state=state),  # type: ignore[arg-type]
    )


def test_a_device_at_a_new_address_is_updated_not_duplicated() -> None:
    registry = Registry()
    info = DeviceInfo(unique_id="RINCON_1", name="Kitchen", host="127.0.0.10")
    registry.upsert_device("sonos", info, [speaker_spec()])
    moved = DeviceInfo(unique_id="RINCON_1", name="Kitchen", host="127.0.0.99")
    registry.upsert_device("sonos", moved, [speaker_spec(state="paused")])
    assert list(registry.devices) == ["sonos:RINCON_1"]
    assert registry.devices["sonos:RINCON_1"].info.host == "127.0.0.99"
    assert list(registry.entities) == ["media_player.kitchen"]
    state = registry.entity("media_player.kitchen").state
    assert state is not None
    assert state.state == "paused"


def test_entity_ids_come_from_names_and_never_collide() -> None:
    registry = Registry()
    for n in (1, 2):
        registry.upsert_device(
            "sonos",
            DeviceInfo(unique_id=f"R{n}", name="Kitchen"),
            [EntitySpec(unique_id=f"R{n}", domain=Domain.MEDIA_PLAYER, name="Kitchen Ünit")],
        )
    assert sorted(registry.entities) == ["media_player.kitchen_unit", "media_player.kitchen_unit_2"]


def test_config_overrides_name_area_and_aliases() -> None:
    registry = Registry()
    registry.add_area("Den")
    registry.overrides = {
        "media_player.kitchen": EntityOverride(name="Radio", area="Den", aliases=("wireless",))
    }
    info = DeviceInfo(unique_id="RINCON_1", name="Kitchen", suggested_area="Kitchen")
    [entity] = registry.upsert_device("sonos", info, [speaker_spec()])
    assert entity.entity_id == "media_player.radio"
    assert registry.area_name(entity) == "Den"
    assert entity.aliases == ("wireless",)


def test_a_proposed_area_that_config_lacks_is_created() -> None:
    registry = Registry()
    info = DeviceInfo(unique_id="RINCON_1", name="Kitchen", suggested_area="Kitchen")
    [entity] = registry.upsert_device("sonos", info, [speaker_spec()])
    assert registry.area_name(entity) == "Kitchen"


def test_listeners_hear_state_and_availability_changes_once() -> None:
    registry = Registry()
    info = DeviceInfo(unique_id="RINCON_1", name="Kitchen")
    registry.upsert_device("sonos", info, [speaker_spec()])
    heard: list[Change] = []
    stop = registry.listen(heard.append)
    registry.update_state("media_player.kitchen", MediaPlayerState(state="paused"))
    registry.update_state("media_player.kitchen", MediaPlayerState(state="paused"))
    registry.set_device_available("sonos:RINCON_1", available=False, reason="no answer")
    assert [(c.entity.entity_id, c.old_available) for c in heard] == [
        ("media_player.kitchen", True),
        ("media_player.kitchen", True),
    ]
    assert registry.entity("media_player.kitchen").available is False
    assert registry.devices["sonos:RINCON_1"].unavailable_reason == "no answer"
    stop()
    registry.set_device_available("sonos:RINCON_1", available=True)
    assert len(heard) == 2


def test_a_failing_listener_does_not_stop_the_others() -> None:
    registry = Registry()
    registry.upsert_device("sonos", DeviceInfo(unique_id="RINCON_1", name="K"), [speaker_spec()])
    heard: list[Change] = []

    def broken(_: Change) -> None:
        raise RuntimeError("boom")

    registry.listen(broken)
    registry.listen(heard.append)
    registry.update_state("media_player.kitchen", MediaPlayerState(state="stopped"))
    assert len(heard) == 1


def test_a_device_coming_back_is_heard_after_a_state_pushed_while_it_was_down() -> None:
    """A pushed state revives the entity; the device's own return is still announced."""
    registry = Registry()
    registry.upsert_device(
        "sonos", DeviceInfo(unique_id="RINCON_1", name="Kitchen"), [speaker_spec()]
    )
    registry.set_device_available("sonos:RINCON_1", available=False, reason="garbage")
    registry.update_state("media_player.kitchen", MediaPlayerState(state="paused"))
    heard: list[Change] = []
    registry.listen(heard.append)
    registry.set_device_available("sonos:RINCON_1", available=True)
    assert [c.entity.entity_id for c in heard] == ["media_player.kitchen"]
    assert registry.devices["sonos:RINCON_1"].available is True
    registry.set_device_available("sonos:RINCON_1", available=True)
    assert len(heard) == 1  # no news, nothing announced


def test_an_entity_withdrawn_is_forgotten_and_heard_going() -> None:
    """remove_entity drops the entity (and its device, left empty); listeners hear it go."""
    registry = Registry()
    registry.upsert_device("sonos", DeviceInfo(unique_id="RINCON_1", name="K"), [speaker_spec()])
    heard: list[Change] = []
    registry.listen(heard.append)
    removed = registry.remove_entity("sonos:RINCON_1")
    assert removed is not None
    assert removed.entity_id == "media_player.kitchen"
    assert "media_player.kitchen" not in registry.entities
    assert registry.by_unique_id("sonos:RINCON_1") is None
    assert "sonos:RINCON_1" not in registry.devices
    assert [(c.entity.entity_id, c.old_available, c.entity.available) for c in heard] == [
        ("media_player.kitchen", True, False)
    ]
    assert registry.remove_entity("sonos:RINCON_1") is None
