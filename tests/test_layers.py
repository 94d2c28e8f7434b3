"""The library is built in layers, and imports only point downward:

    cli -> demo -> reports -> measures (billing, outcomes, overview) -> models, warehouse
        -> ingest, contracts -> config (and the small shared modules: months, npi, sqlfiles, failures)

Imports within a layer are fine. `synthetic` is a tool: only the CLI and the demo use it. The
library never imports the CLI and never prints: progress goes to the caller through a callback,
and only `cli/` writes to the terminal (print, click.echo).

The modules are parsed, not imported, so every import counts, including those inside functions.
A violation that belongs to work in progress elsewhere is listed in KNOWN with its reason; it
fails strictly once fixed, so the entry is deleted with the fix.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

import bcm_analytics

PACKAGE = Path(bcm_analytics.__file__).parent

# lowest first; each name is the first part below bcm_analytics (a subpackage or a top-level module)
LAYERS = [
    ("config", {"__init__", "config", "months", "npi", "sqlfiles", "redact", "private_files", "failures"}),
    ("ingest, contracts", {"ingest", "contracts"}),
    ("models, warehouse", {"models", "marts", "warehouse"}),
    ("measures", {"billing", "outcomes", "overview"}),
    ("reports", {"reports"}),
    ("demo", {"demo"}),
    ("cli", {"cli", "__main__"}),
]
TOOLS = {"synthetic": {"cli", "demo"}}  # a tool and the only parts that may use it
DATA = {"data_contracts", "notebooks"}  # package data, no code
PRINTERS = {"cli"}

KNOWN: dict[str, str] = {}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part(module: str) -> str:
    """The first name below bcm_analytics: the layer's key ("__init__" for the package itself)."""
    names = module.split(".")
    return names[1] if len(names) > 1 else "__init__"


def layer_of(module: str) -> int | None:
    return next((i for i, (_, names) in enumerate(LAYERS) if part(module) in names), None)


@cache
def modules() -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text(), str(p)) for p in sorted(PACKAGE.rglob("*.py"))}


def imported(module: str, tree: ast.Module) -> set[str]:
    """Every bcm_analytics module `module` imports, anywhere in its code (`from x import y` may
    name a module y inside package x: both are counted, the one that exists decides)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + (module in packages())]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in modules()}
    return {name for name in found if name == "bcm_analytics" or name.startswith("bcm_analytics.")}


@cache
def packages() -> set[str]:
    return {module_name(p) for p in PACKAGE.rglob("__init__.py")}


def prints(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id == "print":
                return True
            if isinstance(f, ast.Attribute) and f.attr in ("echo", "secho") and isinstance(f.value, ast.Name) and f.value.id == "click":
                return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any(a.name.split(".")[0] == "click" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "click":
            return True
    return False


@cache
def violations() -> tuple[str, ...]:
    demo = next(i for i, (name, _) in enumerate(LAYERS) if name == "demo")
    found = []
    for module, tree in modules().items():
        here, mine = part(module), layer_of(module)
        for target in sorted(imported(module, tree)):
            there, theirs = part(target), layer_of(target)
            if there == here:
                continue
            if there in TOOLS and here not in TOOLS[there]:
                found.append(f"{module} imports {target} (a tool only {' and '.join(sorted(TOOLS[there]))} use)")
            elif here in TOOLS and theirs is not None and theirs >= demo:
                found.append(f"{module} imports {target} (a tool uses the library, not the demo or the CLI)")
            elif mine is not None and theirs is not None and theirs > mine:
                found.append(f"{module} imports {target} ({LAYERS[mine][0]} -> {LAYERS[theirs][0]})")
        if here not in PRINTERS and prints(tree):
            found.append(f"{module} prints (only cli/ writes to the terminal)")
    return tuple(found)


def test_every_module_has_a_layer():
    placed = {names for _, group in LAYERS for names in group} | set(TOOLS) | DATA
    unplaced = sorted({part(m) for m in modules()} - placed)
    assert not unplaced, f"bcm_analytics.{unplaced[0]} is in no layer: add it to LAYERS in tests/test_layers.py"


def test_imports_point_downward_and_only_the_cli_prints():
    new = [v for v in violations() if v not in KNOWN]
    assert not new, "layering violations:\n  " + "\n  ".join(new)


@pytest.mark.parametrize("violation", [
    pytest.param(v, id=v.split(" (")[0], marks=pytest.mark.xfail(reason=f"{why}; fixed? delete it from KNOWN", strict=True)) for v, why in KNOWN.items()
])
def test_known_violation_is_gone(violation):
    assert violation not in violations()


def test_the_checker_sees_a_violation(tmp_path):
    """The parser finds an upward import inside a function and a print (so the test can fail)."""
    tree = ast.parse("def f():\n    from bcm_analytics.cli.data import run_load\n    print('x')\n")
    assert "bcm_analytics.cli.data" in imported("bcm_analytics.billing.engine", tree)
    assert prints(tree)
    relative = ast.parse("from ..reports import export\nfrom . import engine\n")
    assert {"bcm_analytics.reports", "bcm_analytics.billing"} <= imported("bcm_analytics.billing.reconcile", relative)
