"""The engine's layering (ARCHITECTURE-index.md), checked: no import cycle in `index/` or `bot/`,
`index/` sub-packages import only their own layer and the ones below, and the public API in
`index/__init__.py` is complete, consistent and lazy (importing `index.errors` loads nothing
else). Size limits and "index never imports bot" are in test_slack_layout.py."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from conftest import modules_loaded_by

import index
from index.errors import VendorcheckError

REPO = Path(__file__).resolve().parent.parent

# index/'s layers, bottom first: a module may import modules of its own layer or a lower one.
# A module belongs to the longest prefix listed; `index` itself (the public API) is on top.
LAYERS = [
    ("index._lazy", "index.errors", "index.config", "index.articles"),
    ("index.text", "index.embed"),
    ("index.vendors",),
    ("index.ingest",),  # the read side: loaders (the builder reads the corpus with it), fetch
    ("index.store",),
    ("index.lists", "index.watch"),
    ("index.search",),
    # the write side of ingest (feeds, save fetched articles, then build) and the front door
    ("index.ingest.feeds", "index.ingest.webcorpus", "index.ingest.refresh", "index.engine"),
    ("index",),
]


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: str) -> dict[str, Path]:
    return {module_name(p): p for p in sorted((REPO / package).rglob("*.py"))}


def imports(path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of `known` that `path` imports, lazily (inside functions) or not."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            submodules = {f"{node.module}.{a.name}" for a in node.names} & known.keys()
            # `from pkg import submodule` imports the submodule; anything else, the module.
            if len(submodules) < len(node.names):
                found.add(node.module)
            found |= submodules
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found & known.keys()


def graph(package: str) -> dict[str, set[str]]:
    known = modules(package)
    return {name: imports(path, known) - {name} for name, path in known.items()}


def cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle (as a path that ends where it starts), or [] if there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str]:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:  # back on the current path: that is a cycle
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return []

    for start in sorted(edges):
        if start not in state and (found := visit(start, [start])):
            return found
    return []


@pytest.mark.parametrize("package", ["index", "bot"])
def test_no_import_cycle(package):
    assert cycle(graph(package)) == []


def test_the_cycle_finder_finds_cycles():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) == []


def layer_of(module: str) -> int:
    best, layer = "", -1
    for number, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            matches = module == prefix or (prefix != "index" and module.startswith(prefix + "."))
            if matches and len(prefix) > len(best):
                best, layer = prefix, number
    return layer


def test_every_engine_module_has_a_layer():
    assert [m for m in modules("index") if layer_of(m) < 0] == []


def test_engine_imports_only_go_down_the_layers():
    wrong = [
        f"{module} (layer {layer_of(module)}) imports {target} (layer {layer_of(target)})"
        for module, targets in graph("index").items()
        for target in sorted(targets)
        if layer_of(target) > layer_of(module)
    ]
    assert wrong == []


# ------------------------------------------------------------------------------ the public API


def declared_api(path: Path) -> tuple[list[str], dict[str, set[str]], dict[str, set[str]]]:
    """`__all__`, the lazy table (module -> names) and the TYPE_CHECKING imports of an
    `__init__.py` written the way index/__init__.py is."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    table: dict[str, set[str]] = {}
    typed: dict[str, set[str]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.module
                typed.setdefault(imp.module, set()).update(a.name for a in imp.names)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.List):
            names = ast.literal_eval(node.value)
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            table = {m: set(n) for m, n in ast.literal_eval(node.value.args[1]).items()}
    return names, table, typed


@pytest.mark.parametrize("package", ["index", "index.lists"])
def test_all_the_lazy_table_and_the_type_checking_imports_agree(package):
    path = REPO / package.replace(".", "/") / "__init__.py"
    names, table, typed = declared_api(path)
    assert table == typed
    assert sorted(names) == sorted(n for group in table.values() for n in group)
    module = importlib.import_module(package)
    for name in names:
        assert getattr(module, name) is getattr(importlib.import_module(where(table, name)), name)


def where(table: dict[str, set[str]], name: str) -> str:
    return next(module for module, names in table.items() if name in names)


def test_unknown_names_are_attribute_errors():
    with pytest.raises(AttributeError, match="no attribute 'Nonexistent'"):
        index.Nonexistent  # noqa: B018
    assert "Retriever" in dir(index)


def test_every_engine_error_is_in_the_public_api():
    for info in pkgutil.walk_packages(index.__path__, "index."):
        importlib.import_module(info.name)

    def subclasses(cls: type) -> list[type]:
        return [c for sub in cls.__subclasses__() for c in (sub, *subclasses(sub))]

    engine_errors = {
        c.__name__ for c in subclasses(VendorcheckError) if c.__module__.startswith("index.")
    }
    assert engine_errors - set(index.__all__) == set()


LOADED = """
import json, sys
{code}
print(json.dumps(sorted(sys.modules)))
"""


def loaded_by(code: str) -> list[str]:
    """The modules a fresh interpreter has loaded after running `code`."""
    return modules_loaded_by(LOADED.format(code=code))


def engine(modules: list[str]) -> list[str]:
    return [m for m in modules if m == "index" or m.startswith("index.")]


HEAVY = ("numpy", "faiss", "bm25s", "onnxruntime", "torch", "httpx", "lxml", "yaml", "rapidfuzz")


def heavy(modules: list[str]) -> list[str]:
    return sorted({m.split(".")[0] for m in modules} & set(HEAVY))


def test_importing_the_errors_loads_no_other_engine_module():
    assert engine(loaded_by("import index.errors")) == ["index", "index._lazy", "index.errors"]


def test_a_public_name_loads_only_its_own_modules():
    loaded = loaded_by("from index import EngineConfig, VendorcheckError, Answer")
    assert heavy(loaded) == []
    assert "index.search.retriever" not in loaded


def test_answering_needs_no_http_client_for_the_list_status():
    # index.lists' API includes sync_lists (httpx); the list status above an answer does not.
    loaded = loaded_by("import index.lists.answers")
    assert "httpx" not in heavy(loaded) and "index.lists.sync" not in loaded
