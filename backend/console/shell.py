"""The console's own pages: login, logout and the dashboard."""

from __future__ import annotations

from urllib.parse import urlsplit

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect
from sanic_ext import render

from backend.accounts.guards import client_ip, runtime
from backend.accounts.schemas import AdminLoginIn
from backend.accounts.service import admins
from backend.console.forms import FormErrors, form_data, validate
from backend.console.render import page, secure_headers
from backend.console.session import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    check_login_csrf,
    console_page,
    new_login_csrf,
    set_cookie,
)
from backend.core.errors import AppError
from backend.core.modules import resolve
from backend.core.timeutil import today

bp = Blueprint("console", url_prefix="/console")


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
        token, _ = await admins.login_throttled(
            rt.limiter,
            rt.settings.login_rate_limit,
            rt.admin_sessions,
            body.username,
            body.password,
            client_ip(request),
        )
    except AppError as refusal:
        return await _login_page(request, refusal.status, FormErrors({"": refusal.message}), body.username)
    response = redirect(_safe_next((request.form or {}).get("next")))
    set_cookie(response, COOKIE, token, request, max_age=rt.settings.admin_session_ttl)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return response


@bp.post("/logout")
@console_page(None)
async def logout(request: Request):
    await runtime(request).admin_sessions.revoke(request.cookies.get(COOKIE, ""))
    response = redirect("/console/login")
    response.delete_cookie(COOKIE, path="/console")
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
    return await page(request, "console/dashboard.html", day=day, cards=cards)
