"""Console API of the wallet module: a person's wallet and cards, card issue and cancel,
manual adjustments (audited), history."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import actor, admin_required
from backend.core.web.responses import ok
from backend.core.web.validation import accepts, query_int
from backend.wallet import service
from backend.wallet.models import CardState
from backend.wallet.schemas import AdjustmentIn, CardIssueIn

bp = Blueprint("wallet_admin", url_prefix="/admin/v1/wallet")


@bp.get("/people/<person_id:int>")
@admin_required("wallet.view_wallet")
async def wallet(request: Request, person_id: int):
    return ok({"balance": await service.wallet_view(person_id), "cards": await service.list_cards(person_id)})


@bp.get("/people/<person_id:int>/history")
@admin_required("wallet.view_wallet")
async def history(request: Request, person_id: int):
    return ok(await service.history(
        person_id, query_int(request, "page", 1, 1, 100_000), query_int(request, "page_size", 20, 1, 100)
    ))


@bp.post("/people/<person_id:int>/cards")
@admin_required("wallet.manage_card")
@accepts(CardIssueIn)
async def issue_card(request: Request, person_id: int, body: CardIssueIn):
    return ok(await service.issue_card(actor(request), person_id, body.uid, replace=body.replace), 201)


@bp.post("/people/<person_id:int>/cards/<card_id:int>/cancel")
@admin_required("wallet.manage_card")
async def cancel_card(request: Request, person_id: int, card_id: int):
    return ok(await service.change_card_state(person_id, card_id, CardState.CANCELLED, actor(request)))


@bp.post("/people/<person_id:int>/adjustments")
@admin_required("wallet.adjust_wallet")
@accepts(AdjustmentIn)
async def adjust(request: Request, person_id: int, body: AdjustmentIn):
    return ok(await service.adjust(actor(request), person_id, body.cash_delta_fen, body.reason))
