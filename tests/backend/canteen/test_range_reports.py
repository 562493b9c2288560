"""Canteen takings over a range of business days: per day, canteen, unit and staff category,
summed by the database, refunds netted, within the viewer's scope (a canteen's manager, a unit's
finance office); the pages refuse a bad range next to its field and export what they show."""

import io
from datetime import date, timedelta

from openpyxl import load_workbook

from backend.canteen.models import CanteenPayment, MealPeriod
from backend.canteen.service import canteens, summaries
from backend.canteen.service.summaries import DateRange
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from backend.core.spreadsheet import MONEY_FORMAT
from backend.core.timeutil import today
from tests.fixtures.canteen import paid_meal
from tests.helpers import console_admin

NOVEMBER = DateRange.month(2026, 11)


async def test_a_month_is_summed_per_day_with_refunds_left_out_and_empty_days_at_zero(november_meals):
    trend = await summaries.daily_trend(NOVEMBER, scope=Scope.EVERYTHING)
    assert len(trend) == 30 and trend[0]["day"] == date(2026, 11, 1)
    by_day = {d["day"].day: (d["meals"], d["amount_fen"], d["subsidy_fen"], d["cash_fen"]) for d in trend}
    assert by_day[1] == (0, 0, 0, 0)
    assert by_day[2] == (1, 1500, 1000, 500)
    assert by_day[3] == (2, 2700, 1000, 1700)
    assert by_day[30] == (1, 2000, 0, 2000)
    assert summaries.totals(trend) == {"meals": 4, "amount_fen": 6200, "subsidy_fen": 2000, "cash_fen": 4200}


async def test_a_range_counts_both_of_its_ends(november_meals):
    span = DateRange(date(2026, 11, 3), date(2026, 12, 1))
    assert summaries.totals(await summaries.daily_trend(span, scope=Scope.EVERYTHING))["meals"] == 4


async def test_units_are_settled_per_staff_category(november_meals):
    units = await summaries.by_unit(NOVEMBER, scope=Scope.EVERYTHING)
    assert [(u["code"], u["meals"], u["amount_fen"]) for u in units] == [("CZJ-BGS", 2, 3200), ("FGW-BGS", 2, 3000)]
    czj = units[0]["categories"]
    assert [(c["category_label"], c["meals"], c["amount_fen"], c["cash_fen"]) for c in czj] == [
        ("聘用", 1, 1200, 1200),
        ("外包", 1, 2000, 2000),
    ]
    categories = await summaries.by_category(NOVEMBER, scope=Scope.EVERYTHING)
    assert [(c["category_label"], c["meals"], c["subsidy_fen"]) for c in categories] == [
        ("在编", 2, 2000),
        ("聘用", 1, 0),
        ("外包", 1, 0),
    ]


async def test_a_payment_by_an_unregistered_card_is_its_own_line(november_meals):
    await paid_meal("T-1 号机", None, date(2026, 11, 5), 1500, 0)
    units = await summaries.by_unit(NOVEMBER, scope=Scope.EVERYTHING)
    assert (units[-1]["name"], units[-1]["meals"], units[-1]["categories"][0]["category_label"]) == (
        "未登记",
        1,
        "未登记",
    )


async def test_a_canteen_manager_sums_only_their_canteen(november_meals):
    st1 = Scope.objects([await canteens.canteen_id("ST1")])
    assert [c["code"] for c in await summaries.by_canteen(NOVEMBER, scope=st1)] == ["ST1"]
    units = await summaries.by_unit(NOVEMBER, scope=st1)
    assert [(u["code"], u["meals"]) for u in units] == [("CZJ-BGS", 1), ("FGW-BGS", 2)]
    assert summaries.totals(await summaries.daily_trend(NOVEMBER, scope=st1))["amount_fen"] == 5000


async def test_a_unit_finance_office_settles_its_own_units_at_every_canteen(november_meals):
    czj = Scope.units(["/SJGSW/CZJ/"])
    units = await summaries.by_unit(NOVEMBER, scope=czj)
    assert [(u["code"], u["meals"], u["amount_fen"]) for u in units] == [("CZJ-BGS", 2, 3200)]
    settlement = await summaries.unit_settlement(NOVEMBER, "CZJ-BGS", scope=czj)
    assert settlement is not None
    assert [(p["employee_no"], p["name"], p["meals"], p["amount_fen"]) for p in settlement["people"]] == [
        ("D0003", "李娜", 1, 1200),
        ("D0004", "刘洋", 1, 2000),
    ]
    assert await summaries.unit_settlement(NOVEMBER, "FGW-BGS", scope=czj) is None


