"""Dishes, daily menus, dish photos and dish ratings. Only a diner who paid at the canteen in a meal may
rate the dishes of that meal's menu, once per dish and meal. What a console admin reaches takes
`scope`: the canteens their grant reaches."""

from __future__ import annotations

from datetime import date, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.functions import Avg, Count
from tortoise.transactions import in_transaction

from backend.canteen.models import Canteen, CanteenPayment, DailyMenu, Dish, DishRating, MealPeriod, PaymentStatus
from backend.canteen.service.canteens import find_canteen
from backend.canteen.service.terminal_settings import terminal_config
from backend.core import images
from backend.core.audit import Actor, record
from backend.core.errors import ErrorCode
from backend.core.permissions import Scope
from backend.core.storage import ObjectNotFound, Storage
from backend.core.timeutil import BUSINESS_TZ, now


class MenuError(ErrorCode):
    CANTEEN_NOT_FOUND = ("canteen.canteen_not_found", 404, "食堂不存在")
    DISH_UNKNOWN = ("canteen.dish_unknown", 422, "菜品不存在或已下架")
    PERIOD_NOT_FOUND = ("canteen.period_not_found", 404, "该食堂没有这个餐次")
    NOT_YOUR_MEAL = ("canteen.rating_not_allowed", 403, "只能评价您在该餐次就餐时的菜品")
    NOT_ON_MENU = ("canteen.rating_dish_not_on_menu", 422, "这道菜不在当餐菜单上")
    ALREADY_RATED = ("canteen.rating_exists", 409, "您已评价过这道菜")
    NO_PHOTO = ("canteen.dish_photo_not_found", 404, "这道菜还没有照片")


def dish_view(dish: Dish) -> dict:
    return {
        "id": dish.id,
        "name": dish.name,
        "price_fen": dish.price_fen,
        "tags": dish.tags,
        "has_photo": dish.photo_key is not None,
    }


def dish_admin_view(dish: Dish) -> dict:
    """A dish as the console shows it: on sale or not, and its canteen."""
    return {**dish_view(dish), "is_active": dish.is_active, "canteen_id": dish.canteen_id}


async def _dish(dish_id: int, scope: Scope, conn=None) -> Dish:
    dish = await Dish.get_or_none(id=dish_id).using_db(conn) if conn else await Dish.get_or_none(id=dish_id)
    if dish is None:
        raise MenuError.DISH_UNKNOWN.error()
    scope.require_object(dish.canteen_id)
    return dish


async def list_dishes(canteen_code: str, *, scope: Scope) -> list[dict]:
    """The canteen's dishes, those on sale first, then by name."""
    canteen = await find_canteen(canteen_code, scope=scope)
    dishes = await Dish.filter(canteen_id=canteen.id).order_by("-is_active", "name", "id")
    return [dish_admin_view(d) for d in dishes]


async def get_dish(dish_id: int, *, scope: Scope) -> dict:
    return dish_admin_view(await _dish(dish_id, scope))


async def update_dish(
    actor: Actor, dish_id: int, name: str, price_fen: int, tags: list[str], is_active: bool, *, scope: Scope
) -> dict:
    """Change a dish's name, price, tags, or take it off sale (下架) and back. A dish off sale stays
    on the menus already set (a menu terminal shows it unavailable) and can be set on no new one."""
    async with in_transaction() as conn:
        dish = await _dish(dish_id, scope, conn)
        before = dish_admin_view(dish)
        values = {"name": name, "price_fen": price_fen, "tags": tags, "is_active": is_active}
        await Dish.filter(id=dish_id).using_db(conn).update(**values)
        after = {**before, **values}
        await record(conn, actor, "canteen.update_dish", "dish", dish_id, before, after)
    return after


async def set_dish_photo(actor: Actor, storage: Storage, dish_id: int, data: bytes, *, scope: Scope) -> dict:
    """A dish's photo for the menu, made safe like every uploaded photo; replaces the old one."""
    dish = await _dish(dish_id, scope)
    processed = await images.process_photo(data)
    photo_key, thumbnail_key = await images.store(storage, "dishes", processed, now())
    async with in_transaction() as conn:
        await Dish.filter(id=dish_id).using_db(conn).update(photo_key=photo_key, thumbnail_key=thumbnail_key)
        await record(
            conn,
            actor,
            "canteen.set_dish_photo",
            "dish",
            dish_id,
            {"photo_key": dish.photo_key},
            {"photo_key": photo_key},
        )
    for old in (dish.photo_key, dish.thumbnail_key):
        if old:
            await storage.delete(old)
    return dish_view(await Dish.get(id=dish_id))


