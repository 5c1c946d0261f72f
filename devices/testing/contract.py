"""The contract test kit for adapters.

Subclass `AdapterContract` in your adapter's tests, point it at your adapter class and
your emulator, list a `CommandCase` for every command your entities can do, and pytest
runs the contract: the manifest, discovery over loopback (idempotent), every declared
capability with its state read back, changes made on the device's side, timeouts, and the
mapping of protocol errors, garbage and dropped connections onto `devices.errors`.

    class TestMyLampContract(AdapterContract):
        adapter_class = MyLampAdapter
        entity_count = 2
        command_cases = [CommandCase("light.turn_off", expect={"state": "off"}), ...]

        async def start_emulator(self, hosts):
            return await MyLampEmulator.start(hosts.allocate(), hosts.allocate())

        async def change_on_device(self, emulated):
            emulated.lamps[0].on = False
            return emulated.lamps[0].serial, {"state": "off"}
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

import pytest

from devices.blocking import BlockingRunner
from devices.capabilities import Commands, CommandSpec, Params, validate_command
from devices.coordinator import FAILURES_BEFORE_UNAVAILABLE, Devices, deliver
from devices.discovery import Discovery
from devices.entities import Entity, slugify
from devices.errors import (
    DeviceConnectionError,
    DeviceError,
    DeviceRefusedError,
    DeviceResponseError,
    DeviceUnconfirmedError,
)
from devices.plugin import Adapter, AdapterConfig, AdapterContext
from devices.registry import Registry
from devices.testing.addresses import HostAllocator
from devices.testing.faults import Faults


def fresh_hosts() -> HostAllocator:
    """Loopback addresses no earlier call of this process handed out."""
    return HostAllocator()


class Emulated(Protocol):
    """What the kit needs of an adapter's running emulators."""

    def all_faults(self) -> Sequence[Faults]:
        """The faults switch of every emulated device."""
        ...

    async def stop(self) -> None:
        """Stop every emulated device."""
        ...


@dataclass
class CommandCase:
    """One command to send, and the state to read back afterwards.

    In `params` and `expect`, the strings "{self}" and "{other}" stand for the entity id of
    the entity under test and of another entity of the same domain.
    """

    command: str
    params: dict[str, Any] = field(default_factory=dict)
    expect: dict[str, Any] = field(default_factory=dict)


@dataclass
class Harness:
    """A running adapter against its running emulator."""

    registry: Registry
    adapter: Adapter
    emulated: Emulated
    discovery: Discovery


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def state_fields(entity: Entity) -> dict[str, Any]:
    """The entity's state as one flat dict: `state` and every attribute."""
    assert entity.state is not None, f"{entity.entity_id} has no state"
    return {"state": entity.state.state, **entity.state.attributes()}