async def test_a_refund_made_today_drops_out_of_the_range(client, two_canteens):
    payment = await CanteenPayment.get(terminal_txn_no="TX-1")
    span = DateRange(today() - timedelta(days=6), today())
    assert summaries.totals(await summaries.daily_trend(span, scope=Scope.EVERYTHING))["meals"] == 2
    await canteens.refund(CLI_ACTOR, payment.id, "重复刷卡", scope=Scope.EVERYTHING)
    trend = await summaries.daily_trend(span, scope=Scope.EVERYTHING)
    assert (trend[-1]["meals"], trend[-1]["amount_fen"]) == (1, 1200)


async def test_the_month_report_page_shows_the_sums_and_exports_them_formatted(client, november_meals):
    await console_admin(client, "viewer", ["canteen.view_payment"])
    page = await client.get("/console/canteen/reports?month=2026-11")
    assert page.status_code == 200
    assert 'data-testid="range-meals">4<' in page.text and "¥62.00" in page.text
    assert "<svg" in page.text and 'class="bar"' in page.text and "2026年11月" in page.text
    assert "/console/canteen/settlement/CZJ-BGS" not in page.text  # no settlement permission, no link
    export = await client.get("/console/canteen/reports/export.xlsx?month=2026-11")
    book = load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["按日", "按食堂", "按单位", "按人员类别"]
    days = book["按日"]
    assert days.freeze_panes == "A3"
    assert [c.value for c in days[2]] == ["日期", "就餐人次", "金额（元）", "餐补（元）", "现金（元）"]
    assert days["A5"].value == "2026-11-03" and days["C5"].value == 27 and days["C5"].number_format == MONEY_FORMAT
    assert [c.value for c in days[days.max_row]][:3] == ["合计", 4, 62]
    assert days.column_dimensions["C"].width >= 10


async def test_a_bad_range_is_refused_next_to_its_field(client, november_meals):
    await console_admin(client, "viewer", ["canteen.view_payment"])
    reversed_range = await client.get("/console/canteen/reports?by=range&start=2026-11-30&end=2026-11-01")
    assert reversed_range.status_code == 422
    assert '<input type="date" name="end" value="2026-11-01"' in reversed_range.text
    assert "结束日期不能早于开始日期" in reversed_range.text.split('name="end"')[1].split("</label>")[0]
    too_long = await client.get("/console/canteen/reports?by=range&start=2025-01-01&end=2026-11-30")
    assert "统计区间最长 366 天" in too_long.text
    bad_day = await client.get("/console/canteen/reports?by=range&start=2026-13-01&end=2026-11-30")
    assert "请输入日期" in bad_day.text.split('name="start"')[1].split("</label>")[0]
    bad_month = await client.get("/console/canteen/reports?month=2026-1")
    assert bad_month.status_code == 422 and "请选择月份" in bad_month.text
    export = await client.get("/console/canteen/reports/export.xlsx?by=range&start=2026-11-30&end=2026-11-01")
    assert export.status_code == 302
    assert export.headers["location"] == "/console/canteen/reports?by=range&start=2026-11-30&end=2026-11-01"


async def test_a_canteen_out_of_the_managers_scope_cannot_be_picked(client, november_meals):
    await console_admin(client, "st1_manager", ["canteen.view_payment"], canteen_code="ST1")
    page = await client.get("/console/canteen/reports?month=2026-11&canteen=ST2")
    assert page.status_code == 422 and "食堂不存在" in page.text
    own = await client.get("/console/canteen/reports?month=2026-11")
    assert "第二食堂" not in own.text and 'data-testid="range-meals">3<' in own.text


async def test_a_unit_finance_office_sees_and_exports_its_units_settlement_only(client, november_meals):
    await console_admin(client, "czj_finance", ["canteen.view_settlement"], unit_code="CZJ")
    listing = await client.get("/console/canteen/settlement?month=2026-11")
    assert "办公室" in listing.text and "/console/canteen/settlement/CZJ-BGS?month=2026-11" in listing.text
    assert "FGW-BGS" not in listing.text
    detail = await client.get("/console/canteen/settlement/CZJ-BGS?month=2026-11")
    assert "李娜" in detail.text and 'data-testid="unit-amount">¥32.00<' in detail.text
    refused = await client.get("/console/canteen/settlement/FGW-BGS?month=2026-11")
    assert refused.status_code == 404
    export = await client.get("/console/canteen/settlement/CZJ-BGS/export.xlsx?month=2026-11")
    book = load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["按人员类别", "按人员"]
    people = book["按人员"]
    assert [c.value for c in people[3]][:4] == ["D0003", "李娜", "聘用", 1]
    assert people["E3"].number_format == MONEY_FORMAT and people.freeze_panes == "A3"
    assert (await client.get("/console/canteen/reports?month=2026-11")).status_code == 403


