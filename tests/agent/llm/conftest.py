"""A small house for the LLM agent's tests, served by a recording adapter, and no real model.

Why a recording adapter and not emulators: these tests are about what the model's tool
calls turn into (actions, policy verdicts, approvals), so they need to count exactly what
reached a device. The adapter is a real plugin of the adapter API and runs behind the real
executor; nothing of ours is patched. The emulators are exercised by the adapter tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pydantic_ai.models
import pytest

from devices.blocking import BlockingRunner
from devices.capabilities import (
    AlarmPanelState,
    ClimateState,
    CommandSpec,
    CoverState,
    Domain,
    LightState,
    LockState,
    MediaPlayerFeature,
    MediaPlayerState,
    Params,
    SwitchState,
)
from devices.entities import DeviceInfo, Entity, EntitySpec
from devices.plugin import Adapter, AdapterConfig, AdapterContext, Manifest
from devices.registry import Registry
from skills.executor import Executor
from skills.house import House
from skills.policy import Policy, PolicyConfig
from skills.routines import Routine, Step, Target


@pytest.fixture(autouse=True)
def no_model_requests() -> Iterator[None]:
    """No test here may reach a real model."""
    with pydantic_ai.models.override_allow_model_requests(False):
        yield


class RecordingAdapter(Adapter):
    """Records every command it is asked to carry out, and updates the entity's state."""

    manifest = Manifest(name="recording", title="Recording", domains=tuple(Domain))
    poll_interval = None

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self.calls: list[tuple[str, str, dict[str, object]]] = []

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        given = params.model_dump(exclude_none=True)
        self.calls.append((entity.entity_id, command.name, given))
        if command.name in ("lock.lock", "lock.unlock"):
            new = "locked" if command.verb == "lock" else "unlocked"
            self.context.push_state(entity.adapter_unique_id, LockState(state=new))  # type: ignore[arg-type]
        if command.name in ("light.turn_on", "light.turn_off"):
            on = command.verb == "turn_on"
            self.context.push_state(
                entity.adapter_unique_id,
                LightState(state="on" if on else "off", brightness=given.get("brightness")),  # type: ignore[arg-type]
            )


@dataclass
class Home:
    registry: Registry
    adapter: RecordingAdapter
    house: House
    routines: list[Routine]


def _device(registry: Registry, name: str, area: str, spec: EntitySpec) -> None:
    registry.upsert_device(
        "recording", DeviceInfo(unique_id=spec.unique_id, name=name, suggested_area=area), [spec]
    )


def build_home() -> Home:
    """Kitchen light, speaker, hallway thermostat, garage door, front door lock, alarm."""
    registry = Registry()
    registry.add_floor("Ground Floor", aliases=["downstairs"])
    for area in ("Kitchen", "Hallway", "Garage", "Living Room"):
        registry.add_area(area, floor="Ground Floor")
    specs = [
        ("Kitchen", EntitySpec("k1", Domain.LIGHT, "Kitchen Ceiling", frozenset({"brightness"}),
                               state=LightState(state="off"))),
        ("Kitchen", EntitySpec("k2", Domain.MEDIA_PLAYER, "Kitchen Speaker",
                               frozenset(f.value for f in MediaPlayerFeature),
                               state=MediaPlayerState(state="playing", volume=20))),
        ("Hallway", EntitySpec("h1", Domain.CLIMATE, "Hallway Thermostat",
                               frozenset({"target_temperature", "hvac_mode"}),
                               state=ClimateState(state="heat", temperature=20))),
        ("Garage", EntitySpec("g1", Domain.COVER, "Garage Door",
                              frozenset({"open", "close", "set_position"}), device_class="garage",
                              state=CoverState(state="closed", position=0))),
        ("Hallway", EntitySpec("d1", Domain.LOCK, "Front Door", state=LockState(state="locked"))),
        ("Hallway", EntitySpec("a1", Domain.ALARM_PANEL, "House Alarm",
                               frozenset({"arm_home", "arm_away", "arm_night"}),
                               state=AlarmPanelState(state="armed_away"))),
        ("Living Room", EntitySpec("s1", Domain.SWITCH, "Fairy Lights",
                                   state=SwitchState(state="off"))),
    ]  # fmt: skip
    for area, spec in specs:
        _device(registry, spec.name, area, spec)
    adapter = RecordingAdapter(
        AdapterContext("recording", registry, BlockingRunner(2)), AdapterConfig()
    )
    executor = Executor(registry, {"recording": adapter}, timeout=5)
    house = House(registry, Policy(registry, PolicyConfig()), executor)
    routines = [
        Routine(
            name="movie time",
            description="Lights off in the living room.",
            steps=[Step(command="switch.turn_off", target=Target(area="Living Room"))],
        )
    ]
    return Home(registry, adapter, house, routines)


@pytest.fixture
def llm_home() -> Home:
    """A fresh small house with a recording adapter behind the real executor and policy."""
    return build_home()
