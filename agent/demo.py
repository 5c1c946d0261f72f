"""`dobby demo`: the virtual house, found through normal discovery, and a chat with it.

Chatting in the terminal, the demo runs as `dobby run` does (the service, without chat
channels), so the household's web page is served too, on loopback, with a sign-in link
for the person at the terminal.
"""

from __future__ import annotations

import fcntl
import json
import secrets
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from agent.app import Dobby
from agent.channels.terminal import chat
from agent.config import ChannelSettings, Config
from agent.service import Service
from agent.tables import print_states
from devices.plugin import LoadedAdapters, load_adapters
from devices.virtual_house import VirtualHouse, read_house
from skills.actions import TERMINAL, Requester

LOOPBACK = "127.0.0.1"
DISCOVERY_TIMEOUT = 20.0
SETTLE_TIMEOUT = 15.0
"""Seconds to let moving things (shades) arrive before the final state is read."""
SEED_FILE = "virtual-house.seed"


def house_file(config: Config) -> Path:
    """The house file of the demo: `<config>/demo/house.yaml`."""
    return config.directory / "demo" / "house.yaml"


@dataclass
class RunningDemo:
    """The virtual house, and Dobby running against it."""

    house: VirtualHouse
    dobby: Dobby
    missing: list[str]
    """Entities of the house that discovery did not find in time."""


@contextmanager
def kept_seed(state: Path | None) -> Iterator[str]:
    """The seed of the virtual house's unknown devices, kept in `<state>/virtual-house.seed`
    so that they keep their MACs and UDNs from one demo to the next (a recipe learned in one
    finds its device in the next, at its new address). A demo that finds the file held by
    another one running on the same state dir takes a seed of its own, so that two houses
    never announce one device; so does a house with no state dir."""
    if state is None:
        yield secrets.token_hex(6)
        return
    state.mkdir(parents=True, exist_ok=True)
    with (state / SEED_FILE).open("a+", encoding="utf-8") as kept:
        try:
            fcntl.flock(kept, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            held = True
        else:
            held = False
        if held:
            yield secrets.token_hex(6)
            return
        kept.seek(0)
        seed = kept.read().strip()
        if not seed:
            seed = secrets.token_hex(6)
            kept.write(f"{seed}\n")
            kept.flush()
        yield seed


@asynccontextmanager
async def demo_house(
    config: Config, loaded: LoadedAdapters, *, alarm: str = "homekit", state: Path | None = None
) -> AsyncIterator[VirtualHouse]:
    """Start the config's virtual house on loopback and point the config at it; stop it
    afterwards. With `state`, its unknown devices are the same devices as in the last demo
    on that state dir (`kept_seed`).

    Devices with no announcement of their own (a wired alarm module) are written into the
    config's adapter settings. Give Dobby `interfaces=[LOOPBACK]` and
    `only_hosts=house.addresses`: other emulators may share the loopback network."""
    with kept_seed(state) as seed:
        house = VirtualHouse(
            read_house(house_file(config)),
            loaded.manifests,
            interface=LOOPBACK,
            choices={"alarm": alarm},
            seed=seed,
        )
        await house.start()
        try:
            for name, extra in house.settings.items():
                config.home.adapters[name] = {**config.home.adapters.get(name, {}), **extra}
            yield house
        finally:
            await house.stop()


@asynccontextmanager
async def running_demo(
    config: Config, state: Path, *, alarm: str = "homekit"
) -> AsyncIterator[RunningDemo]:
    """Start the virtual house, then Dobby on it through discovery; stop both afterwards."""
    loaded = load_adapters()
    async with demo_house(config, loaded, alarm=alarm, state=state) as house:
        dobby = Dobby(
            config, state, interfaces=[LOOPBACK], loaded=loaded, only_hosts=house.addresses
        )
        try:
            await dobby.start()
            missing = await dobby.wait_for(house.entity_ids, DISCOVERY_TIMEOUT)
            yield RunningDemo(house, dobby, missing)
        finally:
            await dobby.stop()


@dataclass
class ServingDemo:
    """The virtual house, and Dobby's service (chat channels, HTTP) running against it."""

    house: VirtualHouse
    service: Service
    missing: list[str]
    """Entities of the house that discovery did not find in time."""

    @property
    def dobby(self) -> Dobby:
        """The running Dobby of the service."""
        assert self.service.dobby is not None
        return self.service.dobby


@asynccontextmanager
async def serving_demo(
    config: Config, state: Path, settings: ChannelSettings, *, alarm: str = "homekit"
) -> AsyncIterator[ServingDemo]:
    """Start the virtual house, then `dobby run`'s service on it through discovery (for
    tests and benchmarks of the channels); stop both afterwards."""
    loaded = load_adapters()
    async with demo_house(config, loaded, alarm=alarm, state=state) as house:
        service = Service(
            config,
            state,
            settings,
            interfaces=[LOOPBACK],
            loaded=loaded,
            only_hosts=house.addresses,
            # A second demo on the machine finds the default port taken: it takes another.
            any_port_if_taken="http_port" not in settings.model_fields_set,
        )
        try:
            await service.start()
            assert service.dobby is not None
            missing = await service.dobby.wait_for(house.entity_ids, DISCOVERY_TIMEOUT)
            yield ServingDemo(house, service, missing)
        finally:
            await service.stop()


def page_settings(settings: ChannelSettings | None = None) -> ChannelSettings:
    """The chatting demo's service: the web page on loopback, and no chat channels."""
    chosen = settings or ChannelSettings(_env_file=None, telegram_token=None, whatsapp_token=None)
    return chosen.model_copy(update={"http_host": LOOPBACK, "web": True})


async def run_demo(
    config: Config,
    state: Path,
    says: list[str],
    *,
    dry_run: bool,
    json_out: bool,
    alarm: str = "homekit",
) -> int:
    """Start the virtual house and Dobby; chat, or say each sentence and print results.

    With `json_out` and nothing to say, it prints the start state of every entity.
    """
    requester = Requester.local_admin()
    if not says and not json_out:
        async with serving_demo(config, state, page_settings(), alarm=alarm) as serving:
            if serving.missing:
                print(f"Not found by discovery: {', '.join(serving.missing)}", file=sys.stderr)
            link = serving.service.sign_in_link(TERMINAL)
            print(f"The house's web page: {link}\n(your sign-in link; it works once)")
            await chat(serving.dobby, requester)
        return 0
    # The service, as when chatting: its HTTP server serves the speakers' announcements.
    async with serving_demo(config, state, page_settings(), alarm=alarm) as demo:
        dobby, missing = demo.dobby, demo.missing
        if missing:
            print(f"Not found by discovery: {', '.join(missing)}", file=sys.stderr)
        for text in says:
            if dry_run:
                result = (await dobby.understand(text, requester)).model_dump(mode="json")
            else:
                result = (await dobby.handle(text, requester)).model_dump(mode="json")
            print(json.dumps(result, ensure_ascii=False) if json_out else result["reply"])
        await dobby.settle(SETTLE_TIMEOUT)
        states = dobby.states()
        if json_out:
            print(json.dumps(states, ensure_ascii=False))
        else:
            print_states(states)
        return 1 if missing else 0
