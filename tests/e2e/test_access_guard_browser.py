"""The guard post in a real browser: a walk-in registered through the form after finding the host
(a bad ID number first refused at its field), confirmed by phone, its printable slip with the QR
code drawn; a visitor inside and the evacuation list of the building. Saved as screenshots
(SCREENSHOT_DIR, g-*.png)."""

from __future__ import annotations

from datetime import timedelta

from backend.access.models import Visit, VisitState
from backend.core.timeutil import BUSINESS_TZ, now
from tests.fixtures.access_g import VISITOR_ID_NUMBER, VISITOR_PHONE
from tests.helpers import make_admin
from tests.helpers.browser import log_in

GUARD = ["access.view_access", "access.register_visitor"]


async def test_guard_registers_a_walk_in_confirms_it_and_opens_its_slip(
    browser_page, access_world, guard_desk, screenshot
):
    await make_admin("guard", GUARD)
    page = browser_page
    await log_in(page, "guard")
    await page.click("nav >> text=门岗登记")
    await page.wait_for_url("**/console/access/guard")
    await page.fill("input[name=host_q]", "张伟")
    await page.click("button:has-text('查找被访人')")
    await page.wait_for_url("**host_q=*")
    await page.select_option("select[name=host_id]", str(access_world.host_id))
    await page.fill("input[name=visitor_name]", "李四")
    await page.fill("input[name=id_number]", "110105194912310021")
    await page.fill("input[name=phone]", VISITOR_PHONE)
    await page.fill("input[name=company]", "市建设局")
    await page.fill("input[name=purpose]", "送文件")
    end = (now() + timedelta(hours=3)).astimezone(BUSINESS_TZ).strftime("%Y-%m-%dT%H:%M")
    await page.fill("input[name=window_end]", end)
    await page.check(f"input[name=building_ids][value='{access_world.building_id}']")
    await page.click("button:has-text('登记')")
    await page.wait_for_load_state()
    assert "身份证号码有误" in await page.locator(".field-error").first.inner_text()
    assert await Visit.all().count() == 0
    await screenshot(page, "g-guard-bad-id", full_page=True)

    await page.fill("input[name=id_number]", VISITOR_ID_NUMBER)
    await page.click("button:has-text('登记')")
    await page.wait_for_url("**done=registered*")
    awaiting = await page.locator("[data-testid=awaiting]").inner_text()
    assert "李*" in awaiting and "张伟" in awaiting
    await screenshot(page, "g-guard-awaiting", full_page=True)

    await page.click("[data-testid=awaiting] button:has-text('电话确认')")
    await page.wait_for_url("**done=confirmed*")
    visit = await Visit.get()
    assert visit.state is VisitState.READY
    await page.click("[data-testid=ready] a:has-text('网页版通行条')")
    await page.wait_for_url(f"**/console/access/guard/visits/{visit.id}/slip")
    slip = await page.locator("[data-testid=slip]").inner_text()
    assert "单次有效" in slip and "李*" in slip and VISITOR_PHONE not in slip
    assert await page.locator("[data-testid=slip-qr] svg").count() == 1
    await screenshot(page, "g-guard-slip", full_page=True)

    await guard_desk.inside(visit.id, people=2)
    await guard_desk.staff_inside()
    await page.goto("/console/access/inside")
    assert "行政中心A座" in await page.locator("[data-testid=inside-summary]").inner_text()
    await screenshot(page, "g-inside", full_page=True)
    await page.click("a:has-text('疏散名单')")
    await page.wait_for_url(f"**/console/access/inside/{access_world.building_id}/evacuation")
    evacuation = await page.locator("[data-testid=evacuation]").inner_text()
    assert "访客 2 人" in evacuation and "李*" in evacuation
    await screenshot(page, "g-evacuation", full_page=True)
