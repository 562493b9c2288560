"""The shop's reports: the purchase list (备货单) each supplier prepares for a pickup day, what is
owed to each supplier for a period (结算报表), and sales by region of origin and by theme week.

What counts as sold is the lines of the orders that were paid: an order has a payment row once
money arrived, whichever way. Sales and settlement figures take an order into the period its
payment falls in, and deduct its refunds there whenever they were made: a refund reverses that
sale, so a period's figures only shrink when a refund comes later, and nothing refunded is ever
paid out to a supplier. A refund still open (待审核, 退款中) is held back from what is owed until
it is decided.

What is owed to a supplier through a day is cumulative: everything sold through that day, less
its refunds (finished or open), less every settlement already paid to that supplier, whatever
period it named. So a settlement can catch up on earlier periods, and never pays a supplier more
than its goods brought in."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from tortoise.functions import Sum

from backend.core.money import yuan
from backend.core.spreadsheet import Sheet, workbook
from backend.core.timeutil import DaySpan, day_start
from backend.shop.errors import ShopError
from backend.shop.models import (
    Cycle,
    OrderLine,
    OrderState,
    OriginKind,
    Refund,
    RefundState,
    Settlement,
    Supplier,
)

# A longer range is refused: sales are summed line by line.
MAX_DAYS = 366
# The orders whose goods a supplier still delivers: paid and not wholly refunded or cancelled.
TO_DELIVER = (OrderState.PAID, OrderState.READY, OrderState.PICKED_UP, OrderState.REFUNDING)
# Refunds not yet decided or not yet through: their money may still go back to the cadre.
OPEN_REFUNDS = (RefundState.REQUESTED, RefundState.PROCESSING)


def span(first: date, last: date) -> DaySpan:
    """The range from `first` through `last`, refused when it is reversed or longer than MAX_DAYS."""
    if last < first or (last - first).days + 1 > MAX_DAYS:
        raise ShopError.REPORT_RANGE_INVALID.error(days=MAX_DAYS)
    return DaySpan(first, last)


def _sums(rows: list[tuple[Any, Any]]) -> dict[Any, int]:
    return {key: int(total or 0) for key, total in rows}


# ---- purchase list (备货单) -------------------------------------------------------------------------


async def purchase_list(day: date, supplier_id: int | None = None) -> list[dict]:
    """备货单 for the pickup day `day`: per supplier (or only `supplier_id`), each SKU with the
    quantity to prepare (ordered in paid orders, less what was refunded) and the number of
    orders it is in; suppliers by name, SKUs by product and spec. SKUs refunded to nothing are
    left out."""
    lines = OrderLine.filter(order__pickup_day=day, order__state__in=TO_DELIVER)
    # Finished refunds only: an open one may still be rejected, and the goods are prepared until it is.
    refunds = Refund.filter(order__pickup_day=day, order__state__in=TO_DELIVER, state=RefundState.SUCCEEDED)
    if supplier_id is not None:
        lines = lines.filter(supplier_id=supplier_id)
        refunds = refunds.filter(line__supplier_id=supplier_id)
    rows = await lines.values(
        "id",
        "order_id",
        "sku_id",
        "supplier_id",
        "supplier__name",
        "supplier__region",
        "product_name",
        "spec",
        "quantity",
    )
    refunded = _sums(
        await refunds.annotate(refunded=Sum("quantity")).group_by("line_id").values_list("line_id", "refunded")
    )
    suppliers: dict[int, dict] = {}
    for row in rows:
        quantity = row["quantity"] - refunded.get(row["id"], 0)
        if quantity <= 0:
            continue
        supplier = suppliers.setdefault(
            row["supplier_id"],
            {
                "supplier_id": row["supplier_id"],
                "supplier": row["supplier__name"],
                "region": row["supplier__region"],
                "skus": {},
            },
        )
        sku = supplier["skus"].setdefault(
            row["sku_id"],
            {
                "sku_id": row["sku_id"],
                "product": row["product_name"],
                "spec": row["spec"],
                "quantity": 0,
                "orders": set(),
            },
        )
        sku["quantity"] += quantity
        sku["orders"].add(row["order_id"])
    result = []
    for supplier in sorted(suppliers.values(), key=lambda s: s["supplier"]):
        skus = sorted(supplier.pop("skus").values(), key=lambda s: (s["product"], s["spec"]))
        items = [{**s, "orders": len(s["orders"])} for s in skus]
        result.append(
            {
                **supplier,
                "items": items,
                "total_quantity": sum(i["quantity"] for i in items),
                "orders": len({o for s in skus for o in s["orders"]}),
            }
        )
    return result


async def purchase_days(around: date, before: int = 14, after: int = 14) -> list[date]:
    """The pickup days within `before` days before and `after` days after `around` that have goods
    to prepare, in order: the days a purchase list is worth opening."""
    days = (
        await OrderLine.filter(
            order__state__in=TO_DELIVER,
            order__pickup_day__gte=around - timedelta(days=before),
            order__pickup_day__lte=around + timedelta(days=after),
        )
        .distinct()
        .values_list("order__pickup_day", flat=True)
    )
    return sorted(set(days))


PURCHASE_HEADER = ("商品", "规格", "数量", "涉及订单数")


async def purchase_workbook(day: date, supplier_id: int | None = None) -> bytes:
    """The purchase list as an .xlsx file: one sheet per supplier, to send to each."""
    suppliers = await purchase_list(day, supplier_id)
    sheets = [
        Sheet(
            s["supplier"],
            PURCHASE_HEADER,
            [[i["product"], i["spec"], i["quantity"], i["orders"]] for i in s["items"]],
            caption=f"备货单 · {s['supplier']} · 取货日 {day.isoformat()}",
            footer=["合计", "", s["total_quantity"], s["orders"]],
        )
        for s in suppliers
    ]
    return await workbook(
        sheets or [Sheet("备货单", PURCHASE_HEADER, [], caption=f"取货日 {day.isoformat()} 没有待备货的订单")]
    )


# ---- settlement (供货方结算) --------------------------------------------------------------------------


async def _sold(conn: Any, before: datetime, since: datetime | None = None, supplier_id: int | None = None) -> dict:
    """supplier id -> amount of the lines of orders paid before `before` (and from `since`).
    An order cancelled before its money came sold nothing: its goods went back on the shelf and
    the money goes back to the cadre (its refunds are left out too, see `_refunded`)."""
    lines = OrderLine.filter(order__payment__paid_at__lt=before).exclude(order__state=OrderState.CANCELLED)
    if since is not None:
        lines = lines.filter(order__payment__paid_at__gte=since)
    if supplier_id is not None:
        lines = lines.filter(supplier_id=supplier_id)
    rows = (
        await lines.using_db(conn)
        .annotate(sold=Sum("amount_fen"))
        .group_by("supplier_id")
        .values_list("supplier_id", "sold")
    )
    return _sums(rows)


async def _refunded(
    conn: Any,
    states: tuple[RefundState, ...],
    before: datetime,
    since: datetime | None = None,
    supplier_id: int | None = None,
) -> dict:
    """supplier id -> amount of the refunds in `states` of the lines of orders paid before
    `before` (and from `since`), whenever the refunds were made."""
    refunds = Refund.filter(state__in=states, order__payment__paid_at__lt=before).exclude(
        order__state=OrderState.CANCELLED
    )
    if since is not None:
        refunds = refunds.filter(order__payment__paid_at__gte=since)
    if supplier_id is not None:
        refunds = refunds.filter(line__supplier_id=supplier_id)
    rows = (
        await refunds.using_db(conn)
        .annotate(refunded=Sum("amount_fen"))
        .group_by("line__supplier_id")
        .values_list("line__supplier_id", "refunded")
    )
    return _sums(rows)


async def _settled(
    conn: Any, supplier_id: int | None = None, ends_from: date | None = None, ends_by: date | None = None
) -> dict:
    """supplier id -> amount settled, over the settlements whose period ends within the bounds."""
    settlements = Settlement.all()
    if supplier_id is not None:
        settlements = settlements.filter(supplier_id=supplier_id)
    if ends_from is not None:
        settlements = settlements.filter(period_end__gte=ends_from)
    if ends_by is not None:
        settlements = settlements.filter(period_end__lte=ends_by)
    rows = (
        await settlements.using_db(conn)
        .annotate(settled=Sum("amount_fen"))
        .group_by("supplier_id")
        .values_list("supplier_id", "settled")
    )
    return _sums(rows)


async def _owed_through(conn: Any, through: date, supplier_id: int | None = None) -> dict[int, int]:
    """supplier id -> what is owed through the day `through`, as the module docstring says (may
    be below zero when settlements ran ahead of a later refund)."""
    before = day_start(through + timedelta(days=1))
    sold = await _sold(conn, before, supplier_id=supplier_id)
    refunded = await _refunded(conn, (RefundState.SUCCEEDED, *OPEN_REFUNDS), before, supplier_id=supplier_id)
    settled = await _settled(conn, supplier_id)
    return {sid: sold.get(sid, 0) - refunded.get(sid, 0) - settled.get(sid, 0) for sid in {*sold, *refunded, *settled}}


async def owed(conn: Any, supplier_id: int, through: date) -> int:
    """What may still be paid out to the supplier for everything sold through `through` (never
    below zero), read on `conn`: the settlement calls it under the supplier's lock."""
    return max(0, (await _owed_through(conn, through, supplier_id)).get(supplier_id, 0))


