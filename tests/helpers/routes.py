"""What the published API's handlers read from the query string, found in their source code, so
that a test can hold it against what each route declares in /openapi.json."""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

# Readers of one query parameter, called as reader(request, "name", ...).
QUERY_READERS = {"query_int", "query_date"}


def _source_tree(function: Callable[..., Any]) -> ast.AST:
    return ast.parse(textwrap.dedent(inspect.getsource(function)))


def query_names(handler: Callable[..., Any]) -> set[str]:
    """The query parameters `handler` reads, itself or through a helper of its own module that
    it hands the request to. A parameter named by anything but a literal is reported as "?"."""
    function = inspect.unwrap(handler)
    names: set[str] = set()
    seen: set[Callable[..., Any]] = set()
    pending = [function]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        for node in ast.walk(_source_tree(current)):
            names |= _read_by(node)
            helper = _helper_given_request(node, current)
            if helper is not None:
                pending.append(helper)
    return names


def _literal(node: ast.AST | None) -> str:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else "?"


def _is_request_args(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "args"
        and isinstance(node.value, ast.Name)
        and node.value.id == "request"
    )


def _read_by(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Subscript) and _is_request_args(node.value):
        return {_literal(node.slice)}
    if not isinstance(node, ast.Call):
        return set()
    func = node.func
    if isinstance(func, ast.Attribute) and _is_request_args(func.value):
        return {_literal(node.args[0] if node.args else None)}
    name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
    if name in QUERY_READERS:
        return {_literal(node.args[1] if len(node.args) > 1 else None)}
    return set()


def _helper_given_request(node: ast.AST, caller: Callable[..., Any]) -> Callable[..., Any] | None:
    """A function of the caller's own module that the call `node` hands the request to."""
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
        return None
    if not any(isinstance(a, ast.Name) and a.id == "request" for a in node.args):
        return None
    found = caller.__globals__.get(node.func.id)
    if inspect.isfunction(found) and found.__module__ == caller.__module__ and node.func.id not in QUERY_READERS:
        return found
    return None
