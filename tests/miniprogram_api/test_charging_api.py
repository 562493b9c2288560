"""Charging in the mini-program over HTTP: only a signed-in cadre gets in; piles near me; a start
by scanning, once per client_ref, and its progress; the live view, stop, history and receipt of
one's own sessions only; arrears. The pile is a recorder standing in for commands.send."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.accounts.models import Person
from backend.charging.models import (
    Bill,
    CommandState,
    Connector,
    ConnectorStatus,
    PayerKind,
    Pile,
    Session,
    SessionState,
    StartRequest,
    StartState,
)
from backend.charging.service import billing, commands
from backend.core.timeutil import now
from tests.helpers import bearer
from tests.helpers.cadres import bound_token
from tests.helpers.errors import assert_error


class FakePile:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.state = CommandState.ACCEPTED

    async def __call__(self, redis, box_id, action, payload, **who):
        self.calls.append((box_id, action, payload, who))
        return commands.Answer(self.state, {"status": "Rejected"} if self.state == CommandState.REJECTED else {})


@pytest.fixture
def pile_answers(monkeypatch) -> FakePile:
    fake = FakePile()
    monkeypatch.setattr(commands, "send", fake)
    return fake


async def _online(pile: Pile) -> None:
    await Pile.filter(id=pile.id).update(last_seen_at=now())
    for number in range(1, pile.connectors + 1):
        await Connector.create(pile_id=pile.id, connector_id=number, status=ConnectorStatus.AVAILABLE)


async def _session(world, person_id: int, **more) -> Session:
    started = now() - timedelta(minutes=10)
    fields = {"connector_id": 1, "id_tag": world.card_uid, **more}
    return await Session.create(
        pile_id=world.pile.id,
        payer_kind=PayerKind.WALLET,
        person_id=person_id,
        tariff_id=world.tariff.id,
        meter_start_wh=0,
        meter_last_wh=0,
        started_at=started,
        received_at=started,
        **fields,
    )


async def test_charging_is_for_signed_in_cadres_only(client, charging_world):
    for method, path in (
        ("get", "/mp/v1/charging/sites/near?lat=30&lng=120"),
        ("post", "/mp/v1/charging/starts"),
        ("get", "/mp/v1/charging/sessions"),
        ("post", "/mp/v1/charging/sessions/1/stop"),
        ("get", "/mp/v1/charging/arrears"),
    ):
        assert (await getattr(client, method)(path)).status_code == 401, path


async def test_a_scanned_connector_starts_once_per_client_ref_and_shows_its_progress(
    client, wechat, charging_world, pile_answers
):
    w = charging_world
    await _online(w.pile)
    token = await bound_token(client, wechat)
    body = {"box_id": "CP-1001", "connector_id": 2, "client_ref": "press-0001"}

    first = await client.post("/mp/v1/charging/starts", json=body, headers=bearer(token))
    again = await client.post("/mp/v1/charging/starts", json=body, headers=bearer(token))

    assert first.status_code == 200 and again.json() == first.json() and len(pile_answers.calls) == 1
    started = first.json()
    assert (started["state"], started["pile_name"], started["session_id"]) == ("sent", "1 号桩", None)
    reused = await client.post("/mp/v1/charging/starts", json={**body, "connector_id": 1}, headers=bearer(token))
    assert_error(reused, 409, "charging.client_ref_reused")

    # The pile reports the session: the progress names it.
    session = await _session(w, w.cadre_id, id_tag=pile_answers.calls[0][2]["id_tag"], connector_id=2)
    await StartRequest.filter(id=started["id"]).update(state=StartState.STARTED, session_id=session.id)
    progress = await client.get(f"/mp/v1/charging/starts/{started['id']}", headers=bearer(token))
    assert (progress.json()["state"], progress.json()["session_id"]) == ("started", session.id)


async def test_a_start_with_a_bad_body_or_a_pile_refusing_is_refused_in_words(
    client, wechat, charging_world, pile_answers
):
    await _online(charging_world.pile)
    token = await bound_token(client, wechat)
    short = {"box_id": "CP-1001", "connector_id": 1, "client_ref": "abc"}
    assert_error(
        await client.post("/mp/v1/charging/starts", json=short, headers=bearer(token)),
        422,
        ("charging.client_ref_invalid"),
    )
    bad = await client.post("/mp/v1/charging/starts", json={"box_id": "CP-1001"}, headers=bearer(token))
    assert bad.status_code == 422
    pile_answers.state = CommandState.REJECTED
    refused = await client.post(
        "/mp/v1/charging/starts", json={**short, "client_ref": "press-0002"}, headers=bearer(token)
    )
    assert "充电桩拒绝了该指令" in assert_error(refused, 409, "charging.command_rejected")["message"]


async def test_another_cadres_start_and_session_are_not_found(client, wechat, charging_world, pile_answers):
    w = charging_world
    other = await Person.get(employee_no="D0002")
    theirs = await _session(w, other.id)
    start = await StartRequest.create(
        person_id=other.id,
        client_ref="their-0001",
        pile_id=w.pile.id,
        connector_id=1,
        id_tag="MTHEIRSTHEIRSTHEIRS2",
        created_at=now(),
    )
    token = await bound_token(client, wechat)
    assert_error(
        await client.get(f"/mp/v1/charging/starts/{start.id}", headers=bearer(token)), 404, ("charging.start_not_found")
    )
    for method, path in (
        ("get", f"/mp/v1/charging/sessions/{theirs.id}"),
        ("post", f"/mp/v1/charging/sessions/{theirs.id}/stop"),
        ("get", f"/mp/v1/charging/sessions/{theirs.id}/receipt"),
    ):
        assert_error(await getattr(client, method)(path, headers=bearer(token)), 404, "charging.session_not_found")
    assert pile_answers.calls == []
    assert (await client.get("/mp/v1/charging/sessions", headers=bearer(token))).json()["total"] == 0


async def test_my_session_live_stop_history_and_receipt(client, wechat, charging_world, pile_answers):
    w = charging_world
    mine = await _session(w, w.cadre_id)
    token = await bound_token(client, wechat)

    live = (await client.get(f"/mp/v1/charging/sessions/{mine.id}", headers=bearer(token))).json()
    assert (live["state"], live["energy_wh"], live["amount_fen"], live["bill"]) == ("active", 0, 0, None)
    stopped = await client.post(f"/mp/v1/charging/sessions/{mine.id}/stop", headers=bearer(token))
    assert stopped.status_code == 200
    assert pile_answers.calls[0][1:3] == (commands.Action.REMOTE_STOP, {"transaction_id": mine.id})

    await Session.filter(id=mine.id).update(state=SessionState.STOPPED, stopped_at=now(), meter_stop_wh=5000)
    await Bill.create(
        session=mine,
        energy_wh=5000,
        bands={"valley": 5000},
        energy_fen=150,
        service_fen=200,
        amount_fen=350,
        paid_fen=350,
        billed_at=now(),
    )
    history = (await client.get("/mp/v1/charging/sessions?page_size=5", headers=bearer(token))).json()
    assert history["total"] == 1 and history["items"][0]["bill"]["amount_fen"] == 350
    receipt = (await client.get(f"/mp/v1/charging/sessions/{mine.id}/receipt", headers=bearer(token))).json()
    assert receipt["bill"]["bands"] == [{"band": "valley", "label": "谷", "energy_wh": 5000}]
    assert_error(
        await client.post(f"/mp/v1/charging/sessions/{mine.id}/stop", headers=bearer(token)),
        409,
        "charging.session_not_active",
    )


async def test_piles_near_me_need_a_real_place(client, wechat, charging_world):
    await _online(charging_world.pile)
    token = await bound_token(client, wechat)
    for query in ("lat=91&lng=120", "lat=30&lng=abc", "lng=120", "lat=nan&lng=120"):
        answer = await client.get(f"/mp/v1/charging/sites/near?{query}", headers=bearer(token))
        assert_error(answer, 422, "common.invalid_input")
    near = (await client.get("/mp/v1/charging/sites/near?lat=30.27&lng=120.15&limit=5", headers=bearer(token))).json()
    [site] = near["items"]
    assert site["name"] == "行政中心光储充车棚" and site["free"] == 2


async def test_arrears_are_shown_and_paid_through_billing(client, wechat, charging_world, monkeypatch):
    w = charging_world
    paid: list[int] = []

    async def pay(person_id, at):
        paid.append(person_id)
        return {"paid_fen": 0}

    monkeypatch.setattr(billing, "pay_arrears", pay)
    token = await bound_token(client, wechat)
    assert (await client.get("/mp/v1/charging/arrears", headers=bearer(token))).json() == {"arrears_fen": 0}
    answer = await client.post("/mp/v1/charging/arrears/pay", headers=bearer(token))
    assert answer.json() == {"arrears_fen": 0} and paid == [w.cadre_id]
