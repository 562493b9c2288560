"""Console pages of charging sites and piles: the sites with their power limit, the piles
(registered with a password shown once, reset, enabled and disabled) and the QR code of each
connector that cadres scan to start. Whoever may see charging sees them; changing them needs
charging.manage_piles."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import raw, redirect
from tortoise.expressions import Q

from backend.accounts.guards import actor, runtime
from backend.charging.errors import ChargingError
from backend.charging.models import Pile
from backend.charging.pages.common import MANAGE, VIEW, qr_data_uri, qr_png, settings, site_options
from backend.charging.schemas import PileActiveIn, PileIn, SiteIn
from backend.charging.service import piles
from backend.console.forms import FormErrors, form_data, posted, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, export, fetch
from backend.core.web.validation import parse_model

bp = Blueprint("console_charging_piles", url_prefix="/console/charging")

FLASH = {
    "site_saved": "站点已保存",
    "enabled": "充电桩已启用，可以连接平台",
    "disabled": "充电桩已停用，下次连接时将被拒绝",
}
SITE_FIELDS = {"charging.site_name_taken": "name", "charging.power_limit_invalid": "power_limit_kw"}
PILE_FIELDS = {
    "charging.site_not_found": "site_id",
    "charging.box_id_invalid": "box_id",
    "charging.box_id_taken": "box_id",
}

PILES = Table(
    title="充电桩",
    columns=(
        Column("box_id", "桩编号", sort="box_id", href="/console/charging/piles/{id}"),
        Column("name", "名称", sort="name"),
        Column("site_name", "站点"),
        Column("connectors", "枪数", kind="count"),
        Column("max_power_kw", "额定功率（千瓦）", numeric=True),
        Column("vendor", "厂家"),
        Column("last_seen_at", "最近通信", sort="last_seen_at", kind="datetime"),
        Column("is_active", "启用", kind="bool"),
    ),
    default_sort="box_id",
    filters=(
        Filter("q", "关键词", max_length=48, placeholder="桩编号或名称"),
        Filter("site", "站点", kind="select"),
        Filter("active", "状态", kind="select", options=(("1", "启用"), ("0", "已停用"))),
    ),
)


def _pile_row(pile: Pile) -> dict:
    row = piles.pile_view(pile, pile.site.name)
    row["last_seen_at"] = pile.last_seen_at
    row["max_power_kw"] = f"{row['max_power_kw']:g}"
    return row


async def _piles_state(request: Request):
    state = PILES.with_options("site", tuple(await site_options())).state(request)
    query = Pile.all().select_related("site")
    if q := state.filters["q"]:
        query = query.filter(Q(box_id__icontains=q) | Q(name__icontains=q))
    if site := state.filters["site"]:
        query = query.filter(site_id=int(site))
    if active := state.filters["active"]:
        query = query.filter(is_active=active == "1")
    return state, query


# ---- sites --------------------------------------------------------------------------------------


def _site_data(request: Request) -> dict:
    data = form_data(request)
    data["is_active"] = "is_active" in (request.form or {})  # an unticked box is not posted at all
    data.pop("site_id", None)
    return data


async def _sites_page(request: Request, status: int = 200, form: dict | None = None, errors=None, editing=None):
    if editing is None and (chosen := request.args.get("site", "")).isdigit():
        editing = await piles.get_site(int(chosen))
    return await page(
        request,
        "charging/sites.html",
        status=status,
        sites=await piles.list_sites(),
        flash=flash(request, FLASH),
        can_manage=can(request, MANAGE),
        editing=editing,
        form=form or (editing or {"is_active": True, "power_limit_kw": 0}),
        errors=errors or FormErrors(),
    )


@bp.get("/sites")
@console_page(VIEW)
async def sites(request: Request):
    """The sites; `?site=<id>` opens one in the form to change it."""
    return await _sites_page(request)


@bp.post("/sites")
@console_page(MANAGE)
async def save_site(request: Request):
    """Register a site, or change the one named by the posted site_id."""
    site_id = (request.form or {}).get("site_id", "")
    editing = await piles.get_site(int(site_id)) if site_id.isdigit() else None

    def act(body: SiteIn):
        values = body.model_dump(exclude={"is_active"})
        if editing:
            return piles.update_site(
                actor(request),
                editing["id"],
                **values,
                is_active=body.is_active,
                redis=runtime(request).redis,
                settings=settings(request),
            )
        return piles.create_site(actor(request), **values)

    _, errors = await submit(SiteIn, _site_data(request), act, SITE_FIELDS)
    if not errors:
        return redirect("/console/charging/sites?done=site_saved")
    return await _sites_page(request, 422, posted(request), errors, editing)


# ---- piles --------------------------------------------------------------------------------------


@bp.get("/piles")
@console_page(VIEW)
async def pile_list(request: Request):
    state, query = await _piles_state(request)
    await fetch(state, query, _pile_row)
    return await page(
        request, "charging/piles.html", state=state, flash=flash(request, FLASH), can_manage=can(request, MANAGE)
    )


@bp.get("/piles/export.xlsx")
@console_page(VIEW)
async def piles_export(request: Request):
    state, query = await _piles_state(request)
    return await export(state, query, _pile_row, "充电桩")


async def _new_pile_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    return await page(
        request,
        "charging/pile_new.html",
        status=status,
        form=form or {"connectors": "2", "max_power_kw": "7", "site_id": request.args.get("site", "")},
        errors=errors or FormErrors(),
        site_options=[(v, n) for v, n in await site_options()],
    )


@bp.get("/piles/new")
@console_page(MANAGE)
async def new_pile(request: Request):
    return await _new_pile_page(request)


async def _pile_page(request: Request, pile_id: int, status: int = 200, password: str = ""):
    pile = await piles.get_pile(pile_id)
    config = settings(request)
    connectors = []
    for number in range(1, pile["connectors"] + 1):
        text = piles.qr_text(config, pile["box_id"], number)
        connectors.append({"connector_id": number, "qr_text": text, "qr": qr_data_uri(text)})
    return await page(
        request,
        "charging/pile.html",
        status=status,
        pile=pile,
        connectors=connectors,
        password=password,
        flash=flash(request, FLASH),
        can_manage=can(request, MANAGE),
    )


@bp.post("/piles")
@console_page(MANAGE)
async def create_pile(request: Request):
    """The new pile's page, with its password shown this once (not redirected: a password never
    travels in an address)."""
    created, errors = await submit(
        PileIn, form_data(request), lambda body: piles.create_pile(actor(request), **body.model_dump()), PILE_FIELDS
    )
    if created is None:
        return await _new_pile_page(request, 422, posted(request), errors)
    view, password = created
    return await _pile_page(request, view["id"], 201, password)


@bp.get("/piles/<pile_id:int>")
@console_page(VIEW)
async def pile(request: Request, pile_id: int):
    return await _pile_page(request, pile_id)


@bp.post("/piles/<pile_id:int>/password")
@console_page(MANAGE)
async def reset_password(request: Request, pile_id: int):
    password = await piles.reset_password(actor(request), pile_id, redis=runtime(request).redis)
    return await _pile_page(request, pile_id, 200, password)


@bp.post("/piles/<pile_id:int>/active")
@console_page(MANAGE)
async def set_active(request: Request, pile_id: int):
    """Enable (active=1) or disable (active=0) the pile."""
    body = parse_model(PileActiveIn, {"is_active": (request.form or {}).get("active", "")})
    await piles.set_active(actor(request), pile_id, body.is_active, redis=runtime(request).redis)
    return redirect(f"/console/charging/piles/{pile_id}?done={'enabled' if body.is_active else 'disabled'}")


@bp.get("/piles/<pile_id:int>/qr/<connector_id:int>")
@console_page(VIEW)
async def qr(request: Request, pile_id: int, connector_id: int):
    """A connector's QR code as a PNG, to print and stick on the pile."""
    found = await piles.get_pile(pile_id)
    if not 1 <= connector_id <= found["connectors"]:
        raise ChargingError.CONNECTOR_INVALID.error(count=found["connectors"])
    body = qr_png(piles.qr_text(settings(request), found["box_id"], connector_id))
    filename = f"{found['box_id']}-{connector_id}.png"
    return raw(body, content_type="image/png", headers={"Content-Disposition": f'inline; filename="{filename}"'})
