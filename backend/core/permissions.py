"""Permissions, grants and scopes: how an admin's roles answer "may I, and over what?".

Each module declares its permissions as one `Permission` enum in its `permissions.py` (values
namespaced `<module>.<verb>_<object>`, each with a Chinese label and a reach). Routes and pages
name enum members, never strings, and the app refuses to build when a route names a permission
no listed module declares, so a typo cannot silently let a superadmin through and refuse everyone
else.

A role is granted platform-wide, over a unit subtree, or over one object of a module (a canteen
today; a fleet pool or a warehouse tomorrow). A permission's reach says which of those can carry
it: `Reach.UNIT` permissions can be held over a unit subtree, `Reach.OBJECT` ones over one object
of their own module, and `Reach.PLATFORM` ones only platform-wide (a unit administrator or a
canteen manager must not manage the admins, devices or audit log of the whole platform).

`Scope` is what one permission reaches for one admin, and the one type every scoped service
takes as a required argument: there is no default meaning "everything"; callers that act for the
whole platform (the CLI, the mini-program, jobs) say so with `Scope.EVERYTHING`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar

from tortoise.expressions import Q

from backend.core.errors import AuthError

ALL = "*"


class Reach(StrEnum):
    PLATFORM = "platform"
    UNIT = "unit"
    OBJECT = "object"


class Permission(StrEnum):
    """Base of every module's permission enum: `NAME = "<module>.<verb>_<object>", "标签", Reach`."""

    label: str
    reach: Reach

    def __new__(cls, value: str, label: str, reach: Reach = Reach.PLATFORM) -> Permission:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        member.reach = reach
        return member

    @property
    def module(self) -> str:
        return self.value.partition(".")[0]


class CorePermission(Permission):
    VIEW_AUDIT = "core.view_audit", "查看审计日志"


class UndeclaredPermission(LookupError):
    """A permission no listed module declares: a programming error, found when the app is built."""


class PermissionRegistry:
    """The permissions of the listed modules, by value."""

    def __init__(self, enums: Iterable[type[Permission]]):
        self._by_value: dict[str, Permission] = {}
        declared: list[type[Permission]] = [CorePermission, *enums]
        for enum in declared:
            for member in enum:
                if not member.value.startswith(f"{member.module}.") or member.value in self._by_value:
                    raise ValueError(f"permission {member.value!r} is malformed or declared twice")
                self._by_value[member.value] = member

    def __iter__(self):
        return iter(self._by_value.values())

    def get(self, value: str) -> Permission | None:
        return self._by_value.get(value)

    def require(self, permission: object) -> Permission:
        """`permission` itself if it is a declared member; raises UndeclaredPermission otherwise."""
        if not isinstance(permission, Permission) or self._by_value.get(permission.value) is not permission:
            raise UndeclaredPermission(f"permission {permission!r} is not declared by any listed module")
        return permission

    def unknown(self, values: Iterable[str]) -> list[str]:
        return [v for v in values if v != ALL and v not in self._by_value]


@dataclass(frozen=True)
class Scope:
    """What one permission reaches for one admin: every unit and object (`EVERYTHING`), unit
    subtrees by path prefix (`unit_paths`), or objects of the permission's module (`object_ids`);
    a scope with empty sets reaches nothing."""

    unit_paths: frozenset[str] | None
    object_ids: frozenset[int] | None

    EVERYTHING: ClassVar[Scope]
    NOTHING: ClassVar[Scope]

    @classmethod
    def units(cls, paths: Iterable[str]) -> Scope:
        return cls(unit_paths=frozenset(paths), object_ids=None)

    @classmethod
    def objects(cls, ids: Iterable[int]) -> Scope:
        return cls(unit_paths=None, object_ids=frozenset(ids))

    @property
    def is_everything(self) -> bool:
        return self.unit_paths is None and self.object_ids is None

    def reaches_unit(self, unit_path: str) -> bool:
        """Case-sensitive, as unit codes are: `FGW` does not reach `fgw`."""
        if self.object_ids is not None:
            return False
        return self.unit_paths is None or any(unit_path.startswith(prefix) for prefix in self.unit_paths)

    def reaches_object(self, object_id: int) -> bool:
        if self.unit_paths is not None:
            return False
        return self.object_ids is None or object_id in self.object_ids

    def require_unit(self, unit_path: str) -> None:
        if not self.reaches_unit(unit_path):
            raise AuthError.OUT_OF_SCOPE.error()

    def require_object(self, object_id: int) -> None:
        if not self.reaches_object(object_id):
            raise AuthError.OUT_OF_SCOPE.error()

    def require_everything(self) -> None:
        """For what belongs to no single unit or object yet, such as opening a new canteen."""
        if not self.is_everything:
            raise AuthError.OUT_OF_SCOPE.error()

    def object_id_list(self) -> list[int] | None:
        """The object ids in scope, sorted, for a query filter (None: no filter)."""
        if self.unit_paths is not None:
            return []
        return None if self.object_ids is None else sorted(self.object_ids)


