"""Console pages of the asset cards: the list with its filters, search and Excel export, a card
(its fields, depreciation, history and repairs) with its edit form, a new card, and the import
of a register from Excel (template, dry run, import). Whoever may see assets sees the cards of
the units their grant reaches; registering, editing and importing need assets.manage_assets."""

from __future__ import annotations

from datetime import date

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, scope
from backend.accounts.service import people
from backend.assets.models import AssetStatus
from backend.assets.permissions import AssetsPermission as P
from backend.assets.schemas import AssetCardIn
from backend.assets.service import cards, categories, imports
from backend.console.forms import FormErrors, form_data, posted, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table
from backend.core.errors import AppError
from backend.core.timeutil import today
from backend.core.web.responses import xlsx_download
from backend.places import service as places

bp = Blueprint("console_assets_cards", url_prefix="/console/assets")

FLASH = {"created": "资产已登记", "saved": "资产卡片已保存"}
CARD_FIELDS = {
    "assets.category_not_found": "category_id",
    "assets.asset_name_invalid": "name",
    "assets.value_invalid": "original_value_fen",
    "assets.purchase_date_invalid": "purchase_date",
    "assets.life_invalid": "useful_life_months",
    "assets.place_not_room": "place_id",
    "assets.custodian_invalid": "custodian_id",
    "assets.unit_invalid": "unit_id",
    "assets.status_not_editable": "status",
}
CARDS = Table(
    title="资产卡片",
    columns=(
        Column("asset_no", "资产编号", href="/console/assets/cards/{id}"),
        Column("name", "资产名称"),
        Column("spec", "规格型号"),
        Column("category_name", "分类"),
        Column("unit_name", "使用单位"),
        Column("place_name", "存放地点"),
        Column("custodian_name", "使用人"),
        Column("original_value_fen", "原值", kind="money"),
        Column("net_value_fen", "净值", kind="money"),
        Column("purchase_date", "购置日期", kind="date"),
        Column("status_label", "状态"),
    ),
    default_sort="-asset_no",
    filters=(
        Filter("q", "关键词", max_length=50, placeholder="资产编号、名称或规格"),
        Filter("unit", "使用单位", kind="select"),
        Filter("category", "分类", kind="select"),
        Filter("status", "状态", kind="select", options=tuple(AssetStatus.labels().items())),
        Filter("place", "地点", kind="select"),
        Filter("bought_from", "购置日期起", kind="date"),
        Filter("bought_until", "购置日期止", kind="date"),
    ),
)


async def _unit_options(request: Request, permission: P) -> list[tuple[str, str]]:
    units = await people.list_units(scope(request, permission), enabled_only=True)
    return [(str(u["id"]), "　" * (u["depth"] - 1) + u["name"]) for u in units]


async def _category_options() -> list[tuple[str, str]]:
    return [(str(c["id"]), "　" * c["depth"] + c["label"]) for c in await categories.tree(active_only=True)]


async def _place_options(rooms_only: bool) -> list[tuple[str, str]]:
    return [(str(p["id"]), p["full_name"]) for p in await places.tree() if not rooms_only or p["kind"] == "room"]


def _date(value: str) -> date | None:
    return date.fromisoformat(value) if value else None


async def _state(request: Request):
    table = CARDS.with_options("unit", tuple(await _unit_options(request, P.VIEW_ASSETS)))
    table = table.with_options("category", tuple(await _category_options()))
    table = table.with_options("place", tuple(await _place_options(rooms_only=False)))
    state = table.state(request)
    f = state.filters
    filters = cards.CardFilters(
        unit_id=int(f["unit"]) if f["unit"] else None,
        category_id=int(f["category"]) if f["category"] else None,
        status=AssetStatus(f["status"]) if f["status"] else None,
        place_id=int(f["place"]) if f["place"] else None,
        bought_from=_date(f["bought_from"]),
        bought_until=_date(f["bought_until"]),
        query=f["q"],
    )
    return state, filters


@bp.get("/cards")
@console_page(P.VIEW_ASSETS)
async def card_list(request: Request):
    state, filters = await _state(request)
    state.result = await cards.list_cards(scope(request, P.VIEW_ASSETS), filters, state.page, state.page_size)
    return await page(
        request, "assets/cards.html", state=state, flash=flash(request, FLASH), can_manage=can(request, P.MANAGE_ASSETS)
    )


@bp.get("/cards/export.xlsx")
@console_page(P.VIEW_ASSETS)
async def card_export(request: Request):
    _, filters = await _state(request)
    body = await cards.export(scope(request, P.VIEW_ASSETS), filters)
    return xlsx_download(body, f"资产卡片-{today().isoformat()}.xlsx")


