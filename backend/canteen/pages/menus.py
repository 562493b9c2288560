"""Console pages for a canteen's dishes and menus: the dishes with their photos (uploaded through
the same pipeline as every photo, thumbnails in the list), creating and changing a dish with its
price typed in yuan, taking it off sale; and the menu of each day and meal period, set by
picking the canteen's dishes, seen a week at a time, copied from the day before or the same day
last week. A manager granted one canteen sees and changes that canteen only."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import urlencode

from sanic import Blueprint
from sanic.request import Request
from sanic.response import redirect

from backend.accounts.guards import actor, runtime, scope
from backend.canteen.pages.canteen_choice import chosen_canteen, manages
from backend.canteen.permissions import CanteenPermission
from backend.canteen.schemas import DishIn, DishUpdateIn, MenuIn
from backend.canteen.service import canteens, menus
from backend.console.forms import FormErrors, form_data, posted, store_image, submit
from backend.console.render import flash, page
from backend.console.session import console_page
from backend.core.money import yuan_text
from backend.core.timeutil import parse_day, today
from backend.core.web.responses import private_image

bp = Blueprint("console_canteen_menus", url_prefix="/console/canteen")

VIEW, MANAGE = CanteenPermission.VIEW_PAYMENT, CanteenPermission.MANAGE_CANTEEN
FLASH = {
    "created": "菜品已创建，可以上传照片",
    "updated": "菜品已保存",
    "photo": "照片已更新",
    "menu_saved": "菜单已发布，终端和小程序即刻可见",
}
# Where a service refusal is shown on the dish and menu forms.
DISH_FIELDS = {"canteen.dish_unknown": "dish_ids", "canteen.period_not_found": "period"}
WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
TAG_SEPARATORS = re.compile(r"[,，、;；\s]+")
MAX_TAG = 10


def _dish_data(request: Request, errors: FormErrors) -> dict:
    """The dish form as the schema takes it: tags typed in one box, split on commas or spaces."""
    data = form_data(request)
    tags = [t for t in TAG_SEPARATORS.split(data.pop("tags", "")) if t]
    if any(len(t) > MAX_TAG for t in tags):
        errors["tags"] = f"每个标签最多 {MAX_TAG} 个字"
    data["tags"] = list(dict.fromkeys(tags))
    return data


@bp.get("/dishes")
@console_page(VIEW)
async def dishes(request: Request):
    return await _dishes_page(request)


async def _dishes_page(request: Request, status: int = 200, form: dict | None = None, errors: FormErrors | None = None):
    canteen, visible = await chosen_canteen(request)
    return await page(
        request,
        "canteen/dishes.html",
        status=status,
        canteen=canteen,
        canteens=visible,
        dishes=await menus.list_dishes(canteen["code"], scope=scope(request, VIEW)) if canteen else [],
        can_manage=manages(request, canteen),
        flash=flash(request, FLASH),
        form=form or {},
        errors=errors or FormErrors(),
    )


@bp.post("/dishes")
@console_page(MANAGE)
async def create_dish(request: Request):
    code = request.args.get("canteen", "")
    # Refused as a page before the form is read: a manager of one canteen gets no form errors about another.
    await canteens.get_canteen(code, scope=scope(request, MANAGE))
    errors = FormErrors()
    data = _dish_data(request, errors)
    if errors:
        return await _dishes_page(request, 422, posted(request), errors)
    created, errors = await submit(
        DishIn,
        data,
        lambda body: canteens.create_dish(
            actor(request), code, body.name, body.price_fen, body.tags, scope=scope(request, MANAGE)
        ),
        yuan=("price_fen",),
    )
    if not errors:
        return redirect(f"/console/canteen/dishes/{created['id']}?done=created")
    return await _dishes_page(request, 422, posted(request), errors)


async def _dish_page(
    request: Request, dish_id: int, status: int = 200, form: dict | None = None, errors: FormErrors | None = None
):
    dish = await menus.get_dish(dish_id, scope=scope(request, VIEW))
    canteen = next(c for c in await canteens.list_canteens(scope=scope(request, VIEW)) if c["id"] == dish["canteen_id"])
    shown = form or {
        "name": dish["name"],
        "price_fen": yuan_text(dish["price_fen"]),
        "tags": "、".join(dish["tags"]),
        "is_active": "on" if dish["is_active"] else "",
    }
    return await page(
        request,
        "canteen/dish.html",
        status=status,
        dish=dish,
        canteen=canteen,
        can_manage=manages(request, canteen),
        flash=flash(request, FLASH),
        form=shown,
        errors=errors or FormErrors(),
        photo_error=(errors or {}).get("file", ""),
    )


@bp.get("/dishes/<dish_id:int>")
@console_page(VIEW)
async def dish_detail(request: Request, dish_id: int):
    return await _dish_page(request, dish_id)


@bp.post("/dishes/<dish_id:int>")
@console_page(MANAGE)
async def update_dish(request: Request, dish_id: int):
    await menus.get_dish(dish_id, scope=scope(request, MANAGE))
    errors = FormErrors()
    data = _dish_data(request, errors)
    data["is_active"] = data.get("is_active") == "on"
    if not errors:
        _, errors = await submit(
            DishUpdateIn,
            data,
            lambda body: menus.update_dish(
                actor(request),
                dish_id,
                body.name,
                body.price_fen,
                body.tags,
                body.is_active,
                scope=scope(request, MANAGE),
            ),
            yuan=("price_fen",),
        )
        if not errors:
            return redirect(f"/console/canteen/dishes/{dish_id}?done=updated")
    return await _dish_page(request, dish_id, 422, posted(request), errors)


@bp.post("/dishes/<dish_id:int>/photo")
@console_page(MANAGE)
async def set_photo(request: Request, dish_id: int):
    """The photo is checked by its content (not its name) and stripped of its metadata."""
    await menus.get_dish(dish_id, scope=scope(request, MANAGE))
    refused = await store_image(
        request,
        lambda body: menus.set_dish_photo(
            actor(request), runtime(request).storage, dish_id, body, scope=scope(request, MANAGE)
        ),
        "请选择要上传的照片",
    )
    if refused:
        return await _dish_page(request, dish_id, 422, errors=FormErrors({"file": refused}))
    return redirect(f"/console/canteen/dishes/{dish_id}?done=photo")


@bp.get("/dishes/<dish_id:int>/photo")
@console_page(VIEW)
async def photo(request: Request, dish_id: int):
    """The dish's photo (?size=thumb: its thumbnail), for a dish of a canteen the admin may see."""
    body = await menus.dish_photo_within(
        runtime(request).storage, dish_id, request.args.get("size") == "thumb", scope=scope(request, VIEW)
    )
    return private_image(body, "image/jpeg")


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