async def settlement_report(first: date, last: date) -> list[dict]:
    """Per supplier with business or settlements (and every active one): for the orders paid in
    the range, what was sold, refunded, and is being refunded, the net; what was settled for
    periods ending in the range; and what is owed through its last day. By supplier name."""
    period = span(first, last)
    sold = await _sold(None, period.end, period.start)
    refunded = await _refunded(None, (RefundState.SUCCEEDED,), period.end, period.start)
    refunding = await _refunded(None, OPEN_REFUNDS, period.end, period.start)
    settled = await _settled(None, ends_from=first, ends_by=last)
    owed_now = await _owed_through(None, last)
    wanted = {*sold, *refunded, *refunding, *settled, *(sid for sid, amount in owed_now.items() if amount)}
    suppliers = await Supplier.filter(is_active=True).values_list("id", flat=True)
    rows = await Supplier.filter(id__in=[*wanted, *suppliers]).values(
        "id", "name", "region", "origin_kind", "is_active"
    )
    report = []
    for s in rows:
        sid = s["id"]
        net = sold.get(sid, 0) - refunded.get(sid, 0) - refunding.get(sid, 0)
        report.append(
            {
                "supplier_id": sid,
                "supplier": s["name"],
                "region": s["region"],
                "origin_kind": OriginKind(s["origin_kind"]).label,
                "is_active": s["is_active"],
                "sold_fen": sold.get(sid, 0),
                "refunded_fen": refunded.get(sid, 0),
                "refunding_fen": refunding.get(sid, 0),
                "net_fen": net,
                "settled_fen": settled.get(sid, 0),
                "owed_fen": max(0, owed_now.get(sid, 0)),
            }
        )
    return sorted(report, key=lambda r: r["supplier"])


