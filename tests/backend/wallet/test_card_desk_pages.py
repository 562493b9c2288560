"""The card desk on a person's console page (发卡、补卡、挂失、解挂、注销): each form acts once
however often it is sent, refusals come back at their field in Chinese, every change is
audited, a replacement keeps the balance, and terminals refuse lost and replaced cards."""

import re

from backend.accounts.models import Person
from backend.core.models import AuditEntry
from backend.wallet.models import Card, CardState, Transfer
from backend.wallet.service import wallets
from tests.fixtures.canteen import cardholder, pay
from tests.helpers import console_admin
from tests.helpers.money import assert_books_clean

DESK = ["accounts.view_person", "wallet.view_wallet", "wallet.manage_card"]


def form_key(html: str, action: str) -> str:
    form = re.search(rf'action="[^"]*{re.escape(action)}".*?</form>', html, re.S).group(0)
    return re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)


async def desk(client, person_id: int, username: str = "desk", permissions: list[str] = DESK) -> tuple[str, str]:
    """A card-desk admin's session on the person's page: (CSRF token, the page)."""
    csrf = await console_admin(client, username, permissions)
    return csrf, (await client.get(f"/console/people/{person_id}")).text


async def test_a_card_read_at_the_desk_is_issued_once_however_often_the_form_is_sent(client, canteen):
    person = await Person.get(employee_no="D0002")
    csrf, page = await desk(client, person.id)
    assert "刷卡或输入卡号" in page and "补卡</button>" not in page  # nothing to replace yet
    form = {"csrf_token": csrf, "idempotency_key": form_key(page, "/cards"), "uid": " 04:a1:b2:c3 "}
    first = await client.post(f"/console/people/{person.id}/cards", data=form)
    again = await client.post(f"/console/people/{person.id}/cards", data=form)
    assert first.headers["location"].endswith("?done=card_issued")
    assert again.headers["location"].endswith("?done=card_issued_replayed")
    assert [c.uid for c in await Card.filter(person_id=person.id)] == ["04A1B2C3"]
    assert await AuditEntry.filter(action="wallet.issue_card").count() == 1
    shown = (await client.get(first.headers["location"])).text
    assert "已发卡" in shown and 'data-card="04A1B2C3"' in shown and "挂失</button>" in shown


async def test_issue_refusals_come_back_at_the_card_number_as_typed(client, canteen):
    holder_id = await cardholder("D0001", "AA000001")
    person = await Person.get(employee_no="D0002")
    csrf, page = await desk(client, person.id)
    key = form_key(page, "/cards")
    for uid, message in (
        ("", "请刷卡或输入卡号"),
        ("ZZ-NOT-HEX", "卡号格式不正确"),
        ("AA00000", "内容太短"),
        ("aa:00:00:01", "该卡已登记在其他人员名下"),
    ):
        refused = await client.post(
            f"/console/people/{person.id}/cards", data={"csrf_token": csrf, "idempotency_key": key, "uid": uid}
        )
        field = re.search(r'<label class="field has-error">.*?</label>', refused.text, re.S).group(0)
        assert refused.status_code == 422 and 'name="uid"' in field and message in field, uid
        assert f'value="{uid}"' in field
    own = await client.post(
        f"/console/people/{holder_id}/cards", data={"csrf_token": csrf, "idempotency_key": key, "uid": "BB000001"}
    )
    assert own.status_code == 422 and "该人员已有正常使用的卡" in own.text
    assert await Card.filter(person_id=person.id).count() == 0 and await Card.all().count() == 1


async def test_a_replacement_cancels_the_old_card_once_and_keeps_the_balance(client, terminal):
    person_id = await cardholder("D0001", "AA000001", cash=8_800, subsidy=1_200)
    old = await Card.get(uid="AA000001")
    vouchers = await Transfer.all().count()
    csrf, page = await desk(client, person_id)
    form = {
        "csrf_token": csrf,
        "idempotency_key": form_key(page, "/cards/replace"),
        "card_id": old.id,
        "uid": "BB000002",
    }
    first = await client.post(f"/console/people/{person_id}/cards/replace", data=form)
    again = await client.post(f"/console/people/{person_id}/cards/replace", data=form)
    assert first.headers["location"].endswith("?done=card_replaced")
    assert again.headers["location"].endswith("?done=card_replaced_replayed")
    cards = {c.uid: c.state for c in await Card.filter(person_id=person_id)}
    assert cards == {"AA000001": CardState.CANCELLED, "BB000002": CardState.ACTIVE}
    wallet = await wallets.wallet_view(person_id)
    assert (wallet["cash_fen"], wallet["subsidy_fen"]) == (8_800, 1_200)
    assert await Transfer.all().count() == vouchers  # a card changes, no money moves
    [entry] = await AuditEntry.filter(action="wallet.replace_card")
    assert entry.before["card"]["uid"] == "AA000001" and entry.before["card"]["state"] == "active"
    assert entry.after["card"]["uid"] == "BB000002" and entry.after["cancelled_card_id"] == old.id
    assert (entry.before["cash_fen"], entry.after["cash_fen"]) == (8_800, 8_800)
    shown = (await client.get(first.headers["location"])).text
    assert "补卡完成" in shown and "¥88.00" in shown and "¥12.00" in shown
    refused = await pay(client, terminal, "TX-OLD", card_uid="AA000001")
    assert refused.json()["error"]["code"] == "canteen.card_cancelled"
    assert (await pay(client, terminal, "TX-NEW", card_uid="BB000002")).status_code == 200
    await assert_books_clean()


