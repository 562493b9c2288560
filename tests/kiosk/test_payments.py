"""A tap to a result: the backend's answer when it comes in time; otherwise the card payment is
decided offline and journaled under the number the backend may already have seen."""

import asyncio
import json
import time

import httpx
import pytest

from kiosk import offline, payments
from kiosk.backend_client import BackendClient
from kiosk.journal import Journal
from kiosk.offline import RiskParameters
from kiosk.orders import Menu, amount_order, menu_order
from kiosk.payments import Cashier, receipt_for
from kiosk.sync import Link
from tests.helpers.kiosk import LUNCH, RISK_BODY

PAID = {
    "status": "paid",
    "txn_no": "",
    "message": "支付成功",
    "name": "张*",
    "period": "午餐",
    "amount_fen": 1500,
    "subsidy_fen": 1000,
    "cash_fen": 500,
    "balance": {"cash_fen": 4500, "subsidy_fen": 2000},
}


class FakeBackend:
    """The pay and balance endpoints: `answer(request)` decides; every request is kept."""

    def __init__(self, answer):
        self.answer = answer
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self.answer(request)


def txn_no_of(request: httpx.Request) -> str:
    return json.loads(request.content)["txn_no"]


@pytest.fixture
def journal(tmp_path):
    opened = Journal(tmp_path / "journal.sqlite3")
    yield opened
    opened.close()


def cashier(journal: Journal, answer, **risk) -> tuple[Cashier, FakeBackend]:
    fake = FakeBackend(answer)
    backend = BackendClient("http://backend.test", "T-1", "secret", transport=httpx.MockTransport(fake))
    link = Link(backend, journal, lambda: LUNCH, lambda: None)
    link.risk = RiskParameters.from_backend({**RISK_BODY, **risk})
    return Cashier(backend, journal, link, online_deadline=0.2, clock=lambda: LUNCH), fake


async def down(request):
    raise httpx.ConnectError("connection refused")


async def unanswered(request):
    """The backend has the request but does not answer: the cashier gives up at its deadline,
    which cancels this wait."""
    await asyncio.Event().wait()  # never set


async def test_an_online_answer_is_shown_with_the_split_and_balances(journal):
    async def paid(request):
        return httpx.Response(200, json={**PAID, "txn_no": txn_no_of(request)})

    till, fake = cashier(journal, paid)
    result = await till.pay_by_card("04A1B2C3")
    assert result["kind"] == "paid" and result["offline"] is False
    assert (result["subsidy_fen"], result["cash_fen"], result["balance"]["cash_fen"]) == (1000, 500, 4500)
    assert result["txn_no"] == txn_no_of(fake.requests[0]) and till.link.online is True
    assert journal.pending_count() == 0


async def test_a_payment_not_answered_in_time_is_journaled_under_the_same_number(journal):
    till, fake = cashier(journal, unanswered)
    result = await asyncio.wait_for(till.pay_by_card("04A1B2C3"), 5)  # the cashier's own deadline is 0.2 s
    assert result == {
        "kind": "paid",
        "offline": True,
        "txn_no": txn_no_of(fake.requests[0]),
        "period": "午餐",
        "amount_fen": 1500,
        "category": "staff",
    }
    [entry] = journal.pending(10)
    assert (entry.txn_no, entry.card_uid, entry.amount_fen, entry.paid_at) == (
        result["txn_no"],
        "04A1B2C3",
        1500,
        LUNCH,
    )
    assert till.link.online is False


async def test_while_offline_taps_are_decided_at_once_without_asking_the_backend(journal):
    async def down(request):
        raise httpx.ConnectError("connection refused")

    till, fake = cashier(journal, down)
    first = await till.pay_by_card("04A1B2C3")
    second = await till.pay_by_card("04A1B2C4")
    assert first["offline"] and second["offline"] and len(fake.requests) == 1
    assert journal.pending_count() == 2


async def test_a_server_error_counts_as_unreachable(journal):
    async def failing(request):
        return httpx.Response(503)

    till, _ = cashier(journal, failing)
    assert (await till.pay_by_card("04A1B2C3"))["offline"] is True


async def test_offline_a_blacklisted_card_is_refused_and_nothing_journaled(journal):
    async def down(request):
        raise httpx.ConnectError("connection refused")

    till, fake = cashier(journal, down)
    till.link.lost()  # known offline: the tap is not sent, so the backend cannot have charged it
    result = await till.pay_by_card("04DEAD00")
    assert result["kind"] == "refused" and result["message"] == offline.BLACKLISTED
    assert journal.pending_count() == 0 and fake.requests == []


