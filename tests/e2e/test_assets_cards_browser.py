"""The asset register in a real browser: the list searched, a card with its depreciation and
history after a move made on its edit form, and an import refused with its bad rows. Saved as
screenshots."""

import sys
from types import SimpleNamespace

from backend.assets.models import Asset
from backend.demo import create_superadmin
from tests.helpers import PASSWORD
from tests.helpers.assets_import import GOOD, register_xlsx
from tests.helpers.browser import log_in


async def test_a_keeper_searches_the_register_moves_a_card_and_imports_a_file(
    browser_page, assets_world, screenshot, monkeypatch
):
    async def repairs_of(asset_id):
        return []

    monkeypatch.setitem(sys.modules, "backend.assets.service.asset_repairs", SimpleNamespace(repairs_of=repairs_of))
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await log_in(page, "root")
    pc = assets_world.assets["pc"]

    await page.click("nav >> text=资产卡片")
    await page.fill("input[name=q]", "计算机")
    await page.click("form.filters button[type=submit]")
    await page.wait_for_url("**q=*")
    assert pc.asset_no in await page.locator("table.data").inner_text()
    await screenshot(page, "assets-cards", full_page=True)

    await page.click(f"text={pc.asset_no}")
    await page.click("text=修改")
    await page.select_option("select[name=place_id]", str(assets_world.places["303"]))
    await page.click("form[data-testid=card-form] button[type=submit]")
    await page.wait_for_url("**?done=saved")
    moves = await page.locator("[data-testid=moves]").inner_text()
    assert "A座 3楼 301 → A座 3楼 303" in moves
    await screenshot(page, "assets-card", full_page=True)
    assert (await Asset.get(id=pc.id)).place_id == assets_world.places["303"]

    await page.goto("/console/assets/imports")
    bad = [GOOD[0], ["", *GOOD[1][1:]]]
    await page.set_input_files(
        "input[name=file]",
        files=[{"name": "资产.xlsx", "mimeType": "application/octet-stream", "buffer": register_xlsx(bad)}],
    )
    await page.click("form[data-testid=import-form] button[type=submit]")
    await page.wait_for_load_state()
    assert "第 3 行" in await page.locator("[data-testid=problems]").inner_text()
    await screenshot(page, "assets-import-refused", full_page=True)
