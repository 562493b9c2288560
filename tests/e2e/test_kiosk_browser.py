"""The kiosk screen in a real Chromium: the real backend, the kiosk agent with a simulated card
reader and printer, taps and what the diner sees (screenshots at the kiosk's 1280×800)."""

import pytest

from backend.accounts.models import Device
from backend.canteen.models import CanteenPayment, PaymentStatus
from backend.demo import create_superadmin
from backend.wallet.models import Wallet
from kiosk.agent import Agent, Devices
from tests.canteen_fixtures import cardholder
from tests.helpers import PASSWORD
from tests.kiosk.harness import eventually, kiosk_config
from tests.money import assert_books_clean

KIOSK_SCREEN = {"width": 1280, "height": 800}


@pytest.fixture
async def agent(terminal, kiosk_network, tmp_path):
    config = kiosk_config(kiosk_network.url, terminal.code, terminal.secret, tmp_path)
    running = Agent(config, Devices.from_config(config))
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
async def kiosk_page(chromium, agent):
    """The kiosk screen, failing the test on any script error or failed request."""
    context = await chromium.new_context(viewport=KIOSK_SCREEN, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    await page.goto(agent.screen.url)
    yield page
    await context.close()
    assert problems == []


async def result_of(page, kind: str):
    result = page.locator(f"#result[data-kind={kind}]")
    await result.wait_for(state="visible")
    return result


async def test_a_tap_pays_shows_the_split_and_balance_and_prints_a_receipt(kiosk_page, agent, screenshot):
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000, subsidy=3000)
    page = kiosk_page
    await page.locator("#period-price", has_text="15.00 元").wait_for()
    assert await page.locator("#canteen").text_content() == "第一食堂"
    assert await page.locator("#period-name").text_content() == "午餐"
    await screenshot(page, "kiosk-idle")

    agent.devices.card_reader.tap("04A1B2C3")
    shown = await result_of(page, "paid")
    text = await shown.inner_text()
    for words in ("支付成功", "张*", "15.00 元", "餐补 10.00 元", "现金 5.00 元", "余额：现金 45.00 元　餐补 20.00 元"):
        assert words in text
    await screenshot(page, "kiosk-paid")
    wallet = await Wallet.get(person_id=person_id)
    assert (wallet.cash_balance, wallet.subsidy_balance) == (4500, 2000)

    receipts = await eventually(lambda: agent.devices.printer.receipts, what="the receipt")
    printed = "\n".join(receipts[0])
    assert "第一食堂" in printed and "15.00" in printed and "现金余额" in printed
    payment = await CanteenPayment.get(person_id=person_id)
    assert payment.terminal_txn_no in printed and payment.status == PaymentStatus.PAID


async def test_an_unknown_card_is_refused_in_words_and_a_balance_can_be_asked(kiosk_page, agent, screenshot):
    await cardholder("D0001", "04A1B2C3", cash=5000, subsidy=3000)
    page = kiosk_page
    await page.locator("#period-price", has_text="15.00 元").wait_for()
    agent.devices.card_reader.tap("0499AABB")
    refused = await result_of(page, "refused")
    assert "未登记的卡，请到食堂服务台办理" in await refused.inner_text()
    await screenshot(page, "kiosk-refused")

    await page.get_by_role("button", name="查询余额").click()
    await page.locator("#balance-prompt").wait_for(state="visible")
    agent.devices.card_reader.tap("04A1B2C3")
    balance = await result_of(page, "balance")
    text = await balance.inner_text()
    assert "80.00 元" in text and "现金 50.00 元　·　餐补 30.00 元" in text
    await screenshot(page, "kiosk-balance")


async def test_with_the_kiosk_network_down_a_tap_is_taken_offline_and_booked_when_it_is_back(
        kiosk_page, agent, kiosk_network, screenshot):
    person_id = await cardholder("D0002", "04A1B2C4", cash=5000)
    page = kiosk_page
    await page.locator("#period-price", has_text="15.00 元").wait_for()
    await kiosk_network.cut()
    agent.devices.card_reader.tap("04A1B2C4")
    shown = await result_of(page, "paid")
    assert "支付成功（脱机）" in await shown.inner_text()
    await page.locator("#offline-banner").wait_for(state="visible")
    await screenshot(page, "kiosk-offline")
    assert await CanteenPayment.filter(person_id=person_id).count() == 0

    await kiosk_network.mend()
    await page.locator("#offline-banner").wait_for(state="hidden")
    payment = await eventually(lambda: CanteenPayment.get_or_none(person_id=person_id), what="the upload")
    assert payment.offline and payment.status == PaymentStatus.PAID and payment.amount_fen == 1500
    assert (await Wallet.get(person_id=person_id)).cash_balance == 3500
    await assert_books_clean()



async def test_the_console_device_page_shows_what_the_terminal_reports(browser_page, agent, terminal, screenshot):
    agent.devices.printer.paper_out = True
    async def printer_reported_out():
        return ((await Device.get(code=terminal.code)).last_status or {}).get("printer") == "paper_out"

    await eventually(printer_reported_out, what="a heartbeat with the printer out of paper")
    await create_superadmin("root", "超级管理员", PASSWORD)
    page = browser_page
    await page.goto("/console/")
    await page.fill("input[name=username]", "root")
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/console/")
    await page.goto("/console/devices")
    row = page.locator("tr", has_text=terminal.code)
    assert "在线" in await row.inner_text()
    assert await row.locator(".badge-bad", has_text="打印机缺纸").count() == 1
    assert await row.locator(".badge-ok", has_text="读卡器正常").count() == 1
    await screenshot(page, "devices-terminal-status")
