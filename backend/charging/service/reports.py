"""Charging reports (充电报表) over a range of business days: energy (kWh) and money per day, per
pile and per site, who was charged (cadres' wallets, units' official-car cost, nobody), and how
the energy fell into the time-of-use bands (峰/平/谷, and 尖峰 where a tariff has it); as an
Excel workbook too.

The figures come from the bills alone, so the report says what was billed, never a second
pricing of the meter values. A session counts in the business day it was billed (`billed_at`,
the day its ledger voucher carries), even when it started the evening before, and whatever the
pile's clock said of its stop. What an unknown tag drew (payer nobody)
is priced and shown apart; it is not revenue."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from backend.charging.errors import ChargingError
from backend.charging.models import Band, Bill, PayerKind, Pile
from backend.core.money import yuan
from backend.core.spreadsheet import Sheet, workbook
from backend.core.timeutil import BUSINESS_TZ, DaySpan

# A longer range is refused: bills are summed one by one.
MAX_DAYS = 366
BAND_ORDER = (Band.SHARP, Band.PEAK, Band.FLAT, Band.VALLEY)

# (key, heading, kind) of each figure, in the page's and the workbook's order.
COLUMNS = (
    ("sessions", "充电次数", "count"),
    ("energy_wh", "电量（kWh）", "energy"),
    ("revenue_fen", "充电收入", "money"),
    ("wallet_fen", "个人一卡通", "money"),
    ("fleet_fen", "公务用车", "money"),
    ("paid_fen", "已收", "money"),
    ("shortfall_fen", "欠费", "money"),
    ("unpaid_fen", "无付款人未收", "money"),
)


def span(first: date, last: date) -> DaySpan:
    """The range from `first` through `last`, refused when it is reversed or longer than MAX_DAYS."""
    if last < first or (last - first).days + 1 > MAX_DAYS:
        raise ChargingError.REPORT_RANGE_INVALID.error(days=MAX_DAYS)
    return DaySpan(first, last)


def kwh(wh: int) -> Decimal:
    """Wh as kWh, exact to the Wh: for a spreadsheet's number cell."""
    return Decimal(wh) / 1000


def kwh_text(wh: int) -> str:
    """Wh as kWh as staff read it, to 0.01 kWh with thousands separators."""
    return f"{kwh(wh):,.2f}"


def _figures(**extra: object) -> dict:
    return {**extra, **{key: 0 for key, _, _ in COLUMNS}}


def _add(group: dict, bill: dict) -> None:
    payer = PayerKind(bill["session__payer_kind"])
    group["sessions"] += 1
    group["energy_wh"] += bill["energy_wh"]
    if payer is PayerKind.NOBODY:
        group["unpaid_fen"] += bill["amount_fen"]
        return
    group["revenue_fen"] += bill["amount_fen"]
    group["wallet_fen" if payer is PayerKind.WALLET else "fleet_fen"] += bill["amount_fen"]
    group["paid_fen"] += bill["paid_fen"]
    group["shortfall_fen"] += bill["shortfall_fen"]


def _share(part: int, whole: int) -> float | None:
    """`part` of `whole` in per cent, one decimal; None for nothing to share."""
    return round(100 * part / whole, 1) if whole else None


async def report(first: date, last: date) -> dict:
    """The range's bills summed per day (every day of the range, quiet ones as zeros), per pile
    (every active pile, and any other that billed), per site, by band, and in total."""
    period = span(first, last)
    # A bill counts on the business day it was billed (when its voucher was posted), not the
    # pile-clock stop: a pile with a wrong clock must not move revenue away from finance's day.
    bills = await Bill.filter(billed_at__gte=period.start, billed_at__lt=period.end).values(
        "energy_wh",
        "bands",
        "amount_fen",
        "paid_fen",
        "shortfall_fen",
        "billed_at",
        "session__pile_id",
        "session__payer_kind",
    )
    billed_piles = {b["session__pile_id"] for b in bills}
    piles = await Pile.filter(id__in=billed_piles).values("id", "name", "box_id", "site_id", "site__name")
    piles += (
        await Pile.filter(is_active=True)
        .exclude(id__in=billed_piles)
        .values("id", "name", "box_id", "site_id", "site__name")
    )
    days = {first + timedelta(days=i): _figures(day=first + timedelta(days=i)) for i in range((last - first).days + 1)}
    by_pile = {
        p["id"]: _figures(pile_id=p["id"], name=p["name"], box_id=p["box_id"], site=p["site__name"]) for p in piles
    }
    by_site = {p["site_id"]: _figures(site_id=p["site_id"], name=p["site__name"]) for p in piles}
    site_of = {p["id"]: p["site_id"] for p in piles}
    bands = dict.fromkeys(BAND_ORDER, 0)
    total = _figures(name="合计")
    for bill in bills:
        day = bill["billed_at"].astimezone(BUSINESS_TZ).date()
        pile_id = bill["session__pile_id"]
        for group in (days[day], by_pile[pile_id], by_site[site_of[pile_id]], total):
            _add(group, bill)
        for band, wh in (bill["bands"] or {}).items():
            bands[Band(band)] += int(wh)
    banded = sum(bands.values())
    return {
        "span": period,
        "days": list(days.values()),
        "piles": sorted(by_pile.values(), key=lambda p: (p["site"], p["name"])),
        "sites": sorted(by_site.values(), key=lambda s: s["name"]),
        # 尖峰 only where some energy fell in it: most tariffs have no such band.
        "bands": [
            {"band": band.value, "label": band.label, "energy_wh": wh, "share": _share(wh, banded)}
            for band, wh in bands.items()
            if wh or band is not Band.SHARP
        ],
        "total": total,
    }


def _cells(group: dict) -> list:
    cells: list = []
    for key, _, kind in COLUMNS:
        value = group[key]
        cells.append(yuan(value) if kind == "money" else kwh(value) if kind == "energy" else value)
    return cells


def _headings() -> list[str]:
    return [label + ("（元）" if kind == "money" else "") for _, label, kind in COLUMNS]


async def report_workbook(first: date, last: date) -> bytes:
    """The report as an .xlsx file: a sheet per day, per pile, per site, and the band share."""
    data = await report(first, last)
    caption = data["span"].label()
    footer = ["合计", *_cells(data["total"])]
    return await workbook(
        [
            Sheet(
                "按日",
                ["日期", *_headings()],
                [[d["day"].isoformat(), *_cells(d)] for d in data["days"]],
                caption=f"充电报表（按日） · {caption}",
                footer=footer,
            ),
            Sheet(
                "按充电桩",
                ["站点", "充电桩", "桩编号", *_headings()],
                [[p["site"], p["name"], p["box_id"], *_cells(p)] for p in data["piles"]],
                caption=f"充电报表（按充电桩） · {caption}",
                footer=["合计", "", "", *_cells(data["total"])],
            ),
            Sheet(
                "按站点",
                ["站点", *_headings()],
                [[s["name"], *_cells(s)] for s in data["sites"]],
                caption=f"充电报表（按站点） · {caption}",
                footer=footer,
            ),
            Sheet(
                "峰平谷",
                ["时段", "电量（kWh）", "占比（%）"],
                [
                    [b["label"], kwh(b["energy_wh"]), b["share"] if b["share"] is not None else ""]
                    for b in data["bands"]
                ],
                caption=f"峰平谷电量占比 · {caption}",
            ),
        ]
    )
