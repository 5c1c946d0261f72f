"""`python -m bench understand`: local understanding latency per utterance, by house size.

A generated house of 50, 500, 2,000 and 5,000 entities (lights, switches, speakers, shades,
thermostats, locks and window sensors over the sixteen areas of a large house on two
floors, plus a few fixed devices the sentences name) is read by the same `Understander`
the app uses: routine phrases, then Home Assistant's sentence templates with the home's
names as slot lists. A fixed set of varied sentences (commands, questions, a misspelt
name, the household's own wording: the assistant's name and politeness, slips of the finger;
one sentence no template knows) is read once to warm up (the
slot lists are built once per house), then `--repeats` times; the report gives p50 and p99
per utterance in milliseconds. Target: p99 <= 10 ms at 2,000 entities.

Beside the wall-clock times, the report gives the CPU time the process spent on each reading
(`cpu_p50_ms`, `cpu_p99_ms`): on a machine shared with other work, a wall-clock p99 is
mostly the moments another process held the core, which the CPU time leaves out.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from agent.app import freeze_startup_objects
from agent.understanding import Understander
from bench import report
from devices.capabilities import (
    BinarySensorState,
    ClimateState,
    CoverState,
    Domain,
    LightState,
    LockState,
    MediaPlayerFeature,
    MediaPlayerState,
    State,
    SwitchState,
)
from devices.capabilities.climate import ClimateFeature
from devices.capabilities.cover import CoverFeature
from devices.capabilities.light import LightFeature
from devices.entities import DeviceInfo, EntitySpec
from devices.registry import Registry
from skills.routines import Routine, Step, Target

SENTENCES = (
    "turn off the kitchen lights",
    "turn on the desk lamp",
    "set the desk lamp to 40%",
    "close the bedroom blinds",
    "set the hallway thermostat to 21 degrees",
    "what's the temperature in the hallway",
    "is the front door locked",
    "which lights are on",
    "are any windows open",
    "pause the living room speaker",
    "set the living room speaker volume to 30",
    "turn off all the lights upstairs",
    "turn off the desk lamb",
    "sleepy time",
    "Dobby, it's sleepy time",
    "could you turn off the kitchen lights please, thanks Dobby",
    "trun off the kitchn lights",
    "it's too bright in the living room",
)
"""Commands over every domain, questions, a misspelt name, a routine, the household's own
wording, and a sentence for the LLM (no template knows it: every path runs and finds
nothing)."""

AREAS = (
    *("Kitchen", "Living Room", "Dining Room", "Hallway", "Office", "Garage", "Laundry"),
    *("Porch", "Garden", "Bedroom", "Bathroom", "Guest Room", "Kids Room", "Study", "Attic"),
    "Landing",
)
"""The areas of every generated house: a house's rooms do not grow with its devices."""
UPSTAIRS = frozenset(AREAS[9:])
_KINDS: tuple[tuple[Domain, str, frozenset[str], str | None, State], ...] = (
    (Domain.LIGHT, "Lamp", frozenset({LightFeature.BRIGHTNESS}), None, LightState(state="on")),
    (Domain.LIGHT, "Spot", frozenset({LightFeature.BRIGHTNESS}), None, LightState(state="off")),
    (Domain.SWITCH, "Plug", frozenset(), None, SwitchState(state="off")),
    (
        Domain.MEDIA_PLAYER,
        "Speaker",
        frozenset(f.value for f in MediaPlayerFeature),
        None,
        MediaPlayerState(state="playing", volume=20),
    ),
    (
        Domain.COVER,
        "Blind",
        frozenset({CoverFeature.OPEN, CoverFeature.CLOSE, CoverFeature.SET_POSITION}),
        "blind",
        CoverState(state="open", position=100),
    ),
    (
        Domain.CLIMATE,
        "Thermostat",
        frozenset({ClimateFeature.TARGET_TEMPERATURE, ClimateFeature.HVAC_MODE}),
        None,
        ClimateState(state="heat", temperature=20, current_temperature=19.5),
    ),
    (Domain.LOCK, "Lock", frozenset(), None, LockState(state="locked")),
    (Domain.BINARY_SENSOR, "Window", frozenset(), "window", BinarySensorState(state="off")),
)
_FIXED: tuple[tuple[str, int], ...] = (
    ("Desk Lamp", 0),
    ("Living Room Speaker", 3),
    ("Bedroom Blinds", 4),
    ("Hallway Thermostat", 5),
    ("Front Door", 6),
)
"""Devices every generated house has, by name and index into `_KINDS`."""
_FIXED_AREAS = {
    "Desk Lamp": "Study",
    "Living Room Speaker": "Living Room",
    "Bedroom Blinds": "Bedroom",
    "Hallway Thermostat": "Hallway",
    "Front Door": "Hallway",
}


def generated_house(count: int, registry: Registry | None = None) -> Registry:
    """A house of `count` entities over two floors, named the way people name devices
    (added to `registry` if given)."""
    registry = registry if registry is not None else Registry()
    registry.add_floor("Ground Floor", aliases=["downstairs"])
    registry.add_floor("Upstairs")
    for area in AREAS:
        registry.add_area(area, floor="Upstairs" if area in UPSTAIRS else "Ground Floor")
    for name, kind in _FIXED:
        _add(registry, name, _FIXED_AREAS[name], kind, f"fixed-{kind}")
    for n in range(max(0, count - len(_FIXED))):
        kind = n % len(_KINDS)
        area = AREAS[(n // len(_KINDS)) % len(AREAS)]
        number = n // (len(AREAS) * len(_KINDS)) + 1
        _add(registry, f"{area} {_KINDS[kind][1]} {number}", area, kind, f"g{n}")
    return registry


def _add(registry: Registry, name: str, area: str, kind: int, uid: str) -> None:
    domain, _, features, device_class, state = _KINDS[kind]
    spec = EntitySpec(uid, domain, name, features, device_class, state.model_copy())
    registry.upsert_device("generated", DeviceInfo(uid, name, suggested_area=area), [spec])


def routines() -> list[Routine]:
    """One routine, so that phrases are matched first as in the app."""
    step = Step(command="light.turn_off", target=Target())
    return [Routine(name="sleepy time", phrases=["good night"], steps=[step])]


def percentile(times: list[float], fraction: float) -> float:
    """The `fraction` percentile of `times` (nearest rank)."""
    ordered = sorted(times)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


async def measure(count: int, repeats: int) -> dict[str, Any]:
    """Latency of `Understander.local` per sentence in a house of `count` entities."""
    understander = Understander(generated_house(count), routines())
    for text in SENTENCES:  # warm-up: slot lists, template caches
        await understander.local(text)
    freeze_startup_objects()  # as Dobby does once it has started
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(repeats):
        for text in SENTENCES:
            started, spent = time.perf_counter(), time.process_time()
            await understander.local(text)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - spent) * 1000)
    return {
        "entities": count,
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(percentile(times, 0.99), 2),
        "cpu_p50_ms": round(statistics.median(cpu), 2),
        "cpu_p99_ms": round(percentile(cpu, 0.99), 2),
    }


async def run(argv: list[str], *, json_out: bool) -> dict[str, Any]:
    """Run the benchmark and report it."""
    parser = argparse.ArgumentParser(prog="python -m bench understand")
    parser.add_argument("--entities", type=int, nargs="+", default=[50, 500, 2000, 5000])
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args(argv)
    results = [await measure(count, args.repeats) for count in args.entities]
    document = {"benchmark": "understand", "sentences": len(SENTENCES), "results": results}
    report("understand", document, json_out=json_out)
    return document
