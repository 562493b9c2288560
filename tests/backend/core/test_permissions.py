"""Grants and scopes fail closed: a half-named object grant reaches nothing, a scope must say
what it reaches, and a declaration naming a permission it does not own stops the build."""

from __future__ import annotations

import pytest

from backend.canteen.permissions import CanteenPermission
from backend.core.modules import Module, NavItem, NavSection, Platform
from backend.core.permissions import ALL, AdminPrincipal, Grant, Permission, Scope, UndeclaredPermission
from backend.modules import modules, registry


def test_a_grant_naming_a_module_but_no_object_is_neither_platform_wide_nor_scoped():
    half = Grant(frozenset([ALL]), object_module="canteen", object_id=None)
    principal = AdminPrincipal(1, "m", "m", (half,))
    assert not half.platform_wide
    assert not principal.can(CanteenPermission.VIEW_PAYMENT)
    assert principal.scope(CanteenPermission.VIEW_PAYMENT) == Scope.objects([])


def test_a_grant_over_one_canteen_reaches_only_it_and_no_unit():
    principal = AdminPrincipal(1, "m", "m", (Grant(frozenset([ALL]), object_module="canteen", object_id=7),))
    reach = principal.scope(CanteenPermission.VIEW_PAYMENT)
    assert reach.reaches_object(7) and not reach.reaches_object(8) and not reach.reaches_unit("/SJGSW/")


def test_a_scope_must_say_what_it_reaches():
    with pytest.raises(TypeError):
        Scope()  # type: ignore[call-arg]
    assert Scope.EVERYTHING.is_everything and not Scope.units([]).is_everything


class _Stray(Permission):
    LOOK = "stray.look", "随便看看"


def test_a_navigation_entry_naming_an_undeclared_permission_stops_the_build():
    stray = Module(name="stray", title="x", nav=(NavSection("x", 1, (NavItem("x", "/console/x", _Stray.LOOK),)),))
    with pytest.raises(UndeclaredPermission):
        Platform.of((*modules(), stray), registry())
