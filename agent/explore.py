"""`dobby explore [HOST]`: what is on the network; or what one host is, and a draft recipe.

Learning a host shows the draft first (`show`), then asks (`approve`) before each of its
commands is tried; only verified commands are saved, to `<config>/recipes/`, and a lock,
alarm or garage door only after a second confirmation.

With `--demo`, the virtual house runs first and only its devices are looked at (other
emulators may share loopback); HOST may then be the name of one of its unknown devices.
Every request a probe sends is written to the audit log, as the person at the terminal.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.config import Config
from devices.explore.learn import Learned, Learner
from devices.explore.probe import ProbeRecord
from devices.explore.ranges import split_target
from devices.explore.scan import Host, explore, mark_learned
from devices.explore.trial import Approve, RecipeClient, Tried, save_recipe, trial
from devices.plugin import load_adapters
from devices.recipe import RecipeError, load_recipes
from skills.actions import Requester
from skills.audit import AuditLog
from skills.database import database_path

LOOPBACK = "127.0.0.1"


@dataclass
class Where:
    """Where to explore: interfaces, and the hosts to look at (None: every local one)."""

    interfaces: list[str] | None
    only_hosts: Collection[str] | None
    names: dict[str, tuple[str, int, str | None]]
    """The demo's unknown devices by name: (host, port, UPnP location)."""
    areas: dict[str, str] = field(default_factory=dict)
    """The demo's unknown devices by name: the area the house file puts them in."""
    expected: frozenset[str] = frozenset()
    """Hosts that will answer (the demo's unknown devices): listened for a while longer
    on a busy machine, if they are late."""


@asynccontextmanager
async def _where(
    config: Config, state: Path, demo: bool, interfaces: list[str] | None
) -> AsyncIterator[Where]:
    if not demo:
        yield Where(interfaces or config.home.discovery.addresses(), None, {})
        return
    from agent.demo import demo_house

    async with demo_house(config, load_adapters(), state=state) as house:
        names: dict[str, tuple[str, int, str | None]] = {}
        if house.unknown is not None:
            for emulator in house.unknown.emulators:
                location = getattr(emulator, "location", None)
                names[emulator.name.lower()] = (emulator.host, emulator.port, location)
        expected = frozenset(host for host, _, _ in names.values())
        areas = {d.name.lower(): d.area for d in house.house.unknown}
        yield Where([LOOPBACK], house.addresses, names, areas, expected)


def _auditor(state: Path) -> tuple[AuditLog, Callable[[ProbeRecord], None]]:
    audit = AuditLog(database_path(state))
    who = Requester.local_admin()

    def record(probe: ProbeRecord) -> None:
        audit.record_probe(who, probe.host, probe.method, probe.target, probe.status, probe.note)

    return audit, record


async def scan_network(
    config: Config, state: Path, *, seconds: float, interfaces: list[str] | None, demo: bool
) -> list[Host]:
    """Every local host that answered, recognised."""
    audit, record = _auditor(state)
    try:
        async with _where(config, state, demo, interfaces) as where:
            hosts = await explore(
                load_adapters().manifests,
                seconds=seconds,
                interfaces=where.interfaces,
                only_hosts=where.only_hosts,
                record=record,
                expect=where.expected,
                tcp=config.home.explore.tcp_scan,
            )
        with suppress(RecipeError):  # `dobby config check` says which file and where
            mark_learned(hosts, load_recipes(config.directory))
        return hosts
    finally:
        audit.close()


@dataclass
class Lesson:
    """What learning one host came to: the draft, the commands tried, the recipe saved."""

    learned: Learned
    tried: Tried | None = None
    saved: Path | None = None
    """The recipe file written (None: nothing verified, or a second confirmation refused)."""


async def learn_host(
    config: Config,
    state: Path,
    target: str,
    *,
    seconds: float,
    interfaces: list[str] | None,
    demo: bool,
    budget: int,
    area: str | None,
    approve: Approve | None = None,
    show: Callable[[Learned], None] | None = None,
) -> Lesson:
    """Probe one host read-only and draft its recipe; with `approve`, try each command of
    the draft after its approval and save the verified ones."""
    audit, record = _auditor(state)
    try:
        async with _where(config, state, demo, interfaces) as where:
            named = where.names.get(target.strip().lower())
            if named is not None:
                host, port, location = named
                name = target.strip()
                area = area or where.areas.get(name.lower())
            else:
                host, given = split_target(target)
                port, location, name = given or 80, None, ""
                if given is None or where.only_hosts is not None:
                    found = await explore(
                        {}, seconds=seconds, interfaces=where.interfaces, only_hosts={host}
                    )
                    if found:
                        port = given or _port(found[0]) or 80
                        location = found[0].location
                        name = found[0].names[0] if found[0].names else ""
            lesson = Lesson(
                await draft_recipe(
                    config,
                    host,
                    port,
                    budget=budget,
                    record=record,
                    location=location,
                    name=name,
                    area=area,
                )
            )
            if show is not None:
                show(lesson.learned)
            draft = lesson.learned.draft
            if approve is None or draft is None:
                return lesson
            lesson.tried = await trial(RecipeClient(draft, record=record), approve)
            lesson.saved = await keep(config.directory, lesson.tried, approve)
            return lesson
    finally:
        audit.close()


async def draft_recipe(
    config: Config,
    host: str,
    port: int,
    *,
    budget: int,
    record: Callable[[ProbeRecord], None],
    location: str | None = None,
    name: str = "",
    area: str | None = None,
) -> Learned:
    """Probe read-only and draft: by the configured model if there is one, else heuristics."""
    from agent.llm import configured_model

    model = configured_model(config.home.model, config.home.model_base_url)
    if model is not None:
        from agent.llm.drafter import draft_with_model

        return await draft_with_model(
            model,
            host,
            port,
            budget=budget,
            record=record,
            location=location,
            name=name,
            area=area,
        )
    learner = Learner(host, port, budget=budget, record=record, location=location)
    return await learner.learn(name, area)


async def keep(directory: Path, tried: Tried, approve: Approve) -> Path | None:
    """Save a tried recipe if a command was verified; a sensitive one (a lock, an alarm, a
    garage door) only after a second confirmation."""
    if not tried.verified:
        return None
    recipe = tried.recipe
    twice = False
    if recipe.sensitive:
        twice = await approve(
            f"{recipe.name} is a lock, an alarm or a garage door. Save its recipe, so that"
            " Dobby drives it (with the confirmations every lock has)?"
        )
        if not twice:
            return None
    return save_recipe(directory, recipe, second_confirmation=twice)


def _port(host: Host) -> int | None:
    return min(host.ports) if host.ports else None


def host_rows(hosts: list[Host]) -> list[dict[str, Any]]:
    """The `--json` of a scan."""
    return [h.as_json() for h in hosts]


def sort_key(address: str) -> Any:
    """Addresses in numeric order."""
    return ipaddress.ip_address(address)
