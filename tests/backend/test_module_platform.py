"""The module platform: every module has the one shape, the app is built from the list of
modules (an example module added to the list appears in the navigation and the role editor),
and it refuses to build when a route names a permission no listed module declares."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from sanic import Sanic

from backend import modules as module_list
from backend.app import create_app
from backend.console.nav import visible_nav
from backend.core.modules import references
from backend.core.permissions import ALL, AdminPrincipal, Grant, UndeclaredPermission

BACKEND = Path(__file__).resolve().parents[2] / "backend"

# The files a module may have at its root (backend/README.md); folders: service/, pages/, templates/,
# protocols/.
SHAPE_FILES = {
    "__init__.py",
    "module.py",
    "models.py",
    "service.py",
    "admin_api.py",
    "device_api.py",
    "external_api.py",
    "pages.py",
    "public_pages.py",
    "schemas.py",
    "errors.py",
    "permissions.py",
    "jobs.py",
    "demo.py",
    "config.py",
    "guards.py",
}
SHAPE_FOLDERS = {"service", "pages", "templates", "protocols", "__pycache__"}


@pytest.mark.parametrize("package", module_list.MODULE_PACKAGES)
def test_every_module_has_the_one_shape(package):
    folder = BACKEND / package.removeprefix("backend.")
    files = {p.name for p in folder.iterdir() if p.is_file()}
    folders = {p.name for p in folder.iterdir() if p.is_dir()}
    assert files <= SHAPE_FILES, f"{package} has files outside the module shape: {sorted(files - SHAPE_FILES)}"
    assert folders <= SHAPE_FOLDERS, (
        f"{package} has folders outside the module shape: {sorted(folders - SHAPE_FOLDERS)}"
    )
    assert {"__init__.py", "module.py"} <= files
    for sub in ("service", "pages"):
        assert not ((folder / f"{sub}.py").exists() and (folder / sub).is_dir()), f"{package}: {sub}.py and {sub}/"
    templates = folder / "templates"
    if templates.is_dir():
        assert [p.name for p in templates.iterdir() if p.name != "__pycache__"] == [folder.name], (
            f"{package}: templates live in templates/{folder.name}/"
        )


EXAMPLE_MODULE = '''
"""An example module, for the test only."""

from backend.core.modules import Module, NavItem, NavSection
from backend.core.permissions import Permission

from {package}.permissions import ExamplePermission

MODULE = Module(
    name="{name}",
    title="示例",
    permissions=ExamplePermission,
    pages=("{package}.pages:bp",),
    nav=(NavSection("示例模块", 50, (NavItem("示例页面", "/console/example", ExamplePermission.VIEW_THING),)),),
)
'''

EXAMPLE_PERMISSIONS = '''
from backend.core.permissions import Permission


class ExamplePermission(Permission):
    VIEW_THING = "{name}.view_thing", "查看示例"


class StrayPermission(Permission):
    """Declared by no module in the list."""

    VIEW_OTHER = "stray.view_other", "无人声明"
'''

EXAMPLE_PAGES = """
from sanic import Blueprint
from sanic.response import text

from backend.console.session import console_page

from {package}.permissions import ExamplePermission, StrayPermission

bp = Blueprint("{name}_pages", url_prefix="/console/example")


@bp.get("")
@console_page({permission})
async def example(request):
    return text("示例")
