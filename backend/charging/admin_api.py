"""Console API of EV charging (`/admin/v1/charging`): sites, piles and their passwords, fleet
cards, tariffs, sessions, faults, remote commands and reports."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request

from backend.accounts.guards import actor, admin_required, runtime
from backend.charging.models import Tariff
from backend.charging.permissions import ChargingPermission
from backend.charging.schemas import (
    AnswerOut,
    BoardPileOut,
    CommandIn,
    FleetCardIn,
    PasswordOut,
    PileActiveIn,
    PileCreatedOut,
    PileIn,
    PileOut,
    SiteIn,
    SiteOut,
    TagBlockIn,
    TagOut,
    TariffIn,
    TariffOut,
)
from backend.charging.service import piles, tariffs
from backend.core.timeutil import business_time, now
from backend.core.web.apidocs import Listed, Query, api
from backend.core.web.responses import ok
from backend.core.web.validation import accepts, query_int

bp = Blueprint("charging_admin", url_prefix="/admin/v1/charging")

# ---- console (H3) ----

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
    return ok(await piles.update_site(actor(request), site_id, **values, is_active=body.is_active))


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
    return ok({"password": await piles.reset_password(actor(request), pile_id)})


@bp.put("/piles/<pile_id:int>/active")
@api("启用或停用充电桩", PileOut)
@admin_required(MANAGE)
@accepts(PileActiveIn)
async def set_active(request: Request, pile_id: int, body: PileActiveIn):
    return ok(await piles.set_active(actor(request), pile_id, body.is_active))


@bp.post("/piles/<pile_id:int>/commands")
@api("向充电桩发送远程指令（等待桩应答或超时）", AnswerOut)
@admin_required(SEND)
@accepts(CommandIn)
async def command(request: Request, pile_id: int, body: CommandIn):
    fields = body.model_dump(exclude={"action"})
    answer = await piles.command_pile(actor(request), runtime(request).redis, pile_id, body.action, fields)
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
