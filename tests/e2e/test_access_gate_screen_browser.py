"""The gate terminal's screen in a real Chromium at the kiosk's 1280×800: idle with the gate's
name, a visitor let in (masked name, host, people), a pass refused with the reason in words, and
the offline banner with a decision taken offline; the relay's fault shown for staff.
Screenshots: gate-idle, gate-allowed, gate-refused, gate-offline, gate-relay-fault."""

from backend.access.errors import AccessError
from tests.fixtures.access_kiosk import gate_agent, issue_pass, synced
from tests.helpers.browser import kiosk_screen
from tests.helpers.environment import free_port


async def test_the_gate_screen_greets_refuses_and_says_offline(
    chromium, access_world, settings, kiosk_network, tmp_path, screenshot
):
    agent = gate_agent(kiosk_network.url, access_world.entry_terminal, tmp_path, "sim?pulse_ms=50")
    await agent.start()
    try:
        await synced(agent)
        async with kiosk_screen(chromium, agent) as page:
            await page.locator("#gate-name", has_text="A座东门进").wait_for()
            await page.locator("#idle", has_text="请扫码或刷卡").wait_for()
            assert await page.locator("#offline-banner").is_hidden()
            await screenshot(page, "gate-idle")

            party = await issue_pass(access_world, people=3)
            await agent.pass_scanned(party.token(settings.data_key))
            allowed = page.locator("#allowed")
            await allowed.wait_for()
            assert await allowed.inner_text() == "请通行\n李*，您好\n被访人：张*\n共 3 人"
            await screenshot(page, "gate-allowed")

            expired = await issue_pass(access_world, starts_in=-7200, ends_in=-3600)
            await agent.pass_scanned(expired.token(settings.data_key))
            await page.locator("#refused-message", has_text=AccessError.PASS_EXPIRED.message).wait_for()
            assert await allowed.is_hidden()
            await screenshot(page, "gate-refused")

            await kiosk_network.cut()
            elsewhere = await issue_pass(access_world, gate_ids=(access_world.exit.id,))
            await agent.pass_scanned(elsewhere.token(settings.data_key))
            await page.locator("#refused-message", has_text=AccessError.PASS_WRONG_GATE.message).wait_for()
            await page.locator("#offline-banner", has_text="网络中断").wait_for()
            await screenshot(page, "gate-offline")
    finally:
        await agent.stop()


async def test_the_gate_screen_tells_staff_when_the_relay_does_not_answer(
    chromium, access_world, app, tmp_path, screenshot
):
    relay = f"modbus+tcp://127.0.0.1:{free_port()}?timeout=0.2"
    agent = gate_agent(app.ctx.base_url, access_world.entry_terminal, tmp_path, relay)
    await agent.start()
    try:
        await synced(agent)
        async with kiosk_screen(chromium, agent) as page:
            await page.locator("#fault-banner", has_text="闸机控制器故障").wait_for()
            await page.locator("#idle", has_text="请扫码或刷卡").wait_for()
            await screenshot(page, "gate-relay-fault")
    finally:
        await agent.stop()
