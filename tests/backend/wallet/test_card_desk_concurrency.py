"""Card replacements (补卡) racing each other and the canteen's terminals, on PostgreSQL: one
active card afterwards, the balance moved only by what was paid, books balanced."""

import asyncio
import re
from datetime import time

import httpx

from backend.canteen.models import CanteenPayment, DinerCategory, PaymentStatus
from backend.canteen.service import canteens
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from backend.core.permissions import Scope
from backend.wallet.models import Card, CardState, Wallet
from tests.fixtures.canteen import LUNCH_PRICE, cardholder, make_terminal, pay
from tests.helpers import admin_token, bearer, console_admin
from tests.helpers.money import assert_books_clean

DESK = ["accounts.view_person", "wallet.view_wallet", "wallet.manage_card"]


async def replace_form(client, username: str, person_id: int) -> dict:
    """A desk admin's own session and the replace form of the person's page as rendered for it."""
    csrf = await console_admin(client, username, DESK)
    page = (await client.get(f"/console/people/{person_id}")).text
    form = re.search(r'action="[^"]*/cards/replace".*?</form>', page, re.S).group(0)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)
    return {"csrf_token": csrf, "idempotency_key": key}


async def balances(person_id: int) -> tuple[int, int]:
    wallet = await Wallet.get(person_id=person_id)
    return wallet.cash_balance, wallet.subsidy_balance


async def test_desks_replacing_one_card_at_once_replace_it_once(app, canteen, requires_postgres):
    person_id = await cardholder("D0001", "AA000001", cash=8_800)
    old = await Card.get(uid="AA000001")
    desks = [httpx.AsyncClient(base_url=app.ctx.base_url, timeout=30) for _ in range(6)]
    try:
        forms = [await replace_form(c, f"desk{i}", person_id) for i, c in enumerate(desks)]
        answers = await asyncio.gather(
            *(
                c.post(
                    f"/console/people/{person_id}/cards/replace",
                    data={**form, "card_id": old.id, "uid": f"BB00000{i}"},
                )
                for i, (c, form) in enumerate(zip(desks, forms, strict=True))
            )
        )
    finally:
        for c in desks:
            await c.aclose()
    done = [a for a in answers if a.status_code == 302]
    assert len(done) == 1 and done[0].headers["location"].endswith("?done=card_replaced")
    assert all(a.status_code == 422 and "不能补卡" in a.text for a in answers if a not in done)
    assert await Card.filter(person_id=person_id, state=CardState.ACTIVE).count() == 1
    assert await Card.filter(person_id=person_id).count() == 2
    assert await AuditEntry.filter(action="wallet.replace_card").count() == 1
    assert await balances(person_id) == (8_800, 0)
    await assert_books_clean()


async def test_a_replace_form_sent_many_times_at_once_replaces_once(client, canteen, requires_postgres):
    person_id = await cardholder("D0001", "AA000001", cash=3_000)
    old = await Card.get(uid="AA000001")
    form = {**await replace_form(client, "desk", person_id), "card_id": old.id, "uid": "BB000001"}
    answers = await asyncio.gather(
        *(client.post(f"/console/people/{person_id}/cards/replace", data=form) for _ in range(10))
    )
    assert (
        sorted(a.headers["location"].rsplit("=", 1)[1] for a in answers)
        == ["card_replaced"] + ["card_replaced_replayed"] * 9
    )
    assert {c.uid: c.state for c in await Card.filter(person_id=person_id)} == {
        "AA000001": CardState.CANCELLED,
        "BB000001": CardState.ACTIVE,
    }
    assert await balances(person_id) == (3_000, 0)


async def test_a_replacement_racing_payments_on_the_old_card_loses_no_money(
    client, canteen, runtime, requires_postgres
):
    """Each payment either lands before the old card is cancelled or is refused as cancelled;
    the balance falls by exactly what was paid, and the new card spends the rest."""
    await canteens.set_period(  # as many lunches as the terminals take, so only the card decides
        CLI_ACTOR,
        canteen,
        "lunch",
        "午餐",
        time(0, 0),
        time(23, 59, 59),
        20,
        {DinerCategory.STAFF: (LUNCH_PRICE, 0)},
        scope=Scope.EVERYTHING,
    )
    terminals = [await make_terminal(runtime.cipher, f"T-{i:02d}") for i in range(6)]
    person_id = await cardholder("D0001", "AA000001", cash=10 * LUNCH_PRICE)
    old = await Card.get(uid="AA000001")
    form = {**await replace_form(client, "desk", person_id), "card_id": old.id, "uid": "BB000001"}
    replace, *payments = await asyncio.gather(
        client.post(f"/console/people/{person_id}/cards/replace", data=form),
        *(pay(client, t, f"TX-{i}", card_uid="AA000001") for i, t in enumerate(terminals)),
    )
    assert replace.headers["location"].endswith("?done=card_replaced")
    codes = {p.json()["error"]["code"] for p in payments if p.status_code != 200}
    assert codes <= {"canteen.card_cancelled"}
    paid = await CanteenPayment.filter(status=PaymentStatus.PAID).count()
    assert paid == sum(p.status_code == 200 for p in payments)
    assert await balances(person_id) == ((10 - paid) * LUNCH_PRICE, 0)
    assert (await pay(client, terminals[0], "TX-NEW", card_uid="BB000001")).status_code == 200
    assert await balances(person_id) == ((9 - paid) * LUNCH_PRICE, 0)
    await assert_books_clean()


async def test_api_replacements_at_once_leave_one_active_card(client, canteen, requires_postgres):
    """The admin API's `replace` cancels every live card: racing ones queue on the person's lock
    and the last one's card is the one left active."""
    person_id = await cardholder("D0001", "AA000001", cash=2_000)
    token = await admin_token(client, "api-desk", ["wallet.view_wallet", "wallet.manage_card"])
    answers = await asyncio.gather(
        *(
            client.post(
                f"/admin/v1/wallet/people/{person_id}/cards",
                headers=bearer(token),
                json={"uid": f"CC00000{i}", "replace": True},
            )
            for i in range(6)
        )
    )
    assert [a.status_code for a in answers] == [201] * 6
    assert await Card.filter(person_id=person_id, state=CardState.ACTIVE).count() == 1
    assert await balances(person_id) == (2_000, 0)
    await assert_books_clean()
