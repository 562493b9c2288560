"""Offline journals (applied once, in time order, flagged and overdrawn as needed), error
refunds by a canteen manager, pay codes, and reconciliation catching a broken book."""

from datetime import time, timedelta

from backend.canteen.models import CanteenPayment, DinerCategory, PaymentStatus
from backend.canteen.service import canteens
from backend.core.audit import CLI_ACTOR
from backend.core.permissions import Scope
from backend.core.timeutil import BUSINESS_TZ, now
from backend.wallet.models import Card, CardState, LedgerEntry, Wallet
from backend.wallet.service import ledger, paycode
from kiosk.backend_client import signature_headers
from tests.fixtures.canteen import LUNCH_PRICE, cardholder, pay
from tests.helpers import admin_token, bearer, json_body
from tests.helpers.money import assert_books_clean

UPLOAD = "/device/v1/canteen/offline-payments"


async def upload(client, terminal, payments):
    body = json_body({"payments": payments})
    return await client.post(UPLOAD, content=body, headers=terminal.headers(UPLOAD, body))


def entry(txn, uid, amount, minutes_ago):
    return {
        "txn_no": txn,
        "card_uid": uid,
        "amount_fen": amount,
        "paid_at": (now() - timedelta(minutes=minutes_ago)).isoformat(),
    }


def voided(txn, uid, minutes_ago):
    """An online attempt the terminal got no answer to and then refused offline."""
    return {**entry(txn, uid, 0, minutes_ago), "voided": True}


async def test_risk_parameters_carry_limits_and_the_blacklist(client, terminal):
    await cardholder("D0001", "04A1B2C3", cash=100)
    await Card.filter(uid="04A1B2C3").update(state=CardState.LOST, state_changed_at=now())
    headers = signature_headers(terminal.code, terminal.secret, "GET", "/device/v1/canteen/risk", "", b"")
    response = await client.get("/device/v1/canteen/risk", headers=headers)
    body = response.json()
    assert body["blacklist"] == ["04A1B2C3"] and body["blacklist_version"] > 0
    assert body["offline_max_payment_fen"] == 3000 and body["periods"][0]["prices"]["staff"] == LUNCH_PRICE
    assert body["canteen"]["name"] == "第一食堂" and body["mode"] == "fixed_price"


async def test_offline_journal_is_applied_once_in_time_order(client, terminal):
    await canteens.set_period(
        CLI_ACTOR,
        "ST1",
        "lunch",
        "午餐",
        time(0, 0),
        time(23, 59),
        2,
        {DinerCategory.STAFF: (LUNCH_PRICE, 0)},
        scope=Scope.EVERYTHING,
    )  # two lunches a card
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000)
    batch = [entry("OFF-2", "04A1B2C3", LUNCH_PRICE, 5), entry("OFF-1", "04A1B2C3", LUNCH_PRICE, 10)]
    first = (await upload(client, terminal, batch)).json()["results"]
    assert [r["txn_no"] for r in first] == ["OFF-1", "OFF-2"] and {r["result"] for r in first} == {"applied"}
    again = (await upload(client, terminal, batch)).json()["results"]
    assert {(r["result"], r["status"]) for r in again} == {("duplicate", "paid")}
    assert (await Wallet.get(person_id=person_id)).cash_balance == 5000 - 2 * LUNCH_PRICE
    await assert_books_clean()


async def test_offline_entry_with_the_number_of_an_online_payment_is_a_duplicate(client, terminal):
    """A terminal whose online attempt timed out journals it under the same number: if the
    backend had applied it, the upload must not charge it again."""
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000)
    assert (await pay(client, terminal, "TX1", card_uid="04A1B2C3")).status_code == 200
    result = (await upload(client, terminal, [entry("TX1", "04A1B2C3", LUNCH_PRICE, 0)])).json()["results"][0]
    assert result == {"txn_no": "TX1", "result": "duplicate", "status": "paid"}
    assert (await Wallet.get(person_id=person_id)).cash_balance == 5000 - LUNCH_PRICE
    assert await CanteenPayment.filter(terminal_txn_no="TX1").count() == 1
    await assert_books_clean()


