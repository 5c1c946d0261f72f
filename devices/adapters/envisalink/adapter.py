"""The Envisalink adapter: DSC and Honeywell Vista alarm panels through the module's TPI.

Partitions are alarm panels (arm away, home, night; disarm; panic as `trigger`), zones
are binary sensors (door, window, motion, smoke) whose open state the module pushes as it
happens. The module's address is configured; its password and the panel's user code come
from the environment and never reach a log or a reply.

The module is one `PanelLink` run by a coordinator: the TPI connection is connected,
logged in, kept, reconnected with backoff and closed there; the coordinator decides about
availability and never sends an arm or a disarm twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from devices.adapters.envisalink.config import EnvisalinkConfig
from devices.adapters.envisalink.link import Panel
from devices.adapters.envisalink.manifest import MANIFEST
from devices.adapters.envisalink.mapping import ARMED, partition_state, zone_state
from devices.adapters.envisalink.module import EnvisalinkModule
from devices.adapters.envisalink.redact import protect
from devices.capabilities import (
    ArmMode,
    CommandSpec,
    Domain,
    Params,
    State,
    SwitchState,
    security,
    switch,
)
from devices.capabilities.security import AlarmPanelFeature, Arm
from devices.entities import DeviceInfo, EntitySpec
from devices.errors import DeviceError, DeviceRefusedError, UnsupportedCommandError
from devices.plugin import (
    CoordinatedAdapter,
    DeviceLink,
    Discovered,
    Sink,
)

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
ZONE_BYPASS = "zone_bypass"
"""The device class of a zone's bypass switch (the policy asks before turning one on)."""
_LOGGER = logging.getLogger(__name__)
MAX_RECONNECT_INTERVAL = 60.0


