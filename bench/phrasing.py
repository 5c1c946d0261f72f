"""`python -m bench phrasing [--lang en de] [--llm] [--json]`: the household's own words.

A corpus of household sentences of our own (`bench/corpus/<lang>.yaml`: at least 300 in
English and 100 in German, over the demo house) each with what it should do: these actions
(and whether they wait for a confirmation or are refused), this routine, a question answered,
a question back, or nothing at all. The demo house runs as `dobby demo` runs it (emulators
found through discovery, `config/`), and every sentence is read as a dry run through
`Dobby.understand`, the path a chat message takes, so the policy sees each plan. German is read
by the same house with the German names of `de.yaml`'s `home:` (aliases of places and devices,
routine phrases), as a German household would have named them.

Each sentence is judged:

- right: what the corpus expects;
- asked: no action, a question back where the corpus expected something else;
- not understood: no action and no answer (the model's turn, or the help text);
- wrong: a plan that acts on a device or with a command other than expected. Target: none.

The report gives these per language and category, with the share understood right and the
p99 time per sentence of reading it (milliseconds; the local path). Targets: 0 wrong, at
least 95% right in English and 90% in German.

With `--llm` and a model configured (`DOBBY_MODEL`, as for `dobby run`), the sentences the
local path does not understand go to the model as a dry run (`HouseAgent.plan`) and are
judged the same way, so a household can compare models on its own house.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml

from agent.app import Dobby, freeze_startup_objects
from agent.config import load_config
from agent.demo import running_demo
from agent.understanding import Understander, Understanding
from bench import report
from bench.understand import percentile
from skills.actions import Requester

if TYPE_CHECKING:
    from pydantic_ai.models import Model

CONFIG = Path(__file__).resolve().parent.parent / "config"
CORPUS = Path(__file__).parent / "corpus"
LANGUAGES = ("en", "de")
TARGETS = {"en": 0.95, "de": 0.90}
"""The share of sentences to understand right, by language."""

Verdict = Literal["right", "asked", "not_understood", "wrong"]
VERDICTS: tuple[Verdict, ...] = ("right", "asked", "not_understood", "wrong")
_ACTION = re.compile(r"^\s*([a-z_]+\.[a-z_]+)(?:\((.*)\))?\s*:\s*(.+)$")


@dataclass(frozen=True)
class Expected:
    """What a sentence should do."""

    actions: frozenset[str] = frozenset()
    """`Action.describe()` of every action of the plan."""
    confirm: bool = False
    """Some of them wait for a person's confirmation."""
    refuse: bool = False
    """The house rules refuse some of them."""
    routine: str | None = None
    answer: str | None = None
    """A question answered without acting; the reply holds this."""
    ask: tuple[str, ...] | None = None
    """A question back, naming these."""

    @property
    def kind(self) -> str:
        """What is expected, in a word."""
        if self.routine is not None:
            return "routine"
        if self.actions:
            return "act"
        if self.answer is not None:
            return "answer"
        if self.ask is not None:
            return "ask"
        return "nothing"


@dataclass(frozen=True)
class Case:
    """One sentence of the corpus."""

    category: str
    text: str
    expected: Expected


@dataclass
class Corpus:
    """A language's sentences, and the names that language's household gives the house."""

    language: str
    cases: list[Case]
    home: dict[str, Any] = field(default_factory=dict)


def actions_of(specs: Iterable[str]) -> frozenset[str]:
    """ "light.turn_on(brightness=30): floor_lamp, kitchen" as `Action.describe()` texts."""
    described = set()
    for spec in specs:
        found = _ACTION.match(spec)
        if found is None:
            raise ValueError(f"not an action: {spec!r} (expected 'command(params): entity, ...')")
        command, params, entities = found.groups()
        domain = command.split(".", 1)[0]
        for entity in (e.strip() for e in entities.split(",")):
            entity_id = entity if "." in entity else f"{domain}.{entity}"
            described.add(f"{command}({params or ''}) on {entity_id}")
    return frozenset(described)


