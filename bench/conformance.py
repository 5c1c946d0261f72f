"""`python -m bench conformance [--lang en|de] [--suite DIR] [--json]`: Home Assistant's
own intent test sentences, read by Dobby's local understanding.

For every test file of the suite (default `../shared/conformance/ha-intents` beside the repo)
a home is built from its fixtures (floors, areas, entities with their domains, device classes
and states, plus `<lang>/_fixtures.yaml` where the language has one), every sentence is read
by `IntentReader` without executing anything, and the intent and slots are compared with the
file's. Home Assistant domains map onto Dobby's the way Dobby models them: a fan is a switch
whose device class is `fan`, a scene or a script is a routine; entities of other domains
(valve, person, ...) are left out, and the sentences about them fail with that reason.

A sentence passes when the intent is the file's and every slot the file names has the
file's value; beyond those, only a `domain` slot is allowed (the files leave it out where the
question implies it: "which lights are on" is about lights).

Output: a table per language (pass rate per intent) and the failures with their reasons.
With `--json`, one JSON object per language, one per line (English first):
`{"benchmark": "conformance", "lang", "total", "passed", "rate", "per_intent": {intent:
{"total", "passed", "rate"}}, "failures": [{"file", "sentence", "intent", "expected",
"got", "reason"}], "results": [...]}`. Each is written to `bench/results/conformance-<lang>.json`.
"""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from agent.intents import IntentReader, IntentResult
from bench import report
from devices.capabilities import STATE_MODELS, Domain, State
from devices.entities import DeviceInfo, EntitySpec, slugify
from devices.registry import EntityOverride, Registry
from skills.routines import Routine, Step

SUITE = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "ha-intents"
"""The shared suite, beside the repository."""

LANGUAGES = ("en", "de")
ROUTINE_DOMAINS = frozenset({"scene", "script"})
MAPPED_DOMAINS: dict[str, tuple[Domain, str | None]] = {
    "fan": (Domain.SWITCH, "fan"),
    "alarm_control_panel": (Domain.ALARM_PANEL, None),
}
"""Home Assistant domains Dobby models as one of its own (with this device class)."""

_DEFAULT_STATES = {
    Domain.LIGHT: "off",
    Domain.SWITCH: "off",
    Domain.COVER: "closed",
    Domain.LOCK: "locked",
    Domain.MEDIA_PLAYER: "playing",
    Domain.CLIMATE: "heat",
    Domain.ALARM_PANEL: "disarmed",
    Domain.SENSOR: "0",
    Domain.BINARY_SENSOR: "off",
    Domain.NUMBER: "0",
}


@dataclass
class Home:
    """A home built from a test file's fixtures, and what Dobby could not take in."""

    registry: Registry
    routines: list[Routine]
    left_out: dict[str, str] = field(default_factory=dict)
    """Entity name → the Home Assistant domain Dobby has no counterpart for."""


def load_yaml(path: Path) -> dict[str, Any]:
    """One YAML file as a mapping."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}


def build_home(spec: dict[str, Any], fixtures: dict[str, Any]) -> Home:
    """The registry and routines a test file's fixtures (and the language's) describe."""
    registry = Registry()
    floor_ids: dict[str, str] = {}
    for floor in [*fixtures.get("floors", []), *spec.get("floors", [])]:
        level = registry.add_floor(str(floor["name"]), aliases=floor.get("aliases", []))
        floor_ids[str(floor.get("id", floor["name"]))] = level.name
    area_ids: dict[str, str] = {}
    for area in [*fixtures.get("areas", []), *spec.get("areas", [])]:
        floor = area.get("floor")
        floor_name = floor_ids.get(str(floor), str(floor)) if floor else None
        if floor_name and registry.find_floor(floor_name) is None:
            registry.add_floor(floor_name)
        room = registry.add_area(
            str(area["name"]), floor=floor_name, aliases=area.get("aliases", [])
        )
        area_ids[str(area.get("id", area["name"]))] = room.name
    home = Home(registry, [])
    for number, entity in enumerate([*fixtures.get("entities", []), *spec.get("entities", [])]):
        _add_entity(home, number, entity, area_ids)
    return home


def _add_entity(home: Home, number: int, entity: dict[str, Any], areas: dict[str, str]) -> None:
    name = str(entity["name"])
    ha_domain = str(entity.get("domain") or str(entity.get("id", "")).split(".", 1)[0])
    if ha_domain in ROUTINE_DOMAINS:
        # A stand-in step: the runner never executes, it only needs the routine's name.
        home.routines.append(Routine(name=name, steps=[Step(command="light.turn_on")]))
        return
    attributes = dict(entity.get("attributes") or {})
    device_class = attributes.pop("device_class", None)
    if ha_domain in MAPPED_DOMAINS:
        domain, device_class = MAPPED_DOMAINS[ha_domain]
    else:
        try:
            domain = Domain(ha_domain)
        except ValueError:
            home.left_out[name] = ha_domain
            return
    area = entity.get("area")
    uid = f"{number}-{entity.get('id', name)}"
    if entity.get("aliases"):
        home.registry.overrides[f"{domain.value}.{slugify(name)}"] = EntityOverride(
            aliases=tuple(entity["aliases"])
        )
    home.registry.upsert_device(
        "conformance",
        DeviceInfo(unique_id=uid, name=name, suggested_area=areas.get(str(area), area)),
        [
            EntitySpec(
                unique_id=uid,
                domain=domain,
                name=name,
                device_class=str(device_class) if device_class else None,
                state=_state(domain, entity.get("state"), attributes),
            )
        ],
    )


def _state(domain: Domain, raw: Any, attributes: dict[str, Any]) -> State | None:
    if isinstance(raw, dict):
        raw = raw.get("out")
    model = STATE_MODELS[domain]
    known = {k: v for k, v in attributes.items() if k in model.model_fields}
    value = str(raw) if raw is not None else _DEFAULT_STATES[domain]
    try:
        return model.model_validate({"state": value, **known})
    except ValidationError:
        return None


def matches(result: IntentResult | None, intent: str, expected: dict[str, Any]) -> bool:
    """The file's intent and slots; an extra `domain` slot is allowed."""
    if result is None or result.intent != intent:
        return False
    for slot, value in expected.items():
        if slot not in result.slots or not _same(result.slots[slot], value):
            return False
    return all(slot in expected or slot == "domain" for slot in result.slots)


