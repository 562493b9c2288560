"""Domain errors and the one shape every failure takes on the wire.

    AppError                    any refusal we mean to give: {"error": {"code", "message"}}
      raised as ErrorCode.X.error(), where ErrorCode is a per-module enum:
        common.*                invalid input (422), not found (404), method not allowed (405),
                                rate limited (429), internal error (500)
        auth.*                  missing/expired session (401), permission denied (403)
        device.*                device signature refusals (401)
        accounts.*              roster, binding, admin and device rules
        wallet.*, canteen.*     cards, balances, top-ups; payments, periods, bookings, menus
        places.*                the place tree: an unknown place, a level that cannot hold another
        repairs.*               the repair workflow, catalog, photos of a report, spare parts
                                (it answers places' refusals under its own repairs.location_* codes)
        image.*                 an uploaded photo that is not a usable image (backend.core.images)

Every code is stable (clients and terminals switch on it); every message is Chinese, written for
the person who reads it. Unexpected exceptions never leak: they become common.internal_error
with the request id, and the traceback goes to the log. A code kept in the database (a payment's
refusal) is shown to staff through `message_of`, never as the code itself.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Any


class AppError(Exception):
    def __init__(self, code: str, message: str, status: int = 400, details: Any = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.details = details

    def to_body(self) -> dict:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return {"error": body}


# Every ErrorCode enum defined, registered as it is defined (a module's errors.py is imported by
# its service, so the enums of every module in use are here).
_ENUMS: list[type[ErrorCode]] = []


class ErrorCode(Enum):
    """Base for per-module error enums; each member is (code, HTTP status, Chinese message)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _ENUMS.append(cls)

    @property
    def code(self) -> str:
        return self.value[0]

    @property
    def status(self) -> int:
        return self.value[1]

    @property
    def message(self) -> str:
        return self.value[2]

    def error(self, details: Any = None, **fmt: Any) -> AppError:
        message = self.message.format(**fmt) if fmt else self.message
        return AppError(self.code, message, self.status, details)


def registered_codes() -> dict[str, ErrorCode]:
    """Every error code defined, with its member."""
    return {member.code: member for enum in _ENUMS for member in enum}


_FILLED_IN = re.compile(r"\{[^}]*\}")
_FILLED_IN_ASIDE = re.compile(r"（[^（）]*\{[^}]*\}[^（）]*）")
_NAMED_AFTER_COLON = re.compile(r"^([^{]+?)\s*[：:]\s*\{[^}]*\}$")
_AMOUNT_AT_END = re.compile(r"^([^{]+?)\s*\{[^}]*\}\s*[元次项天个]$")
# What a refusal of each kind amounts to, for a message that is nothing without its details.
_BY_STATUS_WORDS = {
    400: "请求有误",
    402: "未能完成支付",
    403: "您没有执行此操作的权限",
    404: "请求的资源不存在",
    409: "当前状态不允许此操作",
    422: "提交的内容有误",
    429: "操作过于频繁",
}


def message_of(code: str) -> str:
    """The Chinese words for a stored error code (a payment's refusal), shown to staff instead of
    the code. Details only a live error fills in are left out: the clauses naming them, the
    detail after a colon or the amount at the end; a message that is nothing without its details
    reads as what refusals of its kind amount to. A code no enum defines (one retired since it
    was stored) reads as an unknown reason."""
    member = registered_codes().get(code)
    if member is None:
        return "其他原因" if code else ""
    message = _FILLED_IN_ASIDE.sub("", member.message)
    if not _FILLED_IN.search(message):
        return message
    plain = [clause for clause in message.split("，") if not _FILLED_IN.search(clause)]
    if plain:
        return "，".join(plain)
    if found := _NAMED_AFTER_COLON.match(message) or _AMOUNT_AT_END.match(message):
        return found.group(1)
    return _BY_STATUS_WORDS.get(member.status, "操作未获准许")


class CommonError(ErrorCode):
    INVALID_INPUT = ("common.invalid_input", 422, "提交的内容有误，请检查后重试")
    INVALID_JSON = ("common.invalid_json", 400, "请求内容不是有效的 JSON")
    NOT_FOUND = ("common.not_found", 404, "请求的资源不存在")
    METHOD_NOT_ALLOWED = ("common.method_not_allowed", 405, "不支持该请求方法")
    PAYLOAD_TOO_LARGE = ("common.payload_too_large", 413, "上传内容过大")
    RATE_LIMITED = ("common.rate_limited", 429, "操作过于频繁，请稍后再试")
    BAD_REQUEST = ("common.bad_request", 400, "请求有误")
    INTERNAL = ("common.internal_error", 500, "系统繁忙，请稍后再试（请求编号 {request_id}）")
    UNAVAILABLE = ("common.unavailable", 503, "服务暂不可用，请稍后再试")
    STORAGE_FULL = ("common.storage_full", 507, "存储空间已满，文件未能保存，请稍后再试并告知管理员")


class AuthError(ErrorCode):
    NOT_AUTHENTICATED = ("auth.not_authenticated", 401, "请先登录")
    SESSION_EXPIRED = ("auth.session_expired", 401, "登录已过期，请重新登录")
    PERMISSION_DENIED = ("auth.permission_denied", 403, "您没有执行此操作的权限")
    OUT_OF_SCOPE = ("auth.out_of_scope", 403, "该数据不在您的管理范围内")
    BAD_CREDENTIALS = ("auth.bad_credentials", 401, "用户名或密码错误")
    ACCOUNT_DISABLED = ("auth.account_disabled", 403, "账号已停用，请联系管理员")


class DeviceError(ErrorCode):
    SIGNATURE_MISSING = ("device.signature_missing", 401, "缺少设备签名信息")
    TIMESTAMP_SKEW = ("device.timestamp_skew", 401, "设备时间与服务器相差过大，请校准时间")
    UNKNOWN = ("device.unknown", 401, "设备未注册")
    DISABLED = ("device.disabled", 401, "设备已停用")
    BAD_SIGNATURE = ("device.bad_signature", 401, "设备签名无效")
    NONCE_REUSED = ("device.nonce_reused", 401, "重复的请求已被拒绝")
    BEFORE_EPOCH = (
        "device.signed_before_epoch",
        401,
        "服务器防重放记录已重建，此前签名的请求不再受理，请重新签名后重试",
    )
