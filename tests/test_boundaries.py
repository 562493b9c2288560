"""The dependency direction of ARCHITECTURE.md: miniprogram_api -> backend -> hardware,
kiosk -> hardware; the web framework stays at the edge; a domain module reaches another only
through its service (never its model classes, never its tables in SQL)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def imported_modules(folder: str):
    """(file, dotted name) of every absolute import in the Python files below `folder`."""
    for path in (ROOT / folder).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                yield path.relative_to(ROOT), name


def imported_packages(folder: str):
    for path, name in imported_modules(folder):
        yield path, name.split(".")[0]


def test_hardware_imports_nothing_of_the_project():
    assert [(p, n) for p, n in imported_packages("hardware") if n in {"backend", "kiosk", "miniprogram_api"}] == []


def test_backend_never_imports_the_layers_above_it():
    assert [(p, n) for p, n in imported_packages("backend") if n in {"kiosk", "miniprogram_api"}] == []


def test_kiosk_reaches_the_backend_only_over_http():
    assert [(p, n) for p, n in imported_packages("kiosk") if n in {"backend", "miniprogram_api"}] == []


# A module's routes (*_api.py), console pages (pages.py or pages/) and the auth decorators;
# backend/console: the console shell.
EDGE_MODULES = {"pages.py", "guards.py"}


def is_edge(path: Path) -> bool:
    return (
        path.name in EDGE_MODULES
        or path.name.endswith("_api.py")
        or (len(path.parts) == 4 and path.parts[0] == "backend" and path.parts[2] in ("pages", "protocols"))
        or path.parts[:3] == ("backend", "core", "web")
        or path.parts[:2] == ("backend", "console")
        or path == Path("backend/access/public_pages.py")
        or path in (Path("backend/app.py"), Path("backend/cli.py"))
    )


def test_only_the_http_edge_knows_the_web_framework():
    offenders = [(p, n) for p, n in imported_packages("backend") if n in {"sanic", "sanic_ext"} and not is_edge(p)]
    assert offenders == []


def test_model_docstrings_keep_migrations_runnable():
    """Tortoise puts a model's docstring into its CREATE TABLE and splits migration SQL on ';'."""
    import importlib
    import inspect

    from tortoise.models import Model

    from backend.modules import model_modules

    docstrings = [
        cls.__doc__ or ""
        for module in map(importlib.import_module, model_modules())
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, Model) and cls.__module__ == module.__name__
    ]
    assert docstrings and [d for d in docstrings if ";" in d] == []


def test_tests_share_helpers_only_through_helpers_and_fixture_plugins():
    """A test module is never imported by another: what tests share lives in tests/helpers or in
    a fixture plugin of tests/fixtures."""
    offenders = []
    for path, name in imported_modules("tests"):
        last = name.rsplit(".", 1)[-1]
        if name.startswith("tests.") and (last.startswith("test_") or last == "conftest"):
            offenders.append((path, name))
    assert offenders == []