def load_corpus(language: str, folder: Path = CORPUS) -> Corpus:
    """The corpus of one language."""
    data = yaml.safe_load((folder / f"{language}.yaml").read_text(encoding="utf-8"))
    cases: list[Case] = []
    for item in data["cases"]:
        confirm, refuse = item.get("confirm", []), item.get("refuse", [])
        ask = item.get("ask")
        expected = Expected(
            actions=actions_of([*item.get("act", []), *confirm, *refuse]),
            confirm=bool(confirm),
            refuse=bool(refuse),
            routine=item.get("routine"),
            answer=item.get("answer"),
            ask=tuple(ask) if ask is not None else None,
        )
        cases.extend(Case(item["category"], str(text), expected) for text in item["say"])
    return Corpus(language, cases, data.get("home") or {})


def judge(case: Case, understood: Understanding) -> Verdict:
    """How a reading compares with what the corpus expects."""
    expected = case.expected
    acted = {a.describe() for a in understood.actions}
    if expected.routine is not None and understood.routine == expected.routine:
        return "right"
    if acted:
        if expected.routine is not None or acted != expected.actions:
            return "wrong"
        held = understood.needs_confirmation == expected.confirm
        refused = bool(understood.refused) == expected.refuse
        return "right" if held and refused else "wrong"
    reply = understood.reply
    asked = understood.asks or (understood.source == "llm" and reply.rstrip().endswith("?"))
    if asked:
        named = expected.ask is not None and all(name in reply for name in expected.ask)
        return "right" if named else "asked"
    if expected.kind == "nothing":
        return "right"
    if expected.answer is not None and understood.source != "none" and expected.answer in reply:
        return "right"
    return "not_understood"


@dataclass
class Reading:
    """One sentence read: the verdict, the time it took and what came of it."""

    case: Case
    verdict: Verdict
    milliseconds: float
    understood: Understanding
    local: bool
    """Understood by the local path (not handed to the model)."""


async def read_all(
    dobby: Dobby, cases: Sequence[Case], *, use_llm: bool = False, warm: bool = True
) -> list[Reading]:
    """Every case read as a dry run, the local path timed; with `use_llm`, what it does not
    understand is then handed to the model (if one is configured).

    With `warm`, every sentence is read once before the timed reading: the first reading
    fills what is built once (templates, slot lists, word lists), as in a running Dobby.
    """
    requester = Requester.local_admin()
    understander = dobby.understander
    llm, understander.llm = understander.llm, None
    try:
        for case in cases if warm else ():
            await dobby.understand(case.text, requester)
        if warm:
            freeze_startup_objects()  # as Dobby does once it has started
        timed = []
        for case in cases:
            started = time.perf_counter()
            understood = await dobby.understand(case.text, requester)
            timed.append((understood, (time.perf_counter() - started) * 1000))
    finally:
        understander.llm = llm
    readings = []
    for case, (here, milliseconds) in zip(cases, timed, strict=True):
        local = here.source != "none"
        understood = here
        if not local and use_llm and llm is not None:
            understood = await dobby.understand(case.text, requester)
        readings.append(Reading(case, judge(case, understood), milliseconds, understood, local))
    return readings


def speak(dobby: Dobby, corpus: Corpus) -> None:
    """Give the house the names of the corpus's household (`home:`), and read its language."""
    registry, home = dobby.registry, corpus.home
    for name, aliases in (home.get("areas") or {}).items():
        area = registry.find_area(name)
        if area is not None:
            area.aliases = (*area.aliases, *aliases)
    for name, aliases in (home.get("floors") or {}).items():
        floor = registry.find_floor(name)
        if floor is not None:
            floor.aliases = (*floor.aliases, *aliases)
    for entity_id, aliases in (home.get("entities") or {}).items():
        entity = registry.entities.get(entity_id)
        if entity is not None:
            entity.aliases = (*entity.aliases, *aliases)
    phrases = home.get("routines") or {}
    routines = [
        r.model_copy(update={"phrases": [*r.phrases, *phrases.get(r.name, [])]})
        for r in dobby.config.routines.routines
    ]
    old = dobby.understander
    dobby.understander = Understander(
        registry,
        routines,
        language=corpus.language,
        temperature_unit=dobby.config.home.temperature_unit,
        llm=old.llm,
        clock=old.clock,
        assistant=dobby.config.home.assistant.name,
    )


