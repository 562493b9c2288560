"""Console sessions in a cookie, CSRF protection, and the decorator every console page uses.

The cookie holds the same opaque admin session token as the admin API (so a password reset or
a disabled account ends console sessions too). The CSRF token is an HMAC of the session token:
nothing to store, and it changes with every login.
"""

from __future__ import annotations

import hmac
import secrets
from functools import wraps
from urllib.parse import quote

from sanic.request import Request
from sanic.response import HTTPResponse, redirect

from backend.accounts.errors import AccountsError
from backend.accounts.guards import runtime
from backend.accounts.service import admins
from backend.console.errors import ConsoleError
from backend.core.errors import AppError, AuthError
from backend.core.permissions import Permission
from backend.core.web.permissions import requires

COOKIE = "houqin_console"
LOGIN_CSRF_COOKIE = "houqin_login_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = frozenset({"GET", "HEAD"})


def csrf_token(request: Request, session_token: str) -> str:
    return runtime(request).cipher.blind_index(session_token, context="console.csrf")


def _submitted_csrf(request: Request) -> str:
    return request.headers.get(CSRF_HEADER) or (request.form.get(CSRF_FIELD, "") if request.form else "")


def _same(expected: str, submitted: str) -> bool:
    # Bytes: compare_digest refuses non-ASCII text, and a forged token may be anything.
    return hmac.compare_digest(expected.encode(), submitted.encode())


def check_login_csrf(request: Request) -> None:
    """The login form has no session yet: its token is a random value also set as a cookie."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not _same(expected, _submitted_csrf(request)):
        raise ConsoleError.CSRF_REFUSED.error()


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def set_cookie(response: HTTPResponse, name: str, value: str, request: Request, max_age: int) -> None:
    response.add_cookie(
        name,
        value,
        path="/console",
        httponly=True,
        samesite="Strict",
        secure=request.scheme == "https",
        max_age=max_age,
    )


PASSWORD_PAGE = "/console/password"


def _here(request: Request) -> str:
    return quote(request.path + (f"?{request.query_string}" if request.query_string else ""))


def login_redirect(request: Request, expired: bool) -> HTTPResponse:
    target = "/console/login?next=" + _here(request)
    if expired:
        target += "&expired=1"
    return _full_page_redirect(request, target)


def _full_page_redirect(request: Request, target: str) -> HTTPResponse:
    if request.headers.get("hx-request"):
        # htmx follows HX-Redirect with a full page load instead of swapping the login page in.
        response = HTTPResponse(status=204)
        response.headers["HX-Redirect"] = target
        return response
    return redirect(target)


def console_page(permission: Permission | None, *, while_password_change_due: bool = False):
    """Authenticate the console admin from the cookie, require `permission` (None: any admin),
    and refuse a write whose CSRF token does not match the session. An admin who must choose
    their own password first is sent to the password page from every page but the ones marked
    `while_password_change_due` (that page itself, logout)."""

    def decorator(handler):
        @wraps(handler)
        async def wrapper(request: Request, *args, **kwargs):
            token = request.cookies.get(COOKIE, "")
            try:
                principal = await admins.authenticate(
                    runtime(request).admin_sessions, token, while_password_change_due=while_password_change_due
                )
            except AppError as refusal:
                if refusal.code in (AuthError.NOT_AUTHENTICATED.code, AuthError.SESSION_EXPIRED.code):
                    return login_redirect(request, expired=bool(token))
                if refusal.code == AccountsError.PASSWORD_CHANGE_REQUIRED.code:
                    return _full_page_redirect(request, f"{PASSWORD_PAGE}?next={_here(request)}")
                raise
            request.ctx.principal = principal
            request.ctx.csrf = csrf_token(request, token)
            if request.method not in _SAFE_METHODS and not _same(request.ctx.csrf, _submitted_csrf(request)):
                raise ConsoleError.CSRF_REFUSED.error()
            if permission and not principal.can(permission):
                raise AuthError.PERMISSION_DENIED.error()
            return await handler(request, *args, **kwargs)

        return requires(wrapper, permission)

    return decorator
