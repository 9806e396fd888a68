"""Built-in family dissectors, shipped as nlscope.dissectors.

Every module here with a `register(registry)` function is a family; this package's
`register` calls them all, in name order. Third-party dissectors use the same API
through the `nlscope.dissectors` entry point group or `--dissector FILE`.
"""
from __future__ import annotations

import importlib
import pkgutil


def register(registry) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(mod, "register"):
            mod.register(registry)
