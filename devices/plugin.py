"""The adapter plugin API.

The entry-point group `dobby.adapters` names each adapter's manifest: data saying what it
is, what it finds on the network, how it pairs, what config it takes and which domains it
provides. A manifest lives in a light module that does not import the client library; the
adapter class it names (`Manifest.adapter`) is imported only when a device of its kind is
found or configured. The first-party adapters are registered exactly as a third-party
package registers its own.
"""

from __future__ import annotations

import importlib
import logging
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, ParamSpec, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from devices.blocking import BlockingRunner
from devices.capabilities import CommandSpec, Domain, Params, State
from devices.coordinator import (
    FAILURES_BEFORE_UNAVAILABLE,
    Coordinator,
    DeviceLink,
    Devices,
    Sink,
    retry_is_safe,
)
from devices.entities import DeviceInfo, Entity, EntitySpec
from devices.registry import Registry
from devices.testing.addresses import HostAllocator
from devices.testing.house import DemoDevice

if TYPE_CHECKING:
    from devices.announcements import Announcements

ENTRY_POINT_GROUP = "dobby.adapters"

__all__ = [
    "ENTRY_POINT_GROUP",
    "FAILURES_BEFORE_UNAVAILABLE",
    "Adapter",
    "AdapterConfig",
    "AdapterContext",
    "CoordinatedAdapter",
    "Coordinator",
    "DeviceLink",
    "Devices",
    "Discovered",
    "Manifest",
    "Sink",
    "load_adapters",
    "retry_is_safe",
]

_LOGGER = logging.getLogger(__name__)
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_P = ParamSpec("_P")
_T = TypeVar("_T")
_Link = TypeVar("_Link", bound=DeviceLink)


class AdapterConfig(BaseModel):
    """Settings every adapter accepts under `adapters.<name>` in home.yaml."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    hosts: list[str] = []
    """Addresses to connect to directly, for networks where discovery does not reach."""
    request_timeout: float = Field(default=5.0, gt=0)
    """Seconds one request to a device may take (an adapter may change the default)."""


class BroadcastProbe(BaseModel):
    """A discovery the adapter runs itself: a datagram it broadcasts, which devices answer."""

    model_config = ConfigDict(frozen=True)

    port: int
    """The UDP port the probe is sent to (LIFX: 56700)."""
    description: str = ""


class Pairing(BaseModel):
    """How `dobby pair <adapter>` pairs a device of this adapter, as data."""

    model_config = ConfigDict(frozen=True)

    pair: str
    """`module:function`, a `PairHook`: pairs and returns what to tell the person."""
    unpair: str | None = None
    """`module:function`, a `PairHook` that forgets a device (`dobby unpair <adapter>`)."""
    target: str = ""
    """What the TARGET argument names ("the accessory's name"); empty when it takes none."""
    target_required: bool = False
    code: bool = False
    """Whether pairing needs the setup code printed on the device."""


@dataclass
class PairRequest:
    """What `dobby pair` hands to an adapter's pairing hook."""

    target: str | None
    """An accessory's name, a bridge's address: what `Pairing.target` describes."""
    code: str | None
    state_dir: Path
    """Where the adapter keeps its pairing data."""
    interfaces: list[str] | None
    wait: float = 30.0
    """Seconds to wait for the person (a link button)."""
    say: Callable[[str], None] = print
    """Tell the person something while pairing runs ("press the link button")."""


class PairingError(Exception):
    """Pairing failed; the message says why, for a person."""


class PairHook(Protocol):
    """The signature of a manifest's pairing hooks."""

    async def __call__(self, request: PairRequest) -> str:
        """Pair (or unpair), raising PairingError; returns what to tell the person."""
        ...


