"""A module loaded when it is first used, not when it is imported.

An adapter whose client library is only needed once a device is really talked to (not
when it is merely found) names the module that holds that part of it at its top,
`session = lazy_module("devices.adapters.<vendor>.session")`, and the library loads at the
first attribute read: one place per library, no imports scattered through functions. The
type checker sees an ordinary import (`if TYPE_CHECKING:`).
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """The module `name`, run at its first attribute access (importlib's LazyLoader)."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
