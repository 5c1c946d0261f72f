"""`bench understand` and `bench context` run on tiny houses and print their JSON.

No timing is asserted: the figures are the benchmarks' to report. What is checked is the
shape of the JSON, that every benchmark sentence is understood as the benchmark means it,
and that the turn's prompt lists a bounded number of entities while the every-entity prompt
lists them all.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # bench is a tool beside the packages, not an installed one

import bench  # noqa: E402
from bench import context, understand  # noqa: E402


@pytest.fixture(autouse=True)
def results_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the runs of the tests out of bench/results."""
    monkeypatch.setattr(bench, "RESULTS", tmp_path)
    return tmp_path


def printed(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    document: dict[str, Any] = json.loads(line)
    return document


def test_understand_json(capsys: pytest.CaptureFixture[str], results_dir: Path) -> None:
    asyncio.run(understand.run(["--entities", "20", "40", "--repeats", "1"], json_out=True))
    document = printed(capsys)
    assert document["benchmark"] == "understand"
    assert [r["entities"] for r in document["results"]] == [20, 40]
    for row in document["results"]:
        assert set(row) == {"entities", "p50_ms", "p99_ms", "cpu_p50_ms", "cpu_p99_ms"}
        assert 0 < row["p50_ms"] <= row["p99_ms"]
        assert 0 < row["cpu_p50_ms"] <= row["cpu_p99_ms"]
    assert json.loads((results_dir / "understand.json").read_text()) == document


def test_generated_house_and_its_sentences() -> None:
    registry = understand.generated_house(200)
    assert len(registry.entities) == 200
    assert len({e.name for e in registry.entities.values()}) == 200
    reader = asyncio.run(_read_all(registry))
    # Every sentence but the last is understood locally; the last is for the LLM.
    assert [text for text, source in reader if source is None] == [understand.SENTENCES[-1]]
    assert dict(reader)["sleepy time"] == "routine"


async def _read_all(registry: Any) -> list[tuple[str, str | None]]:
    from agent.understanding import Understander

    reader = Understander(registry, understand.routines())
    found = [(text, await reader.local(text)) for text in understand.SENTENCES]
    return [(text, u.source if u is not None else None) for text, u in found]


def test_context_json(capsys: pytest.CaptureFixture[str]) -> None:
    asyncio.run(context.run(["--entities", "10", "60"], json_out=True))
    document = printed(capsys)
    assert document["benchmark"] == "context"
    assert document["tokenizer"].startswith("estimate")
    small, large = document["results"]
    assert (small["entities"], large["entities"]) == (10, 60)
    for row in (small, large):
        assert set(row) == {
            "entities",
            "tokens",
            "all_entities_tokens",
            "ratio",
            "tool_tokens",
            "tools",
        }
        assert row["ratio"] == round(row["all_entities_tokens"] / row["tokens"], 2)
        assert row["tokens"] > row["tool_tokens"]  # the whole request, tools included
    assert large["all_entities_tokens"] > small["all_entities_tokens"]


def test_every_entity_prompt_lists_the_whole_house() -> None:
    registry = understand.generated_house(60)
    instructions, tools = asyncio.run(context.captured_turn(registry, context.MESSAGE))
    everything = context.every_entity(registry, instructions)
    ours = [line for line in instructions.splitlines() if line.startswith("- ") and "." in line]
    listed = [line for line in everything.splitlines() if line.startswith("- ") and "." in line]
    assert 0 < len(ours) <= 12
    assert len(listed) == 60
    assert "light.desk_lamp" in instructions
    assert any('"name": "control_light"' in tool for tool in tools)
