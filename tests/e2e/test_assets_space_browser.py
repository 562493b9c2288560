"""The office-space register in a real browser: the rooms register with its 超标 and 闲置 flags,
a room's file (一房一档) where an area is corrected in m² after a refused one, and the space per
person chart. Saved as screenshots."""

from backend.demo import create_superadmin
from backend.places.models import RoomFacts
from tests.helpers import PASSWORD
from tests.helpers.browser import log_in


async def test_the_register_flags_rooms_and_a_rooms_area_is_corrected_in_its_file(
    browser_page, assets_world, screenshot
):
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")

    await page.click("nav >> text=办公用房登记")
    await page.wait_for_url("**/console/assets/space/rooms")
    row = page.locator("tr", has_text="A座 3楼 301")
    assert "超标" in await row.inner_text()
    assert "闲置" in await page.locator("tr", has_text="A座 3楼 303").inner_text()
    await screenshot(page, "assets-space-register", full_page=True)

    await row.locator("a").click()
    await page.wait_for_url(f"**/console/assets/space/rooms/{assets_world.places['301']}")
    facts = page.locator("form[action$='/facts']")
    await facts.locator("input[name=use_area]").fill("0")
    await facts.locator("button[type=submit]").click()
    await page.wait_for_load_state()
    assert "面积须为大于 0 的数" in await page.locator(".field-error").first.inner_text()
    await page.locator("form[action$='/facts'] input[name=use_area]").fill("9")
    await page.locator("form[action$='/facts'] button[type=submit]").click()
    await page.wait_for_url("**?done=facts")
    assert (await RoomFacts.get(place_id=assets_world.places["301"])).use_area_hundredths == 900
    assert "达标" in await page.locator("dl.props").inner_text()
    await screenshot(page, "assets-space-room-file", full_page=True)

    await page.click("nav >> text=人均面积")
    await page.wait_for_url("**/console/assets/space/per-person")
    await screenshot(page, "assets-space-per-person", full_page=True)
