"""The cadre's one-card wallet: balances and cards, history, pay code, card lost/unlock, top-up."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import bearer_token, cadre_required, rate_limited, runtime
from backend.core.web.apidocs import PAGING, Paged, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts, query_int
from backend.wallet.schemas import CardOut, HistoryLine, PayCodeOut, TopUpIn, TopUpOrderOut, TopUpOut, WalletOut
from backend.wallet.service import paycode, topup
from backend.wallet.service import wallets as service
from backend.wallet.service.wallets import CardState

bp = Blueprint("mp_wallet", url_prefix="/wallet")
TITLE = "小程序·一卡通"


@bp.get("")
@api("我的余额与卡片", WalletOut)
@cadre_required
async def wallet(request: Request):
    person_id = request.ctx.principal.person_id
    return ok({"balance": await service.wallet_view(person_id), "cards": await service.list_cards(person_id)})


@bp.get("/history")
@api("我的消费与充值流水（分页）", Paged[HistoryLine], query=(*PAGING,))
@cadre_required
async def history(request: Request):
    return ok(
        await service.history(
            request.ctx.principal.person_id,
            query_int(request, "page", 1, 1, 10_000),
            query_int(request, "page_size", 20, 1, 50),
        )
    )


@bp.post("/paycode")
@api("取付款码密钥与当前付款码", PayCodeOut)
@cadre_required
@rate_limited("api_rate_limit", "mp_paycode")
async def pay_code(request: Request):
    """A pay-code key for this session: the page computes a fresh code every 30 s from it, even
    offline; `code` is the current one for pages that do not compute."""
    rt = runtime(request)
    key = await paycode.key_for_session(
        rt.redis,
        rt.cadre_auth.sessions.session_key(bearer_token(request)),
        request.ctx.principal.person_id,
        rt.settings.cadre_session_ttl,
    )
    return ok({**key.as_dict(), "code": paycode.code_for(key)})


@bp.post("/cards/<card_id:int>/lost")
@api("挂失卡片", CardOut)
@cadre_required
async def report_lost(request: Request, card_id: int):
    """挂失: the card stops paying at once, online and (after their next sync) at offline terminals."""
    return ok(await service.change_card_state(request.ctx.principal.person_id, card_id, CardState.LOST))


@bp.post("/cards/<card_id:int>/unlock")
@api("解除挂失", CardOut)
@cadre_required
async def unlock(request: Request, card_id: int):
    return ok(await service.change_card_state(request.ctx.principal.person_id, card_id, CardState.ACTIVE))


@bp.post("/topups")
@api("发起微信充值", TopUpOut, status=201)
@cadre_required
@rate_limited("api_rate_limit", "mp_topup")
@accepts(TopUpIn)
async def create_topup(request: Request, body: TopUpIn):
    rt = runtime(request)
    return ok(await topup.create(rt.wechatpay, request.ctx.principal.person_id, body.amount_fen, body.client_ref), 201)


@bp.get("/topups/<out_trade_no:str>")
@api("查询充值结果", TopUpOrderOut)
@cadre_required
async def topup_status(request: Request, out_trade_no: str):
    return ok(await topup.status(request.ctx.principal.person_id, out_trade_no[:32]))
