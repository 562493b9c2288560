"""Running canteens: canteens, meal periods and prices, terminals, dishes, error refunds, and
the daily totals. Payments themselves are in `payments` and `offline`.

Every function a console admin reaches takes `scope` (a `backend.core.permissions.Scope`): the
canteens the admin's grant reaches, or `Scope.EVERYTHING` for a caller acting for the platform.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from tortoise.expressions import Q
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from backend.accounts.service import devices, people
from backend.accounts.service.devices import DeviceKind
from backend.canteen.errors import CanteenError
from backend.canteen.models import (
    Canteen,
    CanteenPayment,
    DinerCategory,
    Dish,
    MealPeriod,
    PaymentStatus,
    PriceRule,
    Terminal,
    TerminalMode,
)
from backend.canteen.service.terminal_settings import clock_time, forget_cached_config, minute_of
from backend.core.audit import Actor, record
from backend.core.money import format_yuan
from backend.core.pagination import Page, paginate
from backend.core.permissions import Scope, objects_within
from backend.core.timeutil import day_start, now, today
from backend.wallet.service import ledger, wallets
from backend.wallet.service.ledger import TransferKind


def canteen_view(canteen: Canteen) -> dict:
    return {
        "id": canteen.id,
        "code": canteen.code,
        "name": canteen.name,
        "location": canteen.location,
        "max_payment_fen": canteen.max_payment_fen,
        "offline_max_payment_fen": canteen.offline_max_payment_fen,
        "offline_max_count_per_card": canteen.offline_max_count_per_card,
    }


async def create_canteen(
    actor: Actor, code: str, name: str, location: str = "", max_payment_fen: int = 10_000, *, scope: Scope
) -> dict:
    """A new canteen; a manager of given canteens may not open another."""
    scope.require_everything()
    async with in_transaction() as conn:
        if await Canteen.filter(code=code).using_db(conn).exists():
            raise CanteenError.CANTEEN_CODE_TAKEN.error()
        canteen = await Canteen.create(
            code=code, name=name, location=location, max_payment_fen=max_payment_fen, using_db=conn
        )
        await record(conn, actor, "canteen.create_canteen", "canteen", canteen.id, after=canteen_view(canteen))
    return canteen_view(canteen)


async def update_canteen(
    actor: Actor,
    code: str,
    name: str,
    location: str,
    max_payment_fen: int,
    offline_max_payment_fen: int,
    offline_max_count_per_card: int,
    *,
    scope: Scope,
) -> dict:
    """Change a canteen's name, place and limits (its code stays: terminals and reports name it).
    Terminals see the new limits within the config cache's few seconds."""
    async with in_transaction() as conn:
        canteen = await find_canteen(code, conn, scope=scope)
        before = canteen_view(canteen)
        values = {
            "name": name,
            "location": location,
            "max_payment_fen": max_payment_fen,
            "offline_max_payment_fen": offline_max_payment_fen,
            "offline_max_count_per_card": offline_max_count_per_card,
        }
        await Canteen.filter(id=canteen.id).using_db(conn).update(**values)
        after = {**before, **values}
        await record(conn, actor, "canteen.update_canteen", "canteen", canteen.id, before, after)
    forget_cached_config()
    return after


async def get_canteen(code: str, *, scope: Scope) -> dict:
    return canteen_view(await find_canteen(code, scope=scope))


async def list_canteens(*, scope: Scope) -> list[dict]:
    return [canteen_view(c) for c in await Canteen.filter(objects_within(scope, "id")).order_by("code")]


async def find_canteen(code: str, conn=None, *, scope: Scope) -> Canteen:
    """The canteen with this code, if it is in `scope`; not found or out of scope is refused."""
    canteen = await Canteen.get_or_none(code=code).using_db(conn) if conn else await Canteen.get_or_none(code=code)
    if canteen is None:
        raise CanteenError.CANTEEN_NOT_FOUND.error()
    scope.require_object(canteen.id)
    return canteen


async def canteen_exists(code: str) -> bool:
    return await Canteen.exists(code=code)


async def canteen_choices() -> list[tuple[str, str]]:
    """(code, name) of every canteen, for granting a role over one of them."""
    return [(code, name) for code, name in await Canteen.all().order_by("code").values_list("code", "name")]


async def canteen_id(code: str) -> int:
    return (await find_canteen(code, scope=Scope.EVERYTHING)).id


async def describe_canteens(ids: list[int]) -> dict[int, tuple[str, str]]:
    """{id: (code, name)} of the canteens with these ids."""
    return {i: (code, name) for i, code, name in await Canteen.filter(id__in=ids).values_list("id", "code", "name")}


