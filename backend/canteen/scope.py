"""Which canteens an admin's canteen permissions reach (a role granted over one canteen).

A scope is None for every canteen (a platform-wide grant, the CLI, the mini-program) or the ids
of the canteens reached. Lists are filtered to the scope; a single canteen, payment or dish
outside it is refused as a person outside a unit-scoped admin's units is (auth.out_of_scope).
"""

from __future__ import annotations

from tortoise.expressions import Q

from backend.core.errors import AuthError

CanteenScope = frozenset[int] | None


def reaches(scope: CanteenScope, canteen_id: int) -> bool:
    return scope is None or canteen_id in scope


def require(scope: CanteenScope, canteen_id: int) -> None:
    if not reaches(scope, canteen_id):
        raise AuthError.OUT_OF_SCOPE.error()


def require_every_canteen(scope: CanteenScope) -> None:
    """For what belongs to no single canteen yet, such as opening a new one."""
    if scope is not None:
        raise AuthError.OUT_OF_SCOPE.error()


def within(scope: CanteenScope, field: str = "canteen_id") -> Q:
    """A filter keeping the rows of the canteens in scope (`field` names the canteen's id)."""
    return Q() if scope is None else Q(**{f"{field}__in": sorted(scope)})
