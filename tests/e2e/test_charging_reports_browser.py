"""EV charging's health and report pages in a real browser: an operator opens 故障与异常 from the
navigation, sees the open fault, the offline pile and an incident, and resolves it with a note;
the dashboard card counts the piles online, the car charging and the fault; 充电报表 draws the
month's revenue per day and per pile with the 峰/平/谷 share, and downloads the workbook."""

import io
from datetime import datetime, timedelta

from openpyxl import load_workbook

from backend.charging.models import Incident, PayerKind, Pile
from backend.core.timeutil import BUSINESS_TZ, now, today
from backend.demo import create_superadmin
from tests.helpers import PASSWORD
from tests.helpers.browser import log_in
from tests.helpers.charging_rows import active_session, billed_session, fault, incident


async def _no_horizontal_overflow(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


async def test_an_operator_sees_the_piles_health_and_resolves_an_incident(browser_page, charging_world, screenshot):
    w = charging_world
    at = now()
    await Pile.filter(id=w.pile.id).update(last_seen_at=at)
    await Pile.filter(id=w.other_pile.id).update(last_seen_at=at - timedelta(minutes=7))
    await active_session(w.pile, w.tariff, at - timedelta(minutes=25), w.card_uid)
    await fault(w.other_pile, at - timedelta(minutes=40))
    await fault(w.pile, at - timedelta(days=1, hours=3), at - timedelta(days=1), "OverVoltage")
    record = await incident(w.pile, at - timedelta(minutes=15))
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")

    assert await page.inner_text("[data-testid=charging-online]") == "1"
    assert await page.inner_text("[data-testid=charging-now]") == "1"
    assert await page.inner_text("[data-testid=charging-faults]") == "1"
    await screenshot(page, "charging-dashboard", full_page=True)

    await page.click("nav >> text=故障与异常")
    assert await page.inner_text("[data-testid=piles-offline]") == "1"
    assert "接地故障" in await page.inner_text("[data-testid=open-faults-table]")
    assert "7 分钟" in await page.inner_text("[data-testid=offline-table]")
    history = await page.inner_text("[data-testid=fault-history]")
    assert "过压" in history and "3 小时 0 分" in history
    await _no_horizontal_overflow(page)
    await screenshot(page, "charging-health", full_page=True)

    row = page.locator(f"tr[data-incident='{record.id}']")
    await row.locator("input[name=note]").fill("已核对电表，按最后读数结算")
    await row.locator("button[type=submit]").click()
    await page.wait_for_url("**done=resolved**")
    assert "已标记为已处理" in await page.inner_text("[role=status]")
    assert await page.locator(f"tr[data-incident='{record.id}']").count() == 0
    assert (await Incident.get(id=record.id)).resolved_at is not None
    await page.select_option("select[name=state]", "resolved")
    await page.click("#incidents button:has-text('查询')")
    assert await page.locator(f"tr[data-incident='{record.id}']").count() == 1
    await screenshot(page, "charging-health-resolved", full_page=True)


async def test_finance_reads_the_charging_report_and_downloads_it(browser_page, charging_world, screenshot):
    w = charging_world
    first, day = today().replace(day=1), today()
    start = datetime(first.year, first.month, first.day, 7, tzinfo=BUSINESS_TZ)
    await billed_session(w.pile, w.tariff, start, {"valley": 18000, "peak": 2000}, 1480)
    await billed_session(
        w.other_pile, w.tariff, start + timedelta(hours=4), {"flat": 9000}, 990, PayerKind.FLEET, id_tag=w.fleet_card
    )
    finish = datetime(day.year, day.month, day.day, 0, 20, tzinfo=BUSINESS_TZ)
    await billed_session(w.pile, w.tariff, finish, {"valley": 6000, "flat": 1000}, 500, paid_fen=300)
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")

    await page.click("nav >> text=充电报表")
    assert await page.inner_text("[data-testid=total-energy]") == "36.00 kWh"
    assert await page.inner_text("[data-testid=total-revenue]") == "¥29.70"
    assert await page.locator("[data-testid=piles-chart] rect.bar").count() == 2
    assert await page.locator("[data-testid=days-chart] rect.bar").count() == (day - first).days + 1
    share = await page.inner_text("[data-testid=band-share]")
    assert "谷 66.7%" in share and "峰 5.6%" in share
    await screenshot(page, "charging-report", full_page=True)
    await _no_horizontal_overflow(page)

    async with page.expect_download() as waiting:
        await page.click("text=导出 Excel")
    download = await waiting.value
    assert download.suggested_filename.startswith("充电报表-")
    book = load_workbook(io.BytesIO((await download.path()).read_bytes()))
    assert book.sheetnames == ["按日", "按充电桩", "按站点", "峰平谷"]
