"""The console's own pages: login, logout and the dashboard."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect
from sanic_ext import render

from backend.accounts import admins, devices
from backend.accounts.guards import canteen_scope, client_ip, runtime
from backend.accounts.schemas import AdminLoginIn
from backend.canteen import service as canteen
from backend.canteen.reports import PERIOD_NAMES
from backend.console.forms import FormErrors, form_data, validate
from backend.console.render import can, page, secure_headers
from backend.console.session import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    check_login_csrf,
    console_page,
    new_login_csrf,
    set_cookie,
)
from backend.core.errors import AppError
from backend.core.timeutil import now, today
from backend.repairs import parts as repair_parts
from backend.repairs import service as repairs

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
    day = today()
    context: dict = {"day": day}
    if can(request, "canteen.view_payment"):
        scope = canteen_scope(request, "canteen.view_payment")
        summary = canteen.by_canteen_and_period(await canteen.daily_totals(day, scope=scope))
        canteens = sorted({row["canteen_name"] for row in summary})
        periods = [p for p in PERIOD_NAMES if any(r["period"] == p for r in summary)]
        by_key = {(r["canteen_name"], r["period"]): r for r in summary}
        context["meals"] = {
            "total": sum(r["meals"] for r in summary),
            "amount_fen": sum(r["amount_fen"] for r in summary),
            "rows": summary,
            "chart": {
                "canteens": canteens,
                "series": [
                    {
                        "name": PERIOD_NAMES[p],
                        "meals": [by_key.get((c, p), {}).get("meals", 0) for c in canteens],
                        "amount": [round(by_key.get((c, p), {}).get("amount_fen", 0) / 100, 2) for c in canteens],
                    }
                    for p in periods
                ],
            },
        }
        context["flagged"] = await canteen.flagged_count(day - timedelta(days=7), scope=scope)
    if can(request, "repairs.view_report"):
        context["repairs"] = {**await repairs.open_counts(now()), "low_stock": len(await repair_parts.low_stock())}
    if can(request, "accounts.view_device"):
        context["devices"] = await devices.status_counts()
        context["offline_devices"] = await devices.offline_devices(5)
    return await page(request, "dashboard.html", period_names=PERIOD_NAMES, **context)
