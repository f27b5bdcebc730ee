"""The shape of the code, checked like behaviour (docs/conventions.md): no import cycle inside
an app, no project import hidden inside a function to dodge one, small modules and functions,
and a `screening/` whose top level holds only its feature packages and a few wiring modules.
import-linter (`make lint`) checks the layers between apps and between screening's packages;
these tests check what a layers contract cannot see."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "api",
    "config",
    "extraction",
    "grade",
    "meta_analysis",
    "references",
    "risk_of_bias",
    "screening",
)
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
# screening/'s top level: wiring only; every feature lives in a package.
SCREENING_WIRING = {
    "__init__.py",
    "apps.py",
    "checks.py",
    "constants.py",
    "dispatch.py",
    "tasks.py",
    "urls.py",
}
# Imports a function may make: Django's documented place to register checks and tasks, and
# heavy optional libraries loaded only where they are used.
ALLOWED_INNER_IMPORTS = {
    ("screening/apps.py", "screening"),
    ("screening/prisma/svg.py", "cairosvg"),
}


def _sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the groups of modules that import each other, directly or not."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "a.w": {"a.x"}}
    assert _strongly_connected(graph) == [["a.x", "a.y", "a.z"]]
    assert _strongly_connected({"a.x": {"a.y"}, "a.y": set()}) == []


@pytest.mark.parametrize("app", APPS)
def test_no_import_cycle_inside_an_app(app):
    graph = grimp.build_graph(app, exclude_type_checking_imports=True)
    edges = {
        module: {
            imported
            for imported in graph.find_modules_directly_imported_by(module)
            if imported.split(".")[0] == app
        }
        for module in graph.modules
    }
    cycles = _strongly_connected(edges)
    assert cycles == [], f"modules of {app} that import each other: {cycles}"


def test_no_project_import_inside_a_function():
    found = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and inner.level == 0:
                    names = [inner.module or ""]
                elif isinstance(inner, ast.Import):
                    names = [alias.name for alias in inner.names]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if (rel, top) in ALLOWED_INNER_IMPORTS:
                        continue
                    if top in APPS or getattr(inner, "level", 0):
                        found.append(f"{rel}:{inner.lineno} imports {name} in {node.name}()")
    assert found == [], "\n".join(found)


def test_modules_and_functions_stay_small():
    too_big = []
    for path in _sources():
        rel = path.relative_to(ROOT).as_posix()
        text = path.read_text()
        lines = text.count("\n")
        if lines > MAX_MODULE_LINES:
            too_big.append(f"{rel}: {lines} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    too_big.append(f"{rel}:{node.lineno} {node.name}() {length} lines")
    assert too_big == [], "\n".join(too_big)


def test_screening_top_level_holds_packages_and_wiring_only():
    loose = sorted(
        path.name for path in (ROOT / "screening").glob("*.py") if path.name not in SCREENING_WIRING
    )
    assert loose == [], f"modules at screening/'s top level that belong in a package: {loose}"
    packages = {p.name for p in (ROOT / "screening").iterdir() if (p / "__init__.py").exists()}
    assert {"decisions", "identification", "prisma", "audit", "models"} <= packages


def test_the_import_path_loads_no_machine_learning_library():
    """An import process holds only what importing needs: scikit-learn and SciPy (some 90 MB)
    load where records are ranked or a stopping test is run, not with the URLs or the
    services an import goes through (bench/memory.py measures the megabytes)."""
    probe = (
        "import django, importlib, sys; django.setup(); "
        "importlib.import_module('screening.management.commands.import_references'); "
        "importlib.import_module('config.urls'); "
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "REDIS_URL")}
    env.pop("DATABASE_URL", None)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
