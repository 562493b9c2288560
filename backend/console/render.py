"""Rendering a console page: the template plus what the shell around it needs."""

from __future__ import annotations

from sanic.request import Request
from sanic.response import HTTPResponse
from sanic_ext import render

from backend.console.nav import visible_nav
from backend.console.tables import cell_text

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


async def page(request: Request, template: str, status: int = 200, **context) -> HTTPResponse:
    principal = request.ctx.principal
    response = await render(
        f"console/{template}",
        status=status,
        context={
            "admin": principal,
            "nav": visible_nav(principal, request.path),
            "csrf": request.ctx.csrf,
            "request_path": request.path,
            "cell": cell_text,
            **context,
        },
    )
    return secure_headers(response)


def can(request: Request, permission: str) -> bool:
    return request.ctx.principal.can(permission)