# (key, heading): every figure of the settlement report is money.
SETTLEMENT_COLUMNS = (
    ("sold_fen", "销售额"),
    ("refunded_fen", "已退款"),
    ("refunding_fen", "退款处理中"),
    ("net_fen", "净额"),
    ("settled_fen", "本期已结算"),
    ("owed_fen", "截至期末应付未结"),
)


def totals(rows: list[dict], keys: tuple[str, ...]) -> dict:
    return {key: sum(row[key] for row in rows) for key in keys}


async def settlement_workbook(first: date, last: date) -> bytes:
    rows = await settlement_report(first, last)
    keys = tuple(key for key, _ in SETTLEMENT_COLUMNS)
    total = totals(rows, keys)
    return await workbook(
        [
            Sheet(
                "供货方结算",
                ["供货方", "所在地区", *(f"{label}（元）" for _, label in SETTLEMENT_COLUMNS)],
                [[r["supplier"], r["region"], *(yuan(r[key]) for key in keys)] for r in rows],
                caption=f"供货方结算报表 · {span(first, last).label()}",
                footer=["合计", "", *(yuan(total[key]) for key in keys)],
            )
        ]
    )


# ---- sales (销售报表) ------------------------------------------------------------------------------


def _group(name: str, **extra: Any) -> dict:
    return {"name": name, **extra, "sold_fen": 0, "refunded_fen": 0, "orders": set(), "buyers": set()}