async def test_a_meal_refused_online_then_taken_offline_is_put_before_a_manager(client, terminal):
    """The server refused (no money) but the terminal did not hear back in time and let the diner
    eat offline under the same number: nothing is charged, and the refusal goes to 待核查."""
    person_id = await cardholder("D0001", "04A1B2C3", cash=100)
    assert (await pay(client, terminal, "TX1", card_uid="04A1B2C3")).status_code == 402
    result = (await upload(client, terminal, [entry("TX1", "04A1B2C3", LUNCH_PRICE, 0)])).json()["results"][0]
    assert result == {"txn_no": "TX1", "result": "held_for_review", "code": "canteen.insufficient_balance"}
    flagged = await CanteenPayment.get(terminal_txn_no="TX1")
    assert flagged.status == PaymentStatus.REFUSED and flagged.offline is True and flagged.amount_fen == LUNCH_PRICE
    assert (await Wallet.get(person_id=person_id)).cash_balance == 100
    await assert_books_clean()


async def test_a_voided_attempt_the_server_paid_is_disputed_for_a_manager(client, terminal):
    """The server applied the attempt, but the terminal heard nothing and told the diner
    "refused": the payment stays as it is, marked for a manager, and no money moves."""
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000)
    assert (await pay(client, terminal, "TX1", card_uid="04A1B2C3")).status_code == 200
    result = (await upload(client, terminal, [voided("TX1", "04A1B2C3", 0)])).json()["results"][0]
    assert result == {"txn_no": "TX1", "result": "held_for_review", "code": "canteen.disputed"}
    payment = await CanteenPayment.get(terminal_txn_no="TX1")
    assert payment.disputed is True and payment.status == PaymentStatus.PAID and payment.amount_fen == LUNCH_PRICE
    assert (await Wallet.get(person_id=person_id)).cash_balance == 5000 - LUNCH_PRICE
    token = await admin_token(client, "manager", ["canteen.view_payment"])
    flagged = (await client.get("/admin/v1/canteen/payments", params={"flagged": "1"}, headers=bearer(token))).json()
    assert [(p["terminal_txn_no"], p["disputed"]) for p in flagged["items"]] == [("TX1", True)]
    assert await canteens.flagged_count(payment.business_date, scope=Scope.EVERYTHING) == 1
    await assert_books_clean()


async def test_a_voided_entry_the_server_never_saw_records_nothing(client, terminal):
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000)
    result = (await upload(client, terminal, [voided("TX1", "04A1B2C3", 0)])).json()["results"][0]
    assert result == {"txn_no": "TX1", "result": "voided"}
    assert not await CanteenPayment.exists(terminal_txn_no="TX1")
    assert (await Wallet.get(person_id=person_id)).cash_balance == 5000
    await assert_books_clean()


async def test_a_voided_entry_after_a_refused_online_attempt_changes_nothing(client, terminal):
    person_id = await cardholder("D0001", "04A1B2C3", cash=100)
    assert (await pay(client, terminal, "TX1", card_uid="04A1B2C3")).status_code == 402
    result = (await upload(client, terminal, [voided("TX1", "04A1B2C3", 0)])).json()["results"][0]
    assert result == {"txn_no": "TX1", "result": "duplicate", "status": "refused"}
    refusal = await CanteenPayment.get(terminal_txn_no="TX1")
    assert (refusal.status, refusal.offline, refusal.disputed, refusal.amount_fen) == (
        PaymentStatus.REFUSED,
        False,
        False,
        0,
    )
    assert (await Wallet.get(person_id=person_id)).cash_balance == 100
    await assert_books_clean()


async def test_only_a_voided_entry_may_have_no_amount(client, terminal):
    await cardholder("D0001", "04A1B2C3", cash=5000)
    assert (await upload(client, terminal, [entry("OFF-1", "04A1B2C3", 0, 1)])).status_code == 422


async def test_a_fixed_price_terminal_offline_charges_the_diners_own_price_as_it_showed(client, terminal):
    """The terminal prices a contractor's card at the contractor price (from the risk
    parameters); the server charges exactly that."""
    person_id = await cardholder("D0004", "04A1B2C9", cash=5000)  # 外包: contractor price 2000
    result = (await upload(client, terminal, [entry("OFF-1", "04A1B2C9", 2000, 1)])).json()["results"][0]
    assert result["result"] == "applied"
    assert (await Wallet.get(person_id=person_id)).cash_balance == 5000 - 2000
    assert (await CanteenPayment.get(terminal_txn_no="OFF-1")).amount_fen == 2000
    await assert_books_clean()


