"""An adapter context limited to some addresses takes devices there only, whoever found them."""

from __future__ import annotations

from devices.blocking import BlockingRunner
from devices.capabilities import Domain, SwitchState
from devices.entities import DeviceInfo, EntitySpec
from devices.plugin import AdapterContext
from devices.registry import Registry


def plug(host: str, serial: str) -> tuple[DeviceInfo, list[EntitySpec]]:
    state = SwitchState(state="off")
    entity = EntitySpec(unique_id=serial, domain=Domain.SWITCH, name=serial, state=state)
    return DeviceInfo(unique_id=serial, name=serial, host=host), [entity]


def test_devices_elsewhere_are_not_taken() -> None:
    registry = Registry()
    context = AdapterContext(
        "t", registry, BlockingRunner(1), only_hosts={"127.9.1.10", "127.0.0.1"}
    )
    assert context.add_device(*plug("127.9.1.10", "mine"))
    assert context.add_device(*plug("http://127.0.0.1:8080", "also mine"))
    assert context.add_device(*plug("127.9.1.11:443", "theirs")) == []
    assert sorted(registry.entities) == ["switch.also_mine", "switch.mine"]


def test_without_a_limit_every_device_is_taken() -> None:
    registry = Registry()
    context = AdapterContext("t", registry, BlockingRunner(1))
    context.add_device(*plug("192.0.2.7", "lan"))
    assert list(registry.entities) == ["switch.lan"]
