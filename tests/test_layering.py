"""Which app may import which (DESIGN.md §2): the apps never import the project package `config`
(its Celery app is reached through `celery.current_app`), and `core` knows no invoice. Read from
the source with `ast`, every module of every app, imports inside functions included."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("core", "invoice", "payment_module")


def imports_of(app: str) -> dict[str, set[str]]:
    """{module path: the absolute modules it imports}"""
    found = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(app: str, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{module} imports {name}" for module, names in imports_of(app).items() for name in sorted(names)
            if name.split(".")[0] in forbidden]


@pytest.mark.parametrize("app", APPS)
def test_no_app_imports_the_project_package(app):
    assert offenders(app, ("config",)) == []


def test_core_knows_no_invoice():
    assert offenders("core", ("invoice", "payment_module")) == []


def test_invoice_knows_no_billing_source():
    """payment_module builds on invoice (operators, orders, the RFC's routes), never the reverse."""
    assert offenders("invoice", ("payment_module",)) == []


def test_no_app_defines_its_own_signal():
    """Apps tell each other through explicit hook registries filled in ready() (invoice.hooks),
    never through a Django Signal of their own."""
    defined = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                func = node.func if isinstance(node, ast.Call) else None
                if (isinstance(func, ast.Name) and func.id == "Signal") or (
                        isinstance(func, ast.Attribute) and func.attr == "Signal"):
                    defined.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert defined == []