async def test_an_offline_amount_that_is_not_the_diners_price_is_held_not_repriced(client, terminal):
    """A terminal that took the staff price from a contractor (its card categories were out of
    date) showed and printed 15.00: charging 20.00 would break its word, so a manager decides."""
    person_id = await cardholder("D0004", "04A1B2C9", cash=5000)
    result = (await upload(client, terminal, [entry("OFF-1", "04A1B2C9", LUNCH_PRICE, 1)])).json()["results"][0]
    assert result == {"txn_no": "OFF-1", "result": "held_for_review", "code": "canteen.offline_price_mismatch"}
    held = await CanteenPayment.get(terminal_txn_no="OFF-1")
    assert (held.status, held.offline, held.amount_fen) == (PaymentStatus.REFUSED, True, LUNCH_PRICE)
    assert (await Wallet.get(person_id=person_id)).cash_balance == 5000
    await assert_books_clean()


async def test_an_offline_meal_with_no_price_for_the_diner_is_held_not_charged(client, terminal):
    await canteens.set_period(
        CLI_ACTOR,
        "ST1",
        "lunch",
        "午餐",
        time(0, 0),
        time(23, 59),
        1,
        {DinerCategory.STAFF: (LUNCH_PRICE, 0)},
        scope=Scope.EVERYTHING,
    )
    person_id = await cardholder("D0004", "04A1B2C9", cash=5000)  # 外包: no contractor price now
    result = (await upload(client, terminal, [entry("OFF-1", "04A1B2C9", LUNCH_PRICE, 1)])).json()["results"][0]
    assert result == {"txn_no": "OFF-1", "result": "held_for_review", "code": "canteen.no_price"}
    assert (await Wallet.get(person_id=person_id)).cash_balance == 5000
    await assert_books_clean()


async def test_offline_payment_beyond_the_balance_is_advanced_by_the_overdraft_account(client, terminal):
    person_id = await cardholder("D0001", "04A1B2C3", cash=500)
    result = (await upload(client, terminal, [entry("OFF-1", "04A1B2C3", 1500, 1)])).json()["results"][0]
    assert result["overdraft_fen"] == 1000
    wallet = await Wallet.get(person_id=person_id)
    assert (wallet.cash_balance, wallet.overdraft_owed) == (0, 1000)
    overdraft = sum(e.amount for e in await LedgerEntry.filter(account=ledger.OFFLINE_OVERDRAFT))
    assert overdraft == -1000
    await assert_books_clean()


async def test_offline_payment_with_a_card_lost_before_it_is_flagged(client, terminal):
    await cardholder("D0001", "04A1B2C3", cash=5000)
    await Card.filter(uid="04A1B2C3").update(state=CardState.LOST, state_changed_at=now() - timedelta(hours=1))
    result = (await upload(client, terminal, [entry("OFF-1", "04A1B2C3", 1500, 5)])).json()["results"][0]
    assert result["lost_card"] is True
    assert (await CanteenPayment.get(terminal_txn_no="OFF-1")).lost_card_flag is True


async def test_offline_payment_by_an_unknown_card_is_kept_for_review(client, terminal):
    result = (await upload(client, terminal, [entry("OFF-1", "CAFEBABE", 1500, 5)])).json()["results"][0]
    assert result["result"] == "recorded_unknown_card"
    payment = await CanteenPayment.get(terminal_txn_no="OFF-1")
    assert payment.offline and payment.person_id is None and payment.status == PaymentStatus.REFUSED


async def test_refund_reverses_the_payment_and_only_once(client, terminal):
    person_id = await cardholder("D0001", "04A1B2C3", cash=5000, subsidy=2000)
    await pay(client, terminal, "TX1", card_uid="04A1B2C3")
    payment = await CanteenPayment.get(terminal_txn_no="TX1")
    token = await admin_token(client, "manager", ["canteen.refund_payment", "canteen.view_payment"])
    refund = await client.post(
        f"/admin/v1/canteen/payments/{payment.id}/refund", headers=bearer(token), json={"reason": "重复刷卡"}
    )
    assert refund.status_code == 200, refund.text
    wallet = await Wallet.get(person_id=person_id)
    assert (wallet.cash_balance, wallet.subsidy_balance) == (5000, 2000)
    twice = await client.post(
        f"/admin/v1/canteen/payments/{payment.id}/refund", headers=bearer(token), json={"reason": "再退一次"}
    )
    assert twice.status_code == 409 and twice.json()["error"]["code"] == "canteen.refund_not_allowed"
    assert (await CanteenPayment.get(id=payment.id)).status == PaymentStatus.REFUNDED
    await assert_books_clean()


