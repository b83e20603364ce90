"""The bot's layering (ARCHITECTURE-bot.md), checked: `vendorcheck ask` loads no Slack or HTTP
library, every extra CLI command module registers (an import error is an error, never a
missing command), and imports only go down the layers cli -> slack -> runtime -> index."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import modules_loaded_by

REPO = Path(__file__).resolve().parent.parent
SERVING = ("slack_bolt", "slack_sdk", "starlette", "uvicorn", "bot.slack", "bot.runtime")

PROBE = """
import importlib, json, sys
main = importlib.import_module("bot.cli.main")
try:
    main.main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)))
"""


def loaded_after(*argv: str) -> list[str]:
    """The modules a fresh interpreter has loaded after `vendorcheck ARGV` parsed its arguments."""
    return modules_loaded_by(PROBE, *argv)


def serving(modules: list[str]) -> list[str]:
    return [m for m in modules if m.split(".")[0] in SERVING or m.startswith(SERVING)]


@pytest.mark.parametrize("command", ["ask", "index", "add", "stats"])
def test_core_commands_load_no_slack_or_http_library(command):
    assert serving(loaded_after(command, "--help")) == []


def test_the_probe_sees_the_serving_modules_when_a_command_needs_them():
    assert "slack_bolt" in serving(loaded_after("serve", "--help"))


def test_every_extra_command_module_registers_its_commands():
    from bot.cli.main import EXTRA_COMMAND_MODULES, build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    for name in ("serve", "feedback", "eval", "sync", "feeds", "watch", "unwatch", "watching"):
        assert name in sub.choices, name
    assert len(EXTRA_COMMAND_MODULES) == len(set(EXTRA_COMMAND_MODULES))


# package -> the bot packages it must never import (lazily or not)
FORBIDDEN = {
    "bot/runtime": ("bot.slack", "bot.cli"),
    "bot/slack": ("bot.cli",),
    "index": ("bot",),
}


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_only_go_down_the_layers(package):
    wrong = [
        f"{path.relative_to(REPO)} imports {name}"
        for path in sorted((REPO / package).rglob("*.py"))
        for name in imported(path)
        if any(name == top or name.startswith(top + ".") for top in FORBIDDEN[package])
    ]
    assert wrong == []


@pytest.mark.parametrize("package", ["bot", "index"])
def test_modules_and_functions_stay_small(package):
    """ARCHITECTURE-bot.md, ARCHITECTURE-index.md: no module over 350 lines, no function over 60."""
    too_long = []
    for path in sorted((REPO / package).rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if len(source.splitlines()) > 350:
            too_long.append(f"{path.relative_to(REPO)}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if length > 60:
                    too_long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}: {length}")
    assert too_long == []
