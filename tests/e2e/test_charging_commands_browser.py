"""The remote-command form in a real browser: a remote start offers the registered fleet cards
by plate with their numbers masked (no field to type a card into), the history shows a card
number masked. Saved as a screenshot."""

from backend.charging.models import Command
from backend.core.timeutil import now
from backend.demo import create_superadmin
from tests.helpers import PASSWORD
from tests.helpers.browser import log_in


async def test_a_remote_start_is_chosen_from_the_fleet_cards(browser_page, charging_world, screenshot):
    await Command.create(
        pile=charging_world.pile,
        action="remote_start",
        payload={"connector_id": 1, "id_tag": charging_world.card_uid},  # a row from before masking
        sent_at=now(),
    )
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    await page.goto(page.url.split("/console")[0] + "/console/charging/commands")
    await page.select_option("select[name=pile_id]", str(charging_world.pile.id))
    await page.select_option("select[name=action]", "remote_start")
    await page.click("summary:has-text('各指令的参数')")
    assert await page.locator("input[name=id_tag]").count() == 0
    await page.select_option("select[name=id_tag]", charging_world.fleet_card)
    options = await page.locator("select[name=id_tag] option").all_inner_texts()
    assert "浙AD12345（FLEE****01）" in options
    history = await page.locator("table").last.inner_text()
    assert "04A1****C3" in history and charging_world.card_uid not in history
    await screenshot(page, "charging-commands-remote-start", full_page=True)