async def test_an_unanswered_attempt_refused_offline_is_journaled_voided(journal):
    """The backend may have applied the attempt it did not answer in time, while the screen says
    refused: the journal keeps the number so the upload can find such a charge."""
    till, fake = cashier(journal, unanswered)
    result = await asyncio.wait_for(till.pay_by_card("04DEAD00"), 5)  # the cashier's own deadline is 0.2 s
    assert result["kind"] == "refused" and result["message"] == offline.BLACKLISTED
    [entry] = journal.pending(10)
    assert (entry.txn_no, entry.card_uid, entry.amount_fen, entry.paid_at, entry.voided) == (
        txn_no_of(fake.requests[0]),
        "04DEAD00",
        0,
        LUNCH,
        True,
    )
    assert len(journal.paid_times_for_card("04DEAD00", LUNCH.date())) == 0


async def test_offline_pay_codes_and_balance_queries_are_refused_in_words(journal):
    async def down(request):
        raise httpx.ConnectError("connection refused")

    till, _ = cashier(journal, down)
    assert (await till.pay_by_code("123456789012345678"))["message"] == payments.PAY_CODE_OFFLINE
    assert (await till.balance("04A1B2C3"))["message"] == payments.BALANCE_OFFLINE
    assert journal.pending_count() == 0


async def test_the_backends_refusal_is_shown_in_its_own_words(journal):
    async def refuse(request):
        return httpx.Response(
            402, json={"error": {"code": "canteen.insufficient_balance", "message": "余额不足，请充值后再试"}}
        )

    till, _ = cashier(journal, refuse)
    assert await till.pay_by_card("04A1B2C3") == {
        "kind": "refused",
        "code": "canteen.insufficient_balance",
        "message": "余额不足，请充值后再试",
    }


async def test_a_refusal_of_the_terminal_itself_is_not_blamed_on_the_diner(journal):
    async def bad_signature(request):
        return httpx.Response(401, json={"error": {"code": "device.bad_signature", "message": "设备签名不正确"}})

    till, _ = cashier(journal, bad_signature)
    assert (await till.pay_by_card("04A1B2C3"))["message"] == payments.TERMINAL_FAULT


async def test_an_unreadable_card_is_refused_without_asking_the_backend(journal):
    async def unexpected(request):
        raise AssertionError("no request expected")

    till, fake = cashier(journal, unexpected)
    assert (await till.pay_by_card("XYZ"))["message"] == payments.UNREADABLE_CARD
    assert fake.requests == []


async def test_offline_a_contractor_is_charged_and_shown_the_contractor_price(journal):
    """The amount journaled is the one on the screen and the receipt, and the one the backend
    charges on upload."""
    till, _ = cashier(journal, down)
    result = await till.pay_by_card("04C0C0C0")  # a contractor's card (RISK_BODY card_categories)
    assert (result["kind"], result["offline"], result["amount_fen"], result["category"]) == (
        "paid",
        True,
        2000,
        "contractor",
    )
    [entry] = journal.pending(10)
    assert entry.amount_fen == 2000
    receipt = receipt_for(result, "第一食堂", LUNCH)
    assert ("金额", "20.00") in [(label, str(value)) for label, value in receipt.lines]
    assert ("价格", "外包人员价") in receipt.lines


async def test_offline_a_card_with_no_price_for_its_category_is_refused_and_nothing_taken(journal):
    till, _ = cashier(journal, down)
    till.link.lost()
    result = await till.pay_by_card("04B1B1B1")  # a visitor: no visitor price at lunch
    assert result == {
        "kind": "refused",
        "code": "kiosk.offline_refused",
        "message": "网络中断，本餐次未设置访客价格，请到食堂服务台处理",
    }
    assert journal.pending_count() == 0


async def test_offline_the_meals_swipes_are_counted_in_this_terminals_journal(journal):
    """Lunch allows two swipes a card: the third offline tap at this terminal is refused, while
    the day's count (five here) would still allow it."""
    till, _ = cashier(journal, down, offline_max_count_per_card=5)
    till.link.lost()
    taken = [await till.pay_by_card("04A1B2C3") for _ in range(3)]
    assert [r["kind"] for r in taken] == ["paid", "paid", "refused"]
    assert taken[2]["message"] == "本餐已消费，每餐限 2 次"
    assert len(journal.paid_times_for_card("04A1B2C3", LUNCH.date())) == 2


