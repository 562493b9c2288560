"""Console API of EV charging (`/admin/v1/charging`): sites, piles and their passwords, fleet
cards, tariffs, sessions, faults, remote commands and reports."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel
from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import actor, admin_required, runtime
from backend.charging.models import PayerKind, SessionState, Tariff
from backend.charging.permissions import ChargingPermission
from backend.charging.schemas import (
    AnswerOut,
    BoardPileOut,
    ClosedSessionOut,
    CloseSessionIn,
    CommandIn,
    FaultOut,
    FleetCardIn,
    HealthOut,
    PasswordOut,
    PileActiveIn,
    PileCreatedOut,
    PileIn,
    PileOut,
    ReportOut,
    SessionDetailOut,
    SessionRowOut,
    SiteIn,
    SiteOut,
    TagBlockIn,
    TagOut,
    TariffIn,
    TariffOut,
)
from backend.charging.service import closing, health, piles, records, reports, tariffs
from backend.core.errors import CommonError
from backend.core.labels import LabelledEnum
from backend.core.pagination import paginate
from backend.core.timeutil import business_time, now, today
from backend.core.web.apidocs import PAGING, XLSX, Listed, Paged, Query, api
from backend.core.web.responses import ok, xlsx_download
from backend.core.web.validation import accepts, query_date, query_int
from backend.modules import settings_of

bp = Blueprint("charging_admin", url_prefix="/admin/v1/charging")

# ---- sites, piles, fleet cards, tariffs and commands ----

VIEW = ChargingPermission.VIEW_CHARGING
MANAGE = ChargingPermission.MANAGE_PILES
SEND = ChargingPermission.SEND_COMMANDS
TARIFF = ChargingPermission.MANAGE_TARIFF
SITE_QUERY = Query("site", "站点编号", int)


def _site(request: Request) -> int | None:
    site = query_int(request, "site", 0, 0, 2**31 - 1)
    return site or None


@bp.get("/sites")
@api("充电站点列表", Listed[SiteOut])
@admin_required(VIEW)
async def sites(request: Request):
    return ok({"items": await piles.list_sites()})


@bp.post("/sites")
@api("登记充电站点", SiteOut, status=201)
@admin_required(MANAGE)
@accepts(SiteIn)
async def create_site(request: Request, body: SiteIn):
    return ok(await piles.create_site(actor(request), **body.model_dump(exclude={"is_active"})), 201)


@bp.put("/sites/<site_id:int>")
@api("修改、停用或恢复充电站点", SiteOut)
@admin_required(MANAGE)
@accepts(SiteIn)
async def update_site(request: Request, site_id: int, body: SiteIn):
    values = body.model_dump(exclude={"is_active"})
    settings = settings_of(runtime(request).settings, "charging")
    site = await piles.update_site(
        actor(request), site_id, **values, is_active=body.is_active, redis=runtime(request).redis, settings=settings
    )
    return ok(site)


@bp.get("/piles")
@api("充电桩列表", Listed[PileOut], query=(SITE_QUERY,))
@admin_required(VIEW)
async def pile_list(request: Request):
    return ok({"items": await piles.list_piles(_site(request))})


@bp.post("/piles")
@api("登记充电桩（连接密码只在此次返回）", PileCreatedOut, status=201)
@admin_required(MANAGE)
@accepts(PileIn)
async def create_pile(request: Request, body: PileIn):
    view, password = await piles.create_pile(actor(request), **body.model_dump())
    return ok({"pile": view, "password": password}, 201)


@bp.get("/piles/<pile_id:int>")
@api("充电桩详情", PileOut)
@admin_required(VIEW)
async def pile(request: Request, pile_id: int):
    return ok(await piles.get_pile(pile_id))


@bp.post("/piles/<pile_id:int>/password")
@api("重置充电桩连接密码（新密码只在此次返回）", PasswordOut)
@admin_required(MANAGE)
async def reset_password(request: Request, pile_id: int):
    return ok({"password": await piles.reset_password(actor(request), pile_id, redis=runtime(request).redis)})


@bp.put("/piles/<pile_id:int>/active")
@api("启用或停用充电桩", PileOut)
@admin_required(MANAGE)
@accepts(PileActiveIn)
async def set_active(request: Request, pile_id: int, body: PileActiveIn):
    return ok(await piles.set_active(actor(request), pile_id, body.is_active, redis=runtime(request).redis))


@bp.post("/piles/<pile_id:int>/commands")
@api("向充电桩发送远程指令（等待桩应答或超时）", AnswerOut)
@admin_required(SEND)
@accepts(CommandIn)
async def command(request: Request, pile_id: int, body: CommandIn):
    fields = body.model_dump(exclude={"action"})
    settings = settings_of(runtime(request).settings, "charging")
    answer = await piles.command_pile(
        actor(request), runtime(request).redis, pile_id, body.action, fields, settings=settings
    )
    return ok({"state": answer.state.value, "state_label": answer.state.label, "data": answer.data})


@bp.get("/board")
@api("充电桩看板：各桩在线状态与各枪状态、当前充电", Listed[BoardPileOut], query=(SITE_QUERY,))
@admin_required(VIEW)
async def board(request: Request):
    return ok({"items": await piles.board(now(), _site(request))})


@bp.post("/tags")
@api("登记公务车充电卡", TagOut, status=201)
@admin_required(MANAGE)
@accepts(FleetCardIn)
async def register_fleet_card(request: Request, body: FleetCardIn):
    return ok(await piles.register_fleet_card(actor(request), body.id_tag, body.plate), 201)


@bp.put("/tags/<tag_id:int>/blocked")
@api("停用或恢复充电卡", TagOut)
@admin_required(MANAGE)
@accepts(TagBlockIn)
async def set_tag_blocked(request: Request, tag_id: int, body: TagBlockIn):
    return ok(await piles.set_tag_blocked(actor(request), tag_id, body.blocked, body.reason))


def _tariff(tariff: Tariff) -> dict:
    return {
        "id": tariff.id,
        "name": tariff.name,
        "effective_from": tariff.effective_from.isoformat(),
        "service_fee_fen_per_kwh": tariff.service_fee_fen_per_kwh,
        "seasons": tariff.seasons,
    }


@bp.get("/tariffs")
@api("电价版本（新的在前）", Listed[TariffOut])
@admin_required(VIEW)
async def tariff_list(request: Request):
    return ok({"items": [_tariff(t) for t in await Tariff.all().order_by("-effective_from", "-id")]})


@bp.post("/tariffs")
@api("新建电价版本", TariffOut, status=201)
@admin_required(TARIFF)
@accepts(TariffIn)
async def create_tariff(request: Request, body: TariffIn):
    created = await tariffs.create_version(
        actor(request), body.name, business_time(body.effective_from), body.service_fee_fen_per_kwh, body.seasons
    )
    return ok(created, 201)


# ---- sessions, health and reports ----

REPORT = ChargingPermission.VIEW_REPORT
SESSION_QUERY = (
    *PAGING,
    Query("q", "卡号（部分）"),
    Query("pile", "充电桩编号", int),
    Query("state", "状态", choices=SessionState),
    Query("payer", "付款方式", choices=PayerKind),
    Query("since", "开始日期起（YYYY-MM-DD）", date),
    Query("until", "开始日期止（YYYY-MM-DD）", date),
)
RANGE_QUERY = (
    Query("since", "起始日期（YYYY-MM-DD），默认截止日期所在月的 1 日", date),
    Query("until", "截止日期（YYYY-MM-DD），默认今天", date),
)


def _page(request: Request) -> tuple[int, int]:
    return query_int(request, "page", 1, 1, 100_000), query_int(request, "page_size", 20, 1, 100)


def _choice(raw: str | None, name: str, enum: type[LabelledEnum]) -> Any:
    """The filter `name`'s value among `enum`'s (absent: None); anything else is refused, not
    ignored."""
    if not raw:
        return None
    if raw not in enum.labels():
        raise CommonError.INVALID_INPUT.error(
            details={"fields": [{"field": name, "message": "可选：" + "、".join(enum.labels())}]}
        )
    return enum(raw)


def _session_filter(request: Request) -> records.SessionFilter:
    """The console page's filters, as query parameters."""
    return records.SessionFilter(
        id_tag=(request.args.get("q") or "").strip()[:20],
        pile_id=query_int(request, "pile", 0, 0, 2**31 - 1) or None,
        state=_choice(request.args.get("state"), "state", SessionState),
        payer=_choice(request.args.get("payer"), "payer", PayerKind),
        since=query_date(request, "since"),
        until=query_date(request, "until"),
    )


