"""Console pages of the theme weeks (主题周): the list, a new week, a week's page with its form,
banner and items (featured, order, pre-sale cut-off and pickup day), and cloning it into next
week. Whoever may see the shop sees them; changing them needs shop.manage_cycle."""

from __future__ import annotations

import re
from datetime import datetime

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime
from backend.console.forms import FormErrors, form_data, posted, store_image, submit
from backend.console.render import can, flash, page
from backend.console.session import console_page
from backend.console.tables import Column, Filter, Table, fetch
from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ, business_time, now
from backend.core.web.responses import private_image
from backend.shop.permissions import ShopPermission
from backend.shop.schemas import CycleIn, CycleItemIn, CycleItemUpdateIn
from backend.shop.service import cycles
from backend.shop.service.cycles import CycleDetails, ItemDetails

bp = Blueprint("console_shop_cycles", url_prefix="/console/shop")
VIEW, MANAGE = ShopPermission.VIEW_SHOP, ShopPermission.MANAGE_CYCLE

FLASH = {
    "cycle_created": "主题周已创建，请加入本期商品",
    "cycle_saved": "主题周已保存",
    "banner": "横幅图片已更新",
    "item_added": "商品已加入本期",
    "item_saved": "本期商品已修改",
    "item_removed": "商品已移出本期",
    "cloned": "已复制为下一周：时间顺延 7 天，商品一并复制，请核对后再开放",
}
DAY_SEPARATORS = re.compile(r"[,，、;；\s]+")
CYCLE_FIELDS = {
    "shop.cycle_window_invalid": "closes_at",
    "shop.cycle_too_long": "closes_at",
    "shop.cycle_overlap": "opens_at",
    "shop.pickup_days_invalid": "pickup_days",
    "shop.pickup_day_too_late": "pickup_days",
}
ITEM_FIELDS = {
    "shop.sku_not_found": "sku_id",
    "shop.item_exists": "sku_id",
    "shop.presale_cutoff_invalid": "presale_cutoff",
    "shop.presale_needs_pickup_day": "pickup_day",
    "shop.item_pickup_day_invalid": "pickup_day",
    "shop.pickup_day_too_late": "pickup_day",
}

CYCLES = Table(
    title="主题周",
    columns=(
        Column("title", "标题", sort="title", href="/console/shop/cycles/{id}"),
        Column("region", "推介地区"),
        Column("opens_at", "开始下单", sort="opens_at", kind="datetime"),
        Column("closes_at", "截单", sort="closes_at", kind="datetime"),
        Column("pickup", "取货日"),
        Column("pickup_place", "取货地点"),
        Column("status_label", "状态"),
    ),
    default_sort="-opens_at",
    filters=(Filter("q", "关键词", max_length=30, placeholder="标题或地区"),),
)


def _local_input(moment: datetime | str | None) -> str:
    """A time as a datetime-local field shows it (business time, to the minute)."""
    if not moment:
        return ""
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.astimezone(BUSINESS_TZ).strftime("%Y-%m-%dT%H:%M")


def _cycle_row(cycle, at: datetime) -> dict:
    return {
        **cycles.cycle_view(cycle),
        "opens_at": cycle.opens_at,
        "closes_at": cycle.closes_at,
        "pickup": "、".join(cycle.pickup_days),
        "status_label": cycles.status_label(cycle, at),
    }


@bp.get("/cycles")
@console_page(VIEW)
async def cycle_list(request: Request):
    state = CYCLES.state(request)
    at = now()
    await fetch(state, cycles.cycles_query(state.filters), lambda c: _cycle_row(c, at))
    current = await cycles.current(at)
    return await page(
        request,
        "shop/cycles.html",
        state=state,
        current=current,
        flash=flash(request, FLASH),
        can_manage=can(request, MANAGE),
    )


def _cycle_data(request: Request) -> dict:
    data = form_data(request)
    data["pickup_days"] = [d for d in DAY_SEPARATORS.split(data.get("pickup_days", "")) if d]
    return data


def _cycle_details(body: CycleIn) -> CycleDetails:
    values = body.model_dump()
    values.update(opens_at=business_time(body.opens_at), closes_at=business_time(body.closes_at))
    return CycleDetails(**values)


async def _new_cycle_page(request: Request, status: int = 200, form: dict | None = None, errors=None):
    return await page(request, "shop/cycle_new.html", status=status, form=form or {}, errors=errors or FormErrors())


@bp.get("/cycles/new")
@console_page(MANAGE)
async def new_cycle(request: Request):
    return await _new_cycle_page(request)


@bp.post("/cycles")
@console_page(MANAGE)
async def create_cycle(request: Request):
    created, errors = await submit(
        CycleIn,
        _cycle_data(request),
        lambda body: cycles.create_cycle(actor(request), _cycle_details(body)),
        CYCLE_FIELDS,
    )
    if not errors:
        return redirect(f"/console/shop/cycles/{created['id']}?done=cycle_created")
    return await _new_cycle_page(request, 422, posted(request), errors)


