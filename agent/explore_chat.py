"""The device explorer in chat: "what's on my network?", "learn the device at 192.168.1.40".

    asked = read_explore(text)          # Scan(), Learn(host) or None, English and German

A scan answers with what each local host is and whether Dobby drives it. Learning probes
the host read-only (within the budget, every request in the audit log as the person who
asked), shows the draft, then asks before each of its commands with the household's
Approve/Deny: the trial runs in the background and waits at each question (a
`TrialQuestion` in `Confirmations`) until someone who may approve answers it. Only what
was verified is saved to `<config>/recipes/` and handed to the running recipe adapter, so
the device is an entity at once; a lock, alarm or garage door needs a second Approve.
Only admins may learn devices (`Policy.may_learn_devices`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from devices.explore.learn import Learned, Learner
from devices.explore.portscan import TcpScanConfig
from devices.explore.probe import DEFAULT_BUDGET, ProbeRecord
from devices.explore.ranges import split_target
from devices.explore.scan import Host, explore, mark_learned
from devices.explore.trial import RecipeClient, Tried, save_recipe, trial
from devices.plugin import Manifest
from devices.recipe import Recipe
from devices.registry import Registry
from skills.actions import Requester
from skills.audit import AuditLog
from skills.confirmations import CONFIRMATION_TTL, Confirmations, Request
from skills.policy import Policy

if TYPE_CHECKING:
    from pydantic_ai.models import Model

_HOST = r"(?P<host>\[[0-9a-f:]+\](?::\d+)?|[0-9a-z.:-]+?)"
_AREA_EN = r"(?:\s+in\s+(?:the\s+)?(?P<area>[^\W\d][\w ]{0,40}?))?"
_AREA_DE = r"(?:\s+(?:im|in\s+der|in\s+dem)\s+(?P<area>[^\W\d][\w ]{0,40}?))?"
_END = r"[\s.!?]*$"
_LEARN = (
    re.compile(
        rf"^(?:please\s+)?(?:learn|teach\s+yourself|figure\s+out)\s+(?:the\s+)?"
        rf"(?:device|thing|gadget)\s+(?:at|on)\s+{_HOST}{_AREA_EN}(?:\s+please)?{_END}",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^(?:bitte\s+)?lerne?\s+(?:das\s+)?gerät\s+(?:unter|auf|bei|an)\s+{_HOST}{_AREA_DE}"
        rf"(?:\s+kennen)?(?:\s+bitte)?{_END}",
        re.IGNORECASE,
    ),
)
_SCAN = (
    re.compile(
        rf"^(?:what(?:'s|\s+is)\s+on\s+(?:my|the|our)\s+network|(?:find|search\s+for|look\s+for)"
        rf"\s+new\s+devices|scan\s+(?:my|the|our)\s+network){_END}",
        re.IGNORECASE,
    ),
    re.compile(
        rf"^(?:was\s+ist\s+(?:in|auf)\s+(?:meinem|unserem|dem)\s+netz(?:werk)?|"
        rf"(?:finde|suche?)\s+neue\s+geräte|durchsuche\s+(?:mein|unser|das)\s+netz(?:werk)?){_END}",
        re.IGNORECASE,
    ),
)


@dataclass(frozen=True)
class Scan:
    """ "What's on my network?", "find new devices"."""

    language: str


@dataclass(frozen=True)
class Learn:
    """ "Learn the device at 192.168.1.40"."""

    host: str
    language: str
    area: str | None = None


def read_explore(text: str) -> Scan | Learn | None:
    """The explorer request a sentence makes, if it is one."""
    plain = text.strip()
    for language, pattern in zip(("en", "de"), _SCAN, strict=True):
        if pattern.match(plain):
            return Scan(language)
    for language, pattern in zip(("en", "de"), _LEARN, strict=True):
        found = pattern.match(plain)
        if found is not None:
            area = found.group("area")
            return Learn(found.group("host").rstrip("."), language, area.strip() if area else None)
    return None


def summary(hosts: list[Host], recipes: list[Recipe]) -> str:
    """The scan in a few lines: each host, what it is, and whether Dobby drives it."""
    if not hosts:
        return "I found nothing on the local network just now."
    mark_learned(hosts, recipes)
    lines = [f"I found {len(hosts)} on the local network:"]
    for host in hosts:
        name = f" {host.names[0]}" if host.names else ""
        lines.append(f"- {host.address}{name}: {host.what}; {host.how}")
    return "\n".join(lines)


def draft_text(learned: Learned) -> str:
    """The draft as a person reads it: what the host seems to be and what it can do."""
    draft = learned.draft
    if draft is None:
        notes = "; ".join(learned.notes) or "it did not say what it is"
        return f"I could not draft a recipe for {learned.host}: {notes}."
    what = learned.family.title if learned.family is not None else "device"
    article = "an" if what[:1].lower() in "aeiou" else "a"
    parts = []
    for entity in draft.entities:
        can = ", ".join(n.replace("_", " ") for n in entity.commands) or "nothing to switch"
        area = f" in the {entity.area}" if entity.area else ""
        parts.append(f"a {entity.domain.value.replace('_', ' ')}{area} ({can})")
    return (
        f"I think {learned.host} is {article} {what} ({draft.name}): {', '.join(parts)}. "
        f"I read it with {learned.requests} read-only requests and switched nothing."
    )


@dataclass
class TrialQuestion:
    """What a learning question's Approve or Deny answers: one command of a trial."""

    lesson: ChatLesson
    future: asyncio.Future[bool]