class AdapterContract:
    """Subclass me in a `Test...` class; pytest collects the contract's tests."""

    adapter_class: ClassVar[type[Adapter]]
    entity_count: ClassVar[int]
    """How many entities discovery must find on the emulator."""
    command_cases: ClassVar[list[CommandCase]] = []
    interface: ClassVar[str] = "127.0.0.1"
    timeout: ClassVar[float] = 1.0
    """Seconds the adapter's own requests may take in the timeout test."""
    discovery_timeout: ClassVar[float] = 10.0
    """Seconds discovery may go without a new entity before the harness gives up (not a
    bound on the whole: on a slow machine set-ups take long, and it waits while they add)."""
    lifecycle: ClassVar[bool] = True
    """Check the coordinator's lifecycle rules (availability after repeated failures and
    back at the first answer, commands tried on unavailable devices, retries only where
    safe, toggles from a fresh read, read-back). Every adapter on the coordinator does,
    unless its devices can neither be polled nor refuse (they only report): then say so
    where `lifecycle = False` is set."""
    stuck_supported: ClassVar[bool] = False
    """The emulator honours `Faults.stuck` (acknowledges commands, changes nothing)."""

    async def start_emulator(self, hosts: HostAllocator) -> Emulated:
        """Start emulated devices on addresses from `hosts`, announced on loopback."""
        raise NotImplementedError

    def adapter_config(self, emulated: Emulated) -> AdapterConfig:
        """The adapter's settings for a test; `self.timeout` should bound each request."""
        del emulated
        return self.adapter_class.manifest.config_model()

    async def change_on_device(self, emulated: Emulated) -> tuple[str, dict[str, Any]]:
        """Change a device's state on the device's side (a person at the device).

        Returns the adapter's unique id of the changed entity and the state fields that
        the adapter must then report.
        """
        raise NotImplementedError

    async def discover_again(self, harness: Harness) -> None:
        """Make every device answer discovery once more (the idempotence check).

        By default the adapter gets every answer that mDNS and SSDP recorded again. An
        adapter that finds its devices by itself (its own broadcast, no mDNS or SSDP types)
        overrides this to make it search again and wait for the answers.
        """
        for found in list(harness.discovery.findings.values()):
            if found.accepted and found.adapter is not None:
                await harness.adapter.discovered(found.found)

    # -- the harness --------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Harness]:
        """Emulator, adapter and discovery, torn down afterwards."""
        manifest = self.adapter_class.manifest
        hosts = fresh_hosts()
        emulated = await self.start_emulator(hosts)
        registry = Registry()
        blocking = BlockingRunner()
        adapter = self.adapter_class(
            AdapterContext(manifest.name, registry, blocking, [self.interface]),
            self.adapter_config(emulated),
        )
        # Only this test's devices: other emulators may share the loopback network.
        discovery = Discovery(
            {manifest.name: manifest},
            adapter.discovered,
            interfaces=[self.interface],
            only_hosts=hosts.allocated | {self.interface},
        )
        try:
            await adapter.start()
            await discovery.start()
            found = await self._found_everything(registry, adapter)
            assert found, f"discovery found {len(registry.entities)} of {self.entity_count}"
            # Emulators that push (Sonos's events) may offer to wait until what they sent
            # has arrived, so a test's faults meet a device that has finished saying hello.
            settled = getattr(emulated, "settled", None)
            if settled is not None:
                await settled()
            yield Harness(registry, adapter, emulated, discovery)
        finally:
            # The devices behave again for the teardown, which no test checks: an adapter
            # that says goodbye to each device (unsubscribing) would wait out every fault.
            for switch in emulated.all_faults():
                switch.clear()
            await discovery.stop()
            await adapter.stop()
            await emulated.stop()
            blocking.shutdown()

    async def _found_everything(self, registry: Registry, adapter: Adapter) -> bool:
        """Wait until discovery has found `entity_count` entities, trying again the set-ups
        that failed as Dobby's poll does (on a slow machine the first may run out of time).
        Gives up once `discovery_timeout` seconds pass without a new entity."""
        enough = self.entity_count
        every = self.timeout * 3
        devices = getattr(adapter, "devices", None)
        quiet = 0.0
        while quiet < self.discovery_timeout:
            before = len(registry.entities)
            if await registry.wait_until(lambda: len(registry.entities) >= enough, every):
                return True
            if isinstance(devices, Devices):  # not the poll: no failed read is counted
                await devices.try_unreached()
            quiet = 0.0 if len(registry.entities) > before else quiet + every
        return len(registry.entities) >= enough

    async def send(self, harness: Harness, entity: Entity, command: str, **params: Any) -> None:
        """Validate and send one command straight to the adapter."""
        spec, typed = validate_command(
            entity.entity_id, entity.domain, entity.features, command, params, state=entity.state
        )
        async with asyncio.timeout(self.timeout * 20):
            await harness.adapter.execute(entity, spec, typed)

    async def read_back(
        self, harness: Harness, entity: Entity, want: dict[str, Any]
    ) -> dict[str, Any]:
        """The entity's `want` fields after a poll, polled again for a while until they
        match: an event the device sent before the change may still land after a poll
        (events and requests are two channels), and the next event or poll corrects it."""
        got: dict[str, Any] = {}
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.timeout * 10):
                while True:
                    await harness.adapter.refresh()
                    fields = state_fields(harness.registry.entity(entity.entity_id))
                    got = {k: fields.get(k) for k in want}
                    if got == want:
                        break
                    await asyncio.sleep(0.05)
        return got

    # -- the contract -------------------------------------------------------------------

    def test_manifest_is_complete(self) -> None:
        """The manifest names the adapter, its domains and how it is found or configured."""
        manifest = self.adapter_class.manifest
        assert manifest.name == slugify(manifest.name), "the name must be a slug"
        assert manifest.title
        assert manifest.domains, "declare the domains the adapter provides"
        assert issubclass(manifest.config_model, AdapterConfig)
        for service in manifest.mdns_types:
            assert service.endswith(("._tcp.local.", "._udp.local.")), service
        described = manifest.describe()
        assert described["config"]["type"] == "object"

    async def test_discovery_finds_every_device_once(self) -> None:
        """Discovery on loopback finds every entity; answering again adds nothing."""
        async with self.running() as harness:
            manifest = self.adapter_class.manifest
            entities = list(harness.registry.entities.values())
            assert len(entities) == self.entity_count
            assert {e.domain for e in entities} <= set(manifest.domains)
            assert all(e.state is not None for e in entities), "every entity needs a state"
            await self.discover_again(harness)
            assert len(harness.registry.entities) == self.entity_count
            assert len(harness.registry.devices) == len(
                {e.device_id for e in harness.registry.entities.values()}
            )

    async def test_every_declared_command(self) -> None:
        """Every command an entity's features allow has a case, works, and reads back."""
        async with self.running() as harness:
            covered = {case.command for case in self.command_cases}
            for entity in harness.registry.entities.values():
                for spec in Commands.of(entity.domain):
                    if spec.feature is None or spec.feature in entity.features:
                        assert spec.name in covered, f"no CommandCase for {spec.name}"
            for case in self.command_cases:
                domain = case.command.split(".", 1)[0]
                same = sorted(
                    (e for e in harness.registry.entities.values() if e.domain == domain),
                    key=lambda e: e.entity_id,
                )
                assert same, f"no {domain} entity to try {case.command} on"
                names = {"{self}": same[0].entity_id}
                if len(same) > 1:
                    names["{other}"] = same[1].entity_id
                await self.send(harness, same[0], case.command, **_fill(case.params, names))
                want = _fill(case.expect, names)
                got = await self.read_back(harness, same[0], want)
                assert got == want, f"after {case.command}"

    async def test_state_follows_changes_made_on_the_device(self) -> None:
        """A change made at the device shows up (by push or at the next poll)."""
        async with self.running() as harness:
            unique_id, want = await self.change_on_device(harness.emulated)
            name = self.adapter_class.manifest.name
            entity = harness.registry.by_unique_id(f"{name}:{unique_id}")
            assert entity is not None
            assert await self.read_back(harness, entity, want) == want

    async def _failing(self, harness: Harness, faults: Faults) -> BaseException:
        entity = min(harness.registry.entities.values(), key=lambda e: e.entity_id)
        for switch in harness.emulated.all_faults():
            switch.latency, switch.error = faults.latency, faults.error
            switch.garbage, switch.drop = faults.garbage, faults.drop
        command = next(c for c in self.command_cases if c.command.startswith(entity.domain))
        names = {"{self}": entity.entity_id}
        with pytest.raises(DeviceError) as caught:
            await self.send(harness, entity, command.command, **_fill(command.params, names))
        return caught.value

    async def test_a_silent_device_times_out(self) -> None:
        """A device slower than the request timeout raises DeviceConnectionError."""
        async with self.running() as harness:
            error = await self._failing(harness, Faults(latency=self.timeout * 3))
            assert isinstance(error, DeviceConnectionError), repr(error)

    async def test_a_dropped_connection_is_a_connection_error(self) -> None:
        """A device that hangs up raises DeviceConnectionError, and is retried."""
        async with self.running() as harness:
            error = await self._failing(harness, Faults(drop=True))
            assert isinstance(error, DeviceConnectionError), repr(error)

    async def test_garbage_is_a_response_error_and_the_device_recovers(self) -> None:
        """Garbage raises DeviceResponseError; a poll marks it unavailable, then back."""
        async with self.running() as harness:
            error = await self._failing(harness, Faults(garbage=True))
            assert isinstance(error, DeviceResponseError), repr(error)
            await harness.adapter.refresh()
            assert not any(e.available for e in harness.registry.entities.values())
            for switch in harness.emulated.all_faults():
                switch.clear()
            await harness.adapter.refresh()
            assert all(e.available for e in harness.registry.entities.values())

    async def test_a_protocol_error_is_mapped(self) -> None:
        """The protocol's own error raises a device error, never the library's."""
        async with self.running() as harness:
            error = await self._failing(harness, Faults(error=True))
            assert isinstance(error, DeviceRefusedError | DeviceResponseError), repr(error)

    # -- the lifecycle (the coordinator's rules) ---------------------------------------

    def _lifecycle(self) -> None:
        if not self.lifecycle:
            pytest.skip("the lifecycle rules are not checked for these devices (lifecycle = False)")

    async def _poll_until_unavailable(self, harness: Harness) -> None:
        for switch in harness.emulated.all_faults():
            switch.silent = True
        for _ in range(FAILURES_BEFORE_UNAVAILABLE - 1):
            await harness.adapter.refresh()
        entities = harness.registry.entities.values()
        assert all(e.available for e in entities), "unavailable before repeated failures"
        await harness.adapter.refresh()
        assert not any(e.available for e in entities), (
            f"still available after {FAILURES_BEFORE_UNAVAILABLE} failed polls"
        )
        for switch in harness.emulated.all_faults():
            switch.clear()

    async def test_unavailable_after_repeated_failures_and_back_at_the_first_answer(
        self,
    ) -> None:
        """One silent poll is no reason to give up on a device; several in a row are; the
        first answer after that brings it back."""
        self._lifecycle()
        async with self.running() as harness:
            await self._poll_until_unavailable(harness)
            await harness.adapter.refresh()
            assert all(e.available for e in harness.registry.entities.values())

    async def test_a_command_to_an_unavailable_device_is_tried(self) -> None:
        """A command to a device marked unavailable is sent (once), and its answer makes
        the device available again."""
        self._lifecycle()
        async with self.running() as harness:
            await self._poll_until_unavailable(harness)
            entity, case = self._first_case(harness)
            before = _requests(harness)
            spec, typed = self._typed(entity, case)
            await deliver(
                lambda: harness.adapter.execute(entity, spec, typed),
                spec,
                available=entity.available,
                within=self.timeout * 10,
            )
            assert _requests(harness) > before or before == 0, "nothing was sent"
            device = harness.registry.devices[entity.device_id]
            assert device.available, "the device answered, so it is available"

    async def test_commands_are_sent_twice_only_when_safe(self) -> None:
        """After a dropped connection, an idempotent command is sent once more, and any
        other command (a toggle, an arm) never is: it may have been received."""
        self._lifecycle()
        async with self.running() as harness:
            tried: set[bool] = set()
            for case in self.command_cases:
                entity, _ = self._first_case(harness, case.command)
                spec, typed = self._typed(entity, case)
                if spec.idempotent in tried:
                    continue
                tried.add(spec.idempotent)
                for switch in harness.emulated.all_faults():
                    switch.drop = True
                before = _requests(harness)
                attempts = await self._attempts(harness, entity, spec, typed)
                assert _requests(harness) > before or before == 0, "nothing reached the device"
                assert attempts == (2 if spec.idempotent else 1), (spec.name, attempts)
                for switch in harness.emulated.all_faults():
                    switch.clear()
                await harness.adapter.refresh()  # answers: available, failures forgotten

    async def test_a_toggle_reads_the_device_not_a_stale_cache(self) -> None:
        """A toggle flips what the device shows now, whatever Dobby last recorded."""
        self._lifecycle()
        async with self.running() as harness:
            toggles = [c for c in self.command_cases if c.command.endswith(".toggle")]
            if not toggles:
                pytest.skip("no toggle among the command cases")
            entity, case = self._first_case(harness, toggles[0].command)
            await harness.adapter.refresh()
            truth = harness.registry.entity(entity.entity_id).state
            assert truth is not None
            flipped = "off" if truth.state == "on" else "on"
            stale = truth.model_copy(update={"state": flipped})
            harness.registry.update_state(entity.entity_id, stale)  # a cache an event missed
            await self.send(harness, harness.registry.entity(entity.entity_id), case.command)
            assert await self.read_back(harness, entity, {"state": flipped}) == {"state": flipped}

    async def test_a_command_the_device_ignores_is_reported(self) -> None:
        """A device that acknowledges a command and does not change raises
        DeviceUnconfirmedError, not success."""
        self._lifecycle()
        if not self.stuck_supported:
            pytest.skip("the emulator does not support Faults.stuck")
        async with self.running() as harness:
            for _ in range(2):
                for case in self.command_cases:
                    entity, _ = self._first_case(harness, case.command)
                    spec, typed = self._typed(entity, case)
                    if spec.expect is None:
                        continue
                    await harness.adapter.refresh()
                    fields = state_fields(harness.registry.entity(entity.entity_id))
                    want = spec.expect(typed)
                    if all(fields.get(k) in ok for k, ok in want.items()):
                        await self.send(harness, entity, case.command, **case.params)
                        continue  # already so: no change to miss; move the device on
                    for switch in harness.emulated.all_faults():
                        switch.stuck = True
                    with pytest.raises(DeviceUnconfirmedError, match="accepted the command"):
                        await self.send(harness, entity, case.command, **case.params)
                    return
            pytest.fail("no command case changes the state it expects")

    def _first_case(
        self, harness: Harness, command: str | None = None
    ) -> tuple[Entity, CommandCase]:
        case = next(c for c in self.command_cases if command in (None, c.command))
        domain = case.command.split(".", 1)[0]
        entity = min(
            (e for e in harness.registry.entities.values() if e.domain == domain),
            key=lambda e: e.entity_id,
        )
        return entity, case

    def _typed(self, entity: Entity, case: CommandCase) -> tuple[CommandSpec, Params]:
        names = {"{self}": entity.entity_id}
        return validate_command(
            entity.entity_id,
            entity.domain,
            entity.features,
            case.command,
            _fill(case.params, names),
            state=entity.state,
        )

    async def _attempts(
        self, harness: Harness, entity: Entity, spec: CommandSpec, typed: Params
    ) -> int:
        """How often Dobby's sending (`deliver`) calls the adapter for one failing command.

        Attempts, not the emulator's request count: a client library may rightly repeat an
        HTTP PUT on a connection that turned out closed, which is its business."""
        attempts = 0

        async def attempt() -> None:
            nonlocal attempts
            attempts += 1
            await harness.adapter.execute(entity, spec, typed)

        with pytest.raises(DeviceError):
            await deliver(attempt, spec, available=True, within=self.timeout * 10)
        return attempts


def _requests(harness: Harness) -> int:
    return sum(switch.requests for switch in harness.emulated.all_faults())
