"""The repairs console in a real browser: a dispatcher finds a late report on the board, opens
it (photo thumbnail, timeline) and assigns it, then bulk-assigns another; the statistics page
draws its chart; the setup pages and the dashboard render. Every page is saved as a 1366x768
screenshot and checked for horizontal overflow."""

import secrets
from datetime import timedelta

import pytest

from backend.accounts.models import Person
from backend.core.timeutil import now
from backend.demo import create_superadmin
from backend.repairs.models import RepairReport, ReportState, SparePart
from backend.repairs.service import reports as service
from backend.repairs.service import uploads
from backend.repairs.service.reports import Who
from tests.fixtures.repairs import jpeg
from tests.helpers import PASSWORD, make_admin
from tests.helpers.browser import log_in


async def _no_horizontal_overflow(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


@pytest.fixture
async def filed(repairs_world, runtime) -> dict:
    """A report filed ten days ago with a photo (late), and two filed just now."""
    reporter = await Who.of_cadre((await Person.get(employee_no="D0001")).id)
    photo = await uploads.upload(runtime.storage, reporter.id, jpeg(1200, 900), now())
    ids = {}
    for name, category, location, spot, text, photos, at in (
        (
            "late",
            repairs_world.water,
            repairs_world.room,
            "",
            "卫生间水龙头漏水，地面已积水",
            [photo["id"]],
            now() - timedelta(days=10),
        ),
        ("aircon", repairs_world.water, None, "东门岗亭", "岗亭空调不制冷，夏季值班人员无法工作", [], now()),
        ("lamp", repairs_world.lighting, repairs_world.room, "", "会议室顶灯闪烁", [], now()),
    ):
        report, _ = await service.submit(reporter, secrets.token_hex(8), category, location, spot, text, photos, at)
        ids[name] = report["id"]
    return ids


async def test_a_dispatcher_finds_the_late_report_and_assigns_it(browser_page, filed, screenshot):
    await make_admin("dispatcher", ["repairs.view_report", "repairs.dispatch_report"])
    page = browser_page
    await log_in(page, "dispatcher")
    await page.click("nav >> text=派工台")
    await page.click(".tabs >> text=新报修")
    await page.wait_for_url("**state=submitted")
    late_row = page.locator("table.data tbody tr", has_text=f"#{filed['late']}")
    assert await late_row.locator("[data-testid=overdue]").inner_text() == "已超时"
    assert await page.locator("table.data tbody [data-testid=overdue]").count() == 1
    await _no_horizontal_overflow(page)
    await screenshot(page, "repairs-board", full_page=True)

    await late_row.locator(f"a:text-is('#{filed['late']}')").click()
    await page.wait_for_url(f"**/console/repairs/{filed['late']}")
    thumbnail = page.locator("img[alt='报修照片 1']")
    await thumbnail.wait_for()
    assert await thumbnail.evaluate("img => img.complete && img.naturalWidth > 0")
    assert "提交" in await page.inner_text("[data-testid=timeline]")
    assert await page.locator("h1 [data-testid=overdue]").count() == 1
    await _no_horizontal_overflow(page)
    await screenshot(page, "repairs-report", full_page=True)

    technician = await Person.get(employee_no="D0004")
    await page.select_option("#assign-form select[name=technician_id]", str(technician.id))
    await page.fill("#assign-form input[name=note]", "请带备用龙头")
    await page.click("#assign-form button[type=submit]")
    await page.wait_for_url("**done=assigned")
    assert "已派工" in await page.inner_text("h1")
    assert "请带备用龙头" in await page.inner_text("[data-testid=timeline]")
    await screenshot(page, "repairs-report-assigned", full_page=True)

    # back on the board, the two new ones go to the technician at once
    await page.click("nav >> text=派工台")
    await page.check(f"input[name=report_ids][value='{filed['aircon']}']")
    await page.select_option("#bulk-assign select[name=technician_id]", str(technician.id))
    await page.click("text=批量派工")
    await page.wait_for_url("**bulk=*")
    assert f"#{filed['aircon']}" in await page.inner_text(".alert-ok")
    assert (await RepairReport.get(id=filed["aircon"])).state == ReportState.ACCEPTED
    await screenshot(page, "repairs-bulk-assigned", full_page=True)


async def test_the_statistics_page_draws_its_chart(browser_page, filed, screenshot):
    technician = await Who.of_cadre((await Person.get(employee_no="D0004")).id)
    reporter = await Who.of_cadre((await Person.get(employee_no="D0001")).id)
    await service.assign(Who("admin", None, "调度"), filed["late"], technician.id, now() - timedelta(days=9))
    await service.start(technician, filed["late"], now() - timedelta(days=9))
    await service.resolve(technician, filed["late"], "更换水龙头", [], [], now() - timedelta(days=8))
    await service.confirm(reporter, filed["late"], 5, "及时", now() - timedelta(days=8))
    await make_admin("viewer", ["repairs.view_report"])
    page = browser_page
    await log_in(page, "viewer")
    await page.click("nav >> text=统计")
    since = (now() - timedelta(days=30)).date().isoformat()
    await page.fill("input[name=since]", since)
    await page.click("text=查看")
    await page.wait_for_url(f"**since={since}**")
    await page.wait_for_selector("[data-testid=stats-chart] canvas")  # ECharts drew the chart
    assert await page.inner_text("[data-testid=stats-reports]") == "3"
    await _no_horizontal_overflow(page)
    await screenshot(page, "repairs-stats", full_page=True)
    await page.click(".tabs >> text=按维修人员")
    await page.wait_for_selector("[data-testid=stats-chart] canvas")
    assert "刘洋（D0004）" in await page.inner_text("[data-testid=stats-table]")
    await screenshot(page, "repairs-stats-technician", full_page=True)


async def test_setup_pages_and_the_dashboard_render(browser_page, filed, screenshot):
    await SparePart.create(code="LED-9W", name="LED 灯泡 9W", unit="只", quantity=1, low_stock=3)
    await SparePart.create(code="VALVE", name="角阀", unit="只", quantity=12, low_stock=3)
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    assert await page.inner_text("[data-testid=repairs-overdue]") == "1"
    await _no_horizontal_overflow(page)
    await screenshot(page, "repairs-dashboard", full_page=True)
    for item, heading, name in (
        ("类别与班组", "类别与班组", "repairs-settings"),
        ("地点", "地点", "repairs-locations"),
        ("备件库存", "备件库存", "repairs-parts"),
    ):
        await page.click(f"nav >> text={item}")
        assert heading in await page.inner_text("h1")
        await _no_horizontal_overflow(page)
        await screenshot(page, f"{name}", full_page=True)
    await page.click("table.data tbody tr:has-text('LED-9W') >> text=出入库")
    await page.fill("input[name=quantity]", "20")
    await page.fill("#part-card input[name=note]", "采购入库")
    await page.click("#part-card button[type=submit]")
    await page.wait_for_url("**done=stocked_in")
    assert "+20" in await page.inner_text("[data-testid=movements]")
    assert "库存不足" not in await page.inner_text("table.data tbody tr:has-text('LED-9W')")
    await screenshot(page, "repairs-parts-stocked", full_page=True)