async def describe_payments(ids: list[int]) -> dict[int, str]:
    """{id: "张三 12.00 元"}: who paid how much, as the audit log names a payment."""
    found = await CanteenPayment.filter(id__in=ids).values_list("id", "person__name", "card_uid", "amount_fen")
    return {i: f"{name or card_uid} {format_yuan(amount)} 元" for i, name, card_uid, amount in found}


async def period_names() -> dict[tuple[int, str], str]:
    """{(canteen id, period code): name} of every meal period, for lists that name a payment's period."""
    return {(c, code): name for c, code, name in await MealPeriod.all().values_list("canteen_id", "code", "name")}


def period_view(period: MealPeriod, prices: list[PriceRule]) -> dict:
    return {
        "code": period.code,
        "name": period.name,
        "starts_at": clock_time(period.starts_minute),
        "ends_at": clock_time(period.ends_minute),
        "max_swipes_per_card": period.max_swipes_per_card,
        "booking_cutoff_hours": period.booking_cutoff_hours,
        "prices": {
            r.diner_category.value: {"price_fen": r.price_fen, "subsidy_cap_fen": r.subsidy_cap_fen} for r in prices
        },
    }


async def set_period(
    actor: Actor,
    canteen_code: str,
    code: str,
    name: str,
    starts_at: time,
    ends_at: time,
    max_swipes_per_card: int,
    prices: dict[DinerCategory, tuple[int, int]],
    booking_cutoff_hours: int = 2,
    *,
    scope: Scope,
) -> dict:
    """Create or replace a meal period and its prices; periods of a canteen never overlap.
    The window is [starts_at, ends_at) to the minute, Asia/Shanghai wall-clock time; 24:00 is
    written as ends_at 23:59 and means the rest of the day."""
    start, end = minute_of(starts_at), minute_of(ends_at)
    end = 24 * 60 if end == 23 * 60 + 59 else end
    if start >= end:
        raise CanteenError.PERIOD_INVALID.error()
    async with in_transaction() as conn:
        canteen = await find_canteen(canteen_code, conn, scope=scope)
        others = await MealPeriod.filter(canteen_id=canteen.id).exclude(code=code).using_db(conn)
        if any(p.starts_minute < end and start < p.ends_minute for p in others):
            raise CanteenError.PERIOD_INVALID.error()
        period = await MealPeriod.get_or_none(canteen_id=canteen.id, code=code).using_db(conn)
        before = period_view(period, await period.prices.all().using_db(conn)) if period else None
        values = {
            "name": name,
            "starts_minute": start,
            "ends_minute": end,
            "max_swipes_per_card": max_swipes_per_card,
            "booking_cutoff_hours": booking_cutoff_hours,
        }
        if period is None:
            period = await MealPeriod.create(canteen_id=canteen.id, code=code, **values, using_db=conn)
        else:
            await MealPeriod.filter(id=period.id).using_db(conn).update(**values)
            period = await MealPeriod.get(id=period.id).using_db(conn)
        await PriceRule.filter(period_id=period.id).using_db(conn).delete()
        rules = [
            PriceRule(period_id=period.id, diner_category=c, price_fen=p, subsidy_cap_fen=cap)
            for c, (p, cap) in prices.items()
        ]
        await PriceRule.bulk_create(rules, using_db=conn)
        after = period_view(period, rules)
        await record(conn, actor, "canteen.set_period", "canteen", canteen.id, before, after)
    forget_cached_config()
    return after


async def list_periods(canteen_code: str, *, scope: Scope) -> list[dict]:
    canteen = await find_canteen(canteen_code, scope=scope)
    periods = await MealPeriod.filter(canteen_id=canteen.id).prefetch_related("prices").order_by("starts_minute")
    return [period_view(p, list(p.prices)) for p in periods]


async def bind_terminal(
    actor: Actor, canteen_code: str, device_code: str, mode: TerminalMode, name: str, *, scope: Scope
) -> dict:
    """Place a registered device in a canteen as a payment terminal (or move it to another);
    moving it needs the canteen it leaves in scope as well."""
    async with in_transaction() as conn:
        canteen = await find_canteen(canteen_code, conn, scope=scope)
        device = await devices.device_by_code(device_code)
        if device is None or device["kind"] not in (DeviceKind.CANTEEN_TERMINAL, DeviceKind.KIOSK):
            raise CanteenError.DEVICE_NOT_TERMINAL_KIND.error()
        terminal = await Terminal.get_or_none(device_id=device["id"]).using_db(conn)
        before = None
        if terminal is None:
            terminal = await Terminal.create(
                device_id=device["id"], canteen_id=canteen.id, mode=mode, name=name, using_db=conn
            )
        else:
            scope.require_object(terminal.canteen_id)
            left = await Canteen.get(id=terminal.canteen_id).using_db(conn)
            before = {"canteen": left.code, "mode": terminal.mode.value, "name": terminal.name}
            await Terminal.filter(id=terminal.id).using_db(conn).update(canteen_id=canteen.id, mode=mode, name=name)
        view = {"id": terminal.id, "device": device["code"], "canteen": canteen.code, "mode": mode.value, "name": name}
        # Moving a terminal keeps where it was: the audit says which canteen's payments it took before.
        await record(conn, actor, "canteen.bind_terminal", "terminal", terminal.id, before and {**view, **before}, view)
    forget_cached_config()
    return view


