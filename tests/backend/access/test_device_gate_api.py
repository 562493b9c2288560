"""The gate terminal's API: only a device bound to an active gate is answered; a scan or a card is
a decision (200 either way), a malformed one is refused as an event problem; sync gives what the
terminal decides offline with and nothing more while its versions are current; the offline
journal is booked once per event; no visitor's phone or ID number is ever answered or logged."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from backend.access.models import AccessEvent, Gate, PassKind, Presence, Visit, VisitPass, VisitState
from backend.access.service import passes
from backend.accounts.models import DeviceKind
from backend.accounts.service import devices
from backend.core.audit import CLI_ACTOR
from backend.core.timeutil import now
from kiosk.backend_client import signature_headers
from tests.fixtures.access_p import VISITOR_ID, VISITOR_PHONE, device_post, pass_of, ready_visit, token_of
from tests.fixtures.canteen import Terminal

SCAN = "/device/v1/access/scan"
CARD = "/device/v1/access/card"
EVENTS = "/device/v1/access/events"
SYNC = "/device/v1/access/sync"


async def _sync(client, terminal: Terminal, version: str = "", cards_version: str = ""):
    query = f"version={version}&cards_version={cards_version}"
    headers = signature_headers(terminal.code, terminal.secret, "GET", SYNC, query, b"")
    response = await client.get(f"{SYNC}?{query}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_scan_at_the_gate_terminal_is_decided_and_a_refusal_is_a_decision(access_world, runtime, client):
    token = await token_of(runtime, await pass_of(await ready_visit(runtime, access_world), PassKind.SLIP, 1))
    first = await device_post(client, access_world.entry_terminal, SCAN, {"event_no": "GT-A-IN-0001", "token": token})
    assert first.status_code == 200
    assert first.json() == {
        "allowed": True,
        "reason": "",
        "message": "欢迎，请通行",
        "greeting": {"name": "李*", "host": "张*", "people": 1},
    }
    second = await device_post(client, access_world.entry_terminal, SCAN, {"event_no": "GT-A-IN-0002", "token": token})
    assert second.status_code == 200
    assert second.json() == {
        "allowed": False,
        "reason": "access.pass_used_up",
        "message": "通行次数已用完",
        "greeting": None,
    }
    repeated = await device_post(
        client, access_world.entry_terminal, SCAN, {"event_no": "GT-A-IN-0001", "token": token}
    )
    assert repeated.json() == first.json()
    assert await AccessEvent.all().count() == 2


async def test_a_staff_card_at_the_gate_terminal(access_world, client):
    response = await device_post(
        client, access_world.entry_terminal, CARD, {"event_no": "GT-A-IN-C001", "card_uid": access_world.host_card}
    )
    assert response.status_code == 200 and response.json()["allowed"]
    assert response.json()["greeting"]["name"] == "张*"


async def test_a_malformed_request_is_an_event_problem(access_world, client):
    for payload in (
        {"event_no": "short", "token": "x"},
        {"event_no": "GT-A-IN-0001"},
        {"event_no": "GT-A-IN-0001", "token": "x" * 1001},
    ):
        response = await device_post(client, access_world.entry_terminal, SCAN, payload)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "access.event_invalid"
    body = b"not json"
    response = await client.post(SCAN, content=body, headers=access_world.entry_terminal.headers(SCAN, body))
    assert (response.status_code, response.json()["error"]["code"]) == (422, "access.event_invalid")


async def test_a_device_not_bound_to_an_active_gate_is_refused(access_world, runtime, client):
    _, secret = await devices.register_device(
        CLI_ACTOR, runtime.cipher, "GT-LOOSE", "GT-LOOSE", DeviceKind.GATE_CONTROLLER, ""
    )
    loose = Terminal("GT-LOOSE", secret)
    payload = {"event_no": "GT-LOOSE-0001", "token": "x"}
    response = await device_post(client, loose, SCAN, payload)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "access.not_a_gate_terminal")
    await Gate.filter(id=access_world.entry.id).update(is_active=False)
    response = await device_post(client, access_world.entry_terminal, SCAN, payload)
    assert response.json()["error"]["code"] == "access.not_a_gate_terminal"
    unsigned = await client.post(SCAN, json=payload)
    assert unsigned.status_code == 401


async def test_sync_versions_change_on_revocation_and_entry_and_lists_are_left_out_when_current(
    access_world, runtime, client
):
    visit = await ready_visit(runtime, access_world)
    other = await ready_visit(runtime, access_world, code="V0002")
    visit_pass = await pass_of(visit)
    await pass_of(other)
    full = await _sync(client, access_world.entry_terminal)
    assert full["gate"] == {
        "id": access_world.entry.id,
        "code": "G-A-IN",
        "name": "A座东门进",
        "direction": "in",
        "building": "行政中心A座",
        "anti_passback": False,
    }
    assert full["public_key"] and len(full["key_id"]) == 8
    assert (full["revoked"], full["used"]) == ([], {})
    assert full["cards"] == [hashlib.sha256(access_world.host_card.encode()).hexdigest()]

    current = await _sync(client, access_world.entry_terminal, full["version"], full["cards_version"])
    assert current["version"] == full["version"] and "revoked" not in current and "used" not in current
    assert "cards" not in current

    token = await token_of(runtime, visit_pass)
    await device_post(client, access_world.entry_terminal, SCAN, {"event_no": "GT-A-IN-0001", "token": token})
    entered = await _sync(client, access_world.entry_terminal, full["version"], full["cards_version"])
    assert entered["version"] != full["version"] and entered["used"] == {str(visit_pass.id): 1}

    await passes.revoke_all(None, other.id, now())
    revoked = await _sync(client, access_world.entry_terminal, entered["version"])
    assert revoked["version"] != entered["version"] and len(revoked["revoked"]) == 1
    assert revoked["cards"]  # the terminal named no cards version


async def test_offline_journal_is_booked_once_and_a_bad_signature_is_booked_refused(access_world, runtime, client):
    visit = await ready_visit(runtime, access_world)
    visit_pass = await pass_of(visit)
    token = await token_of(runtime, visit_pass)
    at = now() - timedelta(minutes=5)
    bad = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    journal = [
        {"event_no": "OFF-0001", "at": at.isoformat(), "kind": "pass", "token": token, "allowed": True, "reason": ""},
        {
            "event_no": "OFF-0002",
            "at": (at + timedelta(seconds=5)).isoformat(),
            "kind": "card",
            "card_hash": hashlib.sha256(access_world.host_card.encode()).hexdigest(),
            "allowed": True,
            "reason": "",
        },
        {
            "event_no": "OFF-0003",
            "at": (at + timedelta(seconds=9)).isoformat(),
            "kind": "pass",
            "token": bad,
            "allowed": True,
            "reason": "",
        },
        {
            "event_no": "OFF-0004",
            "at": (at + timedelta(seconds=12)).isoformat(),
            "kind": "pass",
            "allowed": True,
            "reason": "",
        },
    ]
    response = await device_post(client, access_world.entry_terminal, EVENTS, {"events": journal})
    assert response.status_code == 200, response.text
    results = {r["event_no"]: r["result"] for r in response.json()["results"]}
    assert results == {"OFF-0001": "recorded", "OFF-0002": "recorded", "OFF-0003": "recorded", "OFF-0004": "invalid"}
    again = await device_post(client, access_world.entry_terminal, EVENTS, {"events": journal[:3]})
    assert {r["result"] for r in again.json()["results"]} == {"duplicate"}

    assert (await VisitPass.get(id=visit_pass.id)).entries_used == 1
    assert (await Visit.get(id=visit.id)).state == VisitState.INSIDE
    assert await Presence.filter(subject_key=f"person:{access_world.host_id}").exists()
    tampered = await AccessEvent.get(event_no="OFF-0003")
    assert (tampered.allowed, tampered.reason, tampered.source.value) == (False, "access.pass_tampered", "offline")
    assert (await AccessEvent.get(event_no="OFF-0001")).at == at.replace(microsecond=at.microsecond)


async def test_an_uploaded_entry_brings_a_no_show_or_signed_out_visit_back_inside(access_world, runtime, client):
    at = now() - timedelta(minutes=30)
    journal, visits = [], {}
    for n, state in enumerate((VisitState.NO_SHOW, VisitState.NOT_SIGNED_OUT, VisitState.REVOKED), start=1):
        visit = await ready_visit(runtime, access_world, code=f"V000{n}")
        token = await token_of(runtime, await pass_of(visit), at)
        await Visit.filter(id=visit.id).update(state=state)
        visits[state] = visit.id
        event = {"event_no": f"OFF-STATE-{n}", "at": at.isoformat(), "kind": "pass", "token": token, "allowed": True}
        journal.append(event | {"reason": ""})
    response = await device_post(client, access_world.entry_terminal, EVENTS, {"events": journal})
    assert {r["result"] for r in response.json()["results"]} == {"recorded"}
    for state, expected in (
        (VisitState.NO_SHOW, VisitState.INSIDE),
        (VisitState.NOT_SIGNED_OUT, VisitState.INSIDE),
        (VisitState.REVOKED, VisitState.REVOKED),
    ):
        visit = await Visit.get(id=visits[state])
        assert (visit.state, visit.entered_at) == (expected, at)


async def test_an_uploaded_event_number_booked_at_another_gate_is_invalid(access_world, runtime, client):
    token = await token_of(runtime, await pass_of(await ready_visit(runtime, access_world)))
    booked = await device_post(client, access_world.entry_terminal, SCAN, {"event_no": "GT-X-0001", "token": token})
    assert booked.json()["allowed"]
    event = {"event_no": "GT-X-0001", "at": now().isoformat(), "kind": "pass", "token": token, "allowed": True}
    response = await device_post(client, access_world.exit_terminal, EVENTS, {"events": [event | {"reason": ""}]})
    assert response.json()["results"] == [{"event_no": "GT-X-0001", "result": "invalid"}]
    same_gate = await device_post(client, access_world.entry_terminal, EVENTS, {"events": [event | {"reason": ""}]})
    assert same_gate.json()["results"] == [{"event_no": "GT-X-0001", "result": "duplicate"}]
    assert await Presence.exists()  # the exit named by the other gate was not booked


async def test_an_upload_beyond_two_hundred_events_is_refused(access_world, client):
    events = [
        {"event_no": f"OFF-{i:05d}", "at": now().isoformat(), "kind": "card", "card_hash": "0" * 64, "allowed": True}
        for i in range(201)
    ]
    response = await device_post(client, access_world.entry_terminal, EVENTS, {"events": events})
    assert (response.status_code, response.json()["error"]["code"]) == (422, "access.event_invalid")


async def test_no_phone_id_number_or_token_is_answered_or_logged(access_world, runtime, client, caplog):
    visit = await ready_visit(runtime, access_world)
    token = await token_of(runtime, await pass_of(visit))
    # What production logs (INFO and up), from the requests on; SQL traces are not kept there.
    caplog.set_level(logging.INFO)
    caplog.clear()
    answers = [
        await device_post(client, access_world.entry_terminal, SCAN, {"event_no": "GT-A-IN-0001", "token": token}),
        await device_post(
            client, access_world.entry_terminal, SCAN, {"event_no": "GT-A-IN-0002", "token": token[:-3] + "abc"}
        ),
        await device_post(
            client, access_world.entry_terminal, CARD, {"event_no": "GT-A-IN-0003", "card_uid": access_world.host_card}
        ),
        await device_post(
            client,
            access_world.entry_terminal,
            EVENTS,
            {
                "events": [
                    {"event_no": "OFF-0001", "at": now().isoformat(), "kind": "pass", "token": token, "allowed": True}
                ]
            },
        ),
        await device_post(client, access_world.entry_terminal, SCAN, {"event_no": "x", "token": VISITOR_PHONE}),
    ]
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert "gate G-A-IN" in logged  # the decisions were logged, by gate
    for secret in (VISITOR_PHONE, VISITOR_ID, "李四", token.split(".")[3], access_world.host_card):
        assert secret not in logged
        assert not any(secret in answer.text for answer in answers)
