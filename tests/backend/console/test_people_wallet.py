"""The wallet on a person's console page: latest movements, and the manual adjustment form
(人工调账) in yuan, with a reason, once per form however often it is submitted."""

import re

from backend.accounts.models import Person
from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.wallet.service import wallets
from tests.fixtures.canteen import cardholder
from tests.helpers import console_admin
from tests.helpers.money import assert_books_clean

ADJUSTER = ["accounts.view_person", "wallet.view_wallet", "wallet.adjust_wallet"]


def _form_key(html: str) -> str:
    return re.search(r'name="idempotency_key" value="([^"]+)"', html).group(1)


async def test_an_adjustment_credits_cash_once_however_often_the_form_is_sent(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=1_000)
    csrf = await console_admin(client, "finance", ADJUSTER)
    page = await client.get(f"/console/people/{person_id}")
    assert "人工调账" in page.text and "测试充值" in page.text
    form = {
        "csrf_token": csrf,
        "idempotency_key": _form_key(page.text),
        "direction": "credit",
        "amount": "20.50",
        "reason": "充值机故障，补记现金充值",
    }
    first = await client.post(f"/console/people/{person_id}/adjustments", data=form)
    again = await client.post(f"/console/people/{person_id}/adjustments", data=form)
    assert first.headers["location"].endswith("?done=adjusted") and again.headers["location"].endswith("?done=replayed")
    assert (await wallets.wallet_view(person_id))["cash_fen"] == 1_000 + 2_050
    assert await AuditEntry.filter(action="wallet.adjust").count() == 2  # the fixture's top-up and this one
    shown = await client.get(first.headers["location"])
    assert "调账已完成" in shown.text and "充值机故障" in shown.text and "30.50" in shown.text
    await assert_books_clean()


async def test_a_debit_beyond_the_balance_or_a_bad_amount_changes_nothing(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=1_000)
    csrf = await console_admin(client, "finance", ADJUSTER)
    key = _form_key((await client.get(f"/console/people/{person_id}")).text)
    for amount, message in (("10.01", "调减后余额不能为负"), ("abc", "最多两位小数"), ("0", "大于 0")):
        refused = await client.post(
            f"/console/people/{person_id}/adjustments",
            data={"csrf_token": csrf, "idempotency_key": key, "direction": "debit", "amount": amount, "reason": "冲正"},
        )
        assert refused.status_code == 422 and message in refused.text
    no_reason = await client.post(
        f"/console/people/{person_id}/adjustments",
        data={"csrf_token": csrf, "idempotency_key": key, "direction": "credit", "amount": "1"},
    )
    assert no_reason.status_code == 422
    assert (await wallets.wallet_view(person_id))["cash_fen"] == 1_000


async def test_only_adjusters_see_the_form_and_may_post_it(client, canteen):
    person = await Person.get(employee_no="D0001")
    csrf = await console_admin(client, "viewer", ["accounts.view_person", "wallet.view_wallet"])
    page = await client.get(f"/console/people/{person.id}")
    assert "一卡通" in page.text and "提交调账" not in page.text
    refused = await client.post(
        f"/console/people/{person.id}/adjustments",
        data={
            "csrf_token": csrf,
            "idempotency_key": "k" * 20,
            "direction": "credit",
            "amount": "100",
            "reason": "试试",
        },
    )
    assert refused.status_code == 403
    assert (await wallets.wallet_view(person.id))["cash_fen"] == 0


async def test_an_adjuster_scoped_to_one_unit_cannot_touch_another_units_people(client, canteen):
    outsider = await Person.get(employee_no="D0003")  # 财政局, outside 发改委
    csrf = await console_admin(client, "unit-finance", ADJUSTER, unit_code="FGW")
    refused = await client.post(
        f"/console/people/{outsider.id}/adjustments",
        data={
            "csrf_token": csrf,
            "idempotency_key": "k" * 20,
            "direction": "credit",
            "amount": "100",
            "reason": "越权",
        },
    )
    assert refused.status_code == 403
    assert (await wallets.wallet_view(outsider.id))["cash_fen"] == 0


async def test_a_technicians_page_names_their_repair_team(client, repairs_world):
    technician = await Person.get(employee_no="D0004")
    await console_admin(client, "viewer", ["accounts.view_person"])
    page = await client.get(f"/console/people/{technician.id}")
    assert "水电班" in page.text and "维修人员" in page.text


REFUNDER = ["accounts.view_person", "wallet.view_wallet", "wallet.refund_cash"]


