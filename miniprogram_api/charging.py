"""Charging piles (充电桩) in the mini-program: piles near me with the state of each connector,
starting at a connector whose QR code was scanned (once per client_ref), the session's live kWh
and cost, stopping it, my history with receipts, and paying off charging arrears. Another cadre's
session is not found."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import cadre_required, runtime
from backend.charging.schemas import (
    ArrearsOut,
    ChargingLiveOut,
    ChargingReceiptOut,
    ChargingSessionOut,
    NearSiteOut,
    StartIn,
    StartOut,
)
from backend.charging.service import billing, starts
from backend.core.errors import CommonError
from backend.core.timeutil import now
from backend.core.web.apidocs import PAGING, Listed, Paged, Query, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts, query_int
from backend.modules import settings_of

bp = Blueprint("mp_charging", url_prefix="/charging")
TITLE = "小程序·充电桩"


def _coordinate(text: str, name: str, bound: float) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not -bound <= value <= bound:  # NaN fails too
        invalid = [{"field": name, "message": f"应为 -{bound:g} 到 {bound:g} 之间的经纬度"}]
        raise CommonError.INVALID_INPUT.error(details={"fields": invalid})
    return value


@bp.get("/sites/near")
@api(
    "附近的充电站点（由近及远，含每把充电枪的状态）",
    Listed[NearSiteOut],
    query=(
        Query("lat", "纬度（GCJ-02，如 30.2741）", required=True),
        Query("lng", "经度（GCJ-02，如 120.1551）", required=True),
        Query("limit", "最多几个站点（1 到 50，缺省 10）", int),
    ),
)
@cadre_required
async def near(request: Request):
    lat = _coordinate(request.args.get("lat", ""), "lat", 90)
    lng = _coordinate(request.args.get("lng", ""), "lng", 180)
    limit = query_int(request, "limit", 10, 1, starts.MAX_NEAR)
    return ok({"items": await starts.piles_near(lat, lng, limit)})


@bp.post("/starts")
@api("扫码启动充电（同一 client_ref 只启动一次）", StartOut)
@cadre_required
@accepts(StartIn)
async def start(request: Request, body: StartIn):
    """The start as it stands: `sent` until the pile reports the session (poll GET /starts/<id>)."""
    rt = runtime(request)
    return ok(
        await starts.start(
            rt.redis,
            request.ctx.principal.person_id,
            body.box_id,
            body.connector_id,
            body.client_ref,
            body.plate,
            now(),
            settings_of(rt.settings, "charging"),
        )
    )


@bp.get("/starts/<start_id:int>")
@api("启动请求的进展（桩开始充电后给出充电记录编号）", StartOut)
@cadre_required
async def start_progress(request: Request, start_id: int):
    return ok(await starts.start_request(request.ctx.principal.person_id, start_id))


@bp.get("/sessions")
@api("我的充电记录（分页，最新在前，含账单）", Paged[ChargingSessionOut], query=PAGING)
@cadre_required
async def sessions(request: Request):
    return ok(
        await starts.history(
            request.ctx.principal.person_id,
            query_int(request, "page", 1, 1, 10_000),
            query_int(request, "page_size", 20, 1, 50),
        )
    )


@bp.get("/sessions/<session_id:int>")
@api("充电实况：已充电量、功率、当前费用、时长", ChargingLiveOut)
@cadre_required
async def live(request: Request, session_id: int):
    return ok(await starts.live(request.ctx.principal.person_id, session_id))


@bp.post("/sessions/<session_id:int>/stop")
@api("结束充电（远程停止；桩上报结束后结算）", ChargingLiveOut)
@cadre_required
async def stop(request: Request, session_id: int):
    rt = runtime(request)
    return ok(
        await starts.stop(
            rt.redis, request.ctx.principal.person_id, session_id, now(), settings_of(rt.settings, "charging")
        )
    )


@bp.get("/sessions/<session_id:int>/receipt")
@api("充电小票：分时电量、电费、服务费、实付与欠费", ChargingReceiptOut)
@cadre_required
async def receipt(request: Request, session_id: int):
    return ok(await starts.receipt(request.ctx.principal.person_id, session_id))


@bp.get("/arrears")
@api("我的充电欠费", ArrearsOut)
@cadre_required
async def arrears(request: Request):
    return ok({"arrears_fen": await billing.arrears_of(request.ctx.principal.person_id)})


@bp.post("/arrears/pay")
@api("用一卡通现金补缴充电欠费", ArrearsOut)
@cadre_required
async def pay_arrears(request: Request):
    person_id = request.ctx.principal.person_id
    await billing.pay_arrears(person_id, now())
    return ok({"arrears_fen": await billing.arrears_of(person_id)})
