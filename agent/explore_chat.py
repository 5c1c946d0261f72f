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

from agent.intents.base import Phrases, common_phrase, phrase
from devices.explore.learn import Learned, Learner
from devices.explore.portscan import TcpScanConfig
from devices.explore.probe import DEFAULT_BUDGET, ProbeRecord
from devices.explore.ranges import split_target
from devices.explore.scan import Host, explore, mark_learned
from devices.explore.trial import RecipeClient, Tried, command_word, save_recipe, trial
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


PHRASES: Phrases = {
    "en": {
        "found_nothing": "I found nothing on the local network just now.",
        "found": "I found {count} on the local network:",
        "no_draft": "I could not draft a recipe for {host}: {notes}.",
        "no_notes": "it did not say what it is",
        "device": "device",
        "entity": "{article} {domain}{area} ({can})",
        "in_area": " in the {area}",
        "nothing_to_switch": "nothing to switch",
        "draft": (
            "I think {host} is {article} {what} ({name}): {parts}. "
            "I read it with {requests} read-only requests and switched nothing."
        ),
        "failed": "Trying it failed: {error}. Nothing was saved.",
        "none_verified": "{results}. No command was verified, so nothing was saved.",
        "twice": (
            "{name} is a lock, an alarm or a garage door. Save its recipe, so that I drive it"
            " (with the confirmations every lock has)?"
        ),
        "not_twice": "{results}. Not saved: it needs a second approval.",
        "saved": "{results}. Saved as {file}: {name} is a device of the house now.",
        "members_only": "Only members of the household may ask what is on the network.",
        "admins_only": "Only an admin may teach me a new device.",
        "local_only": "I only learn devices on the local network: {error}.",
        "not_this_house": "{host} is not a device of this house.",
        "tried": "Tried.",
        "not_tried": "Not tried.",
        "result:verified": "verified",
        "result:not approved": "not approved",
        "result:not confirmed": "not confirmed",
        "result:failed": "failed",
    },
    "de": {
        "found_nothing": "Ich habe gerade nichts im lokalen Netzwerk gefunden.",
        "found": "Im lokalen Netzwerk habe ich {count} gefunden:",
        "no_draft": "Für {host} konnte ich kein Rezept entwerfen: {notes}.",
        "no_notes": "es hat nicht gesagt, was es ist",
        "device": "Gerät",
        "entity": "{domain}{area} ({can})",
        "in_area": " im Bereich {area}",
        "nothing_to_switch": "nichts zu schalten",
        "draft": (
            "Ich glaube, {host} ist ein {what} ({name}): {parts}. "
            "Ich habe es mit {requests} lesenden Anfragen gelesen und nichts geschaltet."
        ),
        "failed": "Das Testen ist fehlgeschlagen: {error}. Nichts wurde gespeichert.",
        "none_verified": "{results}. Kein Befehl wurde bestätigt, also nichts gespeichert.",
        "twice": (
            "{name} ist ein Schloss, eine Alarmanlage oder ein Garagentor. Soll ich sein Rezept"
            " speichern und es steuern (mit den Bestätigungen, die jedes Schloss hat)?"
        ),
        "not_twice": "{results}. Nicht gespeichert: es braucht eine zweite Zustimmung.",
        "saved": "{results}. Gespeichert als {file}: {name} gehört jetzt zum Haus.",
        "members_only": "Nur Mitglieder des Haushalts dürfen fragen, was im Netzwerk ist.",
        "admins_only": "Nur ein Admin darf mir ein neues Gerät beibringen.",
        "local_only": "Ich lerne nur Geräte im lokalen Netzwerk: {error}.",
        "not_this_house": "{host} ist kein Gerät dieses Hauses.",
        "tried": "Getestet.",
        "not_tried": "Nicht getestet.",
        "result:verified": "bestätigt",
        "result:not approved": "nicht erlaubt",
        "result:not confirmed": "nicht bestätigt",
        "result:failed": "fehlgeschlagen",
    },
}
"""The explorer's words in chat, by language (the asker's)."""


def _say(language: str, key: str, **values: object) -> str:
    return phrase(PHRASES, language, key, **values)


def results_text(results: Mapping[str, str], language: str) -> str:
    """How each command went ("main.turn_on: verified"), in `language`."""

    def outcome(result: str) -> str:
        head, colon, rest = result.partition(":")  # "failed: why" keeps its why
        key = f"result:{head}"
        return _say(language, key) + colon + rest if key in PHRASES["en"] else result

    return "; ".join(f"{key.replace('_', ' ')}: {outcome(v)}" for key, v in results.items())


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


