"""Console refusals, and errors shown as a page (not JSON) to a person in a browser."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sanic.request import Request
from sanic.response import HTTPResponse, html

from backend.core.errors import AppError, ErrorCode

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

# The error handler is synchronous, so error pages have their own (non-async) environment.
_environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())

_TITLES = {401: "请先登录", 403: "无权访问", 404: "页面不存在", 405: "不支持的操作", 429: "操作过于频繁"}


class ConsoleError(ErrorCode):
    CSRF_REFUSED = ("console.csrf_refused", 403, "页面已失效，请刷新后重试")
    IMPORT_EXPIRED = ("console.import_expired", 410, "预检结果已过期，请重新上传名册")


def error_page(request: Request, error: AppError, request_id: str) -> HTTPResponse:
    title = _TITLES.get(error.status, "出错了" if error.status < 500 else "系统繁忙")
    body = _environment.get_template("console/error.html").render(
        title=title,
        message=error.message,
        status=error.status,
        request_id=request_id,
        signed_in=getattr(request.ctx, "principal", None) is not None,
    )
    return html(body, status=error.status)