async def dish_photo(storage: Storage, dish_id: int, thumbnail: bool) -> bytes:
    return await _photo(storage, await Dish.get_or_none(id=dish_id), thumbnail)


async def dish_photo_within(storage: Storage, dish_id: int, thumbnail: bool, *, scope: Scope) -> bytes:
    """The dish's photo for a console admin: only of a dish in a canteen `scope` reaches."""
    return await _photo(storage, await _dish(dish_id, scope), thumbnail)


async def _photo(storage: Storage, dish: Dish | None, thumbnail: bool) -> bytes:
    key = dish and (dish.thumbnail_key if thumbnail else dish.photo_key)
    if not key:
        raise MenuError.NO_PHOTO.error()
    try:
        return await storage.get(key)
    except ObjectNotFound:
        raise MenuError.NO_PHOTO.error() from None


async def set_menu(
    actor: Actor,
    canteen_code: str,
    menu_date: date,
    period_code: str,
    dish_ids: list[int],
    *,
    scope: Scope,
) -> dict:
    canteen = await Canteen.get_or_none(code=canteen_code)
    if canteen is None:
        raise MenuError.CANTEEN_NOT_FOUND.error()
    scope.require_object(canteen.id)
    if not await MealPeriod.exists(canteen_id=canteen.id, code=period_code):
        raise MenuError.PERIOD_NOT_FOUND.error()
    found = set(await Dish.filter(id__in=dish_ids, canteen_id=canteen.id, is_active=True).values_list("id", flat=True))
    if found != set(dish_ids):
        raise MenuError.DISH_UNKNOWN.error()
    async with in_transaction() as conn:
        published = (
            await DailyMenu.filter(canteen_id=canteen.id, menu_date=menu_date, period_code=period_code)
            .using_db(conn)
            .first()
        )
        menu, _ = await DailyMenu.update_or_create(
            canteen_id=canteen.id,
            menu_date=menu_date,
            period_code=period_code,
            defaults={"dish_ids": list(dish_ids)},
            using_db=conn,
        )
        view = {"canteen": canteen.code, "date": menu_date.isoformat(), "period": period_code, "dish_ids": dish_ids}
        before = published and {**view, "dish_ids": published.dish_ids}
        await record(conn, actor, "canteen.set_menu", "daily_menu", menu.id, before, view)
    return view


async def menus_between(canteen_code: str, start: date, days: int, *, scope: Scope) -> dict[tuple[str, str], list]:
    """{(day ISO, period code): dish ids} of the canteen's menus set from `start` over `days` days."""
    canteen = await find_canteen(canteen_code, scope=scope)
    menus = await DailyMenu.filter(
        canteen_id=canteen.id, menu_date__gte=start, menu_date__lt=start + timedelta(days=days)
    )
    return {(m.menu_date.isoformat(), m.period_code): list(m.dish_ids) for m in menus}


async def menus_of(canteen_code: str, day: date) -> list[dict]:
    canteen = await Canteen.get_or_none(code=canteen_code)
    if canteen is None:
        raise MenuError.CANTEEN_NOT_FOUND.error()
    menus = await DailyMenu.filter(canteen_id=canteen.id, menu_date=day).order_by("period_code")
    dishes = {d.id: d for d in await Dish.filter(id__in=[i for m in menus for i in m.dish_ids])}
    return [
        {"period": m.period_code, "dishes": [dish_view(dishes[i]) for i in m.dish_ids if i in dishes]} for m in menus
    ]


async def terminal_menu(device_id: int) -> dict:
    """What a menu-mode terminal offers now: today's menu of the meal period under way, in the
    order it was set, with dishes taken off sale since marked unavailable. With no menu set for
    the meal (a counter that sells the same dishes every day), every dish the canteen sells.
    Outside the meal periods, nothing: a payment would be refused then."""
    config = await terminal_config(device_id)
    moment = now().astimezone(BUSINESS_TZ)
    period = config.period_at(moment)
    body = {
        "canteen": config.canteen_code,
        "date": moment.date().isoformat(),
        "period": None,
        "published": False,
        "dishes": [],
    }
    if period is None:
        return body
    menu = await DailyMenu.get_or_none(canteen_id=config.canteen_id, menu_date=moment.date(), period_code=period.code)
    if menu is not None:
        found = {d.id: d for d in await Dish.filter(id__in=menu.dish_ids, canteen_id=config.canteen_id)}
        dishes = [found[i] for i in dict.fromkeys(menu.dish_ids) if i in found]
    else:
        dishes = await Dish.filter(canteen_id=config.canteen_id, is_active=True).order_by("id")
    return {
        **body,
        "period": {"code": period.code, "name": period.name},
        "published": menu is not None,
        "dishes": [{"id": d.id, "name": d.name, "price_fen": d.price_fen, "available": d.is_active} for d in dishes],
    }


