"""Reports in a real browser: a manager picks a month and sees its trend chart and sums, a bad
range is refused next to its field, a unit's settlement is shown and exported, the exports read
back as formatted workbooks; the dashboard draws its 7- and 30-day trends; the repairs board
brings itself up to date, keeps its filter, and waits while a dispatcher has a form in hand."""

import io
import secrets
from datetime import timedelta

from openpyxl import load_workbook

from backend.accounts.models import Person
from backend.core.spreadsheet import MONEY_FORMAT
from backend.core.timeutil import now, today
from backend.demo import create_superadmin
from backend.repairs.service import reports as repairs
from backend.repairs.service.reports import Who
from tests.fixtures.canteen import paid_meal
from tests.helpers import PASSWORD
from tests.helpers.browser import log_in


async def _download(page, link) -> tuple[str, object]:
    async with page.expect_download() as waiting:
        await link.click()
    download = await waiting.value
    return download.suggested_filename, load_workbook(io.BytesIO((await download.path()).read_bytes()))


async def _no_horizontal_overflow(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


async def test_a_month_report_and_a_units_settlement_are_shown_and_exported(browser_page, november_meals, screenshot):
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    await page.click("nav >> text=消费报表")
    await page.fill("input[name=month]", "2026-11")
    await page.click("button:text('按月查看')")
    await page.wait_for_url("**month=2026-11**")
    assert await page.inner_text("[data-testid=range-meals]") == "4"
    assert (await page.input_value("input[name=start]"), await page.input_value("input[name=end]")) == (
        "2026-11-01",
        "2026-11-30",
    )
    assert await page.inner_text("[data-testid=range-amount]") == "¥62.00"
    assert await page.locator("[data-testid=trend-chart] rect.bar").count() == 30
    assert "聘用" in await page.inner_text("[data-testid=by-unit]")
    await _no_horizontal_overflow(page)
    await screenshot(page, "reports-month", full_page=True)

    name, book = await _download(page, page.locator("[data-testid=export]"))
    assert name == "食堂消费报表-2026年11月.xlsx"
    days = book["按日"]
    assert days.freeze_panes == "A3" and days["C5"].value == 27 and days["C5"].number_format == MONEY_FORMAT

    await page.fill("input[name=start]", "2026-11-30")
    await page.fill("input[name=end]", "2026-11-01")
    await page.click("button:text('按区间查看')")
    assert await page.inner_text(".filter.has-error .field-error") == "结束日期不能早于开始日期"
    assert await page.input_value("input[name=start]") == "2026-11-30"
    await screenshot(page, "reports-bad-range")

    await page.click("nav >> text=单位结算")
    await page.fill("input[name=month]", "2026-11")
    await page.click("button:text('按月查看')")
    assert "CZJ-BGS" in await page.inner_text("[data-testid=settlements]")
    await screenshot(page, "reports-settlements", full_page=True)
    await page.click("[data-testid=settlements] a:text('办公室') >> nth=0")
    await page.wait_for_url("**/settlement/CZJ-BGS?month=2026-11")
    assert await page.inner_text("[data-testid=unit-amount]") == "¥32.00"
    assert "李娜" in await page.inner_text("[data-testid=unit-people]")
    await _no_horizontal_overflow(page)
    await screenshot(page, "reports-unit-settlement", full_page=True)
    name, book = await _download(page, page.locator("[data-testid=export]"))
    assert name == "就餐结算-办公室-2026年11月.xlsx" and book.sheetnames == ["按人员类别", "按人员"]
    people = book["按人员"]
    assert [c.value for c in people[3]][:5] == ["D0003", "李娜", "聘用", 1, 12]
    assert people["E3"].number_format == MONEY_FORMAT


async def test_the_dashboard_draws_the_weeks_and_the_months_trend(browser_page, two_canteens, screenshot):
    for days_ago, amount in ((1, 1500), (3, 2000), (12, 1200)):
        await paid_meal("T-1 号机", "D0003", today() - timedelta(days=days_ago), amount, 0)
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    assert await page.inner_text("[data-testid=meals-week]") == "4"
    assert await page.inner_text("[data-testid=meals-month]") == "5"
    assert await page.locator("[data-testid=trend-week] rect.bar").count() == 7
    assert await page.locator("[data-testid=trend-month] rect.bar").count() == 30
    assert (await page.inner_text("[data-testid=refreshed-at]")).startswith("更新于 ")
    await page.wait_for_selector("[data-testid=meals-chart] canvas")
    await _no_horizontal_overflow(page)
    await screenshot(page, "dashboard-trends", full_page=True)


async def test_the_repairs_board_refreshes_itself_but_waits_for_a_form_in_hand(browser_page, repairs_world, screenshot):
    reporter = await Who.of_cadre((await Person.get(employee_no="D0001")).id)

    async def file(text: str) -> int:
        report, _ = await repairs.submit(
            reporter, secrets.token_hex(8), repairs_world.water, repairs_world.room, "", text, [], now()
        )
        return report["id"]

    first = await file("茶水间水龙头漏水")
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await page.clock.install()
    await log_in(page, "root")
    await page.goto("/console/repairs/?state=submitted")
    rows = page.locator("#board-table table.data tbody tr")
    assert await rows.count() == 1

    second = await file("会议室空调漏水")
    await page.clock.run_for(61_000)
    await page.locator(f"#board-table a:text-is('#{second}')").wait_for()
    assert page.url.endswith("?state=submitted") and await rows.count() == 2

    # A dispatcher who has ticked a report and is choosing a technician keeps what they did.
    third = await file("走廊顶灯不亮")
    await page.check(f"input[name=report_ids][value='{first}']")
    await page.clock.run_for(61_000)
    await page.locator("[data-refresh-note]:text('已暂停自动更新')").wait_for()
    assert await rows.count() == 2 and await page.is_checked(f"input[name=report_ids][value='{first}']")
    await screenshot(page, "repairs-board-paused")

    await page.click("[data-refresh-now]")
    await page.locator(f"#board-table a:text-is('#{third}')").wait_for()
    assert await rows.count() == 3 and await page.inner_text("[data-refresh-note]") == ""
    await screenshot(page, "repairs-board-refreshed")
