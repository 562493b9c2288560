"""The one list of domain modules this platform runs, in navigation order.

Adding a module: its own folder in the shape `backend/README.md` describes, its migration, and
its package here. `create_app` activates the list it is given (this one by default); the
registries below answer for the active list.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from backend.core.config import Settings
from backend.core.modules import SHELL, Module, load, preset_roles, resolve
from backend.core.permissions import Permission, PermissionRegistry

MODULE_PACKAGES: tuple[str, ...] = (
    "backend.accounts",
    # Shared building blocks, before the modules that stand on them.
    "backend.places",
    "backend.notices",
    "backend.approvals",
    "backend.wallet",
    "backend.canteen",
    "backend.repairs",
    "backend.fleet",
    "backend.shop",
    "backend.assets",
    "backend.charging",
    "backend.access",
    "backend.energy",
)

_active: tuple[str, ...] = MODULE_PACKAGES


def activate(packages: tuple[str, ...]) -> tuple[Module, ...]:
    """Make `packages` the modules of this process and return their declarations."""
    global _active
    loaded = load(packages)
    _registry(packages)  # a module declaring a malformed or duplicate permission fails here
    _active = packages
    return loaded


def active_packages() -> tuple[str, ...]:
    return _active


def modules() -> tuple[Module, ...]:
    return load(_active)


def registry() -> PermissionRegistry:
    return _registry(_active)


@cache
def _registry(packages: tuple[str, ...]) -> PermissionRegistry:
    return PermissionRegistry(m.permissions for m in load(packages) if m.permissions)


def presets() -> dict[str, tuple[Permission, ...]]:
    """The preset posts of the active modules (and the console's own share), by name."""
    return preset_roles((*modules(), SHELL), registry())


def scoped_object_modules() -> dict[str, Module]:
    """The active modules that declare an object a role can be granted over, by name."""
    return {m.name: m for m in modules() if m.scoped_object}


def settings_of(settings: Settings, name: str) -> Any:
    """The settings of the active module `name`, read from the environment `settings` came from
    (a module without settings has none to give)."""
    module = next((m for m in modules() if m.name == name), None)
    if module is None or module.settings is None:
        raise LookupError(f"module {name!r} is not active or declares no settings")
    return resolve(module.settings).from_env(settings.environ)


def model_modules() -> list[str]:
    """Where the ORM finds the models: core's own, then each active module's."""
    return ["backend.core.models", *(m.models for m in modules() if m.models)]


def __getattr__(name: str):
    # The `tortoise` CLI (makemigrations) reads TORTOISE_ORM; built lazily so that importing
    # this module never touches the environment or the disk.
    if name == "TORTOISE_ORM":
        from backend.core.config import Settings
        from backend.core.db import tortoise_config

        return tortoise_config(Settings.from_env(), model_modules())
    raise AttributeError(name)
