"""Console API of the wallet module: a person's wallet and cards, card issue and cancel,
manual adjustments (audited), cash refunds and closing (销户), history, subsidy rules and grants."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import actor, admin_required
from backend.core.timeutil import now
from backend.core.web.apidocs import PAGING, Listed, Paged, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts, idempotency_key, query_int
from backend.wallet.models import CardState
from backend.wallet.permissions import WalletPermission
from backend.wallet.schemas import (
    AdjustedOut,
    AdjustmentIn,
    CardIssueIn,
    CardOut,
    CashRefundDoneOut,
    CashRefundIn,
    CashRefundOut,
    HistoryLine,
    SubsidyRuleIn,
    SubsidyRuleKeyIn,
    SubsidyRuleOut,
    SubsidyRunIn,
    SubsidyRunOut,
    WalletCloseIn,
    WalletOut,
)
from backend.wallet.service import cash_refund, subsidy
from backend.wallet.service import wallets as service

bp = Blueprint("wallet_admin", url_prefix="/admin/v1/wallet")


@bp.get("/people/<person_id:int>")
@api("一卡通账户余额与卡片", WalletOut)
@admin_required(WalletPermission.VIEW_WALLET)
async def wallet(request: Request, person_id: int):
    return ok({"balance": await service.wallet_view(person_id), "cards": await service.list_cards(person_id)})


@bp.get("/people/<person_id:int>/history")
@api("账户流水（分页）", Paged[HistoryLine], query=(*PAGING,))
@admin_required(WalletPermission.VIEW_WALLET)
async def history(request: Request, person_id: int):
    return ok(
        await service.history(
            person_id, query_int(request, "page", 1, 1, 100_000), query_int(request, "page_size", 20, 1, 100)
        )
    )


@bp.post("/people/<person_id:int>/cards")
@api("发卡或补卡", CardOut, status=201)
@admin_required(WalletPermission.MANAGE_CARD)
@accepts(CardIssueIn)
async def issue_card(request: Request, person_id: int, body: CardIssueIn):
    return ok(await service.issue_card(actor(request), person_id, body.uid, replace=body.replace), 201)


@bp.post("/people/<person_id:int>/cards/<card_id:int>/cancel")
@api("注销卡片", CardOut)
@admin_required(WalletPermission.MANAGE_CARD)
async def cancel_card(request: Request, person_id: int, card_id: int):
    return ok(await service.change_card_state(person_id, card_id, CardState.CANCELLED, actor(request)))


@bp.post("/people/<person_id:int>/adjustments")
@api("人工调账", AdjustedOut)
@admin_required(WalletPermission.ADJUST_WALLET)
@accepts(AdjustmentIn)
async def adjust(request: Request, person_id: int, body: AdjustmentIn):
    """Needs an `Idempotency-Key` header (8–64 characters): a retry with it changes nothing."""
    return ok(
        await service.adjust(actor(request), person_id, body.cash_delta_fen, body.reason, idempotency_key(request))
    )


@bp.get("/people/<person_id:int>/cash-refunds")
@api("现金退款记录", Listed[CashRefundOut])
@admin_required(WalletPermission.VIEW_WALLET)
async def list_cash_refunds(request: Request, person_id: int):
    return ok({"items": await cash_refund.list_refunds(person_id)})


@bp.post("/people/<person_id:int>/cash-refunds")
@api("办理现金退款", CashRefundDoneOut)
@admin_required(WalletPermission.REFUND_CASH)
@accepts(CashRefundIn)
async def refund_cash(request: Request, person_id: int, body: CashRefundIn):
    """Pay part of the cash balance back. Needs an `Idempotency-Key` header: a retry pays nothing twice."""
    return ok(
        await cash_refund.refund_cash(
            actor(request), person_id, body.amount_fen, body.payout(), idempotency_key(request)
        )
    )


@bp.post("/people/<person_id:int>/close")
@api("销户：退还现金、收回餐补、注销卡片", CashRefundDoneOut)
@admin_required(WalletPermission.REFUND_CASH)
@accepts(WalletCloseIn)
async def close_wallet(request: Request, person_id: int, body: WalletCloseIn):
    """销户: all the cash paid back, the subsidy returned to its funding, the cards cancelled.
    Needs an `Idempotency-Key` header."""
    return ok(await cash_refund.close_wallet(actor(request), person_id, body.payout(), idempotency_key(request)))


@bp.get("/subsidy-rules")
@api("餐补规则列表", Listed[SubsidyRuleOut])
@admin_required(WalletPermission.MANAGE_SUBSIDY)
async def list_subsidy_rules(request: Request):
    return ok({"items": await subsidy.list_rules()})


@bp.post("/subsidy-rules")
@api("设置餐补规则", SubsidyRuleOut)
@admin_required(WalletPermission.MANAGE_SUBSIDY)
@accepts(SubsidyRuleIn)
async def set_subsidy_rule(request: Request, body: SubsidyRuleIn):
    return ok(
        await subsidy.set_rule(
            actor(request), body.unit_code, body.staff_category, body.amount_fen, body.expires_monthly
        )
    )


@bp.post("/subsidy-rules/deactivate")
@api("停用餐补规则", SubsidyRuleOut)
@admin_required(WalletPermission.MANAGE_SUBSIDY)
@accepts(SubsidyRuleKeyIn)
async def deactivate_subsidy_rule(request: Request, body: SubsidyRuleKeyIn):
    """Switch a rule off: from the next grant its people fall to the rule of a unit above, if any."""
    return ok(await subsidy.deactivate_rule(actor(request), body.unit_code, body.staff_category))


@bp.post("/subsidy-grants")
@api("按规则发放本月餐补", SubsidyRunOut)
@admin_required(WalletPermission.MANAGE_SUBSIDY)
@accepts(SubsidyRunIn)
async def grant_subsidy(request: Request, body: SubsidyRunIn):
    """Grant a month's subsidy now (as the monthly job would); people already granted are skipped."""
    outcome = await subsidy.grant_month(subsidy.parse_month(body.month), now(), actor=actor(request))
    return ok({"month": body.month, **outcome})
