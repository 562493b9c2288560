"""EV charging's console API for what staff look up rather than change: sessions (the console
page's filters, paged; one session with its samples, bill, incidents and commands), the piles'
health (offline piles, open faults, the fault history) and the reports (JSON and Excel), each
behind the permission its page needs, bad filters refused with their stable codes."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

from openpyxl import load_workbook

from backend.charging.models import Command, CommandState, IncidentKind, MeterValue, PayerKind, Pile
from backend.core.timeutil import BUSINESS_TZ, now
from tests.helpers import admin_token, bearer
from tests.helpers.charging_rows import active_session, billed_session, fault, incident
from tests.helpers.errors import assert_error

VIEWER = ["charging.view_charging"]
FINANCE = ["charging.view_report"]
DAY = date(2026, 11, 2)


def _at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=BUSINESS_TZ)


async def _sessions(w):
    """A wallet session of 12 kWh on 1 号桩 billed 10.00 (two samples, an incident, a remote
    stop), a fleet one on 2 号桩 the next day, and one charging now on 2 号桩."""
    wallet = await billed_session(
        w.pile, w.tariff, _at(11), {"valley": 10000, "peak": 2000}, 1000, person_id=w.cadre_id, id_tag="04A1B2C3"
    )
    await MeterValue.create(session=wallet, at=_at(10), energy_wh=7000, power_w=7000, soc=40, received_at=_at(10))
    await MeterValue.create(
        session=wallet, at=_at(9, 30), energy_wh=3500, power_w=None, soc=None, received_at=_at(9, 30)
    )
    await incident(w.pile, _at(11, 1), IncidentKind.METER_STOP_INVALID, session=wallet)
    await Command.create(
        pile=w.pile,
        action="remote_stop",
        payload={"transaction_id": wallet.id},
        state=CommandState.ACCEPTED,
        sent_at=_at(10, 59),
        answered_at=_at(10, 59),
    )
    fleet = await billed_session(
        w.other_pile,
        w.tariff,
        _at(15, day=DAY + timedelta(days=1)),
        {"flat": 5000},
        600,
        PayerKind.FLEET,
        id_tag="FLEET0001",
        unit_id=w.unit_id,
    )
    running = await active_session(w.other_pile, w.tariff, now() - timedelta(minutes=5), "04FFEE01", connector_id=2)
    return wallet, fleet, running


async def test_a_reader_lists_sessions_with_the_pages_filters(client, charging_world):
    wallet, fleet, running = await _sessions(charging_world)
    headers = bearer(await admin_token(client, "reader", VIEWER))
    base = "/admin/v1/charging/sessions"

    every = (await client.get(base, headers=headers)).json()
    assert [s["id"] for s in every["items"]] == [running.id, fleet.id, wallet.id]  # latest start first
    assert every["total"] == 3
    first = every["items"][2]
    assert (first["payer"], first["energy_wh"], first["amount_fen"], first["billed"]) == ("张伟", 12000, 1000, True)
    assert first["box_id"] == "CP-1001" and datetime.fromisoformat(first["stopped_at"]) == _at(11)
    assert "person_id" not in first  # only what the schema publishes

    async def ids(query: str) -> list[int]:
        answer = await client.get(f"{base}?{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        return [s["id"] for s in answer.json()["items"]]

    assert await ids("q=a1b2") == [wallet.id]
    assert await ids(f"pile={charging_world.other_pile.id}") == [running.id, fleet.id]
    assert await ids("state=active") == [running.id]
    assert await ids("payer=fleet") == [fleet.id]
    assert await ids(f"since={DAY.isoformat()}&until={DAY.isoformat()}") == [wallet.id]
    assert await ids("page=2&page_size=2") == [wallet.id]
    assert_error(await client.get(f"{base}?state=flying", headers=headers), 422, "common.invalid_input")
    assert_error(await client.get(f"{base}?since=2026-13-01", headers=headers), 422, "common.invalid_input")
    assert_error(await client.get(f"{base}?page_size=1000", headers=headers), 422, "common.invalid_input")
    outsider = bearer(await admin_token(client, "outsider", FINANCE))
    assert (await client.get(base, headers=outsider)).status_code == 403


async def test_a_session_reads_whole_with_samples_bill_incidents_and_commands(client, charging_world):
    wallet, fleet, running = await _sessions(charging_world)
    headers = bearer(await admin_token(client, "reader", VIEWER))

    detail = (await client.get(f"/admin/v1/charging/sessions/{wallet.id}", headers=headers)).json()

    assert (detail["id"], detail["tariff_name"], detail["meter_start_wh"], detail["meter_stop_wh"]) == (
        wallet.id,
        charging_world.tariff.name,
        1000,
        13000,
    )
    assert [(s["energy_wh"], s["charged_wh"], s["power_w"]) for s in detail["samples"]] == [
        (3500, 2500, None),
        (7000, 6000, 7000),
    ]
    bill = detail["bill"]
    assert (bill["amount_fen"], bill["paid_fen"], bill["shortfall_paid"]) == (1000, 1000, False)
    assert {b["band"]: b["energy_wh"] for b in bill["bands"]} == {"valley": 10000, "peak": 2000}
    assert [(i["kind"], i["resolved_at"]) for i in detail["incidents"]] == [("meter_stop_invalid", None)]
    assert [(c["action_label"], c["state"]) for c in detail["commands"]] == [("远程停止", "accepted")]
    live = (await client.get(f"/admin/v1/charging/sessions/{running.id}", headers=headers)).json()
    assert live["bill"] is None and live["stopped_at"] is None and live["state"] == "active"
    missing = await client.get("/admin/v1/charging/sessions/999999", headers=headers)
    assert_error(missing, 404, "charging.session_not_found")


async def test_health_lists_offline_piles_open_faults_and_the_fault_history(client, charging_world):
    w = charging_world
    at = now()
    await Pile.filter(id=w.pile.id).update(last_seen_at=at - timedelta(seconds=30))
    await Pile.filter(id=w.other_pile.id).update(last_seen_at=at - timedelta(minutes=10))
    closed = await fault(w.pile, at - timedelta(hours=5), at - timedelta(hours=3), "OverVoltage")
    still = await fault(w.pile, at - timedelta(minutes=90), connector_id=2)
    headers = bearer(await admin_token(client, "reader", VIEWER))

    health = (await client.get("/admin/v1/charging/health", headers=headers)).json()

    assert health["summary"] | {"piles": 2, "online": 1, "offline": 1, "open_faults": 1} == health["summary"]
    assert [(p["box_id"], p["silent"]) for p in health["offline_piles"]] == [("CP-1002", "10 分钟")]
    [open_fault] = health["open_faults"]
    assert (open_fault["id"], open_fault["connector"], open_fault["error"], open_fault["open"]) == (
        still.id,
        "2 号枪",
        "接地故障",
        True,
    )
    history = (await client.get("/admin/v1/charging/faults?page_size=1", headers=headers)).json()
    assert ([f["id"] for f in history["items"]], history["total"]) == ([still.id], 2)
    past = (await client.get("/admin/v1/charging/faults?page=2&page_size=1", headers=headers)).json()["items"]
    assert [(f["id"], f["duration_s"], f["open"]) for f in past] == [(closed.id, 7200, False)]
    other = (await client.get(f"/admin/v1/charging/faults?pile={w.other_pile.id}", headers=headers)).json()
    assert other["items"] == []
    outsider = bearer(await admin_token(client, "outsider", FINANCE))
    assert (await client.get("/admin/v1/charging/health", headers=outsider)).status_code == 403


async def test_finance_reads_the_report_and_its_workbook(client, charging_world):
    await _sessions(charging_world)
    headers = bearer(await admin_token(client, "finance", FINANCE))
    query = f"since={DAY.isoformat()}&until={(DAY + timedelta(days=2)).isoformat()}"

    report = (await client.get(f"/admin/v1/charging/reports?{query}", headers=headers)).json()

    assert (report["since"], report["until"]) == ("2026-11-02", "2026-11-04")
    assert [(d["day"], d["sessions"], d["energy_wh"], d["revenue_fen"]) for d in report["days"]] == [
        ("2026-11-02", 1, 12000, 1000),
        ("2026-11-03", 1, 5000, 600),
        ("2026-11-04", 0, 0, 0),
    ]
    total = report["total"]
    assert (total["energy_wh"], total["wallet_fen"], total["fleet_fen"]) == (17000, 1000, 600)
    assert {b["band"]: b["share"] for b in report["bands"]} == {"peak": 11.8, "flat": 29.4, "valley": 58.8}
    assert [p["box_id"] for p in report["piles"]] == ["CP-1001", "CP-1002"]
    workbook = await client.get(f"/admin/v1/charging/reports.xlsx?{query}", headers=headers)
    assert workbook.status_code == 200
    assert load_workbook(io.BytesIO(workbook.content)).sheetnames == ["按日", "按充电桩", "按站点", "峰平谷"]
    reversed_range = await client.get("/admin/v1/charging/reports?since=2026-11-04&until=2026-11-02", headers=headers)
    assert_error(reversed_range, 422, "charging.report_range_invalid")
    too_long = await client.get("/admin/v1/charging/reports.xlsx?since=2025-01-01&until=2026-11-02", headers=headers)
    assert_error(too_long, 422, "charging.report_range_invalid")
    reader = bearer(await admin_token(client, "reader", VIEWER))
    assert (await client.get("/admin/v1/charging/reports", headers=reader)).status_code == 403
