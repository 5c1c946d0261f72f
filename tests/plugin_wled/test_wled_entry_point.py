"""The fixture is registered as devices/README.md's "Publishing" says: its entry point names
the manifest, and the manifest names the adapter class (imported only when needed)."""

from __future__ import annotations

import importlib
import tomllib
from pathlib import Path

from dobby_wled import WledAdapter

from devices.plugin import Manifest


def test_the_entry_point_names_the_manifest_which_names_the_adapter() -> None:
    project = tomllib.loads((Path(__file__).parent / "pyproject.toml").read_text("utf-8"))
    target = project["project"]["entry-points"]["dobby.adapters"]["wled"]
    module, _, attribute = target.partition(":")
    manifest = getattr(importlib.import_module(module), attribute)
    assert isinstance(manifest, Manifest)
    assert manifest.name == "wled"
    assert manifest.load_adapter() is WledAdapter
    assert WledAdapter.manifest is manifest