@dataclass
class ChatLesson:
    """A draft being tried in the background, one approval per command."""

    confirmations: Confirmations
    requester: Requester
    directory: Path
    saved: Callable[[Recipe], Awaitable[None]]
    """Hands a saved recipe to the running recipe adapter."""
    said: asyncio.Queue[Request | str] = field(default_factory=asyncio.Queue)
    """The next question (a confirmation request) or the last word."""
    task: asyncio.Task[None] | None = None
    tried: Tried | None = None

    def start(self, client: RecipeClient) -> None:
        """Try the draft in the background; it waits at each question."""
        self.task = asyncio.get_running_loop().create_task(self._run(client))

    async def approve(self, question: str) -> bool:
        """Ask the household (Approve/Deny) and wait for the answer; no answer is a no."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        request = self.confirmations.open(question, self.requester, TrialQuestion(self, future))
        await self.said.put(request)
        try:
            return await asyncio.wait_for(future, CONFIRMATION_TTL)
        except TimeoutError:
            return False

    async def _run(self, client: RecipeClient) -> None:
        try:
            self.tried = await trial(client, self.approve)
            await self.said.put(await self._keep(self.tried))
        except Exception as error:  # noqa: BLE001 - the chat hears it; the house goes on
            await self.said.put(f"Trying it failed: {error}. Nothing was saved.")

    async def _keep(self, tried: Tried) -> str:
        results = "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in tried.results.items())
        if not tried.verified:
            return f"{results}. No command was verified, so nothing was saved."
        recipe = tried.recipe
        twice = False
        if recipe.sensitive:
            twice = await self.approve(
                f"{recipe.name} is a lock, an alarm or a garage door. Save its recipe, so that"
                " I drive it (with the confirmations every lock has)?"
            )
            if not twice:
                return f"{results}. Not saved: it needs a second approval."
        path = save_recipe(self.directory, recipe, second_confirmation=twice)
        await self.saved(recipe)
        return f"{results}. Saved as {path.name}: {recipe.name} is a device of the house now."

    async def next_word(self) -> Request | str:
        """The next question, or the last word once the trial is over."""
        return await self.said.get()


async def learn_in_chat(
    host: str,
    *,
    port: int,
    record: Callable[[ProbeRecord], None],
    lesson: ChatLesson,
    area: str | None = None,
    location: str | None = None,
    budget: int = DEFAULT_BUDGET,
    model: Model | None = None,
) -> tuple[Learned, Request | str]:
    """Probe read-only, draft, and start trying; the draft and the first question."""
    if model is not None:
        from agent.llm.drafter import draft_with_model

        learned = await draft_with_model(
            model, host, port, budget=budget, record=record, location=location, area=area
        )
    else:
        learner = Learner(host, port, budget=budget, record=record, location=location)
        learned = await learner.learn(area=area)
    if learned.draft is None:
        return learned, draft_text(learned)
    lesson.start(RecipeClient(learned.draft, record=record))
    return learned, await lesson.next_word()


Said = tuple[str, Request | None]
"""What to tell the person, and the question waiting for Approve/Deny, if one is."""


@dataclass
class ChatExplorer:
    """The explorer as the chat reaches it: a scan, or learning one host."""

    manifests: Mapping[str, Manifest]
    confirmations: Confirmations
    policy: Policy
    audit: AuditLog
    registry: Registry
    directory: Path
    """The config dir: recipes are saved to its `recipes/`."""
    adopt: Callable[[Recipe], Awaitable[None]]
    """Hands a saved recipe to the running recipe adapter."""
    recipes: Callable[[], list[Recipe]]
    """The recipes the running recipe adapter drives."""
    interfaces: list[str] | None = None
    only_hosts: Collection[str] | None = None
    seconds: float = 4.0
    """How long a scan listens."""
    model: Callable[[], Model | None] = lambda: None
    """The model that drafts recipes, made when first needed (None: heuristics only)."""
    tcp: TcpScanConfig | None = None
    """The optional TCP scan of home.yaml's `explore.tcp_scan`."""

    lessons: list[ChatLesson] = field(default_factory=list)
    """Trials under way (each waits at its question)."""

    async def close(self) -> None:
        """Stop the trials still waiting for an answer (Dobby is stopping)."""
        tasks = [lesson.task for lesson in self.lessons if lesson.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self.lessons.clear()

    def _record(self, requester: Requester) -> Callable[[ProbeRecord], None]:
        def record(probe: ProbeRecord) -> None:
            self.audit.record_probe(
                requester, probe.host, probe.method, probe.target, probe.status, probe.note
            )

        return record

    async def answer(self, asked: Scan | Learn, requester: Requester) -> Said:
        """Scan, or probe a host and ask about its first command."""
        if isinstance(asked, Scan):
            if not self.policy.may_explore(requester.role):
                return "Only members of the household may ask what is on the network.", None
            hosts = await explore(
                self.manifests,
                seconds=self.seconds,
                interfaces=self.interfaces,
                only_hosts=self.only_hosts,
                record=self._record(requester),
                tcp=self.tcp,
            )
            return summary(hosts, self.recipes()), None
        if not self.policy.may_learn_devices(requester.role):
            return "Only an admin may teach me a new device.", None
        try:
            host, port = split_target(asked.host)
        except ValueError as error:
            return f"I only learn devices on the local network: {error}.", None
        if self.only_hosts is not None and host not in self.only_hosts:
            return f"{host} is not a device of this house.", None
        found = self.registry.find_area(asked.area) if asked.area else None
        area = found.name if found is not None else asked.area
        lesson = ChatLesson(self.confirmations, requester, self.directory, self.adopt)
        self.lessons[:] = [x for x in self.lessons if x.task is None or not x.task.done()]
        self.lessons.append(lesson)
        learned, word = await learn_in_chat(
            host,
            port=port or 80,
            record=self._record(requester),
            lesson=lesson,
            area=area,
            model=self.model(),
        )
        return _with(draft_text(learned), word)

    async def go_on(self, question: TrialQuestion, *, approve: bool) -> Said:
        """An Approve or Deny of one question: the command tried (or not), the next one."""
        if not question.future.done():
            question.future.set_result(approve)
        return _with("Tried." if approve else "Not tried.", await question.lesson.next_word())


def _with(text: str, word: Request | str) -> Said:
    if isinstance(word, Request):
        return f"{text}\n{word.question}", word
    return f"{text}\n{word}", None