async def test_every_units_settlement_is_exported_with_a_sheet_each(client, november_meals):
    await console_admin(client, "finance", ["canteen.view_settlement", "canteen.view_payment"])
    report = await client.get("/console/canteen/reports?month=2026-11&canteen=ST1")
    assert '<a href="/console/canteen/settlement/CZJ-BGS?month=2026-11">' in report.text
    export = await client.get("/console/canteen/settlement/export.xlsx?month=2026-11")
    book = load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["汇总", "办公室（CZJ-BGS）", "办公室（FGW-BGS）"]
    summary = list(book["汇总"].iter_rows(min_row=3, values_only=True))
    assert summary[0][:5] == ("CZJ-BGS", "办公室", "小计", 2, 32) and summary[-1][:5] == ("合计", None, None, 4, 62)
    assert book["办公室（CZJ-BGS）"]["C3"].number_format == MONEY_FORMAT


async def test_the_dashboard_shows_the_last_7_and_30_days_as_trend_charts(client, two_canteens):
    day = today()
    await paid_meal("T-1 号机", "D0003", day - timedelta(days=6), 2000, 0)
    await paid_meal("T-1 号机", "D0003", day - timedelta(days=7), 2000, 0)
    await paid_meal("T-2 号机", "D0004", day - timedelta(days=29), 1200, 0)
    await paid_meal("T-2 号机", "D0004", day - timedelta(days=30), 1200, 0)
    await console_admin(client, "viewer", ["canteen.view_payment"])
    page = await client.get("/console/")
    assert 'data-testid="meals-today">2<' in page.text
    assert 'data-testid="meals-week">3<' in page.text and "营收 ¥47.00" in page.text
    assert 'data-testid="meals-month">5<' in page.text and "营收 ¥79.00" in page.text
    week = page.text.split('data-testid="trend-week"')[1].split("</figure>")[0]
    month = page.text.split('data-testid="trend-month"')[1].split("</figure>")[0]
    assert week.count('<rect class="bar"') == 7 and month.count('<rect class="bar"') == 30
    assert f"{day.isoformat()}：2 人次，¥27.00" in week
    assert 'data-refresh="60"' in page.text and "更新于 " in page.text


async def test_the_dashboard_and_daily_report_name_a_period_as_its_canteen_does(client, two_canteens):
    # given a canteen that calls its lunch 工作午餐 (a demo canteen's all-day period is its own code too)
    await MealPeriod.filter(code="lunch", canteen__code="ST1").update(name="工作午餐")
    await paid_meal("T-1 号机", "D0003", today(), 2000, 0)
    await console_admin(client, "viewer", ["canteen.view_payment"])
    # then the dashboard's table and chart and the daily report say so, never the code
    dashboard = (await client.get("/console/")).text
    report = (await client.get("/console/canteen/report")).text
    workbook = load_workbook(io.BytesIO((await client.get("/console/canteen/report.xlsx")).content))
    assert "<td>工作午餐</td>" in dashboard and "工作午餐" in report
    assert "工作午餐" in [c for row in workbook["日报"].iter_rows(values_only=True) for c in row]


async def test_the_dashboard_trend_of_a_canteen_manager_counts_their_canteen_only(client, two_canteens):
    await paid_meal("T-2 号机", "D0004", today() - timedelta(days=3), 1200, 0)
    await console_admin(client, "st1_manager", ["canteen.view_payment"], canteen_code="ST1")
    page = await client.get("/console/")
    assert 'data-testid="meals-week">1<' in page.text and 'data-testid="meals-month">1<' in page.text


async def test_a_scope_reaching_no_unit_settles_nothing(november_meals):
    nowhere = Scope.units([])
    assert await summaries.by_unit(NOVEMBER, scope=nowhere) == []
    assert summaries.totals(await summaries.daily_trend(NOVEMBER, scope=nowhere))["meals"] == 0


async def test_a_canteen_manager_is_refused_the_units_settlement(client, november_meals):
    await console_admin(client, "st1_manager", ["canteen.view_payment"], canteen_code="ST1")
    assert (await client.get("/console/canteen/settlement?month=2026-11")).status_code == 403
    assert (await client.get("/console/canteen/settlement/CZJ-BGS/export.xlsx?month=2026-11")).status_code == 403
