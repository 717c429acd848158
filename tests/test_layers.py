"""The layers are one-way: corpus ← index ← assistant (config ← answer ← analytics ← build ← evaluate ← the CLI)
← ui. Every import in the product's code is read (module level and inside functions): none runs upward,
and no two modules import each other, directly or round a circle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("corpus", "index", "assistant", "ui")
# Lower layers first; a module may import its own layer and those before it.
LAYERS = [
    ("corpus",),
    ("index",),
    ("assistant.settings", "assistant.config", "assistant.errors"),
    ("assistant.answer",),
    ("assistant.analytics",),
    ("assistant.build",),
    ("assistant.evaluate",),
    ("assistant",),  # the package itself, reports, doctor
    ("ui",),
    ("assistant.cli", "assistant.__main__"),  # the entry point above them all: it starts the web app too
]


def layer(module: str) -> int:
    """The layer of a module: the longest prefix listed."""
    best, rank = -1, None
    for n, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), n
    assert rank is not None, module
    return rank


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(path: Path, name: str, known: set[str]) -> tuple[set[str], set[str]]:
    """(every product module the file imports, those imported at module level: what a circle is made of)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    everywhere, top = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target.split(".")[0] in PACKAGES:
                everywhere.add(target)
                if node in tree.body or _guarded_top(tree, node):
                    top.add(target)
    return everywhere, top


def _guarded_top(tree: ast.Module, node: ast.AST) -> bool:
    """An import inside a module-level `if TYPE_CHECKING:` is never run: not part of a circle."""
    for statement in tree.body:
        if isinstance(statement, (ast.If, ast.Try)) and node in list(ast.walk(statement)):
            test = getattr(statement, "test", None)
            return not (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
    return False


def graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    found = modules()
    known = set(found)
    every, top = {}, {}
    for name, path in found.items():
        every[name], top[name] = imports(path, name, known)
    return every, top


def test_no_import_runs_upward():
    every, _ = graph()
    upward = sorted(f"{module} imports {target}" for module, targets in every.items() for target in targets
                    if layer(target) > layer(module) and not module.startswith(target + "."))
    assert upward == []


def test_no_modules_import_each_other_round_a_circle():
    _, top = graph()
    state: dict[str, int] = {}
    circles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(top.get(module, ())):
            if target == module or module.startswith(target + "."):  # a package's own __init__
                continue
            if state.get(target) == 1:
                circles.append(" → ".join(path[path.index(target):] + [target]) if target in path else target)
            elif not state.get(target):
                visit(target, path + [target])
        state[module] = 2

    for module in sorted(top):
        if not state.get(module):
            visit(module, [module])
    assert circles == []


def test_the_layer_table_knows_every_module():
    for module in modules():
        layer(module)
