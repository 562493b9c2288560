"""The visitor's page behind the invitation link in a real Chromium at a phone's 390×844: the link
opens the visit, a bad ID number is refused in Chinese, a good one shows the pass QR, which the
page's script replaces with a fresh one after a minute; the link opened again is refused.
Screenshots: f4-visitor-form, f4-visitor-refused, f4-visitor-pass, f4-visitor-link-used."""

from __future__ import annotations

from backend.access.config import AccessSettings
from backend.access.errors import AccessError
from backend.access.service import visits
from backend.core.timeutil import now
from tests.fixtures.access_v import draft, id_number, link_token
from tests.helpers.browser import watch_problems

PHONE = {"width": 390, "height": 844}


async def test_a_visitor_opens_the_link_completes_and_sees_the_pass(chromium, app, runtime, access_world, screenshot):
    at = now()
    _, url = await visits.invite(
        runtime.cipher, AccessSettings(), access_world.host_id, draft(access_world, at, plate="浙A12345"), at
    )
    link = link_token(url)
    context = await chromium.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN", base_url=app.ctx.base_url
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    problems = watch_problems(page)
    try:
        await page.clock.install()
        await page.goto(f"/v/{link}")
        await page.wait_for_url("**/v/visit/V*")
        await page.locator("[data-testid=visit-state]", has_text="待访客填写").wait_for()
        await page.get_by_text("李*，您好").wait_for()
        await screenshot(page, "f4-visitor-form")

        bad = id_number()[:-1] + ("0" if id_number()[-1] != "0" else "1")
        await page.fill("#id_number", bad)
        await page.click("button[type=submit]")
        await page.locator("[data-testid=form-error]", has_text=AccessError.ID_NUMBER_INVALID.message).wait_for()
        assert await page.input_value("#id_number") == ""
        await screenshot(page, "f4-visitor-refused")

        await page.fill("#id_number", id_number())
        await page.click("button[type=submit]")
        qr = page.locator("#pass-qr svg")
        await qr.wait_for()
        await page.locator("[data-testid=visit-state]", has_text="待到访").wait_for()
        box = await qr.bounding_box()
        assert box["width"] >= 250 and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        await screenshot(page, "f4-visitor-pass", full_page=True)

        # A minute on, the script fetches the pass signed for the next step and swaps it in.
        await page.evaluate("document.querySelector('#pass-qr svg').dataset.old = '1'")
        async with page.expect_response(lambda r: r.url.endswith("/pass.svg") and r.status == 200):
            await page.clock.run_for(AccessSettings().qr_step_seconds * 1000 + 1000)
        await page.locator("#pass-note", has_text="已更新").wait_for()
        assert await page.locator("#pass-qr svg[data-old]").count() == 0
        assert await qr.count() == 1

        await page.goto(f"/v/{link}")
        await page.locator("[data-testid=visitor-error]", has_text="邀请链接无效").wait_for()
        await screenshot(page, "f4-visitor-link-used")
    finally:
        await context.close()
    assert problems == []
