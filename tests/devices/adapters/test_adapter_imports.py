"""Reading the adapters' manifests loads no client library, and the code has no import cycle.

`dobby run` reads every installed manifest at start; an adapter and its library are
imported when its first device is found or configured (issue 14: manifests as data).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("agent", "devices", "skills")
CLIENT_LIBRARIES = (
    "soco",
    "aiohue",
    "aiohomekit",
    "aiolifx",
    "aiopvapi",
    "screenlogicpy",
    "pyenvisalink",
    "aiomqtt",
)

PROBE = f"""
import json, sys
from devices.plugin import load_adapters
loaded = load_adapters()
described = [m.describe() for m in loaded.manifests.values()]
print(json.dumps({{
    "adapters": sorted(loaded.manifests),
    "problems": [p.reason for p in loaded.problems],
    "imported": [m for m in {CLIENT_LIBRARIES!r} if m in sys.modules],
    "adapter_modules": sorted(m for m in sys.modules if m.endswith(".adapter")),
}}))
"""


def test_reading_every_manifest_imports_no_client_library() -> None:
    """A fresh interpreter reads every manifest (config schemas included) and imports
    none of the client libraries, nor any adapter module."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    seen = json.loads(done.stdout)
    assert {
        "sonos",
        "hue",
        "homekit",
        "lifx",
        "powerview",
        "screenlogic",
        "envisalink",
        "mqtt",
    } <= set(seen["adapters"])
    assert seen["problems"] == []
    assert seen["imported"] == []
    assert seen["adapter_modules"] == []


def test_homekit_service_type_is_aiohomekits() -> None:
    """The manifest's mDNS type, written out to keep aiohomekit unloaded, is the library's."""
    from aiohomekit.zeroconf import HAP_TYPE_TCP

    from devices.adapters.homekit import MANIFEST

    assert MANIFEST.mdns_types == (HAP_TYPE_TCP,)


def test_every_manifest_names_its_own_adapter_class() -> None:
    """`Manifest.adapter` imports the class whose `manifest` is that same manifest."""
    from devices.plugin import load_adapters

    for manifest in load_adapters().manifests.values():
        assert manifest.load_adapter().manifest is manifest


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """The project modules `path` imports when it is imported: every import statement except
    those under `if TYPE_CHECKING:` (an import inside a function counts too: it is how a
    cycle hides)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for inner in node.body for n in ast.walk(inner)}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package.split(".")[: len(package.split(".")) - node.level + 1]])
                base = f"{base}.{node.module}" if node.module else base
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            target = name
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → the project modules it imports, for agent, devices and skills."""
    files = {
        _module_name(path): path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    known = set(files)
    return {module: _imports(path, module, known) for module, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def _is_package_parent(parent: str, child: str) -> bool:
    return child.startswith(f"{parent}.")


def test_the_import_graph_has_no_cycle() -> None:
    """No module of agent, devices or skills imports, however indirectly, a module that
    imports it back (a package importing its own submodules is no cycle: Python runs the
    package first)."""
    graph = {
        module: {m for m in imported if not _is_package_parent(m, module)}
        for module, imported in import_graph().items()
    }
    assert cycles(graph) == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ],
)
def test_cycles_finds_what_it_should(graph: dict[str, set[str]], expected: list[list[str]]) -> None:
    assert cycles(graph) == expected


def test_the_graph_sees_imports_inside_functions(tmp_path: Path) -> None:
    """An import deferred into a function is an edge: deferring does not remove a cycle."""
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from agent import cli\n", encoding="utf-8")
    assert _imports(path, "x.m", {"agent", "agent.cli"}) == {"agent", "agent.cli"}