@bp.get("/sessions")
@api("充电记录（分页，新的在前，筛选同控制台）", Paged[SessionRowOut], query=SESSION_QUERY)
@admin_required(VIEW)
async def session_list(request: Request):
    page, page_size = _page(request)
    found = await paginate(
        records.sessions_query(_session_filter(request)), page, page_size, order_by=("-started_at", "-id")
    )
    rows = await records.with_bills([records.session_row(s) for s in found.items])
    return ok({**found.as_dict(), "items": [_out(SessionRowOut, r) for r in rows]})


@bp.get("/sessions/<session_id:int>")
@api("充电记录详情：电表读数、账单、异常与相关指令", SessionDetailOut)
@admin_required(VIEW)
async def session_detail(request: Request, session_id: int):
    detail = await records.session_detail(session_id)
    session = detail["session"]
    return ok(
        _out(
            SessionDetailOut,
            {
                **detail["row"],
                "tariff_name": session.tariff.name if session.tariff else "",
                "meter_start_wh": session.meter_start_wh,
                "meter_stop_wh": session.meter_stop_wh,
                "stop_reason": session.stop_reason,
                "limit_w": session.limit_w,
                "bill": detail["bill_view"],
                "samples": detail["samples"],
                "incidents": detail["incidents"],
                "commands": detail["commands"],
            },
        )
    )


