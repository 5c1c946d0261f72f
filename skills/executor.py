"""The executor: carries out a plan the policy has passed.

Actions run concurrently across devices and in order on one device, each with a timeout.
Sending goes through `devices.coordinator.deliver`, the one place that decides about
retries: a failed action is sent once more only after a connection error, and only if it
is idempotent or the request surely never left; a toggle or an alarm arm that the device
may have received is never sent twice. A device marked unavailable is still tried, once,
with a shorter timeout: nothing is refused untried.
Availability itself is the adapter's (its coordinator's) business, not the executor's.
Every action gets a result in words a person understands, and a slow or dead device never
holds up the others.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from devices.capabilities import CommandSpec, Params, validate_command
from devices.coordinator import deliver
from devices.entities import Entity
from devices.errors import DeviceError
from devices.plugin import Adapter
from devices.registry import Registry
from skills.actions import Action, ActionResult, Plan
from skills.audit import AuditLog

_LOGGER = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0


@dataclass
class Executor:
    """Runs actions through the adapters, and logs each one."""

    registry: Registry
    adapters: Mapping[str, Adapter]
    audit: AuditLog | None = None
    timeout: float = DEFAULT_TIMEOUT
    """Seconds one attempt of one action may take."""
    clock: Callable[[], float] = time.monotonic
    """Seconds, for `sent`."""
    sent: dict[str, tuple[float, str]] = field(default_factory=dict)
    """When (`clock()`) which command last went to each entity, by entity id: what
    tells a change Dobby made from one made at the device (`skills.device_changes`)."""

    async def run(self, plan: Plan) -> list[ActionResult]:
        """Carry out every action of the plan; results come back in the plan's order."""
        by_device: dict[str, list[int]] = {}
        for index, action in enumerate(plan.actions):
            entity = self.registry.entities.get(action.entity_id)
            key = entity.device_id if entity else f"?{action.entity_id}"
            by_device.setdefault(key, []).append(index)
        results: list[ActionResult | None] = [None] * len(plan.actions)

        async def run_device(indexes: list[int]) -> None:
            for index in indexes:
                results[index] = await self.run_action(plan.actions[index])

        await asyncio.gather(*(run_device(indexes) for indexes in by_device.values()))
        done = [r for r in results if r is not None]
        if self.audit is not None and done:
            self.audit.record(plan, done)
        return done

    async def run_action(self, action: Action) -> ActionResult:
        """Carry out one action: validate, send with a timeout, retry once if that is safe."""
        ready = self._prepare(action)
        if isinstance(ready, str):
            return ActionResult(action, ok=False, error=ready)
        adapter, entity, spec, params = ready

        async def attempt() -> None:
            self.sent[entity.entity_id] = (self.clock(), action.command)
            await adapter.execute(entity, spec, params)

        try:
            await deliver(
                attempt,
                spec,
                available=entity.available,
                within=self.timeout,
                label=action.describe(),
            )
        except DeviceError as failure:
            return ActionResult(action, ok=False, error=f"{entity.name}: {failure}")
        except Exception:  # a bug in an adapter fails its action, never the whole plan
            _LOGGER.exception("The %s adapter failed on %s", entity.adapter, action.describe())
            error = f"{entity.name}: the {entity.adapter} adapter failed (a bug; see the log)."
            return ActionResult(action, ok=False, error=error)
        return ActionResult(action, ok=True)

    def _prepare(self, action: Action) -> tuple[Adapter, Entity, CommandSpec, Params] | str:
        """What is needed to send the action, or why it cannot be sent."""
        entity = self.registry.entities.get(action.entity_id)
        if entity is None:
            return f"There is no {action.entity_id}."
        adapter = self.adapters.get(entity.adapter)
        if adapter is None:
            return f"No adapter is running for {entity.name}."
        try:
            spec, params = validate_command(
                entity.name,  # the refusal is read by a person: the name they know
                entity.domain,
                entity.features,
                action.command,
                action.params,
                state=entity.state,
            )
        except DeviceError as error:
            return str(error)
        return adapter, entity, spec, params