async def test_a_free_amount_payment_sends_the_amount_keyed(journal):
    async def paid(request):
        return httpx.Response(200, json={**PAID, "txn_no": txn_no_of(request), "amount_fen": 2350})

    till, fake = cashier(journal, paid, mode="free_amount")
    result = await till.pay_by_card("04A1B2C3", amount_order({"yuan": "23.5"}, 5000))
    assert result["kind"] == "paid" and result["amount_fen"] == 2350
    sent = json.loads(fake.requests[0].content)
    assert (sent["amount_fen"], sent["card_uid"], "items" in sent) == (2350, "04A1B2C3", False)

    await till.pay_by_code("123456789012345678", amount_order({"yuan": "8"}, 5000))
    assert json.loads(fake.requests[1].content)["amount_fen"] == 800


async def test_a_menu_payment_sends_the_dishes_for_the_backend_to_price(journal):
    async def paid(request):
        return httpx.Response(200, json={**PAID, "txn_no": txn_no_of(request)})

    menu = Menu.from_backend(
        {
            "period": {"code": "lunch", "name": "午餐"},
            "published": True,
            "dishes": [{"id": 7, "name": "米饭", "price_fen": 100, "available": True}],
        }
    )
    till, fake = cashier(journal, paid, mode="menu")
    await till.pay_by_card("04A1B2C3", menu_order({"items": [{"dish_id": 7, "quantity": 3}]}, menu, 5000))
    sent = json.loads(fake.requests[0].content)
    assert sent["items"] == [{"dish_id": 7, "quantity": 3}] and "amount_fen" not in sent


async def test_a_dish_taken_off_sale_meanwhile_is_told_in_the_backends_words(journal):
    async def gone(request):
        return httpx.Response(422, json={"error": {"code": "canteen.dish_unknown", "message": "菜品不存在或已下架"}})

    till, _ = cashier(journal, gone, mode="menu")
    menu = Menu.from_backend(
        {
            "period": {"code": "lunch", "name": "午餐"},
            "published": True,
            "dishes": [{"id": 7, "name": "米饭", "price_fen": 100, "available": True}],
        }
    )
    result = await till.pay_by_card("04A1B2C3", menu_order({"items": [{"dish_id": 7, "quantity": 1}]}, menu, 5000))
    assert result == {"kind": "refused", "code": "canteen.dish_unknown", "message": "菜品不存在或已下架"}


@pytest.mark.parametrize("mode", ["free_amount", "menu"])
async def test_offline_a_free_amount_or_menu_terminal_takes_nothing_and_says_why(journal, mode):
    till, _ = cashier(journal, down, mode=mode)
    till.link.lost()
    order = amount_order({"yuan": "10"}, 5000)
    assert (await till.pay_by_card("04A1B2C3", order))["message"] == offline.NOT_FIXED_PRICE
    assert (await till.pay_by_code("123456789012345678", order))["message"] == offline.NOT_FIXED_PRICE
    assert journal.pending_count() == 0


async def test_a_payment_refused_for_the_replay_epoch_is_signed_again_and_paid_under_its_number(journal):
    """After the backend's Redis lost its data it names the first stamp it takes: the terminal
    signs the same payment again with that stamp and a new nonce, and shows it paid online."""
    not_before = int(time.time()) + 300

    async def epoch_then_paid(request):
        if int(request.headers["X-Timestamp"]) < not_before:
            details = {"not_before": not_before, "retry_after_ms": 20}
            error = {"code": "device.signed_before_epoch", "message": "请重新签名后重试", "details": details}
            return httpx.Response(401, json={"error": error})
        return httpx.Response(200, json={**PAID, "txn_no": txn_no_of(request)})

    till, fake = cashier(journal, epoch_then_paid)
    result = await till.pay_by_card("04A1B2C3")
    assert result["kind"] == "paid" and result["offline"] is False
    first, again = fake.requests
    assert txn_no_of(first) == txn_no_of(again) == result["txn_no"] and first.content == again.content
    assert int(again.headers["X-Timestamp"]) == not_before
    assert first.headers["X-Nonce"] != again.headers["X-Nonce"]
    assert journal.pending_count() == 0
    await till.pay_by_card("04A1B2C3")
    assert int(fake.requests[-1].headers["X-Timestamp"]) == not_before  # not earlier, while the clock catches up
    assert len(fake.requests) == 3
