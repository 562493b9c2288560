"""Rendering a console page: the template plus what the shell around it needs."""

from __future__ import annotations

from datetime import datetime

from sanic.request import Request
from sanic.response import HTTPResponse
from sanic_ext import render

from backend.console.nav import visible_nav
from backend.console.tables import cell_text
from backend.core.money import format_yuan
from backend.core.permissions import Permission
from backend.core.timeutil import BUSINESS_TZ

# Pages load nothing from elsewhere: scripts, styles and images come from this server only.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


def secure_headers(response: HTTPResponse) -> HTTPResponse:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def when(value: datetime | str | None) -> str:
    """A moment as a person reads it, to the minute in business time; services give ISO text
    in their views, and models give datetimes."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(BUSINESS_TZ).strftime("%Y-%m-%d %H:%M")


async def page(request: Request, template: str, status: int = 200, **context) -> HTTPResponse:
    principal = request.ctx.principal
    response = await render(
        template,
        status=status,
        context={
            "admin": principal,
            "nav": visible_nav(request.app.ctx.platform.nav, principal, request.path),
            "csrf": request.ctx.csrf,
            "request_path": request.path,
            "cell": cell_text,
            "yuan": format_yuan,
            "when": when,
            # For pages that say when they were last brought up to date (static/console/refresh.js).
            "rendered_at": datetime.now(BUSINESS_TZ),
            **context,
        },
    )
    return secure_headers(response)


def can(request: Request, permission: Permission) -> bool:
    return request.ctx.principal.can(permission)


def flash(request: Request, messages: dict[str, str]) -> str:
    """The message a page shows after a redirect that names what was done (`?done=<key>`)."""
    return messages.get(request.args.get("done", ""), "")
