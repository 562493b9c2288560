"""Console pages where a canteen manager sets a canteen up: the canteens and their limits, meal
periods with their prices per diner category, and which devices take payments there. A manager
whose role is granted over one canteen sees and sets up that canteen only."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, scope
from backend.accounts.service.devices import DEVICE_STATES, DeviceKind, devices_query
from backend.canteen.models import DinerCategory, TerminalMode
from backend.canteen.permissions import CanteenPermission
from backend.canteen.schemas import CanteenCreateIn, CanteenUpdateIn, PeriodIn, TerminalBindIn
from backend.canteen.service import canteens as service
from backend.canteen.service.reports import PERIOD_NAMES
from backend.console.forms import FormErrors, form_data, posted, submit, yuan_to_fen
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.core.money import yuan_text

bp = Blueprint("console_canteen_setup", url_prefix="/console/canteen/canteens")

FLASH = {
    "created": "食堂已创建，请设置餐次与价格，并绑定终端",
    "updated": "食堂设置已保存",
    "period_saved": "餐次已保存，终端将在几秒内生效",
    "terminal_bound": "终端已绑定",
}
CANTEEN_MONEY = ("max_payment_fen", "offline_max_payment_fen")
VIEW, MANAGE = CanteenPermission.VIEW_PAYMENT, CanteenPermission.MANAGE_CANTEEN


@bp.get("/")
@console_page(VIEW)
async def canteens(request: Request):
    return await _list_page(request)


async def _list_page(request: Request, status: int = 200, form: dict | None = None, errors: FormErrors | None = None):
    # Opening a canteen is for those who manage every canteen, not one.
    can_create = can(request, MANAGE) and scope(request, MANAGE).is_everything
    return await page(
        request,
        "canteen/canteens.html",
        status=status,
        canteens=await service.list_canteens(scope=scope(request, VIEW)),
        can_manage=can_create,
        form=form or {},
        errors=errors or FormErrors(),
    )


@bp.post("/")
@console_page(MANAGE)
async def create_canteen(request: Request):
    scope(request, MANAGE).require_everything()
    created, errors = await submit(
        CanteenCreateIn,
        form_data(request),
        lambda body: service.create_canteen(
            actor(request),
            body.code,
            body.name,
            body.location,
            body.max_payment_fen,
            scope=scope(request, MANAGE),
        ),
        {"canteen.canteen_code_taken": "code"},
        yuan=("max_payment_fen",),
    )
    if not errors:
        return redirect(f"/console/canteen/canteens/{created['code']}?done=created")
    return await _list_page(request, 422, posted(request), errors)


def _period_form(period: dict | None) -> dict:
    """A stored period as the form shows it: times as HH:MM, prices in yuan."""
    if period is None:
        return {}
    form = {
        k: period[k] for k in ("code", "name", "starts_at", "ends_at", "max_swipes_per_card", "booking_cutoff_hours")
    }
    for category, price in period["prices"].items():
        form[f"price_{category}"] = yuan_text(price["price_fen"])
        form[f"cap_{category}"] = yuan_text(price["subsidy_cap_fen"])
    return form


async def _canteen_page(request: Request, code: str, status: int = 200, **forms):
    canteen = await service.get_canteen(code, scope=scope(request, VIEW))
    periods = await service.list_periods(code, scope=scope(request, VIEW))
    editing = next((p for p in periods if p["code"] == request.args.get("period")), None)
    bindable = (
        await devices_query()
        .filter(kind__in=[DeviceKind.CANTEEN_TERMINAL, DeviceKind.KIOSK])
        .exclude(id__in=await service.devices_placed_outside(scope(request, MANAGE)))
        .order_by("code")
        .values("code", "name")
    )
    return await page(
        request,
        "canteen/canteen.html",
        status=status,
        canteen=canteen,
        periods=periods,
        terminals=await service.list_terminals(code, scope=scope(request, VIEW)),
        device_states=DEVICE_STATES,
        devices=[(d["code"], f"{d['code']} {d['name']}") for d in bindable],
        modes=list(TerminalMode.labels().items()),
        mode_labels=TerminalMode.labels(),
        diners=list(DinerCategory.labels().items()),
        period_names=PERIOD_NAMES,
        can_manage=can(request, MANAGE) and scope(request, MANAGE).reaches_object(canteen["id"]),
        flash=flash(request, FLASH),
        canteen_form=forms.get("canteen_form") or {**canteen, **{k: yuan_text(canteen[k]) for k in CANTEEN_MONEY}},
        canteen_errors=forms.get("canteen_errors", FormErrors()),
        period_form=forms.get("period_form") or _period_form(editing),
        period_errors=forms.get("period_errors", FormErrors()),
        terminal_form=forms.get("terminal_form", {}),
        terminal_errors=forms.get("terminal_errors", FormErrors()),
    )


async def _require_manageable(request: Request, code: str) -> None:
    """Refuse the whole page (403 or 404) before a form is read: a manager of one canteen gets
    no form errors about another."""
    await service.get_canteen(code, scope=scope(request, MANAGE))


@bp.get("/<code:str>")
@console_page(VIEW)
async def canteen_detail(request: Request, code: str):
    return await _canteen_page(request, code)


@bp.post("/<code:str>")
@console_page(MANAGE)
async def update_canteen(request: Request, code: str):
    await _require_manageable(request, code)
    _, errors = await submit(
        CanteenUpdateIn,
        form_data(request),
        lambda body: service.update_canteen(actor(request), code, **body.model_dump(), scope=scope(request, MANAGE)),
        yuan=CANTEEN_MONEY,
    )
    if not errors:
        return redirect(f"/console/canteen/canteens/{code}?done=updated")
    return await _canteen_page(request, code, 422, canteen_form=posted(request), canteen_errors=errors)


@bp.post("/<code:str>/periods")
@console_page(MANAGE)
async def save_period(request: Request, code: str):
    """A blank price leaves that kind of diner without a price: they are refused at this period."""
    await _require_manageable(request, code)
    data = form_data(request)
    errors = FormErrors()
    price_fields = tuple(f"{kind}_{c.value}" for c in DinerCategory for kind in ("price", "cap"))
    yuan_to_fen(data, price_fields, errors)
    for c in DinerCategory:
        if f"cap_{c.value}" in data and f"price_{c.value}" not in data:
            errors[f"price_{c.value}"] = "填写餐补上限时须同时填写价格"
    if not errors:
        data["prices"] = {
            c.value: {"price_fen": data.pop(f"price_{c.value}"), "subsidy_cap_fen": data.pop(f"cap_{c.value}", 0)}
            for c in DinerCategory
            if f"price_{c.value}" in data
        }
        for name in price_fields:
            data.pop(name, None)
        _, errors = await submit(
            PeriodIn,
            data,
            lambda body: service.set_period(
                actor(request),
                code,
                body.code,
                body.name,
                body.starts_at,
                body.ends_at,
                body.max_swipes_per_card,
                {c: (p.price_fen, p.subsidy_cap_fen) for c, p in body.prices.items()},
                body.booking_cutoff_hours,
                scope=scope(request, MANAGE),
            ),
            {"canteen.period_invalid": "starts_at"},
        )
        if not errors:
            return redirect(f"/console/canteen/canteens/{code}?done=period_saved")
    return await _canteen_page(request, code, 422, period_form=posted(request), period_errors=errors)


@bp.post("/<code:str>/terminals")
@console_page(MANAGE)
async def bind_terminal(request: Request, code: str):
    await _require_manageable(request, code)
    _, errors = await submit(
        TerminalBindIn,
        form_data(request),
        lambda body: service.bind_terminal(
            actor(request),
            code,
            body.device_code,
            body.mode,
            body.name,
            scope=scope(request, MANAGE),
        ),
        {"canteen.device_not_terminal": "device_code", "auth.out_of_scope": "device_code"},
    )
    if not errors:
        return redirect(f"/console/canteen/canteens/{code}?done=terminal_bound")
    return await _canteen_page(request, code, 422, terminal_form=posted(request), terminal_errors=errors)