COPY_FROM = {"yesterday": ("前一天", 1), "last_week": ("上周同日", 7)}


@bp.get("/menus")
@console_page(VIEW)
async def week_menus(request: Request):
    return await _menus_page(request)


async def _menus_page(request: Request, status: int = 200, form: dict | None = None, errors: FormErrors | None = None):
    canteen, visible = await chosen_canteen(request)
    monday = _monday(parse_day(request.args.get("week")) or today())
    days = [monday + timedelta(days=i) for i in range(7)]
    context: dict = {
        "canteen": canteen,
        "canteens": visible,
        "days": days,
        "weekdays": WEEKDAYS,
        "monday": monday,
        "this_day": today(),
        "previous_week": (monday - timedelta(days=7)).isoformat(),
        "next_week": (monday + timedelta(days=7)).isoformat(),
    }
    if canteen is None:
        return await page(request, "canteen/menus.html", status=status, **context)
    code, viewable = canteen["code"], scope(request, VIEW)
    dishes = await menus.list_dishes(code, scope=viewable)
    week = await menus.menus_between(code, monday, 7, scope=viewable)
    editing = _editing(request, form, days)
    if editing and editing["copy"] and form is None:
        source_day = date.fromisoformat(editing["date"]) - timedelta(days=COPY_FROM[editing["copy"]][1])
        source = await menus.menus_between(code, source_day, 1, scope=viewable)
        editing["dish_ids"] = source.get((source_day.isoformat(), editing["period"]))
        editing["copied_from"] = source_day
    elif editing and form is None:
        editing["dish_ids"] = week.get((editing["date"], editing["period"]))
    return await page(
        request,
        "canteen/menus.html",
        status=status,
        **context,
        periods=await canteens.list_periods(code, scope=viewable),
        dishes={d["id"]: d for d in dishes},
        on_sale=[d for d in dishes if d["is_active"]],
        week=week,
        editing=editing,
        copy_from=COPY_FROM,
        can_manage=manages(request, canteen),
        flash=flash(request, FLASH),
        errors=errors or FormErrors(),
        link=lambda **changes: "?" + urlencode({"canteen": code, "week": monday.isoformat(), **changes}),
    )


def _editing(request: Request, form: dict | None, days: list[date]) -> dict | None:
    """The menu being set: from a refused form, or the cell the URL names within the week shown."""
    if form is not None:
        return {"date": form["date"], "period": form["period"], "dish_ids": form["dish_ids"], "copy": ""}
    day = parse_day(request.args.get("day"))
    period = request.args.get("period", "")
    if day not in days or not period:
        return None
    copy = request.args.get("copy", "")
    return {"date": day.isoformat(), "period": period, "dish_ids": None, "copy": copy if copy in COPY_FROM else ""}


@bp.post("/menus")
@console_page(MANAGE)
async def set_menu(request: Request):
    code = request.args.get("canteen", "")
    await canteens.get_canteen(code, scope=scope(request, MANAGE))
    data = form_data(request, lists=("dish_ids",))
    _, errors = await submit(
        MenuIn,
        data,
        lambda body: menus.set_menu(
            actor(request), code, body.date, body.period, body.dish_ids, scope=scope(request, MANAGE)
        ),
        DISH_FIELDS,
    )
    if not errors:
        shown = {"canteen": code, "week": data["date"], "done": "menu_saved"}
        return redirect("/console/canteen/menus?" + urlencode(shown))
    if "dish_ids" in errors and not data["dish_ids"]:
        errors["dish_ids"] = "请至少选择一道菜"
    refused = {"date": data.get("date", ""), "period": data.get("period", ""), "dish_ids": _ids(data["dish_ids"])}
    return await _menus_page(request, 422, refused, errors)


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit()]