async def test_refund_needs_the_permission(client, terminal):
    await cardholder("D0001", "04A1B2C3", cash=5000)
    await pay(client, terminal, "TX1", card_uid="04A1B2C3")
    payment = await CanteenPayment.get(terminal_txn_no="TX1")
    token = await admin_token(client, "viewer", ["canteen.view_payment"])
    response = await client.post(
        f"/admin/v1/canteen/payments/{payment.id}/refund", headers=bearer(token), json={"reason": "重复刷卡"}
    )
    assert response.status_code == 403


async def test_pay_code_pays_once_and_old_or_forged_codes_are_refused(client, terminal, runtime):
    from backend.accounts.models import Person

    person = await Person.get(employee_no="D0001")
    await cardholder("D0001", "04A1B2C3", cash=5000)
    await runtime.redis.set("session:cadre:test-session", "{}")
    key = await paycode.key_for_session(runtime.redis, "session:cadre:test-session", person.id, ttl=600)
    code = paycode.code_for(key)
    paid = await pay(client, terminal, "TX1", pay_code=code)
    assert paid.status_code == 200 and paid.json()["name"] == "张*"
    retried = await pay(client, terminal, "TX1", pay_code=code)
    assert retried.status_code == 200 and retried.json() == paid.json()
    used = await pay(client, terminal, "TX2", pay_code=code)
    assert used.json()["error"]["code"] == "canteen.pay_code_used"
    full_width = code[:-6] + "".join(chr(ord(d) + 0xFEE0) for d in code[-6:])
    for respelled in (full_width, code + "\n"):
        again = await pay(client, terminal, f"TX-{len(respelled)}", pay_code=respelled)
        assert again.json()["error"]["code"] in ("canteen.pay_code_invalid", "canteen.pay_code_used")
    old = paycode.code_for(key, at=now().timestamp() - 5 * paycode.STEP_SECONDS)
    assert (await pay(client, terminal, "TX3", pay_code=old)).json()["error"]["code"] == "canteen.pay_code_expired"
    forged = code[:-6] + ("000000" if code[-6:] != "000000" else "111111")
    assert (await pay(client, terminal, "TX4", pay_code=forged)).json()["error"]["code"] == "canteen.pay_code_invalid"


async def test_reconcile_names_a_wallet_edited_behind_the_ledger(client, terminal):
    from backend.core.timeutil import BUSINESS_TZ
    from backend.reconcile import check

    person_id = await cardholder("D0001", "04A1B2C3", cash=5000)
    await Wallet.filter(person_id=person_id).update(cash_balance=9999)
    problems = await check(now().astimezone(BUSINESS_TZ).date())
    assert len(problems) == 1 and "现金余额 9999 分，分录合计 5000 分" in problems[0]


async def test_pay_code_dies_with_the_session(client, terminal, wechat):
    from tests.helpers.cadres import bound_token

    token = await bound_token(client, wechat)
    await cardholder("D0001", "04A1B2C3", cash=5000)
    first = (await client.post("/mp/v1/wallet/paycode", headers=bearer(token))).json()
    second = (await client.post("/mp/v1/wallet/paycode", headers=bearer(token))).json()
    assert first["key_id"] == second["key_id"]  # one key per session
    await client.post("/mp/v1/auth/logout", headers=bearer(token))
    refused = await pay(client, terminal, "TX1", pay_code=second["code"])
    assert refused.json()["error"]["code"] == "canteen.pay_code_expired"


async def test_offline_entries_beyond_the_terminal_limits_are_held_not_charged(client, terminal):
    await canteens.set_period(
        CLI_ACTOR,
        "ST1",
        "lunch",
        "午餐",
        time(0, 0),
        time(23, 59),
        5,
        {DinerCategory.STAFF: (LUNCH_PRICE, 0), DinerCategory.CONTRACTOR: (3500, 0)},
        scope=Scope.EVERYTHING,
    )
    person_id = await cardholder("D0001", "04A1B2C3", cash=50000)
    await cardholder("D0004", "04A1B2C9", cash=50000)  # 外包: 35.00, over the 30.00 offline limit
    batch = [entry("OFF-BIG", "04A1B2C9", 3500, 30)] + [
        entry(f"OFF-{i}", "04A1B2C3", LUNCH_PRICE, 20 - i) for i in range(4)
    ]
    results = {r["txn_no"]: r for r in (await upload(client, terminal, batch)).json()["results"]}
    assert results["OFF-BIG"]["code"] == "canteen.offline_over_limit"
    assert [results[f"OFF-{i}"]["result"] for i in range(4)] == ["applied"] * 3 + ["held_for_review"]
    assert results["OFF-3"]["code"] == "canteen.offline_too_many"
    assert (await Wallet.get(person_id=person_id)).cash_balance == 50000 - 3 * LUNCH_PRICE
    token = await admin_token(client, "manager", ["canteen.view_payment"])
    flagged = (await client.get("/admin/v1/canteen/payments", params={"flagged": "1"}, headers=bearer(token))).json()
    assert {p["terminal_txn_no"] for p in flagged["items"]} == {"OFF-BIG", "OFF-3"}
    await assert_books_clean()


