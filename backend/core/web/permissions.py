"""The permission a route or page requires, recorded on its handler so that the app can refuse
to build when one names a permission no listed module declares (fail closed)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sanic import Sanic

from backend.core.permissions import Permission, PermissionRegistry

_ATTRIBUTE = "required_permission"


def requires(handler: Callable[..., Any], permission: Permission | None) -> Callable[..., Any]:
    setattr(handler, _ATTRIBUTE, permission)
    return handler


def check_routes(app: Sanic, registry: PermissionRegistry) -> None:
    """Raise UndeclaredPermission naming the first route whose permission is not declared."""
    for route in app.router.routes:
        permission = getattr(route.handler, _ATTRIBUTE, None)
        if permission is not None:
            try:
                registry.require(permission)
            except LookupError as undeclared:
                raise type(undeclared)(f"{route.path}: {undeclared}") from None