async def devices_placed_outside(scope: Scope) -> list[int]:
    """Ids of the devices that are terminals of canteens outside `scope`: not the scoped manager's to move."""
    ids = scope.object_id_list()
    if ids is None:
        return []
    return await Terminal.exclude(canteen_id__in=ids).values_list("device_id", flat=True)


async def list_terminals(canteen_code: str, *, scope: Scope) -> list[dict]:
    """The canteen's terminals with their device's code and state."""
    canteen = await find_canteen(canteen_code, scope=scope)
    terminals = await Terminal.filter(canteen_id=canteen.id).order_by("name")
    placed = await devices.devices_by_id(t.device_id for t in terminals)
    return [
        {
            "id": t.id,
            "name": t.name,
            "mode": t.mode.value,
            "device_id": t.device_id,
            "device_code": placed[t.device_id]["code"],
            "device_state": placed[t.device_id]["state"],
        }
        for t in terminals
    ]


async def create_dish(
    actor: Actor, canteen_code: str, name: str, price_fen: int, tags: list[str], *, scope: Scope
) -> dict:
    async with in_transaction() as conn:
        canteen = await find_canteen(canteen_code, conn, scope=scope)
        dish = await Dish.create(canteen_id=canteen.id, name=name, price_fen=price_fen, tags=tags, using_db=conn)
        view = {"id": dish.id, "name": name, "price_fen": price_fen, "tags": tags, "is_active": True}
        await record(conn, actor, "canteen.create_dish", "dish", dish.id, after=view)
    return view


async def refund(actor: Actor, payment_id: int, reason: str, *, scope: Scope) -> dict:
    """Error refund (因错退款) by a canteen manager, on the day of the payment: a reversing
    transfer; the payment is marked refunded, never edited or deleted."""
    current_day = today()
    async with in_transaction() as conn:
        payment = await CanteenPayment.get_or_none(id=payment_id).using_db(conn).select_for_update()
        if payment is None:
            raise CanteenError.PAYMENT_NOT_FOUND.error()
        scope.require_object(payment.canteen_id)
        if payment.status != PaymentStatus.PAID or payment.business_date != current_day or payment.person_id is None:
            raise CanteenError.REFUND_NOT_ALLOWED.error()
        wallet = await wallets.ensure_wallet(payment.person_id)
        await wallets.lock_wallet(conn, wallet.id)
        changed = (
            await CanteenPayment.filter(id=payment.id, status=PaymentStatus.PAID)
            .using_db(conn)
            .update(status=PaymentStatus.REFUNDED, refund_reason=reason)
        )
        if not changed:
            raise CanteenError.REFUND_NOT_ALLOWED.error()
        await wallets.credit(conn, wallet.id, cash=payment.cash_fen, subsidy=payment.subsidy_fen)
        transfer = await ledger.post(
            conn,
            TransferKind.CANTEEN_REFUND,
            [
                (ledger.canteen_revenue(payment.canteen_id), -payment.amount_fen),
                (ledger.wallet_cash(wallet.id), payment.cash_fen),
                (ledger.wallet_subsidy(wallet.id), payment.subsidy_fen),
            ],
            at=now(),
            reference=f"payment:{payment.id}",
            memo=reason,
            reverses_id=payment.transfer_id,
        )
        if payment.overdraft_fen:
            # A refunded offline payment gives back what was advanced for it, not spendable cash.
            await wallets.repay_overdraft(
                conn, wallet.id, payment.overdraft_fen, reference=f"payment:{payment.id}", memo="退款归还脱机透支"
            )
        view = {
            "payment_id": payment.id,
            "status": "refunded",
            "amount_fen": payment.amount_fen,
            "cash_fen": payment.cash_fen,
            "subsidy_fen": payment.subsidy_fen,
            "reason": reason,
            "transfer_id": transfer,
        }
        await record(conn, actor, "canteen.refund_payment", "canteen_payment", payment.id, {"status": "paid"}, view)
    return view


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = day_start(day)
    return start, start + timedelta(days=1)


