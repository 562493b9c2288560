"""The charging report from bills written to the tables: energy and money per business day (a
session counts on the day it was billed, in Asia/Shanghai), per pile and per site, split by who was
charged (wallet, fleet, nobody apart), with the 峰/平/谷 share; the range is refused reversed or
over a year; the 充电报表 page draws it and its Excel file holds the same figures."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from backend.charging.models import Bill, PayerKind, Pile, Site
from backend.charging.service import reports
from backend.core.errors import AppError
from backend.core.timeutil import BUSINESS_TZ
from tests.helpers import console_admin
from tests.helpers.charging_rows import active_session, billed_session

FIRST, LAST = date(2026, 11, 2), date(2026, 11, 4)
VIEW = ["charging.view_report"]


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BUSINESS_TZ)


async def _bills(world) -> Pile:
    """In the range: on 11-02 a wallet session on 1 号桩 (valley 10 kWh, peak 2 kWh, 10.00 paid) and
    a fleet one on 2 号桩 (flat 5 kWh, 6.00); on 11-03 at 00:30 a wallet session on 1 号桩 short
    of 3.00 (peak 3 kWh, 8.00 billed, 5.00 paid) and an unknown tag's on the annex's pile (flat
    1 kWh, 1.50, nobody pays). Outside: a bill of 11-01 23:59 and an active session."""
    w = world
    annex = await Site.create(name="东区车棚")
    annex_pile = await Pile.create(site=annex, box_id="CP-2001", name="东 1 号桩", password_hash="x")
    await billed_session(w.pile, w.tariff, _at(FIRST, 9), {"valley": 10000, "peak": 2000}, 1000)
    await billed_session(
        w.other_pile, w.tariff, _at(FIRST, 15), {"flat": 5000}, 600, PayerKind.FLEET, id_tag="FLEET0001"
    )
    await billed_session(w.pile, w.tariff, _at(FIRST + timedelta(days=1), 0, 30), {"peak": 3000}, 800, paid_fen=500)
    await billed_session(
        annex_pile, w.tariff, _at(FIRST + timedelta(days=1), 12), {"flat": 1000}, 150, PayerKind.NOBODY
    )
    await billed_session(w.pile, w.tariff, _at(FIRST - timedelta(days=1), 23, 59), {"peak": 9000}, 9999)
    await active_session(w.other_pile, w.tariff, _at(FIRST, 10), "04A1B2C3", connector_id=2)
    return annex_pile


FIGURES = ("sessions", "energy_wh", "revenue_fen", "wallet_fen", "fleet_fen", "paid_fen", "shortfall_fen", "unpaid_fen")


def _figures(group: dict) -> tuple:
    return tuple(group[key] for key in FIGURES)


async def test_the_report_sums_bills_per_day_pile_site_and_band(charging_world):
    await _bills(charging_world)

    report = await reports.report(FIRST, LAST)

    assert _figures(report["total"]) == (4, 21000, 2400, 1800, 600, 2100, 300, 150)
    assert [(d["day"], *_figures(d)) for d in report["days"]] == [
        (FIRST, 2, 17000, 1600, 1000, 600, 1600, 0, 0),
        # 00:30 in Shanghai is still the 2nd in UTC: the business day counts.
        (FIRST + timedelta(days=1), 2, 4000, 800, 800, 0, 500, 300, 150),
        (LAST, 0, 0, 0, 0, 0, 0, 0, 0),
    ]
    assert [(p["site"], p["name"], *_figures(p)) for p in report["piles"]] == [
        ("东区车棚", "东 1 号桩", 1, 1000, 0, 0, 0, 0, 0, 150),
        ("行政中心光储充车棚", "1 号桩", 2, 15000, 1800, 1800, 0, 1500, 300, 0),
        ("行政中心光储充车棚", "2 号桩", 1, 5000, 600, 0, 600, 600, 0, 0),
    ]
    assert [(s["name"], *_figures(s)) for s in report["sites"]] == [
        ("东区车棚", 1, 1000, 0, 0, 0, 0, 0, 150),
        ("行政中心光储充车棚", 3, 20000, 2400, 1800, 600, 2100, 300, 0),
    ]
    # 尖峰 is left out where no energy fell in it.
    assert [(b["label"], b["energy_wh"], b["share"]) for b in report["bands"]] == [
        ("峰", 5000, 23.8),
        ("平", 6000, 28.6),
        ("谷", 10000, 47.6),
    ]


async def test_a_bill_counts_on_the_day_it_was_billed_whatever_the_pile_clock_said(charging_world):
    """A pile whose clock is a day behind reports a stop on 11-01; the central system billed it
    on 11-02, the day of its ledger voucher: the report puts it there, as finance does."""
    w = charging_world
    late = await billed_session(w.pile, w.tariff, _at(FIRST - timedelta(days=1), 10), {"flat": 4000}, 500)
    await Bill.filter(session_id=late.id).update(billed_at=_at(FIRST, 10))

    found = await reports.report(FIRST, FIRST)

    assert (found["total"]["sessions"], found["total"]["revenue_fen"]) == (1, 500)
    assert (await reports.report(FIRST - timedelta(days=1), FIRST - timedelta(days=1)))["total"]["sessions"] == 0


async def test_the_sharp_band_is_shown_when_energy_fell_in_it(charging_world):
    w = charging_world
    await billed_session(w.pile, w.tariff, _at(FIRST, 12), {"sharp": 1000, "peak": 3000}, 500)
    report = await reports.report(FIRST, FIRST)
    assert [(b["band"], b["share"]) for b in report["bands"]] == [
        ("sharp", 25.0),
        ("peak", 75.0),
        ("flat", 0.0),
        ("valley", 0.0),
    ]


async def test_a_quiet_range_lists_every_active_pile_at_zero(charging_world):
    await Pile.filter(id=charging_world.other_pile.id).update(is_active=False)
    report = await reports.report(FIRST, FIRST)
    assert [(p["name"], p["sessions"]) for p in report["piles"]] == [("1 号桩", 0)]
    assert report["total"]["energy_wh"] == 0 and {b["share"] for b in report["bands"]} == {None}


@pytest.mark.parametrize(
    ("first", "last"),
    [(date(2026, 11, 5), date(2026, 11, 4)), (date(2025, 11, 3), date(2026, 11, 4))],
)
async def test_a_reversed_or_longer_than_a_year_range_is_refused(charging_world, first, last):
    with pytest.raises(AppError) as refused:
        await reports.report(first, last)
    assert refused.value.code == "charging.report_range_invalid" and "366" in refused.value.message


async def test_a_range_of_exactly_366_days_is_reported(charging_world):
    report = await reports.report(date(2025, 11, 4), date(2026, 11, 4))
    assert len(report["days"]) == 366


def _sheets(content: bytes) -> dict[str, list[list]]:
    book = load_workbook(io.BytesIO(content))
    return {name: [list(r) for r in book[name].iter_rows(values_only=True)] for name in book.sheetnames}


def _numbers(row: list) -> list:
    """A row's cells as exact decimals where they are numbers (openpyxl reads floats)."""
    return [Decimal(str(v)) if isinstance(v, float) else v for v in row]


