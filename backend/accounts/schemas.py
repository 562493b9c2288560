"""Request shapes of the accounts API (console and mini-program), validated with pydantic."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from backend.accounts.models import DeviceKind

CODE_PATTERN = r"^[A-Za-z0-9_-]+$"


class AdminLoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class UnitCreateIn(BaseModel):
    code: str = Field(min_length=2, max_length=32, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    parent_code: str | None = Field(default=None, max_length=32)


class AdminCreateIn(BaseModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: str = Field(min_length=1, max_length=50)
    password: str = Field(min_length=1, max_length=128)


class PasswordIn(BaseModel):
    password: str = Field(min_length=1, max_length=128)


class ActiveIn(BaseModel):
    is_active: bool


class RoleCreateIn(BaseModel):
    code: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=50)
    permissions: list[str] = Field(min_length=1, max_length=200)


class GrantIn(BaseModel):
    """A role over every unit, over one unit's subtree (unit_code) or over one canteen
    (canteen_code): at most one of the two."""

    role_code: str = Field(min_length=1, max_length=64)
    unit_code: str | None = Field(default=None, max_length=32)
    canteen_code: str | None = Field(default=None, max_length=32)


class DeviceCreateIn(BaseModel):
    code: str = Field(min_length=3, max_length=32, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    kind: DeviceKind
    location: str = Field(default="", max_length=200)


class DeviceEnabledIn(BaseModel):
    is_enabled: bool


class HeartbeatIn(BaseModel):
    app_version: str = Field(default="", max_length=32)
    status: dict[Annotated[str, Field(max_length=32)], Annotated[str, Field(max_length=200)] | int | bool | None] = (
        Field(default_factory=dict, max_length=32)
    )


class CadreLoginIn(BaseModel):
    code: str = Field(min_length=1, max_length=128)


class CadreBindIn(BaseModel):
    bind_ticket: str = Field(min_length=1, max_length=128)
    phone_code: str = Field(min_length=1, max_length=128)