class PanelLink(DeviceLink):
    """The module's TPI connection, through pyenvisalink: what its coordinator calls."""

    device_word = "panel"

    def __init__(self, host: str, port: int, config: EnvisalinkConfig) -> None:
        super().__init__(f"{host}:{port}")
        self.host, self.port, self.config = host, port, config
        first = config.reconnect_interval
        self.backoff = tuple(min(first * 2**n, MAX_RECONNECT_INTERVAL) for n in range(8))
        self.module = EnvisalinkModule(host, port, config, self._news, self._lost)
        self.sink: Sink | None = None
        self.error: DeviceError | None = None
        """Why the last connection attempt failed, if it did."""

    # -- connecting -----------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect and log in; the panel's id is configured (the TPI does not tell one)."""
        try:
            await self.module.connect()
        except DeviceError as error:
            self.error = error
            raise
        self.error = None
        self.unique_id = self.config.panel_id

    async def ready(self) -> None:
        """With zone bypass on, ask for the bypass list: until it comes, the library's
        bypass states are its defaults, and a bypass switch must never read one."""
        if self.config.zone_bypass:
            module = self.module
            await module.command(
                lambda p: p.ask_bypass_list(),
                lambda: module.panel is not None and module.panel.bypass_known,
                within=self.config.request_timeout,
            )

    async def subscribe(self, sink: Sink) -> bool:
        """The module pushes every zone and partition change on the open connection."""
        self.sink = sink
        return True

    async def close(self) -> None:
        """Hang up (no `connection_lost` follows)."""
        self.sink = None
        self.module.close()

    def _news(self) -> None:
        if self.sink is not None and self.module.connected:
            for unique_id, state in self.states().items():
                self.sink.pushed(unique_id, state)

    def _lost(self, reason: str) -> None:
        if self.sink is not None:
            self.sink.connection_lost(reason)

    # -- what there is --------------------------------------------------------------------

    def describe(self) -> Sequence[tuple[DeviceInfo, Sequence[EntitySpec]]]:
        """The panel as one device: its partitions and zones, as last pushed."""
        config = self.config
        info = DeviceInfo(
            unique_id=config.panel_id,
            name=config.name,
            host=self.host,
            manufacturer="DSC" if config.panel_type == "dsc" else "Honeywell",
            model=f"Envisalink {config.envisalink_version}",
        )
        return [(info, entity_specs(config, self.states()))]

    def states(self) -> dict[str, State]:
        """Every partition's and zone's state as pyenvisalink last heard it."""
        config, alarm = self.config, self.module.alarm_state
        pid = config.panel_id
        states: dict[str, State] = {}
        for number in config.partitions:
            partition = alarm["partition"].get(number)
            if partition is not None:
                source = self._alarm_source(number)
                states[f"{pid}:partition:{number}"] = partition_state(partition["status"], source)
        for number in config.zones:
            zone = alarm["zone"].get(number)
            if zone is not None:
                states[f"{pid}:zone:{number}"] = zone_state(zone)
        panel = self.module.panel
        if config.zone_bypass and panel is not None and panel.bypass_known:
            for number in config.zones:
                bypassed = bool(alarm["zone"].get(number, {}).get("bypassed"))
                states[f"{pid}:bypass:{number}"] = SwitchState(state="on" if bypassed else "off")
        return states

    def _alarm_source(self, partition: int) -> str | None:
        """ "Patio Door, zone 3": the zone the panel says set the partition's alarm off."""
        panel = self.module.panel
        if panel is None:
            return None
        zones = self.config.zones
        named = [
            f"{zones[number].name}, zone {number}" if number in zones else f"zone {number}"
            for number in panel.alarm_zones(partition)
            if number not in zones or zones[number].partition == partition
        ]
        return "; ".join(named) or None

    async def read(self) -> Mapping[str, State]:
        """A keepalive the module acknowledges; the states are what it pushed."""
        await self.module.poll()
        return self.states()

    # -- commands -------------------------------------------------------------------------

    async def command(self, unique_id: str, command: CommandSpec, params: Params) -> None:
        """Arm, disarm, panic or bypass, once, confirmed by what the panel pushes back."""
        kind, _, number_text = unique_id.rpartition(":")
        number = int(number_text)
        if kind.endswith("bypass"):
            await self._bypass(number, command)
            return
        if not kind.endswith("partition"):
            raise UnsupportedCommandError(f"is a zone; it takes no {command.name}.")
        module = self.module

        def current() -> str:
            return partition_state(module.alarm_state["partition"][number]["status"]).state

        within = self.config.request_timeout * 0.9  # inside the coordinator's own bound
        match command, params:
            case security.TRIGGER, _:
                panic = self.config.panic
                assert panic is not None
                await module.command(
                    lambda p: p.panic_alarm(panic), lambda: current() == "triggered", within=within
                )
            case security.DISARM, _:
                code = self._code()
                await module.command(
                    lambda p: p.disarm_partition(code, number),
                    lambda: current() == "disarmed",
                    within=within,
                )
            case security.ARM, Arm(mode=mode):
                code = self._code()
                await self._arm(number, mode, code, current, within)
            case _:
                raise UnsupportedCommandError(f"the panel cannot do {command.name}.")

    async def _bypass(self, number: int, command: CommandSpec) -> None:
        """Bypass a zone (turn_on) or end its bypass (turn_off). The panel only toggles, so
        the bypass list is read first: sending the same command twice changes nothing."""
        module = self.module
        within = self.config.request_timeout * 0.9
        match command:
            case switch.TURN_ON:
                wanted = True
            case switch.TURN_OFF:
                wanted = False
            case _:
                raise UnsupportedCommandError(f"a zone bypass cannot do {command.name}.")
        zone = self.config.zones[number]
        partition = module.alarm_state["partition"][zone.partition]["status"]
        if partition_state(partition).state != "disarmed":
            raise DeviceRefusedError("cannot change a bypass while the alarm is armed.")

        def bypassed() -> bool:
            return bool(module.alarm_state["zone"][number].get("bypassed"))

        await self.ready()  # the bypass list as the panel has it now
        await module.command(
            lambda p: p.toggle_zone_bypass(number), lambda: bypassed() == wanted, within=within
        )

    def _code(self) -> str:
        code = self.config.secret(self.config.code_env, "user code")
        protect(code)
        return code

    async def _arm(
        self, number: int, mode: ArmMode, code: str, current: Callable[[], str], within: float
    ) -> None:
        module = self.module
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
            and not module.alarm_state["zone"][zone_number].get("bypassed")
        ]
        if opened:
            verb = "is" if len(opened) == 1 else "are"
            raise DeviceRefusedError(f"cannot arm while {', '.join(opened)} {verb} open.")
        senders: dict[ArmMode, Callable[[Panel], None]] = {
            ArmMode.AWAY: lambda p: p.arm_away_partition(code, number),
            ArmMode.HOME: lambda p: p.arm_stay_partition(code, number),
            ArmMode.NIGHT: lambda p: p.arm_night_partition(code, number),
        }
        await module.command(senders[mode], lambda: current() in (target, "arming"), within=within)