"""


@pytest.fixture
def example_module(tmp_path, monkeypatch):
    """Writes a module package `example` (in a temporary folder on sys.path) whose page requires
    the permission written in place of {permission}; yields a function that builds it."""
    monkeypatch.syspath_prepend(str(tmp_path))
    made: list[str] = []

    def build(permission: str, name: str) -> str:
        folder = tmp_path / f"houqin_{name}" / name
        folder.mkdir(parents=True)
        (folder.parent / "__init__.py").write_text("")
        package = f"houqin_{name}.{name}"
        fill = {"package": package, "name": name, "permission": permission}
        (folder / "__init__.py").write_text('"""Example."""\n')
        for file, body in (
            ("module.py", EXAMPLE_MODULE),
            ("permissions.py", EXAMPLE_PERMISSIONS),
            ("pages.py", EXAMPLE_PAGES),
        ):
            (folder / file).write_text(textwrap.dedent(body).format(**fill))
        made.append(f"houqin_{name}")
        return package

    yield build
    module_list.activate(module_list.MODULE_PACKAGES)
    for name in [m for m in sys.modules if any(m == p or m.startswith(f"{p}.") for p in made)]:
        del sys.modules[name]


def _root() -> AdminPrincipal:
    return AdminPrincipal(1, "root", "root", (Grant(frozenset([ALL])),))


def test_an_example_module_in_the_list_appears_in_navigation_and_role_editor(settings, example_module):
    # given a module that is only a folder with its declaration, permissions and one page
    package = example_module("ExamplePermission.VIEW_THING", "example")
    # when it is added to the list
    Sanic.test_mode = True
    app = create_app(settings, modules=(*module_list.MODULE_PACKAGES, package))
    # then its page is routed, its entry is in the navigation of those who hold its permission,
    # and its permission is offered in the role editor with its label
    assert "/console/example" in {f"/{r.path}" for r in app.router.routes}
    sections = visible_nav(app.ctx.platform.nav, _root(), "/console/example")
    assert {"title": "示例页面", "path": "/console/example", "active": True} in [
        item for s in sections if s["title"] == "示例模块" for item in s["items"]
    ]
    nobody = AdminPrincipal(2, "nobody", "nobody", (Grant(frozenset(["canteen.view_payment"])),))
    assert all(s["title"] != "示例模块" for s in visible_nav(app.ctx.platform.nav, nobody, "/console/"))
    assert {p.value: p.label for p in module_list.registry()}["example.view_thing"] == "查看示例"


def test_a_page_naming_a_permission_no_module_declares_makes_app_creation_fail(settings, example_module):
    package = example_module("StrayPermission.VIEW_OTHER", "strayexample")
    Sanic.test_mode = True
    with pytest.raises(UndeclaredPermission, match="stray.view_other"):
        create_app(settings, modules=(*module_list.MODULE_PACKAGES, package))


def test_a_permission_typed_as_a_string_makes_app_creation_fail(settings, example_module):
    package = example_module('"canteen.view_paymnt"', "typoexample")
    Sanic.test_mode = True
    with pytest.raises(UndeclaredPermission, match="canteen.view_paymnt"):
        create_app(settings, modules=(*module_list.MODULE_PACKAGES, package))


def test_asking_a_principal_about_a_string_fails_instead_of_answering():
    with pytest.raises(UndeclaredPermission):
        _root().can("canteen.view_payment")  # type: ignore[arg-type]


def test_a_modules_settings_come_from_the_environment_and_a_bad_value_stops_the_build(settings):
    from dataclasses import replace

    from backend.modules import settings_of

    assert settings_of(settings, "repairs").notice_template_id == "tpl-repair-progress"
    assert settings_of(settings, "repairs").auto_close_days == 3
    bad = replace(settings, environ={**settings.environ, "REPAIRS_AUTO_CLOSE_DAYS": "三天"})
    Sanic.test_mode = True
    with pytest.raises(ValueError, match="REPAIRS_AUTO_CLOSE_DAYS"):
        create_app(bad)


def test_what_a_module_does_when_a_person_leaves_must_name_code_that_exists(settings, example_module, tmp_path):
    """A module's part of a person's leaving (`person_leaving`) is resolved when the app is
    built, like its other references: a name that does not exist stops the build."""
    package = example_module("ExamplePermission.VIEW_THING", "leavingexample")
    declaration = tmp_path / "houqin_leavingexample" / "leavingexample" / "module.py"
    declaration.write_text(
        declaration.read_text()
        + textwrap.dedent(
            f"""
            from dataclasses import replace
            from backend.core.modules import PersonLeaving

            MODULE = replace(
                MODULE,
                person_leaving=(
                    PersonLeaving("{package}.leaving:preview", "{package}.leaving:leave", ExamplePermission.VIEW_THING),
                ),
            )
            """
        )
    )
    Sanic.test_mode = True
    with pytest.raises(ModuleNotFoundError, match="leavingexample.leaving"):
        create_app(settings, modules=(*module_list.MODULE_PACKAGES, package))
    wallet = next(m for m in module_list.modules() if m.name == "wallet")
    assert "backend.wallet.service.offboarding:leave" in references(wallet)
