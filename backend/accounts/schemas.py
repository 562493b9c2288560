"""Request shapes of the accounts API (console and mini-program), validated with pydantic."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from backend.accounts.errors import AccountsError
from backend.accounts.models import DeviceKind
from backend.modules import scoped_object_modules

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
    """A role over every unit, over one unit's subtree (unit_code) or over one object of a
    module (`<module>_code`, e.g. canteen_code for a canteen): at most one of them. The object
    fields are those of the modules that declare a scoped object; any other field is refused."""

    model_config = ConfigDict(extra="allow")

    role_code: str = Field(min_length=1, max_length=64)
    unit_code: str | None = Field(default=None, max_length=32)

    @model_validator(mode="after")
    def _known_object_fields(self) -> GrantIn:
        allowed = {f"{name}_code" for name in scoped_object_modules()}
        for key, value in (self.model_extra or {}).items():
            if key not in allowed:
                raise ValueError(f"未知字段 {key}")
            if value is not None and (not isinstance(value, str) or len(value) > 32):
                raise ValueError(f"{key} 须为不超过 32 个字符的编码")
        return self

    def scoped_object(self) -> tuple[str, str] | None:
        """(module, object code) of the object named, if any; two named is a conflict."""
        named = [(key.removesuffix("_code"), value) for key, value in (self.model_extra or {}).items() if value]
        if len(named) > 1:
            raise AccountsError.GRANT_SCOPE_CONFLICT.error()
        return named[0] if named else None


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