def rows(language: str, readings: Sequence[Reading]) -> list[dict[str, Any]]:
    """The report's rows for one language: one per category, then all of them."""
    by_category: dict[str, list[Reading]] = defaultdict(list)
    for reading in readings:
        by_category[reading.case.category].append(reading)
    table = [_row(language, category, group) for category, group in by_category.items()]
    return [*table, _row(language, "all", list(readings))]


def _row(language: str, category: str, readings: Sequence[Reading]) -> dict[str, Any]:
    counts = Counter(r.verdict for r in readings)
    times = [r.milliseconds for r in readings]
    return {
        "lang": language,
        "category": category,
        "sentences": len(readings),
        **{verdict: counts[verdict] for verdict in VERDICTS},
        "right_rate": round(counts["right"] / len(readings), 4) if readings else 0.0,
        "to_model": sum(1 for r in readings if not r.local),
        "p50_ms": round(statistics.median(times), 2) if times else 0.0,
        "p99_ms": round(percentile(times, 0.99), 2) if times else 0.0,
    }


def misses(readings: Iterable[Reading]) -> list[dict[str, Any]]:
    """Every sentence not understood right, with what came of it."""
    return [
        {
            "lang": "",
            "category": r.case.category,
            "sentence": r.case.text,
            "verdict": r.verdict,
            "expected": r.case.expected.kind,
            "actions": [a.describe() for a in r.understood.actions],
            "reply": r.understood.reply,
        }
        for r in readings
        if r.verdict != "right"
    ]


async def measure(
    dobby: Dobby,
    languages: Sequence[str],
    *,
    use_llm: bool = False,
    folder: Path = CORPUS,
    warm: bool = True,
) -> dict[str, Any]:
    """Read every corpus on a running Dobby; the benchmark's document. Dobby reads its own
    language again afterwards (the names a corpus gave the house stay)."""
    table: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    slowest: list[dict[str, Any]] = []
    own = dobby.understander
    try:
        for language in languages:
            corpus = load_corpus(language, folder)
            if language != own.intents.language or corpus.home:
                speak(dobby, corpus)
            readings = await read_all(dobby, corpus.cases, use_llm=use_llm, warm=warm)
            table.extend(rows(language, readings))
            failures.extend({**miss, "lang": language} for miss in misses(readings))
            slowest.extend(
                {"lang": language, "sentence": r.case.text, "ms": round(r.milliseconds, 2)}
                for r in sorted(readings, key=lambda r: -r.milliseconds)[:5]
            )
    finally:
        dobby.understander = own
    llm = own.llm
    return {
        "benchmark": "phrasing",
        "llm": use_llm,
        "model": llm.settings.model if use_llm and llm is not None else None,
        "targets": {"wrong": 0, "right_rate": {lang: TARGETS.get(lang) for lang in languages}},
        "results": table,
        "failures": failures,
        "slowest": slowest,
    }


async def run(argv: list[str], *, json_out: bool, model: Model | None = None) -> dict[str, Any]:
    """Run the benchmark on the demo house and report it.

    `model` stands in for the configured one (tests give a scripted pydantic-ai model).
    """
    parser = argparse.ArgumentParser(prog="python -m bench phrasing")
    parser.add_argument("--lang", nargs="+", choices=LANGUAGES, default=list(LANGUAGES))
    parser.add_argument(
        "--llm", action="store_true", help="hand what is not understood here to the model"
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="a folder of <lang>.yaml")
    args = parser.parse_args(argv)
    config = load_config(CONFIG)
    with tempfile.TemporaryDirectory() as state:
        async with running_demo(config, Path(state)) as demo:
            if model is not None:
                from agent.llm.agent import HouseAgent

                demo.dobby.understander.llm = HouseAgent(
                    demo.dobby.house, demo.dobby.config.routines.routines, model
                )
            if args.llm and demo.dobby.understander.llm is None:
                raise SystemExit("--llm needs a model: set DOBBY_MODEL (see README).")
            document = await measure(demo.dobby, args.lang, use_llm=args.llm, folder=args.corpus)
    report("phrasing", document, json_out=json_out)
    if not json_out:
        for slow in document["slowest"]:
            print(f"{slow['lang']} slowest: {slow['sentence']!r} {slow['ms']} ms")
        for miss in document["failures"]:
            print(
                f"{miss['lang']} {miss['verdict']:>14}: {miss['sentence']!r} -> {miss['reply']!r}"
            )
    return document
