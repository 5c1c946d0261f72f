"""A scripted adapter for executor and house tests.

Why not the Sonos emulator here: these tests need exact control over how many attempts
fail and how long each device takes, per entity. The adapter is a real plugin of the
adapter API (nothing of ours is patched); emulator-backed tests cover the same paths
end to end in tests/devices/adapters/sonos/.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import pytest

from devices.blocking import BlockingRunner
from devices.capabilities import CommandSpec, Domain, LockState, Params, SwitchState
from devices.entities import DeviceInfo, Entity, EntitySpec
from devices.errors import DeviceConnectionError, DeviceNotSentError, DeviceResponseError
from devices.plugin import Adapter, AdapterConfig, AdapterContext, Manifest
from devices.registry import Registry
from skills.executor import Executor
from skills.house import House
from skills.policy import Policy, PolicyConfig


@dataclass
class Script:
    delay: float = 0.0
    connection_failures: int = 0
    bug: bool = False
    """The adapter itself fails (raises something that is no device error)."""
    never_sent: bool = False
    """The connection failures are refusals: the request surely never left."""
    garbage: bool = False
    gate: asyncio.Event | None = None
    """When set, the device waits for the gate before it answers."""
    calls: list[tuple[str, float]] = field(default_factory=list)


class ScriptedAdapter(Adapter):
    manifest = Manifest(name="scripted", title="Scripted", domains=(Domain.SWITCH, Domain.LOCK))
    poll_interval = None

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self.scripts: dict[str, Script] = {}
        self.log: list[tuple[str, str]] = []
        """("start" | "end", entity id), in the order things happened."""

    def script(self, entity_id: str, **behaviour: object) -> Script:
        """How this entity's device behaves from now on."""
        script = self.scripts.setdefault(entity_id, Script())
        for key, value in behaviour.items():
            setattr(script, key, value)
        return script

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        script = self.script(entity.entity_id)
        script.calls.append((command.name, time.monotonic()))
        self.log.append(("start", entity.entity_id))
        await asyncio.sleep(script.delay)
        if script.gate is not None:
            await script.gate.wait()
        self.log.append(("end", entity.entity_id))
        if script.connection_failures:
            script.connection_failures -= 1
            if script.never_sent:
                raise DeviceNotSentError("cannot be reached (nothing was sent).")
            raise DeviceConnectionError("cannot be reached.")
        if script.bug:
            raise AttributeError("'NoneType' object has no attribute 'TOGGLE'")
        if script.garbage:
            raise DeviceResponseError("answered with something that makes no sense.")
        new = "on" if command.verb == "turn_on" else "off"
        if command.verb == "toggle":
            current = entity.state.state if entity.state is not None else "off"
            new = "off" if current == "on" else "on"
        if entity.domain is Domain.LOCK:
            self.context.push_state(
                entity.adapter_unique_id,
                LockState(state="locked" if command.verb == "lock" else "unlocked"),
            )
        else:
            self.context.push_state(entity.adapter_unique_id, SwitchState(state=new))  # type: ignore[arg-type]


@dataclass
class Rig:
    registry: Registry
    adapter: ScriptedAdapter
    executor: Executor
    house: House


@pytest.fixture
def rig() -> Rig:
    registry = Registry()
    for device in ("one", "two", "three"):
        registry.upsert_device(
            "scripted",
            DeviceInfo(unique_id=device, name=device.title()),
            [
                EntitySpec(
                    unique_id=f"{device}-{n}",
                    domain=Domain.SWITCH,
                    name=f"{device} {n}",
                    state=SwitchState(state="off"),
                )
                for n in (1, 2)
            ],
        )
    registry.upsert_device(
        "scripted",
        DeviceInfo(unique_id="door", name="Front Door"),
        [
            EntitySpec(
                unique_id="door",
                domain=Domain.LOCK,
                name="Front Door",
                state=LockState(state="locked"),
            )
        ],
    )
    adapter = ScriptedAdapter(
        AdapterContext("scripted", registry, BlockingRunner(2)), AdapterConfig()
    )
    executor = Executor(registry, {"scripted": adapter}, timeout=0.5)
    house = House(registry, Policy(registry, PolicyConfig()), executor)
    return Rig(registry, adapter, executor, house)
