"""The security office's access console in a real browser: the gates list with terminal and relay
states, a vehicle gate made with its camera secret shown once and its relay tested, the access
log filtered to a day (masked, reasons in words) and the report with its charts drawn. Saved as
screenshots."""

from backend.access.models import Gate
from backend.demo import create_superadmin
from tests.helpers import PASSWORD
from tests.helpers.browser import log_in


async def test_the_security_office_walks_gates_log_and_reports(browser_page, access_log, access_world, screenshot):
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")

    await page.click("nav >> text=门禁点")
    await page.wait_for_url("**/console/access/gates")
    assert "GT-A-IN" in await page.locator("[data-testid=terminal-G-A-IN]").inner_text()
    await page.click("text=新建门禁点")
    await page.fill("input[name=code]", "V-B-IN")
    await page.select_option("select[name=kind]", "vehicle")
    await page.fill("input[name=name]", "B座车库入口")
    await page.select_option("select[name=building_id]", str(access_world.other_building_id))
    await page.fill("input[name=relay_uri]", "modbus+tcp://192.168.1.20")
    await page.fill("textarea[name=camera_addresses]", "192.168.1.31\n192.168.1.999")
    await page.click("[data-testid=gate-form] button[type=submit]")
    await page.wait_for_load_state()
    assert "192.168.1.999" in await page.locator(".field-error").first.inner_text()
    await screenshot(page, "a-gate-refused", full_page=True)
    await page.fill("input[name=relay_uri]", "sim")
    await page.fill("textarea[name=camera_addresses]", "192.168.1.31")
    await page.click("[data-testid=gate-form] button[type=submit]")
    await page.wait_for_load_state()
    secret = await page.locator("[data-testid=secret-value]").inner_text()
    assert len(secret) == 32
    await screenshot(page, "a-gate-secret", full_page=True)
    await page.click("[data-testid=check-relay]")
    await page.wait_for_load_state()
    assert "道闸继电器正常" in await page.locator("[role=status]").inner_text()
    assert await page.locator("[data-testid=camera-secret]").count() == 0  # shown once, not again
    assert (await Gate.get(code="V-B-IN")).relay_state == "ok"
    await screenshot(page, "a-gate-checked", full_page=True)
    await page.click("nav >> text=门禁点")
    await page.wait_for_url("**/console/access/gates")
    assert "正常" in await page.locator("[data-testid=relay-V-B-IN]").inner_text()
    await screenshot(page, "a-gates", full_page=True)

    day = access_log.day.isoformat()
    await page.click("nav >> text=通行记录")
    await page.wait_for_url("**/console/access/log")
    await page.fill("input[name=since]", day)
    await page.fill("input[name=until]", day)
    await page.click("button:has-text('查询')")
    await page.wait_for_load_state()
    table = await page.locator("table.data").inner_text()
    assert "李*" in table and "李四" not in table and "通行证已过期" in table
    await screenshot(page, "a-log", full_page=True)

    await page.goto(f"/console/access/reports?since={day}&until={day}")
    for chart in ("hours-chart", "peaks-chart", "units-chart"):
        figure = page.locator(f"[data-testid={chart}]")
        assert await figure.is_visible(), chart
        assert await figure.locator("rect.bar").count() > 0, chart
    assert (await page.locator("[data-testid=top-peak]").inner_text()).startswith("4")
    await screenshot(page, "a-reports", full_page=True)