async def test_a_lost_card_is_refused_at_terminals_until_it_is_unlocked(client, terminal):
    person_id = await cardholder("D0001", "AA000001", cash=5_000)
    card = await Card.get(uid="AA000001")
    csrf, _ = await desk(client, person_id)
    lost = await client.post(f"/console/people/{person_id}/cards/{card.id}/lost", data={"csrf_token": csrf})
    assert lost.headers["location"].endswith("?done=card_lost")
    refused = await pay(client, terminal, "TX-1", card_uid="AA000001")
    assert refused.json()["error"]["code"] == "canteen.card_lost"
    assert "AA000001" in (await wallets.blacklist())[1]
    twice = await client.post(f"/console/people/{person_id}/cards/{card.id}/lost", data={"csrf_token": csrf})
    assert twice.headers["location"].endswith("?done=card_lost_already")
    assert await AuditEntry.filter(action="wallet.card_lost").count() == 1
    shown = (await client.get(lost.headers["location"])).text
    assert "已挂失" in shown and "解挂</button>" in shown
    unlocked = await client.post(f"/console/people/{person_id}/cards/{card.id}/unlock", data={"csrf_token": csrf})
    assert unlocked.headers["location"].endswith("?done=card_unlocked")
    assert await AuditEntry.filter(action="wallet.card_active").count() == 1
    assert "AA000001" not in (await wallets.blacklist())[1]
    assert (await pay(client, terminal, "TX-2", card_uid="AA000001")).status_code == 200


async def test_a_cancelled_card_can_be_neither_unlocked_nor_replaced(client, canteen):
    person_id = await cardholder("D0001", "AA000001")
    card = await Card.get(uid="AA000001")
    csrf, page = await desk(client, person_id)
    key = form_key(page, "/cards/replace")
    cancelled = await client.post(f"/console/people/{person_id}/cards/{card.id}/cancel", data={"csrf_token": csrf})
    assert cancelled.headers["location"].endswith("?done=card_cancelled")
    assert await AuditEntry.filter(action="wallet.card_cancelled").count() == 1
    unlock = await client.post(f"/console/people/{person_id}/cards/{card.id}/unlock", data={"csrf_token": csrf})
    assert unlock.status_code == 422
    row = re.search(r'<tr data-card="AA000001">.*?</tr>', unlock.text, re.S).group(0)
    assert "该卡当前为“注销”状态，不能解挂" in row
    replace = await client.post(
        f"/console/people/{person_id}/cards/replace",
        data={"csrf_token": csrf, "idempotency_key": key, "card_id": card.id, "uid": "BB000002"},
    )
    field = re.search(r'<label class="field has-error">.*?</label>', replace.text, re.S).group(0)
    assert replace.status_code == 422 and 'name="card_id"' in field and "该卡当前为“注销”状态，不能补卡" in field
    assert await Card.filter(person_id=person_id).count() == 1


async def test_another_persons_card_is_not_found_from_this_persons_page(client, canteen):
    person_id = await cardholder("D0001", "AA000001")
    await cardholder("D0002", "AA000002")
    others = await Card.get(uid="AA000002")
    csrf, _ = await desk(client, person_id)
    refused = await client.post(f"/console/people/{person_id}/cards/{others.id}/lost", data={"csrf_token": csrf})
    assert refused.status_code == 422 and "卡片不存在" in refused.text
    assert (await Card.get(id=others.id)).state == CardState.ACTIVE


async def test_only_card_managers_within_their_units_see_the_desk_and_may_use_it(client, canteen):
    person_id = await cardholder("D0003", "AA000003")  # 财政局
    card = await Card.get(uid="AA000003")
    csrf, page = await desk(client, person_id, "viewer", ["accounts.view_person", "wallet.view_wallet"])
    assert 'data-card="AA000003"' in page and "发卡</button>" not in page and "挂失</button>" not in page
    for path, data in (("cards", {"uid": "BB000001"}), (f"cards/{card.id}/lost", {})):
        refused = await client.post(
            f"/console/people/{person_id}/{path}", data={"csrf_token": csrf, "idempotency_key": "k" * 20, **data}
        )
        assert refused.status_code == 403
    other_csrf = await console_admin(client, "fgw-desk", DESK, unit_code="FGW")
    refused = await client.post(f"/console/people/{person_id}/cards/{card.id}/lost", data={"csrf_token": other_csrf})
    assert refused.status_code == 403
    assert (await Card.get(id=card.id)).state == CardState.ACTIVE and await Card.all().count() == 1


async def test_a_lost_card_replaced_stays_on_the_blacklist_and_the_new_card_pays(client, terminal):
    person_id = await cardholder("D0001", "AA000001", cash=5_000)
    card = await Card.get(uid="AA000001")
    csrf, _ = await desk(client, person_id)
    await client.post(f"/console/people/{person_id}/cards/{card.id}/lost", data={"csrf_token": csrf})
    page = (await client.get(f"/console/people/{person_id}")).text
    assert "AA000001（挂失）" in page
    replaced = await client.post(
        f"/console/people/{person_id}/cards/replace",
        data={
            "csrf_token": csrf,
            "idempotency_key": form_key(page, "/cards/replace"),
            "card_id": card.id,
            "uid": "BB000002",
        },
    )
    assert replaced.headers["location"].endswith("?done=card_replaced")
    version, blacklisted = await wallets.blacklist()
    assert "AA000001" in blacklisted and "BB000002" not in blacklisted and version > 0
    refused = await pay(client, terminal, "TX-1", card_uid="AA000001")
    assert refused.json()["error"]["code"] == "canteen.card_cancelled"
    assert (await pay(client, terminal, "TX-2", card_uid="BB000002")).status_code == 200
    await assert_books_clean()
