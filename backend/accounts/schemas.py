"""Request shapes of the accounts API (console and mini-program), validated with pydantic, and
the shapes of its answers, published in /openapi.json."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from backend.accounts.errors import AccountsError
from backend.accounts.models import DeviceKind, StaffCategory
from backend.accounts.service.roster import employee_no_problem, id_card_problem, phone_problem
from backend.modules import scoped_object_modules

CODE_PATTERN = r"^[A-Za-z0-9_-]+$"


class AdminLoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)


class UnitCreateIn(BaseModel):
    code: str = Field(min_length=2, max_length=32, pattern=CODE_PATTERN)
    name: str = Field(min_length=1, max_length=100)
    parent_code: str | None = Field(default=None, max_length=32)


class UnitRenameIn(BaseModel):
    name: str = Field(min_length=1, max_length=100)


def _checked(value: str | None, problem) -> str | None:
    if value and (message := problem(value)):
        raise ValueError(message)
    return value or None


class PersonIn(BaseModel):
    """A person typed into the console's person form: checked as a roster row is."""

    employee_no: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=50)
    staff_category: StaffCategory
    phone: str | None = Field(default=None, max_length=11)
    id_card: str | None = Field(default=None, max_length=18)

    @field_validator("employee_no")
    @classmethod
    def _employee_no(cls, value: str) -> str:
        return _checked(value, employee_no_problem) or ""

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return _checked(value, phone_problem)

    @field_validator("id_card")
    @classmethod
    def _id_card(cls, value: str | None) -> str | None:
        return _checked(value.upper() if value else None, id_card_problem)


class NewPersonIn(PersonIn):
    unit_code: str = Field(min_length=1, max_length=32)


class PersonMoveIn(BaseModel):
    unit_code: str = Field(min_length=1, max_length=32)
    reason: str = Field(min_length=2, max_length=200)


class PersonLeaveIn(BaseModel):
    reason: str = Field(min_length=2, max_length=200)


class AdminCreateIn(BaseModel):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: str = Field(min_length=1, max_length=50)
    password: str = Field(min_length=1, max_length=128)


class PasswordIn(BaseModel):
    password: str = Field(min_length=1, max_length=128)


class OwnPasswordIn(BaseModel):
    """An admin's own new password, confirmed by the current one."""

    current_password: str = Field(min_length=1, max_length=128)
    new_password: str = Field(min_length=1, max_length=128)


class ActiveIn(BaseModel):
    is_active: bool


class RoleCreateIn(BaseModel):
    code: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9_]+$")
    name: str = Field(min_length=1, max_length=50)
    permissions: list[str] = Field(min_length=1, max_length=200)


class _Grant(BaseModel):
    role_code: str = Field(min_length=1, max_length=64)
    unit_code: str | None = Field(default=None, max_length=32)

    def scoped_object(self) -> tuple[str, str] | None:
        """(module, object code) of the object named, if any; two named is a conflict."""
        named = [
            (name.removesuffix("_code"), getattr(self, name))
            for name in type(self).model_fields
            if name not in ("role_code", "unit_code") and getattr(self, name)
        ]
        if len(named) > 1:
            raise AccountsError.GRANT_SCOPE_CONFLICT.error()
        return named[0] if named else None


# One optional `<module>_code` per module declaring an object a role can be granted over (today
# canteen_code), so the fields are published in the API document like any other.
GrantIn = create_model(
    "GrantIn",
    __base__=_Grant,
    __doc__="A role over every unit, over one unit's subtree (unit_code) or over one object of a module "
    "(`<module>_code`, e.g. canteen_code for a canteen): at most one of them.",
    **{f"{name}_code": (str | None, Field(default=None, max_length=32)) for name in scoped_object_modules()},
)


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


class StandInPhoneIn(BaseModel):
    """The phone a person types to log in through the demo's stand-in of WeChat."""

    phone: str = Field(pattern=r"^1[3-9][0-9]{9}$")


# ---- answers (published in /openapi.json; they mirror the views the service returns) ----------


class UnitRef(BaseModel):
    code: str
    name: str


class PersonOut(BaseModel):
    """A person on the roster; phone and ID-card number masked."""

    id: int
    employee_no: str
    name: str
    unit: UnitRef
    staff_category: str
    staff_category_label: str
    phone: str | None
    id_card: str | None
    wechat_bound: bool
    is_active: bool


class CadreProfileOut(PersonOut):
    """The signed-in cadre: their roster entry and the parts they play in the modules, each
    "<module>.<role>" (repairs.technician: a repair team's technician)."""

    roles: list[str]


class UnitOut(BaseModel):
    id: int
    code: str
    name: str
    path: str = Field(description="编码路径，如 /SJGSW/FGW/")
    depth: int
    parent_id: int | None


class RosterReportOut(BaseModel):
    total: int
    created: int
    updated: int
    applied: bool = Field(description="false：只是预览，未导入")


class AdminOut(BaseModel):
    id: int
    username: str
    display_name: str
    is_active: bool
    last_login_at: str | None


class PrincipalOut(BaseModel):
    id: int
    username: str
    display_name: str
    permissions: list[str]


class AdminLoginOut(BaseModel):
    token: str
    admin: PrincipalOut


class TokenOut(BaseModel):
    token: str = Field(description="新的会话令牌（原有会话全部失效）")


class RoleOut(BaseModel):
    id: int
    code: str
    name: str
    permissions: list[str]


class GrantOut(BaseModel):
    """A role granted platform-wide, over a unit, or over one object of a module: the grant
    carries one more field per module whose objects a role can be granted over (e.g. `canteen`),
    holding the object's code or null."""

    model_config = ConfigDict(extra="allow")

    id: int
    admin_id: int
    role: str
    unit: str | None


class PermissionOut(BaseModel):
    code: str
    name: str


class HealthLine(BaseModel):
    text: str
    level: str = Field(description="ok、warn、bad 或 muted")


class DeviceOut(BaseModel):
    state: str
    state_label: str
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    location: str
    is_enabled: bool
    online: bool
    last_seen_at: str | None
    offline_since: str | None
    last_status: dict[str, Any] | None = Field(description="设备最近一次心跳上报的状态")
    health: list[HealthLine]


class RegisteredDeviceOut(DeviceOut):
    secret: str = Field(description="设备密钥，只返回这一次")


class SecretOut(BaseModel):
    secret: str = Field(description="新的设备密钥，只返回这一次")


class AuditEntryOut(BaseModel):
    id: int
    at: str
    actor_name: str
    action: str
    object_type: str
    object_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str
    ip: str


class WeChatLoginOut(BaseModel):
    """How cadres log in here: `configured` (WeChat), `standin` (the demo's stand-in of WeChat, for
    the H5 build in a browser) or `absent` (WeChat login not configured)."""

    wechat: Literal["configured", "standin", "absent"]


class StandInCodeOut(BaseModel):
    """A code as WeChat would give it (wx.login's, or the phone-number button's), good once for five minutes."""

    code: str


class CadreLoginOut(BaseModel):
    """`bound: true` with a session token and the profile, or `bound: false` with a ticket for
    /mp/v1/auth/bind."""

    bound: bool
    bind_ticket: str | None = None
    token: str | None = None
    profile: PersonOut | None = None