def _same(got: Any, wanted: Any) -> bool:
    if isinstance(wanted, list):
        return any(_same(got, w) for w in wanted)
    if isinstance(got, int | float) and isinstance(wanted, int | float):
        return float(got) == float(wanted)
    return bool(got == wanted)


def _reason(result: IntentResult | None, expected: dict[str, Any], home: Home) -> str:
    name = expected.get("name")
    names = name if isinstance(name, list) else [name]
    for each in names:
        if each in home.left_out:
            return f"Dobby has no {home.left_out[each]} domain ({each} is a {home.left_out[each]})"
    domain = expected.get("domain")
    if domain is not None and domain not in {d.value for d in Domain} | set(MAPPED_DOMAINS):
        return f"Dobby has no {domain} domain"
    if result is None:
        return "no template matched with this home's names"
    return f"read as {result.intent} {result.slots}"


def run_language(suite: Path, language: str) -> dict[str, Any]:
    """Read every sentence of one language's files; the JSON document for that language."""
    folder = suite / language
    fixtures_path = folder / "_fixtures.yaml"
    fixtures = load_yaml(fixtures_path) if fixtures_path.is_file() else {}
    totals: Counter[str] = Counter()
    passed: Counter[str] = Counter()
    failures: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*/*.yaml")):
        intent, spec = path.parent.name, load_yaml(path)
        home = build_home(spec, fixtures)
        reader = IntentReader(
            home.registry, str(spec.get("language", language)), routines=home.routines
        )
        for test in spec.get("tests", []):
            expected = dict(test.get("slots") or {})
            for sentence in test.get("sentences", []):
                totals[intent] += 1
                result = reader.read(str(sentence))
                if matches(result, intent, expected):
                    passed[intent] += 1
                    continue
                failures.append(
                    {
                        "file": f"{language}/{intent}/{path.name}",
                        "sentence": sentence,
                        "intent": intent,
                        "expected": expected,
                        "got": None
                        if result is None
                        else {"intent": result.intent, "slots": result.slots},
                        "reason": _reason(result, expected, home),
                    }
                )
    per_intent = {
        intent: {
            "total": totals[intent],
            "passed": passed[intent],
            "rate": round(passed[intent] / totals[intent], 4),
        }
        for intent in sorted(totals)
    }
    total, ok = sum(totals.values()), sum(passed.values())
    return {
        "benchmark": "conformance",
        "lang": language,
        "total": total,
        "passed": ok,
        "rate": round(ok / total, 4) if total else 0.0,
        "per_intent": per_intent,
        "failures": failures,
        "results": [{"intent": k, **v} for k, v in per_intent.items()]
        + [
            {
                "intent": "all",
                "total": total,
                "passed": ok,
                "rate": round(ok / total, 4) if total else 0.0,
            }
        ],
    }


def print_failures(document: dict[str, Any]) -> None:
    """The failures, grouped by reason."""
    by_reason: dict[str, list[str]] = defaultdict(list)
    for failure in document["failures"]:
        by_reason[failure["reason"]].append(f"{failure['file']}: {failure['sentence']!r}")
    for reason, sentences in sorted(by_reason.items(), key=lambda item: -len(item[1])):
        print(f"{len(sentences):4d}  {reason}")
        for sentence in sentences:
            print(f"        {sentence}")


async def run(argv: list[str], *, json_out: bool) -> dict[str, Any]:
    """Run the conformance suite for one language or all of them, and report it."""
    parser = argparse.ArgumentParser(prog="python -m bench conformance")
    parser.add_argument("--lang", choices=LANGUAGES)
    parser.add_argument("--suite", type=Path, default=SUITE)
    args = parser.parse_args(argv)
    if not args.suite.is_dir():
        raise SystemExit(f"There is no conformance suite at {args.suite}.")
    languages = (
        [args.lang] if args.lang else [lang for lang in LANGUAGES if (args.suite / lang).is_dir()]
    )
    documents = []
    for language in languages:
        document = run_language(args.suite, language)
        report(f"conformance-{language}", document, json_out=json_out)
        if not json_out:
            print(
                f"{language}: {document['passed']} of {document['total']} ({document['rate']:.1%})"
            )
            print_failures(document)
        documents.append(document)
    return {"benchmark": "conformance", "languages": documents}
