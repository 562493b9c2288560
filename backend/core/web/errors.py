"""One error shape for every failure: {"error": {"code": ..., "message": ...}}."""

from __future__ import annotations

import logging
from collections.abc import Callable

from sanic.exceptions import SanicException
from sanic.handlers import ErrorHandler
from sanic.request import Request
from sanic.response import HTTPResponse
from tortoise.exceptions import ValidationError as FieldValidationError

from backend.core.errors import AppError, AuthError, CommonError
from backend.core.web.responses import ok

log = logging.getLogger("houqin.errors")

_BY_STATUS = {
    400: CommonError.BAD_REQUEST,
    401: AuthError.NOT_AUTHENTICATED,
    403: AuthError.PERMISSION_DENIED,
    404: CommonError.NOT_FOUND,
    405: CommonError.METHOD_NOT_ALLOWED,
    413: CommonError.PAYLOAD_TOO_LARGE,
    429: CommonError.RATE_LIMITED,
    503: CommonError.UNAVAILABLE,
}


def error_response(error: AppError, headers: dict | None = None) -> HTTPResponse:
    response = ok(error.to_body(), error.status)
    response.headers.update(headers or {})
    return response


def _request_id(request: Request | None) -> str:
    return getattr(getattr(request, "ctx", None), "request_id", "") if request else ""


PageRenderer = Callable[[Request, AppError, str], HTTPResponse]


class JsonErrorHandler(ErrorHandler):
    """`pages` maps a path prefix (e.g. the console's) to a renderer that answers people in a
    browser with a page instead of JSON."""

    def __init__(self, pages: dict[str, PageRenderer] | None = None):
        super().__init__()
        self._pages = pages or {}

    def default(self, request: Request, exception: Exception) -> HTTPResponse:
        if isinstance(exception, AppError):
            error = exception
        elif isinstance(exception, FieldValidationError):
            # A value no column could hold (e.g. a code longer than any code): the client's error.
            error = CommonError.INVALID_INPUT.error()
        elif isinstance(exception, SanicException) and exception.status_code < 500:
            kind = _BY_STATUS.get(exception.status_code, CommonError.BAD_REQUEST)
            error = AppError(kind.code, kind.message, exception.status_code)
        else:
            log.error("unhandled exception", exc_info=exception)
            error = CommonError.INTERNAL.error(request_id=_request_id(request))
        headers = {"X-Request-ID": _request_id(request)} if request else None
        if error.code == CommonError.RATE_LIMITED.code and isinstance(error.details, dict):
            headers = {**(headers or {}), "Retry-After": str(max(1, error.details.get("retry_after", 1)))}
        for prefix, render in self._pages.items():
            if request is not None and request.path.startswith(prefix):
                response = render(request, error, _request_id(request))
                response.headers.update(headers or {})
                return response
        return error_response(error, headers)
