"""`bench mcp` runs on the demo house and prints its JSON; no timing is asserted."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # bench is a tool beside the packages, not an installed one

import bench  # noqa: E402
from bench import mcp as bench_mcp  # noqa: E402


async def test_mcp_bench_prints_its_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(bench, "RESULTS", tmp_path)
    await bench_mcp.run(["--repeats", "3"], json_out=True)
    [line] = [line for line in capsys.readouterr().out.splitlines() if line.strip()]
    [result] = json.loads(line)["results"]
    assert result["samples"] == 3
    assert result["p99_ms"] >= result["p50_ms"] > 0
    assert (tmp_path / "mcp.json").exists()
