"""Lazy public names for a package (PEP 562): each is imported from its module on first use.

A package `__init__` lists its public names by module and hands them to `lazy_exports`, so
`from index import Retriever` imports the retriever's modules and nothing else, and
`import index.errors` (which runs `index/__init__.py` first) imports no other module at all.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable


def lazy_exports(
    package: str, exports: dict[str, tuple[str, ...]]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """`(__getattr__, __dir__)` for `package`, whose public names are `exports` (module -> the
    names it provides; the package's `__all__` lists the same names, a test checks)."""
    where = {name: module for module, names in exports.items() for name in names}

    def __getattr__(name: str) -> object:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        setattr(sys.modules[package], name, value)  # found once: later lookups skip this
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