async def my_meals(person_id: int, limit: int = 20) -> list[dict]:
    """Recent meals paid by this person, with the dishes they may rate."""
    payments = (
        await CanteenPayment.filter(person_id=person_id, status=PaymentStatus.PAID)
        .select_related("canteen")
        .order_by("-id")
        .limit(limit)
    )
    meals = []
    for p in payments:
        menu = await DailyMenu.get_or_none(
            canteen_id=p.canteen_id, menu_date=p.business_date, period_code=p.period_code
        )
        meals.append(
            {
                "payment_id": p.id,
                "canteen": p.canteen.name,
                "date": p.business_date.isoformat(),
                "period": p.period_code,
                "amount_fen": p.amount_fen,
                "dish_ids": menu.dish_ids if menu else [],
            }
        )
    return meals


async def rate(person_id: int, payment_id: int, dish_id: int, score: int, comment: str) -> dict:
    payment = await CanteenPayment.get_or_none(id=payment_id, person_id=person_id, status=PaymentStatus.PAID)
    if payment is None:
        raise MenuError.NOT_YOUR_MEAL.error()
    menu = await DailyMenu.get_or_none(
        canteen_id=payment.canteen_id, menu_date=payment.business_date, period_code=payment.period_code
    )
    if menu is None or dish_id not in menu.dish_ids:
        raise MenuError.NOT_ON_MENU.error()
    try:
        rating = await DishRating.create(
            person_id=person_id, dish_id=dish_id, payment_id=payment.id, score=score, comment=comment
        )
    except IntegrityError:
        raise MenuError.ALREADY_RATED.error() from None
    return {"id": rating.id, "dish_id": dish_id, "score": score, "comment": comment}


async def dish_ratings(dish_id: int, *, scope: Scope) -> dict:
    await _dish(dish_id, scope)
    summary = (
        await DishRating.filter(dish_id=dish_id).annotate(avg=Avg("score"), n=Count("id")).first().values("avg", "n")
    )
    recent = await DishRating.filter(dish_id=dish_id).order_by("-id").limit(20).values("score", "comment", "created_at")
    return {
        "dish_id": dish_id,
        "count": summary["n"] if summary else 0,
        "average": round(float(summary["avg"]), 2) if summary and summary["avg"] is not None else None,
        "recent": recent,
    }


async def rating_summaries(canteen_code: str, *, scope: Scope, low_first: bool = False) -> list[dict]:
    """Each dish of the canteen with its average score and number of ratings, the most rated first
    (or the lowest average first, unrated last), averaged by the database."""
    canteen = await find_canteen(canteen_code, scope=scope)
    dishes = await Dish.filter(canteen_id=canteen.id)
    rows = (
        await DishRating.filter(dish__canteen_id=canteen.id)
        .annotate(avg=Avg("score"), n=Count("id"))
        .group_by("dish_id")
        .values("dish_id", "avg", "n")
    )
    scores = {r["dish_id"]: (round(float(r["avg"]), 2), int(r["n"])) for r in rows}
    summaries = [
        {
            **dish_admin_view(d),
            "average": scores[d.id][0] if d.id in scores else None,
            "count": scores[d.id][1] if d.id in scores else 0,
        }
        for d in dishes
    ]
    if low_first:
        summaries.sort(key=lambda s: (s["average"] is None, s["average"] or 0, -s["count"], s["name"]))
    else:
        summaries.sort(key=lambda s: (-s["count"], -(s["average"] or 0), s["name"]))
    return summaries


async def recent_ratings(canteen_code: str, *, scope: Scope, limit: int = 30) -> list[dict]:
    """The canteen's latest ratings with their dish, newest first (who rated is not shown)."""
    canteen = await find_canteen(canteen_code, scope=scope)
    return (
        await DishRating.filter(dish__canteen_id=canteen.id)
        .order_by("-id")
        .limit(limit)
        .values("dish_id", "dish__name", "score", "comment", "created_at")
    )