def entity_specs(config: EnvisalinkConfig, states: Mapping[str, State]) -> list[EntitySpec]:
    """The partitions as alarm panels and the zones as binary sensors."""
    pid = config.panel_id
    specs = []
    for number, partition in sorted(config.partitions.items()):
        features = set(ARM_MODES)
        if number == 1 and config.panic is not None:
            features.add(AlarmPanelFeature.TRIGGER.value)
        unique_id = f"{pid}:partition:{number}"
        specs.append(
            EntitySpec(
                unique_id=unique_id,
                domain=Domain.ALARM_PANEL,
                name=partition.name,
                features=frozenset(features),
                state=states.get(unique_id),
                suggested_area=partition.area,
            )
        )
    for number, zone in sorted(config.zones.items()):
        unique_id = f"{pid}:zone:{number}"
        specs.append(
            EntitySpec(
                unique_id=unique_id,
                domain=Domain.BINARY_SENSOR,
                name=zone.name,
                device_class=zone.device_class.value,
                state=states.get(unique_id),
                suggested_area=zone.area,
            )
        )
        if config.zone_bypass:
            bypass = f"{pid}:bypass:{number}"
            specs.append(
                EntitySpec(
                    unique_id=bypass,
                    domain=Domain.SWITCH,
                    name=f"{zone.name} Bypass",
                    device_class=ZONE_BYPASS,
                    state=states.get(bypass),
                    suggested_area=zone.area,
                )
            )
    return specs


class EnvisalinkAdapter(CoordinatedAdapter[PanelLink]):
    """One Envisalink module: its partitions and zones."""

    manifest = MANIFEST
    poll_interval = 30.0

    config: EnvisalinkConfig

    async def start(self) -> None:
        """Connect to the configured module."""
        for host in self.config.hosts:
            await self.add_host(host, self.config.port)

    async def discovered(self, found: Discovered) -> None:
        """An Envisalink announced by other means (its own discovery, a demo)."""
        if found.type == TPI:
            await self.add_host(found.host, found.port or self.config.port)

    async def add_host(self, host: str, port: int) -> None:
        """Set up the module at host:port (idempotent; a new address replaces the old).

        A module that cannot be set up is tried again at each poll; since the panel's id
        is configured, it is listed meanwhile, unavailable, with the reason.
        """
        made: list[PanelLink] = []

        def make(_: str) -> PanelLink:
            made.append(PanelLink(host, port, self.config))
            return made[-1]

        await self.devices.set_up(f"{host}:{port}", make)
        if self.config.panel_id in self.devices.coordinators:
            return
        error = next((link.error for link in reversed(made) if link.error is not None), None)
        reason = str(error) if error is not None else "cannot be reached."
        if f"{self.context.name}:{self.config.panel_id}" not in self.context.registry.devices:
            link = PanelLink(host, port, self.config)
            for info, specs in link.describe():
                self.context.add_device(info, specs)
        self.context.set_available(self.config.panel_id, available=False, reason=reason)

    @property
    def link(self) -> PanelLink | None:
        """The module's link, once it has been set up."""
        coordinator = self.devices.coordinators.get(self.config.panel_id)
        return coordinator.link if coordinator is not None else None