async def _cycle_page(request: Request, cycle_id: int, status: int = 200, **forms):
    cycle = await cycles.get_cycle(cycle_id)
    view = {**cycles.cycle_view(cycle), "status_label": cycles.status_label(cycle, now())}
    items = await cycles.items_of(cycle_id)
    chosen = forms.get("item_id") or request.args.get("item", "")
    editing = next((i for i in items if str(i["id"]) == str(chosen)), None)
    item_form = forms.get("item_form") or (
        {
            **editing,
            "presale_cutoff": _local_input(editing["presale_cutoff"]),
            "pickup_day": editing["pickup_day"] or "",
        }
        if editing
        else {"position": str(len(items) + 1)}
    )
    form = forms.get("form") or {
        **view,
        "opens_at": _local_input(cycle.opens_at),
        "closes_at": _local_input(cycle.closes_at),
        "pickup_days": "、".join(cycle.pickup_days),
    }
    return await page(
        request,
        "shop/cycle.html",
        status=status,
        cycle=view,
        items=items,
        editing=editing,
        sku_options=await cycles.sku_choices({i["sku_id"] for i in items}),
        flash=flash(request, FLASH),
        can_manage=can(request, MANAGE),
        form=form,
        errors=forms.get("errors", FormErrors()),
        banner_error=forms.get("banner_error", ""),
        item_form=item_form,
        item_errors=forms.get("item_errors", FormErrors()),
        clone_error=forms.get("clone_error", ""),
    )


@bp.get("/cycles/<cycle_id:int>")
@console_page(VIEW)
async def cycle(request: Request, cycle_id: int):
    return await _cycle_page(request, cycle_id)


@bp.post("/cycles/<cycle_id:int>/edit")
@console_page(MANAGE)
async def edit_cycle(request: Request, cycle_id: int):
    _, errors = await submit(
        CycleIn,
        _cycle_data(request),
        lambda body: cycles.update_cycle(actor(request), cycle_id, _cycle_details(body)),
        CYCLE_FIELDS,
    )
    if not errors:
        return redirect(f"/console/shop/cycles/{cycle_id}?done=cycle_saved")
    return await _cycle_page(request, cycle_id, 422, form=posted(request), errors=errors)


@bp.post("/cycles/<cycle_id:int>/banner")
@console_page(MANAGE)
async def set_banner(request: Request, cycle_id: int):
    """The banner is checked by its content (not its name) and stripped of its metadata."""
    await cycles.get_cycle(cycle_id)
    refused = await store_image(
        request,
        lambda body: cycles.set_banner(actor(request), runtime(request).storage, cycle_id, body),
        "请选择要上传的图片",
    )
    if refused:
        return await _cycle_page(request, cycle_id, 422, banner_error=refused)
    return redirect(f"/console/shop/cycles/{cycle_id}?done=banner")


@bp.get("/cycles/<cycle_id:int>/banner")
@console_page(VIEW)
async def banner(request: Request, cycle_id: int):
    """The week's banner (?size=thumb: its thumbnail)."""
    body = await cycles.banner(runtime(request).storage, cycle_id, request.args.get("size") == "thumb")
    return private_image(body, "image/jpeg")


def _item_data(request: Request) -> dict:
    data = form_data(request)
    data["featured"] = "featured" in (request.form or {})
    return data


def _item_details(body: CycleItemIn | CycleItemUpdateIn) -> ItemDetails:
    cutoff = business_time(body.presale_cutoff) if body.presale_cutoff else None
    return ItemDetails(body.featured, body.position, cutoff, body.pickup_day)


@bp.post("/cycles/<cycle_id:int>/items")
@console_page(MANAGE)
async def add_item(request: Request, cycle_id: int):
    data = _item_data(request)
    _, errors = await submit(
        CycleItemIn,
        dict(data),
        lambda body: cycles.add_item(actor(request), cycle_id, body.sku_id, _item_details(body)),
        ITEM_FIELDS,
    )
    if not errors:
        return redirect(f"/console/shop/cycles/{cycle_id}?done=item_added#items")
    return await _cycle_page(request, cycle_id, 422, item_form=data, item_errors=errors)


@bp.post("/cycles/<cycle_id:int>/items/<item_id:int>/edit")
@console_page(MANAGE)
async def edit_item(request: Request, cycle_id: int, item_id: int):
    data = _item_data(request)
    _, errors = await submit(
        CycleItemUpdateIn,
        dict(data),
        lambda body: cycles.update_item(actor(request), cycle_id, item_id, _item_details(body)),
        ITEM_FIELDS,
    )
    if not errors:
        return redirect(f"/console/shop/cycles/{cycle_id}?done=item_saved#items")
    return await _cycle_page(request, cycle_id, 422, item_id=item_id, item_form=data, item_errors=errors)


@bp.post("/cycles/<cycle_id:int>/items/<item_id:int>/delete")
@console_page(MANAGE)
async def remove_item(request: Request, cycle_id: int, item_id: int):
    await cycles.remove_item(actor(request), cycle_id, item_id)
    return redirect(f"/console/shop/cycles/{cycle_id}?done=item_removed#items")


@bp.post("/cycles/<cycle_id:int>/clone")
@console_page(MANAGE)
async def clone(request: Request, cycle_id: int):
    try:
        created = await cycles.clone_next(actor(request), cycle_id)
    except AppError as refusal:
        if refusal.code != "shop.cycle_overlap":
            raise
        return await _cycle_page(request, cycle_id, 409, clone_error=f"不能复制为下一周：{refusal.message}")
    return redirect(f"/console/shop/cycles/{created['id']}?done=cloned")