async def _form_page(request: Request, template: str, status: int = 200, **context):
    return await page(
        request,
        template,
        status=status,
        unit_options=await _unit_options(request, P.MANAGE_ASSETS),
        category_options=await _category_options(),
        room_options=await _place_options(rooms_only=True),
        status_options=[(s.value, s.label) for s in cards.EDITABLE_STATUSES],
        **context,
    )


def _card_form(data: dict) -> dict:
    """The form's fields in the schema's terms: the value typed in yuan, blanks as none."""
    return {k: v for k, v in data.items() if v != ""}


@bp.get("/cards/new")
@console_page(P.MANAGE_ASSETS)
async def card_new(request: Request):
    form = {"status": AssetStatus.IN_USE.value, "purchase_date": today().isoformat()}
    return await _form_page(request, "assets/cards_form.html", form=form, errors=FormErrors(), card=None)


@bp.post("/cards/new")
@console_page(P.MANAGE_ASSETS)
async def card_create(request: Request):
    reach = scope(request, P.MANAGE_ASSETS)

    def save(body: AssetCardIn):
        return cards.register(actor(request), reach, cards.CardDetails(**body.model_dump()))

    data = _card_form(form_data(request))
    saved, errors = await submit(AssetCardIn, data, save, CARD_FIELDS, yuan=("original_value_fen",))
    if not errors:
        return redirect(f"/console/assets/cards/{saved['id']}?done=created")
    return await _form_page(request, "assets/cards_form.html", 422, form=posted(request), errors=errors, card=None)


@bp.get("/cards/<asset_id:int>")
@console_page(P.VIEW_ASSETS)
async def card_page(request: Request, asset_id: int):
    card = await cards.card(scope(request, P.VIEW_ASSETS), asset_id)
    manage = can(request, P.MANAGE_ASSETS)
    return await page(request, "assets/cards_card.html", card=card, flash=flash(request, FLASH), can_manage=manage)


def _form_of(card: dict) -> dict:
    return {
        **{k: card[k] for k in ("name", "spec", "note", "status", "useful_life_months")},
        **{k: str(card[k]) if card[k] else "" for k in ("category_id", "unit_id", "place_id", "custodian_id")},
        "original_value_fen": f"{card['original_value_fen'] / 100:.2f}",
        "purchase_date": card["purchase_date"].isoformat(),
    }


@bp.get("/cards/<asset_id:int>/edit")
@console_page(P.MANAGE_ASSETS)
async def card_edit(request: Request, asset_id: int):
    card = await cards.card(scope(request, P.MANAGE_ASSETS), asset_id)
    return await _form_page(request, "assets/cards_form.html", form=_form_of(card), errors=FormErrors(), card=card)


@bp.post("/cards/<asset_id:int>/edit")
@console_page(P.MANAGE_ASSETS)
async def card_save(request: Request, asset_id: int):
    reach = scope(request, P.MANAGE_ASSETS)

    def save(body: AssetCardIn):
        return cards.update(actor(request), reach, asset_id, cards.CardDetails(**body.model_dump()))

    fields = {**CARD_FIELDS, "assets.asset_locked": "", "assets.asset_value_locked": ""}
    _, errors = await submit(AssetCardIn, _card_form(form_data(request)), save, fields, yuan=("original_value_fen",))
    if not errors:
        return redirect(f"/console/assets/cards/{asset_id}?done=saved")
    card = await cards.card(reach, asset_id)
    return await _form_page(request, "assets/cards_form.html", 422, form=posted(request), errors=errors, card=card)


# ---- import ------------------------------------------------------------------------------------


@bp.get("/imports")
@console_page(P.MANAGE_ASSETS)
async def import_page(request: Request):
    return await page(request, "assets/cards_import.html", report=None, problems=[], error="")


@bp.get("/imports/template.xlsx")
@console_page(P.MANAGE_ASSETS)
async def import_template(request: Request):
    return xlsx_download(await imports.template_workbook(), "资产导入模板.xlsx")


@bp.post("/imports")
@console_page(P.MANAGE_ASSETS)
async def import_file(request: Request):
    upload = request.files.get("file") if request.files else None
    dry_run = (request.form or {}).get("mode") != "apply"
    if upload is None or not upload.body:
        return await page(request, "assets/cards_import.html", 422, report=None, problems=[], error="请选择文件")
    try:
        report = await imports.import_assets(
            actor(request), scope(request, P.MANAGE_ASSETS), upload.name or "", upload.body, dry_run=dry_run
        )
    except AppError as refusal:
        if not refusal.code.startswith("assets.import_"):
            raise
        problems = (refusal.details or {}).get("problems", [])
        return await page(
            request, "assets/cards_import.html", 422, report=None, problems=problems, error=refusal.message
        )
    return await page(request, "assets/cards_import.html", report=report, problems=[], error="")