async def test_a_cash_refund_typed_in_yuan_pays_once_however_often_the_form_is_sent(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=5_000, subsidy=800)
    csrf = await console_admin(client, "finance", REFUNDER)
    page = await client.get(f"/console/people/{person_id}")
    assert "现金退款" in page.text and "办理销户" in page.text and "提交调账" not in page.text
    form = {
        "csrf_token": csrf,
        "idempotency_key": _form_key(page.text),
        "amount": "12.30",
        "method": "cash",
        "payout_reference": "SJ-001",
        "reason": "本人申请退还余额",
    }
    first = await client.post(f"/console/people/{person_id}/cash-refunds", data=form)
    again = await client.post(f"/console/people/{person_id}/cash-refunds", data=form)
    assert first.headers["location"].endswith("?done=refunded")
    assert again.headers["location"].endswith("?done=refunded_replayed")
    assert (await wallets.wallet_view(person_id))["cash_fen"] == 5_000 - 1_230
    shown = await client.get(first.headers["location"])
    assert "退款已登记" in shown.text and "本人申请退还余额" in shown.text and "SJ-001" in shown.text
    await assert_books_clean()


async def test_a_refund_form_beyond_the_cash_or_by_bank_without_reference_changes_nothing(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=1_000)
    csrf = await console_admin(client, "finance", REFUNDER)
    key = _form_key((await client.get(f"/console/people/{person_id}")).text)
    for amount, method, message in (
        ("10.01", "cash", "不能超过现金余额"),
        ("0", "cash", "大于 0"),
        ("1", "bank_transfer", "转账流水号"),
        ("1", "cheque", "取值无效"),
    ):
        refused = await client.post(
            f"/console/people/{person_id}/cash-refunds",
            data={"csrf_token": csrf, "idempotency_key": key, "amount": amount, "method": method, "reason": "退款"},
        )
        assert refused.status_code == 422 and message in refused.text, amount
    assert (await wallets.wallet_view(person_id))["cash_fen"] == 1_000


async def test_closing_from_the_page_needs_the_confirmation_then_closes_the_wallet(client, canteen):
    person_id = await cardholder("D0001", "AA000001", cash=2_000, subsidy=500)
    csrf = await console_admin(client, "finance", REFUNDER)
    key = _form_key((await client.get(f"/console/people/{person_id}")).text)
    form = {
        "csrf_token": csrf,
        "idempotency_key": key,
        "method": "bank_transfer",
        "payout_reference": "BOC-77",
        "reason": "调离本单位",
    }
    unconfirmed = await client.post(f"/console/people/{person_id}/close", data=form)
    assert unconfirmed.status_code == 422 and "请勾选确认" in unconfirmed.text
    assert (await wallets.wallet_view(person_id))["closed_at"] is None
    closed = await client.post(f"/console/people/{person_id}/close", data={**form, "confirm": "on"})
    assert closed.headers["location"].endswith("?done=closed")
    shown = await client.get(closed.headers["location"])
    assert "已销户" in shown.text and "办理销户" not in shown.text and "BOC-77" in shown.text
    assert (await wallets.wallet_view(person_id))["cash_fen"] == 0
    await assert_books_clean()


async def test_only_refunders_see_the_refund_forms_and_may_post_them(client, canteen):
    person = await Person.get(employee_no="D0001")
    csrf = await console_admin(client, "adjuster", ADJUSTER)
    page = await client.get(f"/console/people/{person.id}")
    assert "登记退款" not in page.text and "办理销户" not in page.text
    for path in ("cash-refunds", "close"):
        refused = await client.post(
            f"/console/people/{person.id}/{path}",
            data={
                "csrf_token": csrf,
                "idempotency_key": "k" * 20,
                "amount": "1",
                "method": "cash",
                "reason": "试试",
                "confirm": "on",
            },
        )
        assert refused.status_code == 403
    assert (await wallets.wallet_view(person.id))["closed_at"] is None


async def test_a_person_who_has_left_gets_no_money_or_card_forms_and_no_adjustment(client, canteen):
    # given a cardholder whose departure settled the wallet (here: marked left directly)
    person_id = await cardholder("D0001", "AA000001", cash=0)
    await Person.filter(id=person_id).update(is_active=False)
    csrf = await console_admin(client, "finance", [*ADJUSTER, "wallet.refund_cash", "wallet.manage_card"])
    # then the page offers no adjustment, refund, closing or card form
    page = await client.get(f"/console/people/{person_id}")
    assert page.status_code == 200 and "提交调账" not in page.text and "登记退款" not in page.text
    assert 'name="idempotency_key"' not in page.text
    # and an adjustment sent anyway is refused, with nothing written
    refused = await _adjust_refusal(person_id)
    assert refused == "wallet.person_left_settled"
    sent = await client.post(
        f"/console/people/{person_id}/adjustments",
        data={
            "csrf_token": csrf,
            "idempotency_key": "left-form-0001",
            "direction": "credit",
            "amount": "5",
            "reason": "补记",
        },
    )
    assert sent.status_code == 422 and "已离职" in sent.text
    assert (await wallets.wallet_view(person_id))["cash_fen"] == 0
    await assert_books_clean()


async def _adjust_refusal(person_id: int) -> str:
    try:
        await wallets.adjust(CLI_ACTOR, person_id, 500, "补记", "left-adjust-0001")
    except AppError as refusal:
        return refusal.code
    return ""
