"""Request bodies, query strings and the Idempotency-Key header checked, refused in Chinese, field
by field."""

from __future__ import annotations

import re
from datetime import date
from functools import wraps
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from sanic.exceptions import BadRequest
from sanic.request import Request

from backend.core.errors import CommonError
from backend.core.timeutil import plausible

_MESSAGES = {
    "missing": "必填",
    "string_too_short": "内容太短（至少 {min_length} 个字符）",
    "string_too_long": "内容太长（最多 {max_length} 个字符）",
    "string_pattern_mismatch": "格式不正确",
    "enum": "取值无效，可选：{expected}",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "greater_than_equal": "不能小于 {ge}",
    "less_than_equal": "不能大于 {le}",
    "extra_forbidden": "不支持的字段",
}


def _message(error: ErrorDetails) -> str:
    if error["type"] == "value_error":  # our own validators speak Chinese already
        return str(error.get("ctx", {}).get("error", "取值不正确"))
    template = _MESSAGES.get(error["type"])
    if template is None:
        return "类型或取值不正确"
    try:
        return template.format(**(error.get("ctx") or {}))
    except KeyError:
        return template.split("（")[0]


def validation_error(exc: ValidationError) -> Exception:
    fields = [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": _message(e)} for e in exc.errors()]
    return CommonError.INVALID_INPUT.error(details={"fields": fields})


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _control_characters(data: Any, path: str = "") -> list[dict]:
    """Fields holding control characters (a NUL breaks PostgreSQL text; none belongs in input)."""
    if isinstance(data, str):
        return [{"field": path or "body", "message": "包含不允许的控制字符"}] if _CONTROL.search(data) else []
    if isinstance(data, dict):
        return [
            f
            for k, v in data.items()
            for f in _control_characters(v, f"{path}.{k}".lstrip(".")) + _control_characters(str(k), path)
        ]
    if isinstance(data, list):
        return [f for i, v in enumerate(data) for f in _control_characters(v, f"{path}.{i}".lstrip("."))]
    return []


def parse_model(model: type[BaseModel], data: Any) -> BaseModel:
    if fields := _control_characters(data):
        raise CommonError.INVALID_INPUT.error(details={"fields": fields})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc) from None


def accepts(model: type[BaseModel]):
    """Validate the JSON body against `model` and pass it as `body` (documented in OpenAPI by
    `backend.core.web.apidocs.document_routes`)."""

    def decorator(handler):
        @wraps(handler)
        async def wrapper(request: Request, *args, **kwargs):
            try:
                data = request.json
            except BadRequest:
                raise CommonError.INVALID_JSON.error() from None
            kwargs["body"] = parse_model(model, data if data is not None else {})
            return await handler(request, *args, **kwargs)

        # Read back by apidocs with getattr; set through vars() as mypy allows no new attributes on a function.
        vars(wrapper)["openapi_body"] = model
        return wrapper

    return decorator


IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,64}$")


def idempotency_key(request: Request) -> str:
    """The request's `Idempotency-Key` header (8–64 letters, digits or _.:-), required: an admin
    write that must happen once is refused without it."""
    key = request.headers.get("idempotency-key", "")
    if not IDEMPOTENCY_KEY.match(key):
        raise CommonError.INVALID_INPUT.error(
            details={"fields": [{"field": "Idempotency-Key", "message": "请求头须带 8–64 位的幂等键"}]}
        )
    return key


def query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise CommonError.INVALID_INPUT.error(details={"fields": [{"field": name, "message": "应为整数"}]}) from None
    if not low <= value <= high:
        raise CommonError.INVALID_INPUT.error(
            details={"fields": [{"field": name, "message": f"应在 {low} 到 {high} 之间"}]}
        )
    return value


def query_date(request: Request, name: str, default: date | None = None) -> date | None:
    """A YYYY-MM-DD query parameter, or `default` when it is absent."""
    raw = request.args.get(name)
    if not raw:
        return default
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise CommonError.INVALID_INPUT.error(
            details={"fields": [{"field": name, "message": "日期格式应为 YYYY-MM-DD"}]}
        ) from None
    if not plausible(day):
        raise CommonError.INVALID_INPUT.error(details={"fields": [{"field": name, "message": "日期超出范围"}]})
    return day


def uploaded_file(request: Request, field: str = "file") -> bytes:
    """The bytes of a multipart upload's `field`; its name and declared type are not trusted
    (whoever reads the bytes decides what they are)."""
    upload = request.files.get(field) if request.files else None
    if upload is None or not upload.body:
        raise CommonError.INVALID_INPUT.error(details={"fields": [{"field": field, "message": "请选择要上传的文件"}]})
    return upload.body
