"""Console page of pickup (取货核销) for a counter without a terminal: type or scan a pickup code,
see the order, confirm the hand-over; the day's pickups; the 到货 button per pickup day. Also the
dashboard card 今日取货."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime
from backend.console.forms import FormErrors
from backend.console.render import flash, page
from backend.console.session import console_page
from backend.core.errors import AppError
from backend.core.permissions import AdminPrincipal
from backend.core.timeutil import now, parse_day, today
from backend.core.web.validation import query_int
from backend.modules import settings_of
from backend.shop.errors import ShopError
from backend.shop.permissions import ShopPermission as P
from backend.shop.service import pickup

bp = Blueprint("console_shop_pickup", url_prefix="/console/shop")

# Refusals of a code or a hand-over shown on the page rather than as an error page.
_SHOWN = {
    e.code
    for e in (
        ShopError.PICKUP_CODE_INVALID,
        ShopError.PICKUP_CODE_FOREIGN,
        ShopError.PICKUP_CODE_UNKNOWN,
        ShopError.PICKUP_NOT_READY,
        ShopError.PICKUP_REFUNDING,
        ShopError.PICKUP_NOT_ALLOWED,
        ShopError.ALREADY_PICKED_UP,
        ShopError.CYCLE_NOT_FOUND,
        ShopError.NOT_A_PICKUP_DAY,
    )
}


def _form(request: Request, name: str) -> str:
    return ((request.form.get(name) if request.form else "") or "").strip()


async def _pickup_page(request: Request, status: int = 200, errors: FormErrors | None = None, code: str = ""):
    day = parse_day(request.args.get("day")) or today()
    errors = errors or FormErrors()
    code = code or (request.args.get("code") or "").strip()
    order = None
    if code:
        try:
            order = await pickup.lookup(code)
        except AppError as refusal:
            if refusal.code not in _SHOWN:
                raise
            errors.setdefault("code", refusal.message)
    settings = settings_of(runtime(request).settings, "shop")
    return await page(
        request,
        "shop/pickup.html",
        status=status,
        day=day,
        code=code,
        order=order,
        errors=errors,
        board=await pickup.day_board(day),
        just_handed=request.args.get("done") == "handed",
        arrivals=await pickup.arrivals(today()),
        settings=settings,
        unpicked=await pickup.unpicked(now(), settings),
        flash=flash(
            request,
            {
                "handed": "已交付",
                "ready": f"已标记到货，并已通知取货人（{query_int(request, 'n', 0, 0, 100_000)} 个订单）",
            },
        ),
    )


@bp.get("/pickup")
@console_page(P.HAND_OVER)
async def pickup_page(request: Request):
    return await _pickup_page(request)


@bp.post("/pickup/confirm")
@console_page(P.HAND_OVER)
async def confirm(request: Request):
    code, order_no = _form(request, "code"), _form(request, "order_no")
    who = actor(request)
    try:
        handed = await pickup.hand_over(
            order_no, pickup.code_of(code), "控制台取货核销", f"{who.name}（控制台）", now(), actor=who
        )
    except AppError as refusal:
        if refusal.code not in _SHOWN:
            raise
        return await _pickup_page(request, 409, FormErrors({"": refusal.message}), code=code)
    return redirect(f"/console/shop/pickup?{urlencode({'done': 'handed', 'code': code, 'day': handed['pickup_day']})}")


@bp.post("/pickup/ready")
@console_page(P.HAND_OVER)
async def mark_ready(request: Request):
    try:
        cycle_id = int(_form(request, "cycle_id"))
        day = date.fromisoformat(_form(request, "pickup_day"))
    except ValueError:
        return await _pickup_page(request, 422, FormErrors({"": "请选择主题周和取货日"}))
    try:
        moved = await pickup.mark_ready(actor(request), cycle_id, day, now())
    except AppError as refusal:
        if refusal.code not in _SHOWN:
            raise
        return await _pickup_page(request, 422, FormErrors({"": refusal.message}))
    return redirect(f"/console/shop/pickup?{urlencode({'done': 'ready', 'n': moved, 'day': day.isoformat()})}")


async def dashboard_card(principal: AdminPrincipal, day: date) -> dict:
    """今日取货: orders of today's pickup day waiting and not yet arrived, those picked up today,
    and those left past their pickup day."""
    counts = await pickup.day_counts(day)
    return {**counts, "alerting": bool(counts["overdue"])}
