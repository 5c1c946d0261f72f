"""The demo house as data, for the tests of local understanding that need no devices."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from devices.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # bench is a tool beside the packages, not an installed one

from bench.conformance import build_home, load_yaml  # noqa: E402

HOUSE = Path(__file__).parent / "fixtures" / "intents_demo_house.yaml"


@pytest.fixture(scope="module")
def intents_house() -> Registry:
    """The demo house of DEMO_HOUSE.md (with German aliases), built as the conformance
    benchmark builds its homes; shared by a module, so tests only read it."""
    return build_home(load_yaml(HOUSE), {}).registry
