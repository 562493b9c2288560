"""The cadre's wallet in the mini-program: balances and cards, pay code at a terminal, card
lost/unlock (own cards only), history."""

import io

from openpyxl import load_workbook

from backend.accounts.models import Person
from backend.core.models import AuditEntry
from backend.wallet.models import Card, CardState
from tests.fixtures.canteen import cardholder, pay
from tests.helpers import admin_token, bearer
from tests.helpers.cadres import bound_token


async def test_pay_code_from_the_mini_program_pays_at_a_terminal(client, terminal, wechat):
    token = await bound_token(client, wechat)
    await cardholder("D0001", "04A1B2C3", cash=5000)
    issued = (await client.post("/mp/v1/wallet/paycode", headers=bearer(token))).json()
    assert len(issued["code"]) == 18 and issued["step_seconds"] == 30 and "secret" in issued
    paid = await pay(client, terminal, "TX1", pay_code=issued["code"])
    assert paid.status_code == 200
    wallet = (await client.get("/mp/v1/wallet", headers=bearer(token))).json()
    assert wallet["balance"]["cash_fen"] == 5000 - 1500 and wallet["cards"][0]["state"] == "active"
    history = (await client.get("/mp/v1/wallet/history", headers=bearer(token))).json()
    assert [line["kind"] for line in history["items"]] == ["canteen_payment", "adjustment"]
    assert history["items"][0]["cash_fen"] == -1500 and history["items"][0]["subsidy_fen"] == 0


async def test_cadre_reports_own_card_lost_and_unlocks_it(client, terminal, wechat):
    token = await bound_token(client, wechat)
    await cardholder("D0001", "04A1B2C3", cash=5000)
    card = await Card.get(uid="04A1B2C3")
    lost = await client.post(f"/mp/v1/wallet/cards/{card.id}/lost", headers=bearer(token))
    assert lost.json()["state"] == "lost"
    refused = await pay(client, terminal, "TX1", card_uid="04A1B2C3")
    assert refused.json()["error"]["code"] == "canteen.card_lost"
    again = await client.post(f"/mp/v1/wallet/cards/{card.id}/lost", headers=bearer(token))
    assert again.status_code == 409
    unlocked = await client.post(f"/mp/v1/wallet/cards/{card.id}/unlock", headers=bearer(token))
    assert unlocked.json()["state"] == "active"


async def test_cadre_cannot_touch_another_persons_card(client, terminal, wechat):
    token = await bound_token(client, wechat)
    await cardholder("D0002", "04A1B2C4", cash=5000)
    card = await Card.get(uid="04A1B2C4")
    response = await client.post(f"/mp/v1/wallet/cards/{card.id}/lost", headers=bearer(token))
    assert response.status_code == 404
    assert (await Card.get(id=card.id)).state == CardState.ACTIVE


async def test_manual_adjustment_is_audited_and_never_below_zero(client, canteen):
    person = await Person.get(employee_no="D0001")
    token = await admin_token(client, "cashier", ["wallet.adjust_wallet", "wallet.view_wallet"])
    url = f"/admin/v1/wallet/people/{person.id}/adjustments"
    keyed = {**bearer(token), "Idempotency-Key": "adj-2026-0001"}
    up = await client.post(url, headers=keyed, json={"cash_delta_fen": 2000, "reason": "现金充值"})
    assert up.status_code == 200 and up.json()["cash_fen"] == 2000
    double_click = await client.post(url, headers=keyed, json={"cash_delta_fen": 2000, "reason": "现金充值"})
    assert double_click.json()["cash_fen"] == 2000 and double_click.json()["replayed"] is True
    unkeyed = await client.post(url, headers=bearer(token), json={"cash_delta_fen": 2000, "reason": "现金充值"})
    assert unkeyed.status_code == 422
    below = await client.post(
        url,
        headers={**bearer(token), "Idempotency-Key": "adj-2026-0002"},
        json={"cash_delta_fen": -2001, "reason": "误操作"},
    )
    assert below.status_code == 422
    entry = await AuditEntry.get(action="wallet.adjust")
    assert entry.actor_name == "cashier" and entry.before["cash_fen"] == 0 and entry.after["reason"] == "现金充值"


async def test_daily_report_exports_to_excel(client, terminal):
    await cardholder("D0001", "04A1B2C3", cash=5000, subsidy=2000)
    await pay(client, terminal, "TX1", card_uid="04A1B2C3")
    token = await admin_token(client, "accountant", ["canteen.view_payment"])
    report = (await client.get("/admin/v1/canteen/reports/daily", headers=bearer(token))).json()
    assert report["lines"][0]["count"] == 1 and report["lines"][0]["subsidy_fen"] == 1000
    xlsx = await client.get("/admin/v1/canteen/reports/daily.xlsx", headers=bearer(token))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][:4] == ("食堂", "终端", "餐次", "笔数")
    assert rows[2][:7] == ("第一食堂", "T-1 号机", "午餐", 1, 15.0, 10.0, 5.0)
    assert rows[-1][0] == "合计"


async def test_wallet_of_someone_not_on_the_roster_is_not_found(client, canteen):
    token = await admin_token(client, "cashier", ["wallet.view_wallet", "wallet.adjust_wallet"])
    assert (await client.get("/admin/v1/wallet/people/999999", headers=bearer(token))).status_code == 404
    adjusted = await client.post(
        "/admin/v1/wallet/people/999999/adjustments",
        headers={**bearer(token), "Idempotency-Key": "adj-missing-1"},
        json={"cash_delta_fen": 100, "reason": "测试"},
    )
    assert adjusted.status_code == 404 and adjusted.json()["error"]["code"] == "wallet.person_not_found"