@bp.get("/health")
@api("充电桩健康：在线与离线数、正在充电、离线的桩（静默最久的在前）、未恢复的故障", HealthOut)
@admin_required(VIEW)
async def health_now(request: Request):
    at = now()
    return ok(
        _out(
            HealthOut,
            {
                "summary": await health.summary(at),
                "offline_piles": await health.offline_piles(at),
                "open_faults": await health.open_faults(at),
            },
        )
    )


@bp.get("/faults")
@api("故障记录（分页，新的在前，含未恢复的）", Paged[FaultOut], query=(*PAGING, Query("pile", "充电桩编号", int)))
@admin_required(VIEW)
async def fault_list(request: Request):
    page, page_size = _page(request)
    pile_id = query_int(request, "pile", 0, 0, 2**31 - 1) or None
    found = await health.fault_history(now(), page, page_size, pile_id)
    return ok({**found.as_dict(), "items": [_out(FaultOut, f) for f in found.items]})


def _range(request: Request) -> tuple[date, date]:
    """The range asked for (the month of `until` so far by default); the report refuses a
    reversed or too long one (REPORT_RANGE_INVALID) rather than cutting it as the page does."""
    until = query_date(request, "until") or today()
    return query_date(request, "since") or until.replace(day=1), until


@bp.get("/reports")
@api("充电报表：按日、按充电桩、按站点的电量与金额，峰平谷电量占比", ReportOut, query=RANGE_QUERY)
@admin_required(REPORT)
async def report(request: Request):
    since, until = _range(request)
    return ok(_out(ReportOut, {**await reports.report(since, until), "since": since, "until": until}))


@bp.get("/reports.xlsx")
@api("导出充电报表（Excel）", XLSX, query=RANGE_QUERY)
@admin_required(REPORT)
async def report_xlsx(request: Request):
    since, until = _range(request)
    body = await reports.report_workbook(since, until)
    return xlsx_download(body, f"充电报表-{since.isoformat()}至{until.isoformat()}.xlsx")


def _out(model: type[BaseModel], data: dict) -> dict:
    """`data` in the shape its schema publishes: times as ISO 8601, nothing it does not list."""
    return model.model_validate(data).model_dump(mode="json")


# ---- closing a stuck session ----


@bp.post("/sessions/<session_id:int>/close")
@api("结束并结算：充电桩一直未上报结束的充电，按最后有效读数结束并计费（记异常与操作日志）", ClosedSessionOut)
@admin_required(MANAGE)
@accepts(CloseSessionIn)
async def close_session(request: Request, session_id: int, body: CloseSessionIn):
    closed = await closing.close_session(actor(request), runtime(request).redis, session_id, body.reason, now())
    return ok(_out(ClosedSessionOut, closed))
