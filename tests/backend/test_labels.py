"""Labels live in one place: every audited action has its Chinese name in its module's
declaration, and every enum a module stores (and so shows on a page) carries its labels."""

from __future__ import annotations

import ast
import importlib
import inspect
from enum import Enum
from pathlib import Path

import pytest

from backend.core.labels import LabelledEnum
from backend.core.modules import Platform
from backend.modules import modules, registry

BACKEND = Path(__file__).resolve().parents[2] / "backend"
AUDIT_CALLS = {"record": 2, "record_many": 2, "update_audited": None}


def _constants(node: ast.expr) -> list[str] | None:
    """The action strings an expression can take: a constant or either branch of `a if c else b`;
    None when it cannot be told from the expression alone."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _constants(node.body), _constants(node.orelse)
        return None if body is None or orelse is None else body + orelse
    return None


def _recorded_actions() -> list[tuple[str, str]]:
    """(where, action) of every audit call in the backend; actions held in a local variable are
    traced to a tuple-unpacking of a module-level dict of constants."""
    found = []
    for path in BACKEND.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        module_dicts = {
            t.id: n.value
            for n in tree.body
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Dict)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        dict_strings = {
            name: [c.value for c in ast.walk(d) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
            for name, d in module_dicts.items()
        }
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name not in AUDIT_CALLS:
                continue
            action = next((k.value for k in node.keywords if k.arg == "action"), None)
            index = AUDIT_CALLS[name]
            if action is None and index is not None and len(node.args) > index:
                action = node.args[index]
            where = f"{path.relative_to(BACKEND.parent)}:{node.lineno}"
            if action is None:
                continue  # the audit helpers themselves, passing their parameter on
            values = _constants(action)
            if values is None and isinstance(action, ast.Name):
                # e.g. `allowed_from, action = _CARD_TRANSITIONS[to]`: the dict's action strings
                sources = [
                    d
                    for d in dict_strings
                    if any(
                        isinstance(n, ast.Assign)
                        and isinstance(n.value, ast.Subscript)
                        and getattr(n.value.value, "id", None) == d
                        and any(isinstance(e, ast.Name) and e.id == action.id for t in n.targets for e in ast.walk(t))
                        for n in ast.walk(tree)
                    )
                ]
                values = [v for d in sources for v in dict_strings[d] if "." in v] or None
            if values is None and path.name == "audit.py" and path.parent.name == "core":
                continue
            assert values is not None, f"{where}: audit action is not a literal the test can read"
            found += [(where, v) for v in values]
    return found


def test_the_scan_finds_the_audit_calls():
    actions = {a for _, a in _recorded_actions()}
    assert {
        "wallet.adjust",
        "wallet.close",
        "wallet.refund_cash",
        "wallet.card_lost",
        "canteen.refund_payment",
    } <= actions


def test_every_recorded_audit_action_has_a_label():
    labels = Platform.of(modules(), registry()).audit_labels
    missing = sorted({f"{a} ({w})" for w, a in _recorded_actions() if a not in labels})
    assert missing == []


def _stored_enums() -> list[type[Enum]]:
    enums = []
    for reference in [m.models for m in modules() if m.models]:
        module = importlib.import_module(reference)
        enums += [
            c
            for _, c in inspect.getmembers(module, inspect.isclass)
            if issubclass(c, Enum) and c.__module__ == reference
        ]
    return enums


def test_the_models_define_enums():
    assert len(_stored_enums()) >= 8


@pytest.mark.parametrize("enum", _stored_enums(), ids=lambda e: e.__name__)
def test_every_stored_enum_carries_its_labels(enum):
    assert issubclass(enum, LabelledEnum), f"{enum.__name__}: declare it as a LabelledEnum with a label per member"
    assert all(member.label.strip() for member in enum)