async def daily_totals(day: date, *, scope: Scope) -> list[dict]:
    """Per canteen, terminal and period: count, amount, subsidy and cash of the day's payments
    still standing (refunded ones are excluded), summed by the database; a period by the name
    its canteen gives it."""
    names = await period_names()
    rows = await (
        CanteenPayment.filter(objects_within(scope, "canteen_id"), business_date=day, status=PaymentStatus.PAID)
        .annotate(n=Count("id"), amount=Sum("amount_fen"), subsidy=Sum("subsidy_fen"), cash=Sum("cash_fen"))
        .group_by("canteen_id", "canteen__code", "canteen__name", "terminal_id", "terminal__name", "period_code")
        .order_by("canteen__code", "terminal_id", "period_code")
        .values(
            "canteen_id",
            "canteen__code",
            "canteen__name",
            "terminal_id",
            "terminal__name",
            "period_code",
            "n",
            "amount",
            "subsidy",
            "cash",
        )
    )
    return [
        {
            "canteen": r["canteen__code"],
            "canteen_name": r["canteen__name"],
            "terminal_id": r["terminal_id"],
            "terminal": r["terminal__name"],
            "period": r["period_code"],
            "period_name": names.get((r["canteen_id"], r["period_code"]), r["period_code"]),
            "count": r["n"],
            "amount_fen": int(r["amount"] or 0),
            "subsidy_fen": int(r["subsidy"] or 0),
            "cash_fen": int(r["cash"] or 0),
        }
        for r in rows
    ]


def by_canteen_and_period(lines: list[dict]) -> list[dict]:
    """The daily totals with the terminals of each canteen added up: meals and revenue per
    canteen and period."""
    merged: dict[tuple, dict] = {}
    for line in lines:
        row = merged.setdefault(
            (line["canteen_name"], line["period"]),
            {
                "canteen_name": line["canteen_name"],
                "period": line["period"],
                "period_name": line["period_name"],
                "meals": 0,
                "amount_fen": 0,
            },
        )
        row["meals"] += line["count"]
        row["amount_fen"] += line["amount_fen"]
    return [merged[k] for k in sorted(merged)]


async def flagged_count(since: date, *, scope: Scope) -> int:
    """Payments since `since` that need a look: offline by a card reported lost, overdrawn, or
    charged while the terminal told the diner "refused"."""
    return await CanteenPayment.filter(
        Q(lost_card_flag=True) | Q(overdraft_fen__gt=0) | Q(disputed=True),
        objects_within(scope, "canteen_id"),
        business_date__gte=since,
    ).count()


def payment_view(p: CanteenPayment) -> dict:
    return {
        "id": p.id,
        "terminal_txn_no": p.terminal_txn_no,
        "canteen_id": p.canteen_id,
        "terminal_id": p.terminal_id,
        "person_id": p.person_id,
        "card_uid": p.card_uid,
        "method": p.method.value,
        "business_date": p.business_date.isoformat(),
        "period": p.period_code,
        "status": p.status.value,
        "refusal_code": p.refusal_code,
        "amount_fen": p.amount_fen,
        "subsidy_fen": p.subsidy_fen,
        "cash_fen": p.cash_fen,
        "paid_at": p.paid_at.isoformat(),
        "offline": p.offline,
        "lost_card_flag": p.lost_card_flag,
        "disputed": p.disputed,
        "overdraft_fen": p.overdraft_fen,
        "refund_reason": p.refund_reason,
    }


async def payments_query(filters: dict, *, scope: Scope) -> QuerySet:
    """Payments of the canteens in scope, filtered by canteen code, business day, status, person or flags."""
    query = CanteenPayment.filter(objects_within(scope, "canteen_id"))
    if filters.get("canteen"):
        query = query.filter(canteen__code=filters["canteen"])
    if filters.get("day"):
        query = query.filter(business_date=filters["day"])
    if filters.get("status"):
        query = query.filter(status=filters["status"])
    if filters.get("person_id"):
        query = query.filter(person_id=filters["person_id"])
    if filters.get("employee_no"):
        query = query.filter(person_id__in=await people.person_ids_with_employee_no(filters["employee_no"]))
    if filters.get("flagged"):
        query = query.filter(
            Q(lost_card_flag=True)
            | Q(overdraft_fen__gt=0)
            | Q(offline=True, status=PaymentStatus.REFUSED)
            | Q(disputed=True)
        )
    return query


async def list_payments(filters: dict, page: int, page_size: int, *, scope: Scope) -> Page:
    """Payments newest first (see payments_query for the filters)."""
    return await paginate(
        await payments_query(filters, scope=scope), page, page_size, order_by=("-id",), view=payment_view
    )
