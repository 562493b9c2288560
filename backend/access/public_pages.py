"""The visitor's mobile web page (访客通行页) behind the invitation link `<ACCESS_LINK_BASE_URL>/v/<link>`,
for a visitor without the mini-program: server-rendered pages (zh-CN, sized for a phone), an edge
like `protocols/` and `pages/`, so it may import sanic; the decisions are `service.visits` and
`service.passes`, as for the mini-program's visitor API.

- `GET /v/<link>` opens the link once (`visits.open_link`) and keeps the visitor token in an
  HttpOnly, SameSite=Strict cookie (Secure over https) named after the visit and scoped to `/v/`,
  then redirects to `/v/visit/<code>`. A second opening shows 邀请链接无效….
- `GET /v/visit/<code>`: the visit, masked (`visits.visitor_view`), for the token of that visit
  only (otherwise a 401 page). Waiting for the visitor: the form for the ID number and an optional
  plate (`POST /v/visit/<code>` → `visits.complete`), protected by a form token that is an HMAC of
  the visitor token (as the console's CSRF token is of its session: nothing to store). Granted
  (READY, INSIDE, LEFT): the pass QR as inline SVG, which static/access/visitor.js replaces every
  `refresh_in` seconds from `GET /v/visit/<code>/pass.svg` (Cache-Control: no-store). Ended
  visits say so in words.

Nothing here shows or puts back an ID number, phone or plate the visitor typed; refusals are the
services' Chinese messages. Every page carries the console's CSP (no inline script, nothing from
elsewhere), and every route is limited per address, as anyone can call them."""

from __future__ import annotations

import hmac
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse, html, raw, redirect
from sanic_ext import render

from backend.access.errors import AccessError
from backend.access.models import Visit, VisitState
from backend.access.pages.common import qr_svg, settings
from backend.access.service import passes, visits
from backend.access.service.visits import MAX_WINDOW_DAYS
from backend.accounts.guards import rate_limited, runtime
from backend.console.render import secure_headers, when
from backend.core.errors import AppError
from backend.core.timeutil import now

bp = Blueprint("access_public_pages", url_prefix="/v")

COOKIE_PREFIX = "houqin_visitor_"
COOKIE_PATH = "/v/"
# The token outlives the longest visit window and the link's own life.
COOKIE_MAX_AGE = (MAX_WINDOW_DAYS + 2) * 24 * 3600
FORM_FIELD = "form_token"
RATE = ("api_rate_limit", "public_pages")
GRANTED = (VisitState.READY, VisitState.INSIDE, VisitState.LEFT)
# What an ended or waiting visit tells the visitor, in words.
STATE_WORDS = {
    VisitState.AWAITING_HOST: "已提交，正在等待被访人确认，请稍后刷新本页。",
    VisitState.NO_SHOW: "来访时间已过，本次来访记为未到访，通行码已失效。",
    VisitState.NOT_SIGNED_OUT: "本次来访已结束（未签离，已自动签离），通行码已失效。",
    VisitState.REFUSED: "被访人已拒绝本次来访，不能通行。",
    VisitState.REVOKED: "本次来访已撤销，通行码已失效。",
}
# Refusals of the form shown above the form (the rest are an error page).
FORM_REFUSALS = {
    AccessError.ID_NUMBER_INVALID.code,
    AccessError.PLATE_INVALID.code,
    AccessError.WINDOW_INVALID.code,
    AccessError.BLOCKED.code,
    AccessError.VISIT_STATE.code,
}


def _cookie(code: str) -> str:
    return COOKIE_PREFIX + code


def _form_token(request: Request, visitor_token: str) -> str:
    return runtime(request).cipher.blind_index(visitor_token, context="access.visitor_form")


def _same(expected: str, submitted: str) -> bool:
    return hmac.compare_digest(expected.encode(), submitted.encode())


async def _page(request: Request, template: str, status: int = 200, **context) -> HTTPResponse:
    response = await render(template, status=status, context={"when": when, **context})
    return secure_headers(response)


# The app's error handler is synchronous, so its page for refusals under /v/ (an unknown path, too
# many requests) has an environment of its own, as the console's has.
_errors = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"), autoescape=select_autoescape())


