"""The console's own pages: login, logout, the admin's own password and the dashboard."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect
from sanic_ext import render

from backend.accounts.guards import actor, client_ip, runtime
from backend.accounts.schemas import AdminLoginIn, OwnPasswordIn
from backend.accounts.service import admins
from backend.console.forms import FormErrors, form_data, submit, validate
from backend.console.render import flash, page, secure_headers
from backend.console.session import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    PASSWORD_PAGE,
    check_login_csrf,
    console_page,
    new_login_csrf,
    set_cookie,
)
from backend.core.errors import AppError
from backend.core.modules import resolve
from backend.core.timeutil import today

bp = Blueprint("console", url_prefix="/console")

FLASH = {"password_changed": "密码已修改，今后请使用新密码登录；其他地方的登录已失效"}


def _safe_next(target: str | None) -> str:
    """Only a path inside the console: never an open redirect to another site."""
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/console") or target.startswith("//"):
        return "/console/"
    return target


async def _login_page(request: Request, status: int = 200, errors: FormErrors | None = None, username: str = ""):
    token = new_login_csrf()
    response = await render(
        "console/login.html",
        status=status,
        context={
            "csrf": token,
            "errors": errors or {},
            "username": username,
            "next": _safe_next(request.args.get("next") or (request.form or {}).get("next")),
            "expired": request.args.get("expired") == "1",
        },
    )
    set_cookie(response, LOGIN_CSRF_COOKIE, token, request, max_age=3600)
    return secure_headers(response)


@bp.get("/login")
async def login_form(request: Request):
    return await _login_page(request)


@bp.post("/login")
async def login(request: Request):
    check_login_csrf(request)
    data = form_data(request)
    data.pop("next", None)
    body, errors = validate(AdminLoginIn, data)
    if body is None:
        return await _login_page(request, 422, errors, data.get("username", ""))
    rt = runtime(request)
    try:
        await rt.limiter.hit(rt.settings.login_rate_limit, "admin_login", client_ip(request))
        token, principal = await admins.login_throttled(
            rt.limiter,
            rt.settings.login_rate_limit,
            rt.admin_sessions,
            body.username,
            body.password,
            via=admins.LoginDoor.CONSOLE,
            ip=client_ip(request),
            request_id=request.ctx.request_id,
        )
    except AppError as refusal:
        return await _login_page(request, refusal.status, FormErrors({"": refusal.message}), body.username)
    target = _safe_next((request.form or {}).get("next"))
    if principal.must_change_password:
        target = f"{PASSWORD_PAGE}?next={quote(target)}"
    response = redirect(target)
    set_cookie(response, COOKIE, token, request, max_age=rt.settings.admin_session_ttl)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return response


@bp.post("/logout")
@console_page(None, while_password_change_due=True)
async def logout(request: Request):
    await admins.logout(
        runtime(request).admin_sessions, actor(request), request.cookies.get(COOKIE, ""), via=admins.LoginDoor.CONSOLE
    )
    response = redirect("/console/login")
    response.delete_cookie(COOKIE, path="/console")
    return response


async def _password_page(request: Request, status: int = 200, errors: FormErrors | None = None):
    return await page(
        request,
        "console/password.html",
        status=status,
        errors=errors or FormErrors(),
        next=_safe_next(request.args.get("next") or (request.form or {}).get("next")),
    )


@bp.get("/password")
@console_page(None, while_password_change_due=True)
async def password_form(request: Request):
    return await _password_page(request)


@bp.post("/password")
@console_page(None, while_password_change_due=True)
async def change_password(request: Request):
    """The admin's own new password; their sessions end and this browser gets a new one."""
    data = form_data(request)
    if data.pop("confirm_password", None) != data.get("new_password"):
        return await _password_page(request, 422, FormErrors(confirm_password="两次输入的新密码不一致"))
    token, errors = await submit(
        OwnPasswordIn,
        data,
        lambda body: admins.change_own_password(
            runtime(request).admin_sessions, actor(request), body.current_password, body.new_password
        ),
        {
            "accounts.wrong_current_password": "current_password",
            "accounts.weak_password": "new_password",
            "accounts.password_unchanged": "new_password",
        },
    )
    if token is None:
        return await _password_page(request, 422, errors)
    target = _safe_next((request.form or {}).get("next"))
    response = redirect(f"{target}{'&' if '?' in target else '?'}done=password_changed")
    set_cookie(response, COOKIE, token, request, max_age=runtime(request).settings.admin_session_ttl)
    return response


@bp.get("/")
@console_page(None)
async def dashboard(request: Request):
    """Today's overview: the card of every module whose permission this admin holds."""
    day = today()
    principal = request.ctx.principal
    cards = [
        {"template": card.template, "data": await resolve(card.load)(principal, day)}
        for card in request.app.ctx.platform.dashboard
        if principal.can(card.permission)
    ]
    return await page(request, "console/dashboard.html", day=day, cards=cards, flash=flash(request, FLASH))