def summary(hosts: list[Host], recipes: list[Recipe], language: str = "en") -> str:
    """The scan in a few lines: each host, what it is, and whether Dobby drives it."""
    if not hosts:
        return _say(language, "found_nothing")
    mark_learned(hosts, recipes)
    lines = [_say(language, "found", count=len(hosts))]
    for host in hosts:
        name = f" {host.names[0]}" if host.names else ""
        lines.append(f"- {host.address}{name}: {host.what_in(language)}; {host.how_in(language)}")
    return "\n".join(lines)


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def draft_text(learned: Learned, language: str = "en") -> str:
    """The draft as a person reads it: what the host seems to be and what it can do."""
    draft = learned.draft
    if draft is None:
        notes = "; ".join(learned.notes) or _say(language, "no_notes")
        return _say(language, "no_draft", host=learned.host, notes=notes)
    family = learned.family
    what = family.title_in(language) if family is not None else _say(language, "device")
    parts = []
    for entity in draft.entities:
        commands = [command_word(language, n) for n in entity.commands]
        can = ", ".join(commands) or _say(language, "nothing_to_switch")
        area = _say(language, "in_area", area=entity.area) if entity.area else ""
        domain = domain_word(language, entity.domain.value)
        parts.append(
            _say(language, "entity", article=_article(domain), domain=domain, area=area, can=can)
        )
    return _say(
        language,
        "draft",
        host=learned.host,
        article=_article(what),
        what=what,
        name=draft.name,
        parts=", ".join(parts),
        requests=learned.requests,
    )


def domain_word(language: str, domain: str) -> str:
    """A domain as a person says it ("light", "Licht")."""
    try:
        return common_phrase(language, domain)
    except KeyError:
        return domain.replace("_", " ")


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
    language: str = "en"
    """The asker's language: the questions and the last word are in it."""

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
            self.tried = await trial(client, self.approve, language=self.language)
            await self.said.put(await self._keep(self.tried))
        except Exception as error:  # noqa: BLE001 - the chat hears it; the house goes on
            await self.said.put(_say(self.language, "failed", error=error))

    async def _keep(self, tried: Tried) -> str:
        language = self.language
        results = results_text(tried.results, language)
        if not tried.verified:
            return _say(language, "none_verified", results=results)
        recipe = tried.recipe
        twice = False
        if recipe.sensitive:
            twice = await self.approve(_say(language, "twice", name=recipe.name))
            if not twice:
                return _say(language, "not_twice", results=results)
        path = save_recipe(self.directory, recipe, second_confirmation=twice)
        await self.saved(recipe)
        return _say(language, "saved", results=results, file=path.name, name=recipe.name)

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
        return learned, draft_text(learned, lesson.language)
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
                return _say(asked.language, "members_only"), None
            hosts = await explore(
                self.manifests,
                seconds=self.seconds,
                interfaces=self.interfaces,
                only_hosts=self.only_hosts,
                record=self._record(requester),
                tcp=self.tcp,
            )
            return summary(hosts, self.recipes(), asked.language), None
        language = asked.language
        if not self.policy.may_learn_devices(requester.role):
            return _say(language, "admins_only"), None
        try:
            host, port = split_target(asked.host)
        except ValueError as error:
            return _say(language, "local_only", error=error), None
        if self.only_hosts is not None and host not in self.only_hosts:
            return _say(language, "not_this_house", host=host), None
        found = self.registry.find_area(asked.area) if asked.area else None
        area = found.name if found is not None else asked.area
        lesson = ChatLesson(
            self.confirmations, requester, self.directory, self.adopt, language=language
        )
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
        return _with(draft_text(learned, language), word)

    async def go_on(self, question: TrialQuestion, *, approve: bool) -> Said:
        """An Approve or Deny of one question: the command tried (or not), the next one."""
        if not question.future.done():
            question.future.set_result(approve)
        said = _say(question.lesson.language, "tried" if approve else "not_tried")
        return _with(said, await question.lesson.next_word())


def _with(text: str, word: Request | str) -> Said:
    if isinstance(word, Request):
        return f"{text}\n{word.question}", word
    return f"{text}\n{word}", None
