"""The conformance runner: its JSON on a small suite of our own, and the shared suite's rates.

The rates are a correctness check of local understanding (how many of Home Assistant's own
test sentences Dobby reads right), not a timing, so they are asserted here.
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
from bench import conformance  # noqa: E402

SMALL_SUITE = Path(__file__).parent / "conformance_suite"
TARGETS = {"en": 0.97, "de": 0.90}


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    """`python -m bench conformance ARGV --json`, as the JSON objects it printed."""
    asyncio.run(conformance.run(argv, json_out=True))
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]


@pytest.fixture(autouse=True)
def results_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the runs of the tests out of bench/results."""
    monkeypatch.setattr(bench, "RESULTS", tmp_path)
    return tmp_path


def test_small_suite_json(capsys: pytest.CaptureFixture[str], results_dir: Path) -> None:
    english, german = run(["--suite", str(SMALL_SUITE)], capsys)
    assert english["benchmark"] == "conformance"
    assert (english["lang"], english["total"], english["passed"]) == ("en", 8, 6)
    assert english["rate"] == 0.75
    assert english["per_intent"] == {
        "HassGetState": {"total": 2, "passed": 1, "rate": 0.5},
        "HassTurnOn": {"total": 6, "passed": 5, "rate": 0.8333},
    }
    failures = {f["sentence"]: f for f in english["failures"]}
    assert set(failures) == {"open the main valve", "are any lights on upstairs"}
    valve = failures["open the main valve"]
    assert valve["reason"] == "Dobby has no valve domain (Main Valve is a valve)"
    assert (valve["file"], valve["got"]) == ("en/HassTurnOn/name_only.yaml", None)
    upstairs = failures["are any lights on upstairs"]
    assert upstairs["got"] == {
        "intent": "HassGetState",
        "slots": {"state": "on", "floor": "Upstairs", "domain": "light"},
    }
    assert (german["lang"], german["total"], german["passed"], german["failures"]) == (
        "de",
        2,
        2,
        [],
    )
    written = json.loads((results_dir / "conformance-en.json").read_text())
    assert written["passed"] == 6


def test_one_language_prints_one_object(capsys: pytest.CaptureFixture[str]) -> None:
    documents = run(["--suite", str(SMALL_SUITE), "--lang", "de"], capsys)
    assert [d["lang"] for d in documents] == ["de"]


def test_a_missing_suite_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no conformance suite"):
        asyncio.run(conformance.run(["--suite", str(tmp_path / "nowhere")], json_out=True))


@pytest.mark.skipif(not conformance.SUITE.is_dir(), reason="the shared suite is not here")
@pytest.mark.timeout(300)
@pytest.mark.parametrize("language", sorted(TARGETS))
def test_shared_suite_meets_the_targets(language: str) -> None:
    document = conformance.run_language(conformance.SUITE, language)
    assert document["rate"] >= TARGETS[language], document["failures"][:20]
    unexplained = [f for f in document["failures"] if not f["reason"].startswith("Dobby has no")]
    assert unexplained == []
