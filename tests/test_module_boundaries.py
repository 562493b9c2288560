"""Modules keep to themselves: a module may call another module's service (and use the public
enums it passes on), but never imports from another module's models nor names another module's tables in
SQL. Checked over the source, so a planted violation fails here (see the planted tests)."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest
from tortoise.models import Model

from backend.modules import modules

ROOT = Path(__file__).resolve().parents[1]
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|FROM|JOIN|INTO|TABLE)\b", re.IGNORECASE)


def _models_of(package: str) -> tuple[set[str], set[str]]:
    """(model class names, table names) of one module."""
    module = importlib.import_module(f"{package}.models")
    classes = [
        c
        for _, c in inspect.getmembers(module, inspect.isclass)
        if issubclass(c, Model) and c.__module__ == module.__name__
    ]
    return {c.__name__ for c in classes}, {c._meta.db_table for c in classes}


OWNERS = {m.package: _models_of(m.package) for m in modules() if m.models}


def _owner(path: Path) -> str | None:
    parts = path.relative_to(ROOT).with_suffix("").parts
    package = ".".join(parts[:2])
    return package if package in OWNERS or package in {m.package for m in modules()} else None


def violations(path: Path, source: str) -> list[str]:
    """What in `source` (a file of the module owning `path`) reaches into another module."""
    owner = _owner(path)
    if owner is None:
        return []
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith(".models"):
            other = node.module.removesuffix(".models")
            if other != owner and other in OWNERS:
                model_names, _ = OWNERS[other]
                found += [
                    f"imports {'model' if a.name in model_names else 'from the models of'} {a.name} of {other}"
                    for a in node.names
                ]
        if isinstance(node, ast.Import):
            others = OWNERS.keys() - {owner}
            found += [f"imports {a.name}" for a in node.names if a.name.removesuffix(".models") in others]
        # An f-string's literal parts are constants too, so SQL built with one is read here.
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_WORDS.search(node.value):
            for other, (_, tables) in OWNERS.items():
                if other != owner:
                    found += [
                        f"names table {t} of {other} in SQL" for t in tables if re.search(rf"\b{t}\b", node.value)
                    ]
    return found


def _module_files():
    for m in modules():
        yield from (ROOT / m.package.replace(".", "/")).rglob("*.py")


def test_no_module_reaches_into_another_modules_models_or_tables():
    found = [
        f"{path.relative_to(ROOT)}: {v}" for path in _module_files() for v in violations(path, path.read_text("utf-8"))
    ]
    assert found == []


@pytest.mark.parametrize(
    "planted",
    [
        "from backend.wallet.models import Card\n",
        'ROW = "SELECT balance FROM wallet_wallet WHERE id = $1"\n',
        'ROW = f"SELECT name FROM accounts_person WHERE id = {placeholder}"\n',
        "import backend.accounts.models\n",
        "from backend.wallet.models import CardState\n",
    ],
    ids=["model import", "sql table", "sql table in an f-string", "module import", "enum from the models"],
)
def test_a_planted_reach_into_another_module_is_caught(planted):
    path = ROOT / "backend" / "canteen" / "service" / "planted.py"
    assert violations(path, planted) != []


def test_a_module_may_use_another_modules_public_enum_through_its_service_and_its_own_tables():
    path = ROOT / "backend" / "canteen" / "service" / "planted.py"
    source = 'from backend.wallet.service.wallets import CardState\nSQL = "SELECT 1 FROM canteen_payment"\n'
    assert violations(path, source) == []
