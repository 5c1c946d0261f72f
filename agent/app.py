"""The app: wires config, the home, the one action path and understanding together."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationError

from agent.channels.members import Members
from agent.choices import AliasProposal, Choice, Choices, answered, proposal, restated
from agent.config import HOME_FILE, Config
from agent.explore_chat import ChatExplorer, Learn, TrialQuestion, read_explore
from agent.home_store import HomeStore
from agent.llm import configured_model, from_environment
from agent.outcome_text import reviewed, summarize
from agent.understanding import Understander, Understanding
from devices.blocking import BlockingRunner
from devices.discovery import Discovery
from devices.lan import keep_device_traffic_local
from devices.plugin import (
    Adapter,
    AdapterConfig,
    AdapterContext,
    Discovered,
    LoadedAdapters,
    Manifest,
    load_adapters,
)
from devices.recipe import Recipe
from devices.registry import EntityOverride, Registry
from skills.actions import Action, Plan, Requester
from skills.actions import Path as ActionPath
from skills.alarm_watch import watch_alarms
from skills.audit import AuditLog
from skills.confirmations import ConfirmationError, Request
from skills.database import database_path
from skills.device_changes import OutsideChanges
from skills.executor import Executor
from skills.history import History
from skills.house import HeldPlan, House
from skills.notifications import Notice, NoticeKind, Notifications
from skills.policy import Decision, Policy, Verdict
from skills.routine_book import HeldSchedule, build_book
from skills.routines import Routine, find_routine
from skills.yaml_edit import YamlEditError

if TYPE_CHECKING:
    from agent.bus import DobbyBus
    from agent.llm.agent import Turn
    from devices.announcements import Announcements

_LOGGER = logging.getLogger(__name__)

MOVING_STATES = frozenset({"opening", "closing", "locking", "unlocking", "arming"})
"""States that change by themselves shortly after a command."""


class Reply(Understanding):
    """What `dobby say` prints: the understanding, and what became of each action."""

    results: list[dict[str, Any]] = Field(default_factory=list)
    confirmation: str | None = Field(default=None, exclude=True)
    """The token of a confirmation request, when something waits for approval."""


def _said(text: str, intent: str, said: str, question: Request | None) -> Reply:
    """The explorer's answer as a reply, with its question's buttons if it asks one."""
    reply = Reply(text=text, source="intent", intent=intent, reply=said)
    reply.needs_confirmation = question is not None
    reply.confirmation = question.token if question is not None else None
    return reply


def build_registry(config: Config) -> Registry:
    """A registry with the floors, areas and entity overrides of home.yaml."""
    registry = Registry()
    for floor in config.home.floors:
        registry.add_floor(floor.name, aliases=floor.aliases, level=floor.level)
    for area in config.home.areas:
        registry.add_area(area.name, floor=area.floor, aliases=area.aliases)
    registry.overrides = {
        key: EntityOverride(e.name, e.area, tuple(e.aliases))
        for key, e in config.home.entities.items()
    }
    return registry


@dataclass
class EnabledAdapter:
    """An adapter home.yaml leaves enabled: its manifest and its checked settings."""

    manifest: Manifest
    config: AdapterConfig

    @property
    def waits_for_discovery(self) -> bool:
        """Whether its class can stay unimported until discovery finds one of its devices
        (nothing configured by address, no broadcast of its own)."""
        return self.manifest.found_by_discovery() and not self.config.hosts


def enabled_adapters(config: Config, loaded: LoadedAdapters) -> dict[str, EnabledAdapter]:
    """Every enabled adapter, its settings checked against its own model. Only manifests
    are read: no adapter class or client library is imported."""
    settings = config.home.adapters
    for name in settings:
        if name not in loaded.manifests:
            installed = ", ".join(sorted(loaded.manifests)) or "none"
            raise config.home_doc.error(
                ["adapters", name], f"no adapter called {name!r} is installed ({installed})"
            )
    enabled: dict[str, EnabledAdapter] = {}
    for name, manifest in loaded.manifests.items():
        try:
            adapter_config = manifest.config_model.model_validate(settings.get(name, {}))
        except ValidationError:
            adapter_config = config.home_doc.validate(manifest.config_model, ["adapters", name])
        if adapter_config.enabled:
            enabled[name] = EnabledAdapter(manifest, adapter_config)
    return enabled


class Dobby:
    """One running household: adapters, discovery, the house and understanding."""

    def __init__(
        self,
        config: Config,
        state_dir: Path,
        *,
        interfaces: list[str] | None = None,
        loaded: LoadedAdapters | None = None,
        action_timeout: float = 10.0,
        only_hosts: Collection[str] | None = None,
        announcements: Announcements | None = None,
    ) -> None:
        self.config = config
        self.registry = build_registry(config)
        self.blocking = BlockingRunner()
        self.loaded = loaded if loaded is not None else load_adapters()
        if interfaces is None:
            interfaces = config.home.discovery.addresses()
        self.enabled = enabled_adapters(config, self.loaded)
        self._context = (interfaces, state_dir, only_hosts)
        self.announcements = announcements
        """Where speakers' announcements are served (None: no HTTP server, no announcing)."""
        self.adapters: dict[str, Adapter] = {}
        """The adapters loaded so far: those with devices configured or a discovery of their
        own at once, the others when discovery finds their first device."""
        for name, enabled in self.enabled.items():
            if not enabled.waits_for_discovery:
                self.adapters[name] = self._instantiate(name, enabled.manifest.load_adapter())
        self._loading: dict[str, asyncio.Lock] = {}
        self.audit = AuditLog(database_path(state_dir))
        self.members = Members(database_path(state_dir), config.home.members)
        """The household: who may ask, and with which role (also who schedules act as)."""
        self.house = House(
            self.registry,
            Policy(self.registry, config.home.policy),
            Executor(self.registry, self.adapters, self.audit, timeout=action_timeout),
        )
        self.understander = Understander(
            self.registry,
            config.routines.routines,
            language=config.home.language,
            temperature_unit=config.home.temperature_unit,
            assistant=config.home.assistant.name,
            llm=from_environment(
                self.house,
                config.routines.routines,
                model=config.home.model,
                model_base_url=config.home.model_base_url,
                llm_first=config.home.llm_first,
                database=database_path(state_dir),
                mcp_servers=config.home.mcp_servers,
                name=config.home.assistant.name,
            ),
        )
        self.choices = Choices()
        """Each chat's open "which one did you mean?", for its answer (agent.choices)."""
        self.home_store = HomeStore(config.directory / HOME_FILE)
        """home.yaml, where aliases the household confirmed are written."""
        self.notifications = Notifications(database_path(state_dir))
        """News for the household chat, kept in an outbox until each channel has sent it."""
        self.alarm_watch = watch_alarms(self.registry, self.notifications)
        self.bus: DobbyBus | None = None
        """Dobby's own entities on the MQTT broker, when home.yaml's `bus` says so."""
        self.routines = build_book(
            self.house,
            config.routines.routines,
            routines_file=config.directory / "routines.yaml",
            database=database_path(state_dir),
            notify=self.notifications.publish,
            settings=config.home.schedules,
            location=config.home.location,
            directory=self.members,
        )
        """Routines: run, changed from chat, and scheduled (skills.routine_book)."""
        self.routines.on_change(self._routines_changed)
        if self.routines.scheduler is not None:
            self.understander.clock = self.routines.scheduler.now
        self.history = History(
            self.audit,
            self.registry,
            lambda: self.understander.clock(),  # noqa: PLW0108 - the clock may be replaced
        )
        """What happened and why: the audit log and the changes made at the devices."""
        self.understander.intents.history = self.history
        self.outside = OutsideChanges(self.registry, self.house.executor, self.audit)
        """Records what is changed at the devices, not through Dobby."""
        self.discovery = Discovery(
            {name: enabled.manifest for name, enabled in self.enabled.items()},
            self._on_discovered,
            interfaces=interfaces,
            only_hosts=only_hosts,
        )
        self._pollers: list[asyncio.Task[None]] = []
        self.explorer = ChatExplorer(
            self.loaded.manifests,
            self.house.confirmations,
            self.house.policy,
            self.audit,
            self.registry,
            config.directory,
            self._adopt_recipe,
            self._recipes,
            interfaces=interfaces,
            only_hosts=only_hosts,
            model=functools.cache(
                functools.partial(configured_model, config.home.model, config.home.model_base_url)
            ),
            tcp=config.home.explore.tcp_scan,
        )
        """ "What's on my network?" and "learn the device at ..." in chat."""

    async def _adopt_recipe(self, recipe: Recipe) -> None:
        """A recipe saved from chat: its device is set up by the recipe adapter now."""
        from devices.adapters.recipe.adapter import RecipeAdapter

        adapter = await self._adapter("recipe") if "recipe" in self.enabled else None
        if isinstance(adapter, RecipeAdapter):
            await adapter.add(recipe)

    def _recipes(self) -> list[Recipe]:
        from devices.adapters.recipe.adapter import RecipeAdapter

        adapter = self.adapters.get("recipe")
        return list(adapter.recipes) if isinstance(adapter, RecipeAdapter) else []

    def _instantiate(self, name: str, cls: type[Adapter]) -> Adapter:
        interfaces, state_dir, only_hosts = self._context
        context = AdapterContext(
            name,
            self.registry,
            self.blocking,
            interfaces,
            state_dir,
            only_hosts,
            config_dir=self.config.directory,
            announcements=self.announcements,
        )
        return cls(context, self.enabled[name].config)

    async def _on_discovered(self, found: Discovered) -> None:
        name = self.discovery.adapter_for(found)
        if name is None:
            return
        adapter = await self._adapter(name)
        if adapter is not None:
            await adapter.discovered(found)

    async def _adapter(self, name: str) -> Adapter | None:
        """The running adapter called `name`, loaded and started with its first device: its
        class (and client library) imported in the blocking pool, off the event loop."""
        adapter = self.adapters.get(name)
        if adapter is not None:
            return adapter
        async with self._loading.setdefault(name, asyncio.Lock()):
            adapter = self.adapters.get(name)
            if adapter is None:
                manifest = self.enabled[name].manifest
                try:
                    cls = await self.blocking.run(manifest.load_adapter)
                except Exception:
                    _LOGGER.exception("Adapter %s could not be loaded", name)
                    return None
                adapter = self._instantiate(name, cls)
                self.adapters[name] = adapter
                await self._start_adapter(name, adapter)
        return adapter

    async def _start_adapter(self, name: str, adapter: Adapter) -> None:
        try:
            await adapter.start()
        except Exception:
            _LOGGER.exception("Adapter %s failed to start; the rest of the house goes on", name)
        if adapter.poll_interval:
            self._pollers.append(asyncio.create_task(self._poll(adapter)))

    async def start(self, *, discover: bool = True, freeze: bool = True) -> None:
        """Start every adapter, discovery and the pollers.

        `freeze=False` leaves `freeze_startup_objects` to the caller (the service runs it
        once it is ready).
        """
        keep_device_traffic_local()
        self.outside.start()
        for name, adapter in list(self.adapters.items()):
            await self._start_adapter(name, adapter)
        if discover:
            await self.discovery.start()
        await self.understander.local("sleepy time")  # load the sentence templates now
        if freeze:
            freeze_startup_objects()
        await self.routines.start()
        if self.config.home.bus.enabled:
            await self._start_bus()

    async def _start_bus(self) -> None:
        """Dobby's own entities on the mqtt adapter's broker (agent.bus)."""
        from agent.bus import DobbyBus
        from devices.adapters.mqtt.adapter import MqttAdapter

        adapter = await self._adapter("mqtt") if "mqtt" in self.enabled else None
        host = adapter.config.broker_host if isinstance(adapter, MqttAdapter) else None
        if not isinstance(adapter, MqttAdapter) or host is None:
            _LOGGER.warning("bus.enabled needs the mqtt adapter with a broker (adapters.mqtt)")
            return
        settings = adapter.broker_settings(host, adapter.config.broker_port, client_id="dobby-bus")
        self.bus = DobbyBus(self.house, settings, self.config.home.bus, self.members)
        self.bus.start()

    def _routines_changed(self, routines: list[Routine]) -> None:
        """Routines were saved, renamed or deleted: every reader sees the new ones."""
        self.config.routines.routines[:] = routines
        self.understander.routines[:] = routines
        if self.understander.llm is not None:
            self.understander.llm.routines[:] = routines

    async def _poll(self, adapter: Adapter) -> None:
        assert adapter.poll_interval is not None
        while True:
            await asyncio.sleep(adapter.poll_interval)
            try:
                await adapter.refresh()
            except Exception:
                _LOGGER.exception("Polling %s failed", adapter.manifest.name)

    async def wait_for(self, entity_ids: Iterable[str], within: float) -> list[str]:
        """Wait until these entities are in the registry, and the learned devices that were
        not at their addresses have been looked for; returns the entities still missing."""
        wanted = set(entity_ids)
        entities = self.registry.entities
        started = asyncio.get_running_loop().time()
        await self.registry.wait_until(lambda: wanted <= entities.keys(), within)
        learned = self.adapters.get("recipe")
        if learned is not None:
            from devices.adapters.recipe.adapter import RecipeAdapter

            if isinstance(learned, RecipeAdapter):
                left = within - (asyncio.get_running_loop().time() - started)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(0.0, left)):
                        await learned.looked()
        return sorted(wanted - entities.keys())

    async def understand(self, text: str, requester: Requester) -> Understanding:
        """What Dobby would do, without doing it: what the policy would refuse or hold."""
        understood = await self.understander.understand(text, requester)
        if understood.actions and understood.wait is None:
            review = self.house.policy.review(self._plan(understood, requester))
            understood.needs_confirmation = review.needs_confirmation
            understood.refused = [d.reason for d in review.with_verdict(Verdict.REFUSE)]
            understood.verdicts = [verdict_text(d) for d in review.decisions]
            if understood.refused or review.needs_confirmation:
                understood.reply = reviewed(understood.reply, review, self.registry)
        return understood

    async def handle(self, text: str, requester: Requester) -> Reply:
        """Understand a sentence and carry it out through the one path.

        Something sensitive asked for by a person who may not approve it (a guest) is put
        to the household: whoever may approve gets the question with its buttons.
        """
        return await self._ask_household(await self._handle(text, requester), requester)

    async def act(
        self, actions: list[Action], requester: Requester, *, path: ActionPath = ActionPath.WEB
    ) -> Reply:
        """Carry out actions chosen directly (a control on the web page) through the one
        path, as `handle` carries out a sentence: the same policy, the same approvals."""
        plan = Plan(list(actions), requester, path)
        outcome = await self.house.carry_out(plan)
        reply = Reply(text="", source="none", actions=plan.actions)
        reply.results = [r.as_json() for r in outcome.results]
        reply.needs_confirmation = outcome.pending is not None
        reply.confirmation = outcome.pending.token if outcome.pending else None
        reply.refused = [d.reason for d in outcome.refused]
        reply.reply = summarize("", outcome, self.registry) or "Done."
        return await self._ask_household(reply, requester)

    async def run_routine(
        self, name: str, requester: Requester, *, path: ActionPath = ActionPath.WEB
    ) -> Reply:
        """Run a routine by name ("run now" on the web page), as a phrase would run it.

        Raises RoutineError when there is no such routine."""
        reply = Reply(text=name, source="routine", routine=name, reply=f"Running {name}.")
        return await self._ask_household(
            await self._run_routine(name, requester, path, reply), requester
        )

    async def _run_routine(
        self, name: str, requester: Requester, path: ActionPath, reply: Reply
    ) -> Reply:
        report = await self.routines.run(name, requester, path=path)
        reply.results = [r.as_json() for r in report.results]
        intro = f"{reply.reply}\n" if report.results or report.pending else ""
        reply.reply = f"{intro}{report.summary()}"
        if report.pending:
            reply.needs_confirmation = True
            reply.confirmation = report.pending[0].token
        return reply

    async def _ask_household(self, reply: Reply, requester: Requester) -> Reply:
        """A request that waits for an approval its asker may not give goes to those who
        may: a notice with the question and its Approve/Deny buttons."""
        if reply.confirmation and not self.house.policy.may_confirm(requester.role):
            request = self.house.confirmations.get(reply.confirmation)
            question = request.question if request else reply.reply
            who = requester.name or requester.id
            await self.notifications.publish(
                Notice(NoticeKind.APPROVAL, f"{who} asks: {question}", ask=reply.confirmation)
            )
            reply.confirmation = None
            reply.reply += "\nI have asked someone who may approve it."
        return reply

    async def _handle(self, text: str, requester: Requester) -> Reply:
        """An answer to the chat's open question back, else a request of its own."""
        chat = requester.chat or requester.id
        choice = self.choices.take(chat)
        if choice is not None:
            answer = await self._answered(choice, text, requester)
            if answer is not None:
                return answer
        asked = read_explore(text)
        if asked is not None:
            said, question = await self.explorer.answer(asked, requester)
            intent = "LearnDevice" if isinstance(asked, Learn) else "ExploreNetwork"
            return _said(text, intent, said, question)
        return await self._request(text, requester, chat)

    async def _request(self, text: str, requester: Requester, chat: str) -> Reply:
        understood = await self.understander.local(text)
        if understood is not None:
            self.choices.open(chat, understood)
        if understood is None and self.understander.llm is not None:
            turn = await self.understander.llm.run(text, requester)
            return llm_reply(text, turn)
        if understood is None:
            text = text.strip()
            understood = Understanding(
                text=text, source="none", reply=self.understander.help_text(text)
            )
        reply = Reply(**understood.model_dump())
        if understood.wait is not None:
            reply.reply = await self.routines.wait(understood.wait)
            return reply
        if understood.at is not None:
            routine = find_routine(self.routines.routines, understood.routine or "")
            later = self.routines.schedule(
                understood.at if understood.after is None else timedelta(seconds=understood.after),
                requester,
                routine=routine if understood.routine else None,
                actions=understood.actions,
                what=str(understood.slots.get("what", understood.text)),
            )
            reply.reply = later.reply
            reply.needs_confirmation = later.request is not None
            reply.confirmation = later.request.token if later.request else None
            return reply
        if understood.source == "routine" and understood.routine:  # waits, conditions, order
            path = ActionPath.PHRASE if understood.intent is None else ActionPath.ROUTINE
            return await self._run_routine(understood.routine, requester, path, reply)
        if not understood.actions:
            return reply
        outcome = await self.house.carry_out(self._plan(understood, requester))
        reply.results = [r.as_json() for r in outcome.results]
        reply.needs_confirmation = outcome.pending is not None
        reply.confirmation = outcome.pending.token if outcome.pending else None
        reply.reply = summarize(understood.reply, outcome, self.registry)
        return reply

    async def _answered(self, choice: Choice, text: str, requester: Requester) -> Reply | None:
        """The answer to a question back: the request read again with the chosen device,
        and, for a name of the household's own, the offer to remember it. None when the
        text is not an answer (it is then read as a request of its own)."""
        entity = answered(choice, self.understander.wording.plain(text), self.registry)
        again = restated(choice, entity) if entity is not None else None
        if entity is None or again is None:
            return None
        reply = await self._request(again, requester, requester.chat or requester.id)
        offer = proposal(choice, entity, self.registry)
        if (
            offer is not None
            and reply.actions
            and reply.confirmation is None
            and self.house.policy.may_confirm(requester.role)
        ):
            request = self.house.confirmations.open(offer.question(entity.name), requester, offer)
            reply.reply = f"{reply.reply}\n{request.question}"
            reply.confirmation = request.token
        return reply

    def remember(self, offer: AliasProposal) -> str:
        """Write an alias the household confirmed to home.yaml; it counts at once."""
        entity = self.registry.entities.get(offer.entity_id)
        if entity is None:
            return f"{offer.entity_id} is gone; I did not remember anything."
        try:
            self.config.home = self.home_store.add_alias(offer.entity_id, offer.alias)
        except YamlEditError as error:
            return f"I could not write that down: {error}"
        if offer.alias not in entity.aliases:
            entity.aliases = (*entity.aliases, offer.alias)
        known = self.registry.overrides.get(offer.entity_id) or EntityOverride()
        aliases = tuple(dict.fromkeys((*known.aliases, offer.alias)))
        self.registry.overrides[offer.entity_id] = replace(known, aliases=aliases)
        return f'I will remember "{offer.alias}" as {entity.name}.'

    async def confirm(self, token: str, approver: Requester, *, approve: bool) -> Reply:
        """Answer a confirmation request, whatever waits for it (held actions, a schedule,
        a paused LLM run). Who may answer, once, before it expires: `Confirmations.take`.

        Raises ConfirmationError when it cannot be accepted.
        """
        request = self.house.confirmations.take(token, approver)
        reply = Reply(text="", source="none", reply="Something went wrong; nothing more was done.")
        try:
            reply = await self._answer(request.subject, approver, approve=approve)
        finally:  # whoever waits for the outcome (an MCP client) hears it, whatever it was
            self.house.confirmations.settle(request, approved=approve, outcome=outcome_of(reply))
        return reply

    async def _answer(self, waiting: object, approver: Requester, *, approve: bool) -> Reply:
        if isinstance(waiting, HeldPlan):
            outcome = await self.house.answer(waiting, approver, approve=approve)
            reply = Reply(text="", source="none", actions=outcome.plan.actions)
            reply.results = [r.as_json() for r in outcome.results]
            intro = "" if approve else "Cancelled; nothing was done."
            reply.reply = summarize(intro, outcome, self.registry)
            return reply
        if isinstance(waiting, AliasProposal):
            said = self.remember(waiting) if approve else "All right, I will not remember it."
            return Reply(text="", source="none", reply=said)
        if isinstance(waiting, HeldSchedule):
            later = self.routines.answer(waiting, approver, approve=approve)
            return Reply(text="", source="intent", intent="Schedule", reply=later.reply)
        if isinstance(waiting, TrialQuestion):
            said, question = await self.explorer.go_on(waiting, approve=approve)
            return _said("", "LearnDevice", said, question)
        llm = self.understander.llm
        if llm is not None and llm.owns(waiting):
            return llm_reply("", await llm.go_on(waiting, approver, approve=approve))
        raise ConfirmationError("That request can no longer be answered here.")

    def _plan(self, understood: Understanding, requester: Requester) -> Plan:
        """The plan of an understanding, as the policy should see it."""
        if understood.source == "llm":
            return Plan(list(understood.actions), requester, ActionPath.LLM)
        if understood.source == "routine" and understood.routine:
            path = ActionPath.PHRASE if understood.intent is None else ActionPath.ROUTINE
            routine = self.routines.find(understood.routine)
            owner = self.routines.runner.owner(routine) if routine else None
            approval = self.house.policy.standing_approval(requester, owner) if owner else None
            return Plan(
                list(understood.actions),
                requester,
                path,
                approved_by=approval,
                routine=understood.routine,
                notes=list(understood.notes),
            )
        return Plan(
            list(understood.actions), requester, ActionPath.INTENT, notes=list(understood.notes)
        )

    def states(self) -> list[dict[str, Any]]:
        """Every entity's state, as `dobby devices --json` prints it."""
        return [
            entity.as_json(self.registry.area_name(entity))
            for entity in sorted(self.registry.entities.values(), key=lambda e: e.entity_id)
        ]

    async def refresh(self) -> None:
        """Read every device's state back through its adapter now."""
        await asyncio.gather(*(a.refresh() for a in self.adapters.values()))

    async def settle(self, within: float) -> bool:
        """Read every state back until nothing is moving (shades travel); False if still
        moving after `within` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            await self.refresh()
            moving = [
                e
                for e in self.registry.entities.values()
                if e.state is not None and e.state.state in MOVING_STATES
            ]
            if not moving or loop.time() >= deadline:
                return not moving
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        """Stop pollers, discovery and adapters, and close the database."""
        if self.bus is not None:
            await self.bus.stop()
            self.bus = None
        self.outside.stop()
        await self.explorer.close()
        await self.routines.stop()
        await self.alarm_watch.stop()
        await self.notifications.close()
        for task in self._pollers:
            task.cancel()
        await asyncio.gather(*self._pollers, return_exceptions=True)
        await self.discovery.stop()
        for adapter in list(self.adapters.values()):
            with suppress(Exception):
                await adapter.stop()
        self.blocking.shutdown()
        self.audit.close()
        self.members.close()


def verdict_text(decision: Decision) -> str:
    """What the policy says of one action, for a person: "allowed", "refused: <why>",
    "<what> needs a confirmation"."""
    if decision.verdict is Verdict.REFUSE:
        return f"refused: {decision.reason}" if decision.reason else "refused"
    if decision.verdict is Verdict.CONFIRM:
        return decision.reason or "needs a confirmation"
    return "allowed"


@contextmanager
def collection_paused() -> Iterator[None]:
    """Hold automatic garbage collection off while start-up builds its long-lived heap.

    Importing the libraries and building the house allocate hundreds of thousands of
    objects that live as long as Dobby; collecting in between only re-traverses them.
    `freeze_startup_objects` collects once afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def freeze_startup_objects() -> None:
    """Move everything alive now out of the garbage collector's sight.

    Start-up leaves a large, long-lived heap (the sentence templates, the registry, the
    adapters' libraries). Frozen, it is no longer traversed by every full collection, so a
    sentence read later is not held up by one (a 50 ms pause on a 500-entity house).
    """
    gc.collect()
    gc.freeze()


def llm_reply(text: str, turn: Turn) -> Reply:
    """What `dobby say` prints for a turn the LLM agent carried out."""
    return Reply(
        text=text,
        source="llm",
        actions=turn.actions,
        reply=turn.reply,
        results=[r.as_json() for r in turn.results],
        needs_confirmation=turn.pending is not None,
        confirmation=turn.pending.token if turn.pending else None,
    )


def outcome_of(reply: Reply) -> str:
    """What came of an answered request, in words: the reply, and each action's result."""
    done = [
        f"{r['command']} on {r['entity_id']}: {'done' if r['ok'] else r['error']}"
        for r in reply.results
    ]
    return "\n".join(line for line in [reply.reply, *done] if line) or "Nothing was done."