def render_error(request: Request, error: AppError, request_id: str) -> HTTPResponse:
    """Any refusal under /v/ that no handler here answered, as the visitor's error page."""
    body = _errors.get_template("access/visitor_error.html").render(message=error.message, code=error.status)
    return secure_headers(html(body, status=error.status))


async def _error(request: Request, error: AppError) -> HTTPResponse:
    return await _page(
        request, "access/visitor_error.html", status=error.status, message=error.message, code=error.status
    )


async def _visit(request: Request, code: str) -> tuple[Visit, str]:
    """The visit named in the path, for the visitor token its own cookie holds."""
    token = request.cookies.get(_cookie(code), "")
    visit = await visits.by_visitor_token(token)
    if visit.code != code:
        raise AccessError.VISITOR_TOKEN_INVALID.error()
    return visit, token


@bp.get("/<link:str>")
@rate_limited(*RATE)
async def open_link(request: Request, link: str):
    try:
        visit, token = await visits.open_link(link, now())
    except AppError as refusal:
        return await _error(request, refusal)
    response = secure_headers(redirect(f"/v/visit/{visit['code']}", status=303))
    response.add_cookie(
        _cookie(visit["code"]),
        token,
        path=COOKIE_PATH,
        httponly=True,
        samesite="Strict",
        secure=request.scheme == "https",
        max_age=COOKIE_MAX_AGE,
    )
    return response


async def _show(request: Request, visit: Visit, token: str, status: int = 200, form_error: str = "") -> HTTPResponse:
    view = await visits.visitor_view(visit)
    context = {"visit": view, "state_words": STATE_WORDS.get(visit.state, ""), "form_error": form_error}
    if visit.state == VisitState.AWAITING_VISITOR:
        context["form_token"] = _form_token(request, token)
    elif visit.state in GRANTED:
        rt = runtime(request)
        try:
            current = await passes.current_token(rt.settings.data_key, settings(request), visit.id, now())
        except AppError as refusal:
            context["pass_problem"] = refusal.message
        else:
            context["qr"] = Markup(qr_svg(current["token"]))  # noqa: S704 - our own qrcode markup
            context["refresh_in"] = current["refresh_in"]
    return await _page(request, "access/visitor_visit.html", status=status, **context)


@bp.get("/visit/<code:str>")
@rate_limited(*RATE)
async def show_visit(request: Request, code: str):
    try:
        visit, token = await _visit(request, code)
    except AppError as refusal:
        return await _error(request, refusal)
    return await _show(request, visit, token)


@bp.post("/visit/<code:str>")
@rate_limited(*RATE)
async def complete(request: Request, code: str):
    try:
        visit, token = await _visit(request, code)
    except AppError as refusal:
        return await _error(request, refusal)
    form = request.form or {}
    if not _same(_form_token(request, token), form.get(FORM_FIELD, "")):
        return await _error(request, AccessError.VISITOR_TOKEN_INVALID.error())
    rt = runtime(request)
    try:
        await visits.complete(
            rt.cipher, settings(request), token, form.get("id_number", ""), form.get("plate", ""), now()
        )
    except AppError as refusal:
        if refusal.code not in FORM_REFUSALS:
            return await _error(request, refusal)
        visit = await Visit.get(id=visit.id)
        return await _show(request, visit, token, status=refusal.status, form_error=refusal.message)
    return secure_headers(redirect(f"/v/visit/{code}", status=303))


@bp.get("/visit/<code:str>/pass.svg")
@rate_limited(*RATE)
async def pass_svg(request: Request, code: str):
    """The pass QR signed for this minute, as SVG; `X-Refresh-In` says when to fetch the next."""
    try:
        visit, _ = await _visit(request, code)
        rt = runtime(request)
        current = await passes.current_token(rt.settings.data_key, settings(request), visit.id, now())
    except AppError as refusal:
        response = raw(refusal.message.encode(), status=refusal.status, content_type="text/plain; charset=utf-8")
        return secure_headers(response)
    response = raw(qr_svg(current["token"]).encode(), content_type="image/svg+xml; charset=utf-8")
    response.headers["X-Refresh-In"] = str(current["refresh_in"])
    return secure_headers(response)