class Manifest(BaseModel):
    """What an adapter is and handles, as data. Importing it imports no client library."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    name: str
    """Short and unique: the key in home.yaml and the prefix of its unique ids."""
    title: str
    """What a person calls it: "Sonos", "Philips Hue"."""
    adapter: str = ""
    """`module:Class` of the adapter, imported only when a device of its kind is found or
    configured. Every manifest an entry point names has one; an adapter class used
    directly (in a test) may leave it empty."""
    domains: tuple[Domain, ...]
    mdns_types: tuple[str, ...] = ()
    """mDNS service types, e.g. "_sonos._tcp.local."."""
    ssdp_targets: tuple[str, ...] = ()
    """SSDP search targets, e.g. "urn:schemas-upnp-org:device:ZonePlayer:1"."""
    broadcast_probes: tuple[BroadcastProbe, ...] = ()
    """Discoveries the adapter runs itself; such an adapter is started with Dobby."""
    pairing: Pairing | None = None
    config_model: type[AdapterConfig] = AdapterConfig
    emulator: str | None = None
    """`module:function` that starts emulators of its devices for the virtual house."""

    def describe(self) -> dict[str, Any]:
        """The manifest as JSON-ready data."""
        return {
            "name": self.name,
            "title": self.title,
            "domains": [d.value for d in self.domains],
            "mdns_types": list(self.mdns_types),
            "ssdp_targets": list(self.ssdp_targets),
            "broadcast_probes": [p.model_dump() for p in self.broadcast_probes],
            "pairs": self.pairing is not None,
            "config": self.config_model.model_json_schema(),
        }

    def found_by_discovery(self) -> bool:
        """Whether Dobby's own mDNS/SSDP discovery finds its devices (so the adapter can
        wait, unloaded, until one answers)."""
        return bool(self.mdns_types or self.ssdp_targets) and not self.broadcast_probes

    def load_adapter(self) -> type[Adapter]:
        """Import the adapter class (and with it the client library)."""
        if not self.adapter:
            raise TypeError(f"the {self.name} manifest names no adapter class")
        loaded = _resolve(self.adapter)
        if not (isinstance(loaded, type) and issubclass(loaded, Adapter)):
            raise TypeError(f"{self.adapter} is not a dobby Adapter class")
        return loaded

    def load_pair_hook(self, *, unpair: bool = False) -> PairHook | None:
        """The pairing (or unpairing) hook, imported; None if the adapter has none."""
        if self.pairing is None:
            return None
        reference = self.pairing.unpair if unpair else self.pairing.pair
        if reference is None:
            return None
        hook: PairHook = _resolve(reference)
        return hook


def _resolve(reference: str) -> Any:
    """The object named by `module:attribute`, imported one at a time (see `_IMPORTING`)."""
    module_name, _, attribute = reference.partition(":")
    with _IMPORTING:
        module = importlib.import_module(module_name)
    return getattr(module, attribute)


@dataclass(frozen=True)
class Discovered:
    """Something that answered on the network."""

    source: Literal["mdns", "ssdp", "config"]
    type: str
    """The mDNS service type or SSDP search target it answered to."""
    host: str
    port: int | None = None
    name: str = ""
    """The mDNS instance name, or the SSDP USN."""
    location: str | None = None
    """The SSDP description URL."""
    properties: Mapping[str, str] = field(default_factory=dict)
    """mDNS TXT records, or SSDP headers (upper-case keys)."""


@dataclass
class AdapterContext:
    """What an adapter may do to the rest of Dobby."""

    name: str
    registry: Registry
    blocking: BlockingRunner
    interfaces: list[str] | None = None
    """The IPv4 interface addresses discovery runs on (None: every LAN interface), for
    adapters whose devices are found by their own broadcast rather than mDNS or SSDP."""
    state_dir: Path | None = None
    """Dobby's state dir (`--state`), where an adapter keeps pairing data (None: not known)."""
    only_hosts: Collection[str] | None = None
    """Take devices at these addresses only (the virtual house's own, when other emulators
    share the loopback network); None takes every device. It applies to devices an adapter
    finds by its own broadcast as well as to mDNS and SSDP answers."""
    config_dir: Path | None = None
    """The config dir (`--config`), where the recipe adapter finds `recipes/`."""
    announcements: Announcements | None = None
    """Where a speaker's announcement is made into sound and served for it to fetch (None:
    Dobby serves no HTTP here, so no player can announce)."""

    def add_device(self, info: DeviceInfo, entities: Sequence[EntitySpec]) -> list[Entity]:
        """Add or update a device and its entities (idempotent by unique id)."""
        if self.only_hosts is not None and info.host is not None:
            address = _IPV4.search(info.host)
            if address is not None and address.group(0) not in self.only_hosts:
                _LOGGER.debug("%s ignores %s at %s", self.name, info.name, info.host)
                return []
        return self.registry.upsert_device(self.name, info, entities)

    def push_state(self, unique_id: str, state: State) -> None:
        """Record the new state of one of this adapter's entities."""
        entity = self.registry.by_unique_id(f"{self.name}:{unique_id}")
        if entity is None:
            _LOGGER.debug("%s pushed state for unknown entity %s", self.name, unique_id)
            return
        self.registry.update_state(entity.entity_id, state)

    def fire_event(self, unique_id: str, value: str) -> None:
        """One of this adapter's entities did something that is no state (a button press):
        routines with an event trigger for it run."""
        entity = self.registry.by_unique_id(f"{self.name}:{unique_id}")
        if entity is None:
            _LOGGER.debug("%s fired %r for unknown entity %s", self.name, value, unique_id)
            return
        self.registry.fire_event(entity.entity_id, value)

    def remove_entity(self, unique_id: str) -> None:
        """Forget one of this adapter's entities (its device withdrew it)."""
        self.registry.remove_entity(f"{self.name}:{unique_id}")

    def set_available(self, device_unique_id: str, *, available: bool, reason: str = "") -> None:
        """Mark one of this adapter's devices reachable or not."""
        device_id = f"{self.name}:{device_unique_id}"
        if device_id in self.registry.devices:
            self.registry.set_device_available(device_id, available=available, reason=reason)

    async def run_blocking(self, func: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """Run a blocking library call without blocking the event loop."""
        return await self.blocking.run(func, *args, **kwargs)


_IMPORTING = threading.RLock()
"""One adapter import at a time: adapters are imported in the blocking pool when their
first device answers, and two threads importing a package whose modules import each other
(aiohomekit does) can each get the other's half-initialised module."""


class Adapter(ABC):
    """Base of every adapter. Subclasses set `manifest` (the one their entry point names)
    and implement `execute`."""

    manifest: ClassVar[Manifest]
    poll_interval: float | None = 30.0
    """Seconds between polls of `refresh`, or None where every change is pushed. An adapter
    may shorten it once running (a device found that cannot push); None stays None."""

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        self.context = context
        self.config = config

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Connect to configured hosts, open sessions. Discovery calls `discovered` later."""

    async def discovered(self, found: Discovered) -> None:  # noqa: B027 - optional hook
        """Something this adapter handles answered on the network; set it up (idempotent)."""

    @abstractmethod
    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        """Carry out a validated command, raising the errors of `devices.errors`."""

    async def refresh(self) -> None:  # noqa: B027 - optional hook
        """Read every entity's state again (the poll), marking silent devices unavailable."""

    async def stop(self) -> None:  # noqa: B027 - optional hook
        """Close connections, unsubscribe, stop threads."""


class CoordinatedAdapter(Adapter, Generic[_Link]):
    """An adapter whose devices each have a coordinator (see devices/README.md).

    It keeps them in `self.devices`, a `Devices[YourLink]` bounded by the config's
    `request_timeout`, and hands every command, poll and stop to it. A subclass writes
    `new_link(address)`, or its own `start` and `discovered` where finding devices takes
    more; a subclass that overrides `execute`, `refresh` or `stop` calls this one's too.
    """

    def __init__(self, context: AdapterContext, config: AdapterConfig) -> None:
        super().__init__(context, config)
        self.devices: Devices[_Link] = Devices(context, timeout=config.request_timeout)

    def new_link(self, address: str) -> _Link:
        """A link to the device at `address`, not connected yet (`connect` does that)."""
        raise NotImplementedError(f"{type(self).__name__} makes no link for {address}")

    async def start(self) -> None:
        """Set up the device at each of the config's `hosts` (one that does not answer is
        tried again at each poll)."""
        for host in self.config.hosts:
            await self.devices.set_up(host, self.new_link)

    async def discovered(self, found: Discovered) -> None:
        """Set up the device that answered, at `host:port` (`host` if it gave no port)."""
        where = f"{found.host}:{found.port}" if found.port else found.host
        await self.devices.set_up(where, self.new_link)

    async def execute(self, entity: Entity, command: CommandSpec, params: Params) -> None:
        """Carry out the command through the coordinator of the entity's device."""
        await self.devices.execute(entity, command, params)

    async def refresh(self) -> None:
        """Poll every device, and try again those that could not be set up yet."""
        await self.devices.refresh()

    async def stop(self) -> None:
        """Stop set-ups and reconnects, and close every device's link."""
        await self.devices.close()


class Emulation(Protocol):
    """Emulators started for the virtual house; stopping ends them all."""

    async def stop(self) -> None:
        """Stop every emulator and withdraw their announcements."""


class StartDemo(Protocol):
    """The signature of a manifest's `emulator` hook."""

    async def __call__(
        self, devices: Sequence[DemoDevice], hosts: HostAllocator, *, interface: str
    ) -> Emulation:
        """Start emulators of `devices` on loopback addresses and announce them."""
        ...


@dataclass
class PluginProblem:
    """An entry point that could not be loaded, and why."""

    entry_point: str
    reason: str


OLD_STYLE = (
    "names an adapter class; the entry point must name the adapter's Manifest instead "
    '(e.g. `myplug = "myplug.manifest:MANIFEST"`, see devices/README.md)'
)


@dataclass
class LoadedAdapters:
    """The manifests found through entry points, and the entry points that failed to load."""

    manifests: dict[str, Manifest]
    problems: list[PluginProblem]


def load_adapters(group: str = ENTRY_POINT_GROUP) -> LoadedAdapters:
    """Every adapter manifest registered under the entry-point group, keyed by name.

    Only the manifests are imported: no adapter class, no client library."""
    manifests: dict[str, Manifest] = {}
    problems: list[PluginProblem] = []
    for point in entry_points(group=group):
        try:
            loaded = point.load()
        except Exception as error:  # noqa: BLE001 - a broken plugin must not stop the house
            problems.append(PluginProblem(point.value, f"could not be imported: {error}"))
            continue
        if isinstance(loaded, type) and issubclass(loaded, Adapter):
            problems.append(PluginProblem(point.value, OLD_STYLE))
            continue
        if not isinstance(loaded, Manifest):
            problems.append(PluginProblem(point.value, "is not a dobby adapter Manifest"))
            continue
        if not loaded.adapter:
            problems.append(PluginProblem(point.value, "names no adapter class (`adapter`)"))
            continue
        if loaded.name in manifests:
            problems.append(PluginProblem(point.value, f"repeats adapter name {loaded.name!r}"))
            continue
        manifests[loaded.name] = loaded
    for problem in problems:
        _LOGGER.error("Adapter plugin %s %s", problem.entry_point, problem.reason)
    return LoadedAdapters(manifests, problems)


def load_emulator_hook(manifest: Manifest) -> StartDemo | None:
    """The adapter's virtual-house hook, if it has one."""
    if manifest.emulator is None:
        return None
    hook: StartDemo = _resolve(manifest.emulator)
    return hook
