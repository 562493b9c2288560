"""The kiosk screen in a real Chromium: the real backend, the kiosk agent with a simulated card
reader and printer, taps and what the diner sees (screenshots at the kiosk's 1280×800), at a
fixed-price, a free-amount and a menu terminal."""

import contextlib

import pytest

from backend.accounts.models import Device
from backend.canteen.models import CanteenPayment, Dish, PaymentStatus, TerminalMode
from backend.canteen.service import canteens, menus
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from backend.core.timeutil import today
from backend.demo import create_superadmin
from backend.wallet.models import Wallet
from kiosk import offline
from kiosk.agent import Agent, Devices
from tests.fixtures.canteen import cardholder, make_terminal
from tests.fixtures.kiosk import eventually, kiosk_config
from tests.helpers import PASSWORD
from tests.helpers.browser import kiosk_screen
from tests.helpers.money import assert_books_clean


@contextlib.asynccontextmanager
async def running_agent(terminal, kiosk_network, data_dir):
    config = kiosk_config(kiosk_network.url, terminal.code, terminal.secret, data_dir)
    running = Agent(config, Devices.from_config(config))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def agent(terminal, kiosk_network, tmp_path):
    async with running_agent(terminal, kiosk_network, tmp_path) as running:
        yield running


@pytest.fixture
async def kiosk_page(chromium, agent):
    async with kiosk_screen(chromium, agent) as page:
        yield page


@pytest.fixture
async def keypad_agent(canteen, runtime, kiosk_network, tmp_path):
    """A free-amount terminal (the canteen's limit: 50.00 a payment)."""
    keypad = await make_terminal(runtime.cipher, "T-K", TerminalMode.FREE_AMOUNT)
    async with running_agent(keypad, kiosk_network, tmp_path) as running:
        yield running


@pytest.fixture
async def menu_agent(canteen, runtime, kiosk_network, tmp_path):
    """A menu terminal, with today's lunch menu set before it starts."""
    rice = await canteens.create_dish(CLI_ACTOR, "ST1", "米饭", 100, [], scope=Scope.EVERYTHING)
    pork = await canteens.create_dish(CLI_ACTOR, "ST1", "红烧肉", 1200, ["荤"], scope=Scope.EVERYTHING)
    greens = await canteens.create_dish(CLI_ACTOR, "ST1", "清炒时蔬", 400, ["素"], scope=Scope.EVERYTHING)
    fish = await canteens.create_dish(CLI_ACTOR, "ST1", "清蒸鲈鱼", 2600, ["荤"], scope=Scope.EVERYTHING)
    tofu = await canteens.create_dish(CLI_ACTOR, "ST1", "麻婆豆腐", 600, [], scope=Scope.EVERYTHING)
    soup = await canteens.create_dish(CLI_ACTOR, "ST1", "番茄蛋汤", 300, [], scope=Scope.EVERYTHING)
    await menus.set_menu(
        CLI_ACTOR,
        "ST1",
        today(),
        "lunch",
        [pork["id"], fish["id"], tofu["id"], greens["id"], rice["id"], soup["id"]],
        scope=Scope.EVERYTHING,
    )
    await Dish.filter(id=fish["id"]).update(is_active=False)  # sold out since
    menu = await make_terminal(runtime.cipher, "T-M", TerminalMode.MENU)
    async with running_agent(menu, kiosk_network, tmp_path) as running:
        yield running


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
    kiosk_page, agent, kiosk_network, screenshot
):
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


async def test_a_free_amount_terminal_pays_exactly_the_amount_keyed(chromium, keypad_agent, screenshot):
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000)
    async with kiosk_screen(chromium, keypad_agent) as page:
        await page.locator("#keypad").wait_for(state="visible")
        assert await page.locator("#keypad-limit").text_content() == "单笔最多 50.00 元"

        keypad_agent.devices.card_reader.tap("04A1B2C3")  # before any amount: told, not charged
        prompt = await result_of(page, "refused")
        assert "请工作人员先输入金额并确认，再刷卡或扫码" in await prompt.inner_text()
        assert "尚未收款" in await prompt.inner_text()
        await screenshot(page, "kiosk-keypad-no-amount")
        await prompt.click()  # staff need not wait for it to go

        for key in ["6", "0"]:  # 60 is over the canteen's 50.00 a payment
            await page.locator(f"#keys [data-key='{key}']").click()
        assert await page.locator("#keypad-error").text_content() == "单笔最多 50.00 元"
        assert await page.locator("#keyed").text_content() == "6 元"
        for key in ["back", "2", "3", ".", "5", "7", "9"]:  # a third decimal is not taken
            await page.locator(f"#keys [data-key='{key}']").click()
        assert await page.locator("#keyed").text_content() == "23.57 元"
        await page.locator("#keys [data-key='back']").click()
        await screenshot(page, "kiosk-keypad")

        await page.get_by_role("button", name="确认").click()
        waiting = page.locator("#waiting")
        await waiting.wait_for(state="visible")
        text = await waiting.inner_text()
        assert "请刷卡或扫码" in text and "23.50 元" in text and "秒后自动取消" in text
        await screenshot(page, "kiosk-amount-waiting")

        keypad_agent.devices.card_reader.tap("04A1B2C3")
        paid = await result_of(page, "paid")
        assert "23.50 元" in await paid.inner_text() and "现金 23.50 元" in await paid.inner_text()
        await screenshot(page, "kiosk-amount-paid")
        assert (await Wallet.get(person_id=person_id)).cash_balance == 5000 - 2350
        assert (await CanteenPayment.get(person_id=person_id)).amount_fen == 2350

        # The amount was for that diner only: the next tap is asked for a new one.
        assert keypad_agent.snapshot()["order"] is None
        keypad_agent.devices.card_reader.tap("04A1B2C3")
        await page.locator("#result[data-code='kiosk.order_required']").wait_for()
        assert await CanteenPayment.all().count() == 1
    await assert_books_clean()


