"""Balance at the terminal (查询余额): a diner's masked name and balances by card, refused for
cards that could not pay, and only for canteen terminals."""

from urllib.parse import urlencode

from backend.core.timeutil import now
from backend.wallet.models import Card, CardState
from kiosk.backend_client import signature_headers
from tests.fixtures.canteen import cardholder
from tests.helpers import bearer, superadmin_token

PATH = "/device/v1/canteen/balance"


async def balance(client, code: str, secret: str, card_uid: str):
    query = urlencode({"card_uid": card_uid})
    return await client.get(f"{PATH}?{query}", headers=signature_headers(code, secret, "GET", PATH, query, b""))


async def test_balance_shows_the_masked_name_and_both_balances(client, terminal):
    await cardholder("D0001", "04A1B2C3", cash=5000, subsidy=3000)
    response = await balance(client, terminal.code, terminal.secret, "04:a1:b2:c3")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "张*"
    assert (body["balance"]["cash_fen"], body["balance"]["subsidy_fen"]) == (5000, 3000)


async def test_balance_of_an_unknown_or_lost_card_is_refused_in_words_for_the_diner(client, terminal):
    unknown = await balance(client, terminal.code, terminal.secret, "CAFEBABE")
    assert unknown.status_code == 402
    assert unknown.json()["error"] == {"code": "canteen.unknown_card", "message": "未登记的卡，请到食堂服务台办理"}
    await cardholder("D0001", "04A1B2C3", cash=5000)
    await Card.filter(uid="04A1B2C3").update(state=CardState.LOST, state_changed_at=now())
    lost = await balance(client, terminal.code, terminal.secret, "04A1B2C3")
    assert lost.status_code == 402 and lost.json()["error"]["code"] == "canteen.card_lost"


async def test_balance_is_refused_to_a_device_that_is_not_a_canteen_terminal(client, canteen):
    await cardholder("D0001", "04A1B2C3", cash=5000)
    token = await superadmin_token(client)
    kiosk = (
        await client.post(
            "/admin/v1/devices", headers=bearer(token), json={"code": "K-01", "name": "自助机", "kind": "kiosk"}
        )
    ).json()
    refused = await balance(client, "K-01", kiosk["secret"], "04A1B2C3")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "canteen.not_a_terminal"
    unsigned = await client.get(f"{PATH}?card_uid=04A1B2C3")
    assert unsigned.status_code == 401
