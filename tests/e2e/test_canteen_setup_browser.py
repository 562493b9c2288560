"""Setting a canteen's food and subsidy up in a real browser: a dish created in yuan and given a
photo, today's lunch menu set from it, a subsidy rule set and a month granted with its result,
then the bookings and the ratings pages. Saved as screenshots."""

from datetime import datetime, time, timedelta

from backend.accounts.models import Person
from backend.canteen.models import CanteenPayment, DailyMenu, Dish
from backend.canteen.service import booking, menus
from backend.core.timeutil import BUSINESS_TZ, today
from backend.demo import create_superadmin
from backend.wallet.models import SubsidyGrantRun, SubsidyRule
from tests.helpers import PASSWORD, jpeg
from tests.helpers.browser import log_in


async def test_a_manager_sets_up_dishes_menus_and_subsidy_then_reads_bookings_and_ratings(
    browser_page, two_canteens, screenshot
):
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")

    # A dish, priced in yuan, then its photo.
    await page.click("nav >> text=菜品")
    await page.wait_for_url("**/console/canteen/dishes")
    create = page.locator("form[action^='/console/canteen/dishes?canteen=ST1']")
    await create.locator("input[name=name]").fill("红烧肉")
    await create.locator("input[name=price_fen]").fill("12.345")
    await create.locator("input[name=tags]").fill("荤菜、招牌")
    await create.locator("button[type=submit]").click()
    await page.wait_for_load_state()
    assert "最多两位小数" in await create.locator(".field-error").inner_text()
    await screenshot(page, "canteen-dish-refused", full_page=True)
    await create.locator("input[name=price_fen]").fill("12.5")
    await create.locator("button[type=submit]").click()
    await page.wait_for_url("**?done=created")
    dish = await Dish.get(name="红烧肉")
    assert dish.price_fen == 1250
    await page.set_input_files(
        "input[name=file]", files=[{"name": "hongshaorou.jpg", "mimeType": "image/jpeg", "buffer": jpeg(1200, 900)}]
    )
    await page.click("form[enctype='multipart/form-data'] button[type=submit]")
    await page.wait_for_url("**?done=photo")
    assert await page.locator(".dish-photo img").evaluate("img => img.naturalWidth") > 0
    await screenshot(page, "canteen-dish-photo", full_page=True)
    await page.goto("/console/canteen/dishes?canteen=ST1")
    assert await page.locator("img.dish-thumb").evaluate("img => img.naturalWidth") == 320
    await screenshot(page, "canteen-dishes", full_page=True)

    # Today's lunch menu, from the week view.
    await page.click("nav >> text=菜单")
    await page.locator("td.menu-cell a.cell-edit").nth(today().weekday()).click()
    await page.locator(f"#menu-form input[name=dish_ids][value='{dish.id}']").check()
    await screenshot(page, "canteen-menu-form", full_page=True)
    await page.click("#menu-form button[type=submit]")
    await page.wait_for_url("**done=menu_saved")
    assert "红烧肉" in await page.locator("td.menu-cell").nth(today().weekday()).inner_text()
    await screenshot(page, "canteen-menus-week", full_page=True)
    assert (await DailyMenu.get(canteen__code="ST1", menu_date=today())).dish_ids == [dish.id]

    # A subsidy rule, then this month's grant and its result.
    await page.click("nav >> text=餐补")
    rule = page.locator("form[action='/console/wallet/subsidy/rules']")
    await rule.locator("select[name=unit_code]").select_option("SJGSW")
    await rule.locator("select[name=staff_category]").select_option("established")
    await rule.locator("input[name=amount_fen]").fill("300")
    await rule.locator("button[type=submit]").click()
    await page.wait_for_url("**?done=rule_saved")
    assert (await SubsidyRule.get()).amount_fen == 30000
    await page.click("form[action='/console/wallet/subsidy/grants'] button[type=submit]")
    await page.wait_for_url("**/runs/*?done=granted")
    assert await page.inner_text("[data-testid=granted]") == "3"
    await screenshot(page, "subsidy-run-result", full_page=True)
    await page.goto("/console/wallet/subsidy")
    await screenshot(page, "subsidy-rules-and-runs", full_page=True)
    assert await SubsidyGrantRun.all().count() == 1

    # Bookings: the kitchen's numbers and who booked.
    the_day_before = datetime.combine(today() - timedelta(days=1), time(9), tzinfo=BUSINESS_TZ)
    for employee_no in ("D0001", "D0002", "D0005"):
        person = await Person.get(employee_no=employee_no)
        await booking.book(person.id, "ST1", today(), "lunch", the_day_before)
    await page.click("nav >> text=报餐名单")
    await page.select_option("form.filters select[name=canteen]", "ST1")
    await page.fill("form.filters input[name=day]", today().isoformat())
    await page.click("form.filters button[type=submit]")
    await page.wait_for_load_state()
    assert await page.inner_text("[data-period=ST1-lunch]") == "3"
    assert await page.inner_text("[data-testid=no-show-rate]") == "66.7%"
    await screenshot(page, "canteen-bookings", full_page=True)

    # Ratings: D0001 paid for today's lunch at ST1 and rates the dish.
    payment = await CanteenPayment.get(terminal_txn_no="TX-1")
    await menus.rate(payment.person_id, payment.id, dish.id, 4, "味道不错，稍微有点咸")
    await page.click("nav >> text=菜品评价")
    await page.wait_for_url("**/console/canteen/ratings")
    assert "稍微有点咸" in await page.inner_text("ul.comments")
    assert "4.00" in await page.inner_text("table.ratings")
    await screenshot(page, "canteen-ratings", full_page=True)
