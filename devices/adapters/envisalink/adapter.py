"""The Envisalink adapter: DSC and Honeywell Vista alarm panels through the module's TPI.

Partitions are alarm panels (arm away, home, night; disarm; panic as `trigger`), zones
are binary sensors (door, window, motion, smoke) whose open state the module pushes as it
happens. The module's address is configured; its password and the panel's user code come
from the environment and never reach a log or a reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from devices.adapters.envisalink.config import EnvisalinkConfig
from devices.adapters.envisalink.link import Panel
from devices.adapters.envisalink.manifest import MANIFEST
from devices.adapters.envisalink.mapping import ARMED, partition_state, zone_state
from devices.adapters.envisalink.module import EnvisalinkModule
from devices.adapters.envisalink.redact import protect
from devices.capabilities import ArmMode, CommandSpec, Domain, Params
from devices.capabilities.security import DISARM, TRIGGER, AlarmPanelFeature, Arm
from devices.entities import DeviceInfo, Entity, EntitySpec
from devices.errors import (
    DeviceError,
    DeviceRefusedError,
    DeviceUnavailableError,
    UnsupportedCommandError,
)
from devices.plugin import Adapter, AdapterConfig, AdapterContext, Discovered

TPI = "envisalink-tpi"
"""The `Discovered.type` of an Envisalink found by other means than mDNS or SSDP."""
ARM_MODES = frozenset(
    feature.value
    for feature in (
        AlarmPanelFeature.ARM_AWAY,
        AlarmPanelFeature.ARM_HOME,
        AlarmPanelFeature.ARM_NIGHT,
    )
)
_LOGGER = logging.getLogger(__name__)


class EnvisalinkAdapter(Adapter):
    """One Envisalink module: its partitions and zones."""

    manifest = MANIFEST
    poll_interval = 30.0

    config: EnvisalinkConfig

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self.module: EnvisalinkModule | None = None
        self._added = False
        self._keeper: asyncio.Task[None] | None = None

    # -- finding the module ---------------------------------------------------------------

    async def start(self) -> None:
        """Connect to the configured module."""
        for host in self.config.hosts:
            await self.add_host(host, self.config.port)

    async def discovered(self, found: Discovered) -> None:
        """An Envisalink announced by other means (its own discovery, a demo)."""
        if found.type == TPI:
            await self.add_host(found.host, found.port or self.config.port)

    async def add_host(self, host: str, port: int) -> None:
        """Connect to the module at host:port (idempotent; a new address replaces the old)."""
        module = self.module
        if module is None or (module.host, module.port) != (host, port):
            if module is not None:
                module.close()
            module = self.module = EnvisalinkModule(host, port, self.config, self._publish)
            self._added = False
        log = logging.getLogger(f"{__name__}[{host}]")
        try:
            await module.connect()
        except DeviceError as error:
            module.problem = str(error)
            log.warning("Cannot connect yet: %s", str(error).rstrip("."))
        self._publish(announce=True)
        if self._keeper is None:
            self._keeper = asyncio.create_task(self._keep_connected())

    async def _keep_connected(self) -> None:
        """Reconnect after the module hangs up or goes away, every `reconnect_interval`."""
        while True:
            await asyncio.sleep(self.config.reconnect_interval)
            module = self.module
            if module is None or module.connected:
                continue
            with contextlib.suppress(DeviceError):
                await module.connect()

    # -- the registry ---------------------------------------------------------------------

    def _device(self, module: EnvisalinkModule) -> DeviceInfo:
        return DeviceInfo(
            unique_id=self.config.panel_id,
            name=self.config.name,
            host=module.host,
            manufacturer="DSC" if self.config.panel_type == "dsc" else "Honeywell",
            model=f"Envisalink {self.config.envisalink_version}",
        )

    def _entities(self, module: EnvisalinkModule) -> list[EntitySpec]:
        known = module.problem is None
        state = module.alarm_state
        pid = self.config.panel_id
        specs = []
        for number, partition in sorted(self.config.partitions.items()):
            features = set(ARM_MODES)
            if number == 1 and self.config.panic is not None:
                features.add(AlarmPanelFeature.TRIGGER.value)
            status = state["partition"][number]["status"] if known else None
            specs.append(
                EntitySpec(
                    unique_id=f"{pid}:partition:{number}",
                    domain=Domain.ALARM_PANEL,
                    name=partition.name,
                    features=frozenset(features),
                    state=partition_state(status) if status is not None else None,
                    suggested_area=partition.area,
                )
            )
        for number, zone in sorted(self.config.zones.items()):
            specs.append(
                EntitySpec(
                    unique_id=f"{pid}:zone:{number}",
                    domain=Domain.BINARY_SENSOR,
                    name=zone.name,
                    device_class=zone.device_class.value,
                    state=zone_state(state["zone"][number]) if known else None,
                    suggested_area=zone.area,
                )
            )
        return specs

    def _publish(self, *, announce: bool = False) -> None:
        """Tell the registry what the module last said (or that it is unavailable)."""
        module = self.module
        if module is None:
            return
        pid = self.config.panel_id
        if announce or not self._added:
            self.context.add_device(self._device(module), self._entities(module))
            self._added = True
        if module.problem is not None:
            self.context.set_available(pid, available=False, reason=module.problem)
            return
        self.context.set_available(pid, available=True)
        state = module.alarm_state
        for number in self.config.partitions:
            status = state["partition"][number]["status"]
            self.context.push_state(f"{pid}:partition:{number}", partition_state(status))
        for number in self.config.zones:
            self.context.push_state(f"{pid}:zone:{number}", zone_state(state["zone"][number]))

    # -- commands -------------------------------------------------------------------------

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        """Arm, disarm or panic, confirmed by the state the panel pushes back."""
        module = self.module
        if module is None:
            raise DeviceUnavailableError("has not been connected.")
        kind, _, number_text = entity.adapter_unique_id.rpartition(":")
        if not kind.endswith("partition"):
            raise UnsupportedCommandError(f"is a zone; it takes no {command.name}.")
        number = int(number_text)

        def current() -> str:
            return partition_state(module.alarm_state["partition"][number]["status"]).state

        if command == TRIGGER:
            panic = self.config.panic
            assert panic is not None
            await module.command(lambda p: p.panic_alarm(panic), lambda: current() == "triggered")
            return
        code = self.config.secret(self.config.code_env, "user code")
        protect(code)
        if command == DISARM:
            await module.command(
                lambda p: p.disarm_partition(code, number), lambda: current() == "disarmed"
            )
            return
        assert isinstance(params, Arm)
        await self._arm(module, number, params.mode, code, current)

    async def _arm(
        self,
        module: EnvisalinkModule,
        number: int,
        mode: ArmMode,
        code: str,
        current: Callable[[], str],
    ) -> None:
        if not module.connected:
            await module.connect()
        target, state = ARMED[mode], current()
        if state == target:
            return
        if state != "disarmed":
            raise DeviceRefusedError(
                f"is {state.replace('_', ' ')}; disarm it before arming {mode.value}."
            )
        opened = [
            zone.name
            for zone_number, zone in sorted(self.config.zones.items())
            if zone.partition == number
            and module.alarm_state["zone"][zone_number]["status"].get("open")
        ]
        if opened:
            verb = "is" if len(opened) == 1 else "are"
            raise DeviceRefusedError(f"cannot arm while {', '.join(opened)} {verb} open.")
        senders: dict[ArmMode, Callable[[Panel], None]] = {
            ArmMode.AWAY: lambda p: p.arm_away_partition(code, number),
            ArmMode.HOME: lambda p: p.arm_stay_partition(code, number),
            ArmMode.NIGHT: lambda p: p.arm_night_partition(code, number),
        }
        await module.command(senders[mode], lambda: current() in (target, "arming"))

    # -- polling and stopping -------------------------------------------------------------

    async def refresh(self) -> None:
        """Reconnect if the module is gone, else poll it; either way, publish the outcome."""
        module = self.module
        if module is None:
            return
        try:
            if module.connected:
                await module.poll()
            else:
                await module.connect()
        except DeviceError as error:
            module.problem = str(error)
        self._publish()

    async def stop(self) -> None:
        """Stop reconnecting and hang up."""
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
            self._keeper = None
        if self.module is not None:
            self.module.close()