def _close(group: dict) -> dict:
    """A group's sets turned into counts, and its net."""
    return {
        **group,
        "net_fen": group["sold_fen"] - group["refunded_fen"],
        "orders": len(group["orders"]),
        "buyers": len(group["buyers"]),
    }


async def sales(first: date, last: date) -> dict:
    """The orders paid in the range: per region of origin (产地, with whether it is local or a
    partner region) and per theme week, the amount sold, refunded and net, and how many orders
    and buyers bought something not refunded; with the totals. Regions by net amount, largest
    first; theme weeks by when they opened."""
    period = span(first, last)
    lines = await OrderLine.filter(
        order__payment__paid_at__gte=period.start, order__payment__paid_at__lt=period.end
    ).values(
        "id",
        "order_id",
        "amount_fen",
        "order__person_id",
        "order__cycle_id",
        "sku__product__origin",
        "sku__product__origin_kind",
    )
    refunded = _sums(
        await Refund.filter(
            state=RefundState.SUCCEEDED,
            order__payment__paid_at__gte=period.start,
            order__payment__paid_at__lt=period.end,
        )
        .annotate(refunded=Sum("amount_fen"))
        .group_by("line_id")
        .values_list("line_id", "refunded")
    )
    cycles = {
        c["id"]: c
        for c in await Cycle.filter(id__in={line["order__cycle_id"] for line in lines}).values(
            "id", "title", "region", "opens_at"
        )
    }
    regions: dict[str, dict] = {}
    weeks: dict[int, dict] = {}
    overall = _group("合计")
    for line in lines:
        origin = line["sku__product__origin"]
        cycle = cycles[line["order__cycle_id"]]
        groups = (
            regions.setdefault(origin, _group(origin, origin_kind=OriginKind(line["sku__product__origin_kind"]).label)),
            weeks.setdefault(
                cycle["id"],
                _group(cycle["title"], cycle_id=cycle["id"], region=cycle["region"], opens_at=cycle["opens_at"]),
            ),
            overall,
        )
        back = refunded.get(line["id"], 0)
        for group in groups:
            group["sold_fen"] += line["amount_fen"]
            group["refunded_fen"] += back
            if back < line["amount_fen"]:
                group["orders"].add(line["order_id"])
                group["buyers"].add(line["order__person_id"])
    return {
        "regions": sorted((_close(g) for g in regions.values()), key=lambda g: (-g["net_fen"], g["name"])),
        "cycles": [
            {**g, "opens_at": g["opens_at"].isoformat()}
            for g in sorted((_close(g) for g in weeks.values()), key=lambda g: g["opens_at"])
        ],
        "total": _close(overall),
    }


SALES_COLUMNS = (
    ("sold_fen", "销售额", "money"),
    ("refunded_fen", "已退款", "money"),
    ("net_fen", "净销售额", "money"),
    ("orders", "订单数", "count"),
    ("buyers", "购买人数", "count"),
)


def _sales_cells(group: dict) -> list:
    return [yuan(group[key]) if kind == "money" else group[key] for key, _, kind in SALES_COLUMNS]


async def sales_workbook(first: date, last: date) -> bytes:
    """Sales by region and by theme week as an .xlsx file, one sheet each."""
    report = await sales(first, last)
    headings = [label + ("（元）" if kind == "money" else "") for _, label, kind in SALES_COLUMNS]
    caption = span(first, last).label()
    total = ["合计", "", *_sales_cells(report["total"])]
    return await workbook(
        [
            Sheet(
                "按产地",
                ["产地", "类别", *headings],
                [[g["name"], g["origin_kind"], *_sales_cells(g)] for g in report["regions"]],
                caption=f"按产地销售 · {caption}",
                footer=total,
            ),
            Sheet(
                "按主题周",
                ["主题周", "地区", *headings],
                [[g["name"], g["region"], *_sales_cells(g)] for g in report["cycles"]],
                caption=f"按主题周销售 · {caption}",
                footer=total,
            ),
        ]
    )


async def supplier_choices() -> list[tuple[int, str]]:
    """Every supplier as (id, name) for a report's or a settlement's choice, active ones first;
    an inactive one is still settled with for what it sold."""
    rows = await Supplier.all().order_by("-is_active", "name").values_list("id", "name", "is_active")
    return [(sid, name if active else f"{name}（已停用）") for sid, name, active in rows]