async def test_a_free_amount_terminal_offline_says_it_only_takes_payments_online(
    chromium, keypad_agent, kiosk_network, screenshot
):
    await cardholder("D0001", "04A1B2C3", cash=5000)
    async with kiosk_screen(chromium, keypad_agent) as page:
        await page.locator("#keypad").wait_for(state="visible")
        await kiosk_network.cut()
        await page.locator("#offline-banner", has_text="本机暂停收款").wait_for()
        assert await page.locator("#keypad").is_hidden()
        assert await page.locator("#prompt").text_content() == offline.NOT_FIXED_PRICE
        keypad_agent.devices.card_reader.tap("04A1B2C3")
        refused = await result_of(page, "refused")
        assert offline.NOT_FIXED_PRICE in await refused.inner_text()
        await screenshot(page, "kiosk-keypad-offline")
    assert keypad_agent.journal.pending_count() == 0 and await CanteenPayment.all().count() == 0


async def test_a_menu_terminal_pays_the_dishes_chosen_priced_by_the_server(chromium, menu_agent, screenshot):
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000, subsidy=3000)
    async with kiosk_screen(chromium, menu_agent) as page:
        dishes = page.locator("#dishes .dish")
        await page.locator("#menu").wait_for(state="visible")
        assert await dishes.count() == 6
        sold_out = dishes.filter(has_text="清蒸鲈鱼")
        assert await sold_out.is_disabled() and "已下架" in await sold_out.inner_text()

        await dishes.filter(has_text="红烧肉").click()
        for _ in range(3):
            await dishes.filter(has_text="米饭").click()
        await dishes.filter(has_text="番茄蛋汤").click()
        await page.locator("#cart-lines li", has_text="米饭").locator("button.less").click()  # one rice back
        assert await page.locator("#cart-total").text_content() == "17.00"
        assert await dishes.filter(has_text="米饭").locator(".qty").text_content() == "2"
        await screenshot(page, "kiosk-menu")

        await page.locator("#cart-confirm").click()
        waiting = page.locator("#waiting")
        await waiting.wait_for(state="visible")
        text = await waiting.inner_text()
        assert "17.00 元" in text and "红烧肉 × 1" in text and "米饭 × 2" in text and "番茄蛋汤 × 1" in text
        await screenshot(page, "kiosk-menu-waiting")

        menu_agent.devices.card_reader.tap("04A1B2C3")
        paid = await result_of(page, "paid")
        assert "17.00 元" in await paid.inner_text()
        await screenshot(page, "kiosk-menu-paid")
    payment = await CanteenPayment.get(person_id=person_id)
    assert (payment.amount_fen, payment.subsidy_fen, payment.cash_fen) == (1700, 1000, 700)
    wallet = await Wallet.get(person_id=person_id)
    assert (wallet.cash_balance, wallet.subsidy_balance) == (4300, 2000)
    await assert_books_clean()


async def test_a_menu_order_can_be_cancelled_before_the_tap(chromium, menu_agent):
    await cardholder("D0001", "04A1B2C3", cash=5000)
    async with kiosk_screen(chromium, menu_agent) as page:
        await page.locator("#menu").wait_for(state="visible")
        await page.locator("#dishes .dish", has_text="红烧肉").click()
        await page.locator("#cart-confirm").click()
        await page.locator("#waiting").wait_for(state="visible")
        await page.locator("#order-cancel").click()
        await page.locator("#menu").wait_for(state="visible")
        assert await page.locator("#cart-total").text_content() == "0.00"
        menu_agent.devices.card_reader.tap("04A1B2C3")
        await page.locator("#result[data-code='kiosk.order_required']").wait_for()
    assert await CanteenPayment.all().count() == 0


async def test_offline_a_contractor_is_shown_and_charged_the_contractor_price(
    kiosk_page, agent, kiosk_network, screenshot
):
    """The staff price is 15.00, a contractor's 20.00: offline the screen, the receipt and the
    charge are all 20.00."""
    person_id = await cardholder("D0004", "04A1B2C9", cash=5000)  # 外包
    page = kiosk_page
    await page.locator("#other-prices", has_text="外包人员 20.00 元").wait_for()
    await eventually(lambda: agent.link.risk.category_of("04A1B2C9") == "contractor", what="the card's category")
    await kiosk_network.cut()
    agent.devices.card_reader.tap("04A1B2C9")
    shown = await result_of(page, "paid")
    text = await shown.inner_text()
    assert "支付成功（脱机）" in text and "20.00 元" in text and "外包人员价" in text
    await screenshot(page, "kiosk-offline-contractor")
    receipts = await eventually(lambda: agent.devices.printer.receipts, what="the receipt")
    assert "20.00" in "\n".join(receipts[0]) and "外包人员价" in "\n".join(receipts[0])

    await kiosk_network.mend()
    payment = await eventually(lambda: CanteenPayment.get_or_none(person_id=person_id), what="the upload")
    assert (payment.offline, payment.status, payment.amount_fen) == (True, PaymentStatus.PAID, 2000)
    assert (await Wallet.get(person_id=person_id)).cash_balance == 3000
    await assert_books_clean()