async def test_offline_limits_count_the_payments_taken_at_this_terminal(client, terminal, runtime):
    """A terminal can only count its own journal: payments a card made offline at another
    terminal do not use up what this one allowed, or a meal it showed as paid would be held."""
    from tests.fixtures.canteen import make_terminal

    await canteens.update_canteen(CLI_ACTOR, "ST1", "第一食堂", "", 5000, 3000, 1, scope=Scope.EVERYTHING)
    other = await make_terminal(runtime.cipher, "T-2")
    person_id = await cardholder("D0001", "04A1B2C3", cash=50000)
    await canteens.set_period(
        CLI_ACTOR,
        "ST1",
        "lunch",
        "午餐",
        time(0, 0),
        time(23, 59),
        3,
        {DinerCategory.STAFF: (LUNCH_PRICE, 0)},
        scope=Scope.EVERYTHING,
    )
    assert (await upload(client, other, [entry("OFF-A", "04A1B2C3", LUNCH_PRICE, 20)])).json()["results"][0][
        "result"
    ] == "applied"
    here = (
        await upload(
            client, terminal, [entry("OFF-B", "04A1B2C3", LUNCH_PRICE, 10), entry("OFF-C", "04A1B2C3", LUNCH_PRICE, 5)]
        )
    ).json()["results"]
    assert [(r["txn_no"], r["result"], r.get("code")) for r in here] == [
        ("OFF-B", "applied", None),
        ("OFF-C", "held_for_review", "canteen.offline_too_many"),
    ]
    assert (await Wallet.get(person_id=person_id)).cash_balance == 50000 - 2 * LUNCH_PRICE
    await assert_books_clean()


async def test_offline_swipes_beyond_the_meal_limit_at_this_terminal_are_held(client, terminal):
    """The period's max swipes per card holds for the terminal's offline journal as well."""
    person_id = await cardholder("D0001", "04A1B2C3", cash=50000)  # lunch: 1 swipe per card
    results = (
        await upload(
            client, terminal, [entry("OFF-1", "04A1B2C3", LUNCH_PRICE, 10), entry("OFF-2", "04A1B2C3", LUNCH_PRICE, 5)]
        )
    ).json()["results"]
    assert [(r["result"], r.get("code")) for r in results] == [
        ("applied", None),
        ("held_for_review", "canteen.meal_limit_reached"),
    ]
    assert (await Wallet.get(person_id=person_id)).cash_balance == 50000 - LUNCH_PRICE
    await assert_books_clean()


async def test_refunding_an_overdrawn_offline_payment_repays_the_advance(client, terminal):
    person_id = await cardholder("D0001", "04A1B2C3", cash=500)
    await upload(client, terminal, [entry("OFF-1", "04A1B2C3", 1500, 1)])
    payment = await CanteenPayment.get(terminal_txn_no="OFF-1")
    token = await admin_token(client, "manager", ["canteen.refund_payment"])
    assert (
        await client.post(
            f"/admin/v1/canteen/payments/{payment.id}/refund", headers=bearer(token), json={"reason": "误刷"}
        )
    ).status_code == 200
    wallet = await Wallet.get(person_id=person_id)
    assert (wallet.cash_balance, wallet.overdraft_owed) == (500, 0)
    await assert_books_clean()


async def test_one_lunch_per_person_across_canteens(client, canteen, runtime):
    from datetime import time

    from backend.canteen.models import DinerCategory
    from backend.canteen.service import canteens
    from backend.core.audit import CLI_ACTOR
    from tests.fixtures.canteen import make_terminal

    await canteens.create_canteen(CLI_ACTOR, "ST2", "第二食堂", scope=Scope.EVERYTHING)
    await canteens.set_period(
        CLI_ACTOR,
        "ST2",
        "lunch",
        "午餐",
        time(0, 0),
        time(23, 59),
        1,
        {DinerCategory.STAFF: (1500, 1000)},
        scope=Scope.EVERYTHING,
    )
    first = await make_terminal(runtime.cipher, "T-A")
    second = await make_terminal(runtime.cipher, "T-B", canteen="ST2")
    await cardholder("D0001", "04A1B2C3", cash=5000, subsidy=5000)
    assert (await pay(client, first, "TX1", card_uid="04A1B2C3")).status_code == 200
    again = await pay(client, second, "TX2", card_uid="04A1B2C3")
    assert again.json()["error"]["code"] == "canteen.meal_limit_reached"