# Said by name where a caller acts for the whole platform; no argument left out means it.
Scope.EVERYTHING = Scope(unit_paths=None, object_ids=None)
Scope.NOTHING = Scope(unit_paths=frozenset(), object_ids=frozenset())


@dataclass(frozen=True)
class Grant:
    """One role granted to an admin: platform-wide, over a unit subtree, or over one object of a
    module (`object_module`, `object_id`)."""

    permissions: frozenset[str]
    unit_path: str | None = None
    object_module: str | None = None
    object_id: int | None = None

    @property
    def platform_wide(self) -> bool:
        return self.unit_path is None and self.object_module is None and self.object_id is None

    def allows(self, permission: Permission) -> bool:
        if self.unit_path is not None and permission.reach != Reach.UNIT:
            return False
        if self.object_module is not None or self.object_id is not None:
            # Over one object: only that module's object permissions, and only with both halves.
            named = self.object_module is not None and self.object_id is not None
            if not named or permission.reach != Reach.OBJECT or permission.module != self.object_module:
                return False
        return ALL in self.permissions or permission.value in self.permissions


def _checked(permission: object) -> Permission:
    if not isinstance(permission, Permission):
        raise UndeclaredPermission(f"a permission must be a Permission member, not {permission!r}")
    return permission


@dataclass(frozen=True)
class AdminPrincipal:
    """An authenticated console admin and what their grants let them do."""

    admin_id: int
    username: str
    display_name: str
    grants: tuple[Grant, ...] = field(default=())
    # Their password is one someone else chose: they may do nothing but choose their own.
    must_change_password: bool = False

    def can(self, permission: Permission) -> bool:
        permission = _checked(permission)
        return any(g.allows(permission) for g in self.grants)

    def scope(self, permission: Permission) -> Scope:
        """What `permission` reaches for this admin (NOTHING where no grant carries it)."""
        permission = _checked(permission)
        paths: set[str] = set()
        ids: set[int] = set()
        for grant in self.grants:
            if not grant.allows(permission):
                continue
            if grant.platform_wide:
                return Scope.EVERYTHING
            if grant.unit_path is not None:
                paths.add(grant.unit_path)
            elif grant.object_id is not None:
                ids.add(grant.object_id)
        if permission.reach == Reach.UNIT:
            return Scope.units(paths)
        if permission.reach == Reach.OBJECT:
            return Scope.objects(ids)
        return Scope.NOTHING

    def can_delegate(self, permissions: list[str], registry: PermissionRegistry) -> bool:
        """Whether this admin may put `permissions` in a role or grant a role holding them:
        only what they hold themselves platform-wide (a scoped grant delegates nothing)."""
        platform_wide = [g for g in self.grants if g.platform_wide]

        def held(value: str) -> bool:
            if value == ALL:
                return any(ALL in g.permissions for g in platform_wide)
            member = registry.get(value)
            return member is not None and any(g.allows(member) for g in platform_wide)

        return all(held(p) for p in permissions)

    def permissions(self, registry: PermissionRegistry) -> list[str]:
        """What this admin can actually do (a scoped grant's platform-wide permissions excluded)."""
        return sorted(p.value for p in registry if self.can(p))


def objects_within(scope: Scope, field: str) -> Q:
    """A query filter keeping the rows whose object (`field` names its id) is in scope."""
    ids = scope.object_id_list()
    if ids is None:
        return Q()
    filters: dict[str, Any] = {f"{field}__in": ids}
    return Q(**filters)
