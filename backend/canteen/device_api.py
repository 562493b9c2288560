"""The canteen API for terminals (signed device requests): pay, balance, risk parameters,
the menu a menu-mode terminal offers, offline journal."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import device_signed, runtime
from backend.canteen.schemas import OfflineBatchIn, TerminalPayIn
from backend.canteen.service import menus, offline, payments
from backend.core.web.apidocs import Query, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts

bp = Blueprint("canteen_device", url_prefix="/device/v1/canteen")


@bp.post("/pay")
@api("终端联机消费")
@device_signed
@accepts(TerminalPayIn)
async def pay(request: Request, body: TerminalPayIn):
    """Pay by card UID or pay code. 200 with the split and balances, or 402 with the refusal;
    a retry with the same `txn_no` returns the first answer and charges nothing more."""
    answer = await payments.pay(
        runtime(request).redis,
        request.ctx.principal.device_id,
        payments.PayRequest(
            txn_no=body.txn_no,
            card_uid=body.card_uid,
            pay_code=body.pay_code,
            amount_fen=body.amount_fen,
            items=tuple((i.dish_id, i.quantity) for i in body.items),
        ),
    )
    return ok(answer.body, answer.http_status)


@bp.get("/balance")
@api("终端查询卡余额", query=(Query("card_uid", "卡号", required=True),))
@device_signed
async def balance(request: Request):
    """A card's balance for the diner at the terminal (`?card_uid=`); 402 for an unknown, lost or
    cancelled card, with the reason in words for the diner."""
    return ok(await payments.card_balance(request.ctx.principal.device_id, request.args.get("card_uid", "")))


@bp.get("/risk")
@api("终端取脱机风控名单", query=(Query("card_categories_version", "终端已有的卡类别版本", int),))
@device_signed
async def risk(request: Request):
    """What the terminal may do while offline: limits, the blacklist with its version, and the
    cards not priced as staff with their diner category. `?card_categories_version=` names the
    version the terminal holds: `card_categories` is left out while it is still the current one."""
    return ok(
        await offline.risk_parameters(request.ctx.principal.device_id, request.args.get("card_categories_version"))
    )


@bp.get("/menu")
@api("终端取当前菜单与价格")
@device_signed
async def menu(request: Request):
    """The dishes the terminal offers now: today's menu of the current meal period (every
    dish the canteen sells when no menu is set for it), each with its price in fen and whether
    it is still sold. The server prices the payment itself."""
    return ok(await menus.terminal_menu(request.ctx.principal.device_id))


@bp.post("/offline-payments")
@api("终端上传脱机消费记录")
@device_signed
@accepts(OfflineBatchIn)
async def offline_payments(request: Request, body: OfflineBatchIn):
    """Upload the offline journal; each entry is applied once, in payment-time order."""
    results = await offline.upload(
        request.ctx.principal.device_id,
        [offline.OfflinePayment(p.txn_no, p.card_uid, p.amount_fen, p.paid_at, p.voided) for p in body.payments],
    )
    return ok({"results": results})