async def test_reconcile_names_a_payment_that_differs_from_its_voucher(client, terminal):
    from backend.core.timeutil import BUSINESS_TZ
    from backend.reconcile import check

    await cardholder("D0001", "04A1B2C3", cash=5000)
    await pay(client, terminal, "TX1", card_uid="04A1B2C3")
    await CanteenPayment.filter(terminal_txn_no="TX1").update(amount_fen=1)
    problems = await check(now().astimezone(BUSINESS_TZ).date())
    assert any("与其凭证" in p for p in problems) and any("终端合计" in p for p in problems)


async def test_an_offline_meal_after_a_meal_at_another_terminal_is_held_not_charged_twice(client, terminal, runtime):
    from tests.fixtures.canteen import make_terminal

    other = await make_terminal(runtime.cipher, "T-2")
    person_id = await cardholder("D0001", "04A1B2C3", cash=50000)  # lunch: 1 swipe per card
    assert (await pay(client, other, "TX-ONLINE", card_uid="04A1B2C3")).status_code == 200
    results = (await upload(client, terminal, [entry("OFF-1", "04A1B2C3", LUNCH_PRICE, 1)])).json()["results"]
    assert [(r["result"], r.get("code")) for r in results] == [("held_for_review", "canteen.meal_limit_reached")]
    assert (await Wallet.get(person_id=person_id)).cash_balance == 50000 - LUNCH_PRICE
    await assert_books_clean()


async def test_offline_uploads_a_terminal_could_not_price_are_held(client, terminal, runtime):
    """Only a fixed-price terminal decides offline, and only within a meal period: anything
    else would be an amount on the terminal's word alone."""
    from backend.canteen.models import TerminalMode
    from tests.fixtures.canteen import make_terminal

    free = await make_terminal(runtime.cipher, "T-FREE", mode=TerminalMode.FREE_AMOUNT)
    person_id = await cardholder("D0001", "04A1B2C3", cash=50000)
    by_free = (await upload(client, free, [entry("OFF-F", "04A1B2C3", 2999, 1)])).json()["results"]
    await canteens.set_period(
        CLI_ACTOR,
        "ST1",
        "lunch",
        "午餐",
        time(11, 0),
        time(13, 0),
        1,
        {DinerCategory.STAFF: (LUNCH_PRICE, 0)},
        scope=Scope.EVERYTHING,
    )
    midnight = {
        "txn_no": "OFF-N",
        "card_uid": "04A1B2C3",
        "amount_fen": LUNCH_PRICE,
        "paid_at": (now() - timedelta(days=1)).astimezone(BUSINESS_TZ).replace(hour=3, minute=0).isoformat(),
    }
    outside = (await upload(client, terminal, [midnight])).json()["results"]
    assert [(r["result"], r["code"]) for r in by_free + outside] == [
        ("held_for_review", "canteen.offline_not_fixed_price"),
        ("held_for_review", "canteen.offline_outside_period"),
    ]
    assert (await Wallet.get(person_id=person_id)).cash_balance == 50000
    await assert_books_clean()


async def test_an_offline_meal_uploaded_after_the_wallet_was_closed_is_held(client, terminal):
    from backend.wallet.models import RefundMethod
    from backend.wallet.service import cash_refund

    person_id = await cardholder("D0001", "04A1B2C3", cash=5000)
    await cash_refund.close_wallet(CLI_ACTOR, person_id, cash_refund.Payout(RefundMethod.CASH, "", "调离"), "close-1")
    results = (await upload(client, terminal, [entry("OFF-1", "04A1B2C3", LUNCH_PRICE, 30)])).json()["results"]
    assert [(r["result"], r.get("code")) for r in results] == [("held_for_review", "canteen.offline_wallet_closed")]
    wallet = await Wallet.get(person_id=person_id)
    assert (wallet.cash_balance, wallet.overdraft_owed) == (0, 0)
    await assert_books_clean()