async def test_the_workbook_holds_the_same_figures(charging_world):
    await _bills(charging_world)

    sheets = _sheets(await reports.report_workbook(FIRST, LAST))

    assert list(sheets) == ["按日", "按充电桩", "按站点", "峰平谷"]
    days = sheets["按日"]
    heading = next(r for r in days if r and r[0] == "日期")
    assert heading == ["日期", *(label + ("（元）" if kind == "money" else "") for _, label, kind in reports.COLUMNS)]
    assert heading[1:4] == ["充电次数", "电量（kWh）", "充电收入（元）"]
    first_day = next(r for r in days if r and r[0] == FIRST.isoformat())
    assert _numbers(first_day) == [FIRST.isoformat(), 2, Decimal("17"), Decimal("16"), Decimal("10"), Decimal("6"),
                                   Decimal("16"), 0, 0]  # fmt: skip
    total = next(r for r in days if r and r[0] == "合计")
    assert _numbers(total)[1:4] == [4, Decimal("21"), Decimal("24")]
    bands = {r[0]: _numbers(r) for r in sheets["峰平谷"] if r and r[0] in ("峰", "平", "谷")}
    assert bands["谷"] == ["谷", Decimal("10"), Decimal("47.6")]
    assert any(r[:3] == ["东区车棚", "东 1 号桩", "CP-2001"] for r in sheets["按充电桩"])


async def test_the_report_page_draws_the_range_and_downloads_it(client, charging_world):
    await _bills(charging_world)
    await console_admin(client, "charging_finance", VIEW)
    query = f"since={FIRST.isoformat()}&until={LAST.isoformat()}"

    page = await client.get(f"/console/charging/reports?{query}")

    assert page.status_code == 200, page.text
    assert 'data-testid="total-energy">21.00 <small>kWh' in page.text
    assert 'data-testid="total-revenue">¥24.00<' in page.text
    assert 'data-testid="days-chart"' in page.text and 'data-testid="piles-chart"' in page.text
    # Energy per day has its own chart in kWh beside the money.
    assert 'data-testid="energy-chart"' in page.text
    assert f"<title>{FIRST.strftime('%m-%d')}：17.00 kWh</title>" in page.text
    assert 'class="bar"' in page.text and "谷 47.6%" in page.text
    download = await client.get(f"/console/charging/reports.xlsx?{query}")
    assert download.status_code == 200
    assert "按充电桩" in _sheets(download.content)


async def test_a_range_typed_longer_than_a_year_is_cut_and_said(client, charging_world):
    await console_admin(client, "charging_finance", VIEW)
    page = await client.get("/console/charging/reports?since=2024-01-01&until=2026-11-04")
    assert page.status_code == 200
    assert "统计区间最长一年，已按截止日期取 2025-11-04 起" in page.text


async def test_the_report_is_refused_without_the_report_permission(client, charging_world):
    await console_admin(client, "charging_viewer", ["charging.view_charging"])
    assert (await client.get("/console/charging/reports")).status_code == 403
    assert (await client.get("/console/charging/reports.xlsx")).status_code == 403
