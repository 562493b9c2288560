"""A stock-take in a real browser: opened from the form, checked room by room (the checker's
scans made through the service, as the mini-program would), closed from its page with the
missing, moved and unknown items shown, and the moved chair put in the room it was found in.
Saved as screenshots."""

from backend.assets.models import Asset, Stocktake
from backend.assets.service import qr, stocktakes
from backend.core.timeutil import now
from backend.demo import create_superadmin
from tests.helpers import PASSWORD
from tests.helpers.browser import log_in

BASE = "http://localhost:8000"


async def test_a_stocktake_is_opened_closed_and_its_moved_chair_relocated(browser_page, assets_world, screenshot):
    world, a = assets_world, assets_world.assets
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    await page.goto("/console/assets/stocktakes")
    await page.fill("input[name=title]", "A座年度盘点")
    await page.select_option("select[name=building_id]", label="A座")
    await page.fill("input[name=checkers]", "D0002")
    await page.get_by_role("button", name="发起盘点").click()
    await page.wait_for_url("**done=opened")
    task = await Stocktake.get(title="A座年度盘点")

    checker = world.people["D0002"]
    for room, code in (
        ("301", qr.asset_qr_text(BASE, a["pc"].asset_no)),
        ("301", "HW-ASSET-000123"),
        ("303", qr.asset_qr_text(BASE, a["chair"].asset_no)),
        ("101", qr.asset_qr_text(BASE, a["table"].asset_no)),
    ):
        await stocktakes.scan(checker, task.id, world.places[room], BASE, code, now())
    for room in ("301", "303"):
        await stocktakes.submit_room(checker, task.id, world.places[room], now())
    await page.reload()
    await screenshot(page, "assets-stocktake-open", full_page=True)

    await page.get_by_role("button", name="结束盘点并生成差异").click()
    await page.wait_for_url("**done=closed*")
    findings = page.locator("[data-testid=stocktake-findings] tbody tr")
    assert await findings.count() == 3
    moved = findings.filter(has_text="位置不符")
    await moved.locator("select[name=resolution]").select_option(label="按实际位置更正")
    await moved.locator("input[name=note]").fill("已搬至303")
    await moved.get_by_role("button", name="确定").click()
    await page.wait_for_url("**done=resolved*")
    assert "差异已处理" in await page.inner_text(".alert-ok")
    await screenshot(page, "assets-stocktake-closed", full_page=True)
    assert (await Asset.get(id=a["chair"].id)).place_id == world.places["303"]
