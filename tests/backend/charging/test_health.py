"""Health of the piles from rows written to the tables: a pile silent for more than two of its
own heartbeat intervals (or never heard from) is offline; faults are listed open and past with
how long they lasted; staff resolve an incident once, audited, with a note; the 故障与异常 page
and the dashboard card show it all, and only those who manage piles get the resolve form."""

import asyncio
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from backend.charging.models import Incident, IncidentKind, Pile
from backend.charging.service import health
from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from tests.helpers import console_admin, make_admin
from tests.helpers.charging_rows import active_session, fault, incident

OPERATOR = Actor(None, "值班员")
VIEW = ["charging.view_charging"]
MANAGE = ["charging.view_charging", "charging.manage_piles"]


async def test_a_pile_is_offline_after_two_of_its_own_heartbeats_of_silence(charging_world):
    w = charging_world
    at = now()
    await Pile.filter(id=w.pile.id).update(last_seen_at=at - timedelta(seconds=119))  # heartbeat 60 s
    await Pile.filter(id=w.other_pile.id).update(last_seen_at=at - timedelta(seconds=121))
    slow = await Pile.create(
        site=w.site,
        box_id="CP-1003",
        name="3 号桩",
        password_hash="x",
        heartbeat_s=300,
        last_seen_at=at - timedelta(seconds=500),
    )
    never = await Pile.create(site=w.site, box_id="CP-1004", name="4 号桩", password_hash="x")
    await Pile.create(site=w.site, box_id="CP-1005", name="停用桩", password_hash="x", is_active=False)

    states = {p["box_id"]: p for p in await health.pile_states(at)}
    offline = await health.offline_piles(at)

    assert set(states) == {"CP-1001", "CP-1002", "CP-1003", "CP-1004"}  # the inactive pile is not watched
    assert states["CP-1001"]["online"] and states[slow.box_id]["online"]
    # Never heard from first, then the longest silent.
    assert [p["box_id"] for p in offline] == [never.box_id, "CP-1002"]
    assert offline[0]["silent"] == "从未连接" and offline[1]["silent"] == "2 分钟"


def test_a_duration_reads_in_days_hours_and_minutes():
    assert health.duration_text(59) == "0 分钟"
    assert health.duration_text(7 * 60 + 5) == "7 分钟"
    assert health.duration_text(2 * 3600 + 5 * 60) == "2 小时 5 分"
    assert health.duration_text(3 * 86400 + 4 * 3600 + 59) == "3 天 4 小时"


async def test_open_and_past_faults_have_their_durations(charging_world):
    w = charging_world
    at = now()
    closed = await fault(w.pile, at - timedelta(hours=5), at - timedelta(hours=3), "OverVoltage")
    still = await fault(w.other_pile, at - timedelta(minutes=90), connector_id=0)

    open_now = await health.open_faults(at)
    history = await health.fault_history(at, 1, 10)

    assert [f["id"] for f in open_now] == [still.id]
    assert (
        open_now[0] | {"connector": "整桩", "error": "接地故障", "duration": "1 小时 30 分", "open": True}
        == open_now[0]
    )
    assert [f["id"] for f in history.items] == [still.id, closed.id]  # latest first
    past = history.items[1]
    assert (past["error"], past["duration"], past["duration_s"], past["open"]) == ("过压", "2 小时 0 分", 7200, False)
    only = await health.fault_history(at, 1, 10, pile_id=w.pile.id)
    assert [f["id"] for f in only.items] == [closed.id]


async def test_incidents_are_listed_by_state_and_kind(charging_world):
    w = charging_world
    at = now()
    bad_stop = await incident(w.pile, at - timedelta(hours=2))
    unknown = await incident(w.other_pile, at - timedelta(hours=1), IncidentKind.UNKNOWN_TAG)
    done = await incident(w.pile, at - timedelta(hours=3), IncidentKind.OFFLINE_START)
    await Incident.filter(id=done.id).update(resolved_at=at)

    open_ones = await health.incidents(health.IncidentFilter(), 1, 10)
    resolved = await health.incidents(health.IncidentFilter(resolved=True), 1, 10)
    every = await health.incidents(health.IncidentFilter(resolved=None), 1, 10)
    tags = await health.incidents(health.IncidentFilter(kind=IncidentKind.UNKNOWN_TAG), 1, 10)

    assert [i["id"] for i in open_ones.items] == [unknown.id, bad_stop.id]
    assert [i["id"] for i in resolved.items] == [done.id]
    assert every.total == 3 and [i["id"] for i in tags.items] == [unknown.id]
    assert open_ones.items[1]["kind_label"] == "结束读数无效（低于开始读数或为 -1）"
    assert open_ones.items[1]["detail"] == ["开始读数（Wh）：5000", "结束读数（Wh）：-1"]


async def test_an_incidents_details_read_as_staff_read_them(charging_world):
    """Money in yuan, times in business time, meter samples as time and reading, known keys in
    a fixed order."""
    sample = {"at": "2026-12-07T02:00:00+00:00", "energy_wh": 4800}
    details = {
        IncidentKind.BALANCE_STOP: {"cash_fen": 1250, "running_fen": 1100},
        IncidentKind.METER_BACKWARDS: {"samples": [sample]},
        IncidentKind.UNKNOWN_TRANSACTION: {"stopped_at": "2026-12-07T01:30:00+00:00", "transaction_id": -1},
    }
    for kind, detail in details.items():
        await Incident.create(pile=charging_world.pile, kind=kind, detail=detail, at=now())
    shown = {i["kind"]: i["detail"] for i in (await health.incidents(health.IncidentFilter(), 1, 10)).items}
    assert shown == {
        "balance_stop": ["累计费用：11.00 元", "现金余额：12.50 元"],
        "meter_backwards": ["读数：2026-12-07 10:00:00 4800 Wh"],
        "unknown_transaction": ["交易号：-1", "结束时间：2026-12-07 09:30:00"],
    }


async def test_staff_resolve_an_incident_once_with_a_note_kept_on_it_and_audited(charging_world):
    record = await incident(charging_world.pile, now() - timedelta(hours=1))
    admin = await make_admin("zhiban", MANAGE)
    at = now()

    view = await health.resolve_incident(Actor(admin["id"], "zhiban"), record.id, "  已核对电表，按最后读数结算  ", at)

    assert (view["resolved_by"], view["note"]) == ("zhiban", "已核对电表，按最后读数结算")
    stored = await Incident.get(id=record.id)
    assert (stored.resolved_at, stored.resolved_by_id, stored.resolution_note) == (
        at,
        admin["id"],
        "已核对电表，按最后读数结算",
    )
    # The list reads who and why from the incident itself, not from the audit log.
    await AuditEntry.filter(action="charging.resolve_incident").delete()
    listed = (await health.incidents(health.IncidentFilter(resolved=True), 1, 10)).items
    assert [(i["id"], i["resolved_by"], i["note"]) for i in listed] == [
        (record.id, "zhiban", "已核对电表，按最后读数结算")
    ]
    assert (await health.describe_incidents([record.id]))[record.id] == "结束读数无效（低于开始读数或为 -1）（1 号桩）"


async def test_a_resolve_is_audited_and_a_second_one_changes_nothing(charging_world):
    record = await incident(charging_world.pile, now())
    await health.resolve_incident(OPERATOR, record.id, "已核对", now())

    stored = await Incident.get(id=record.id)
    assert (stored.resolved_by_id, stored.resolution_note) == (None, "已核对")  # the command line is no admin
    entry = await AuditEntry.get(action="charging.resolve_incident", object_id=str(record.id))
    assert entry.actor_name == "值班员" and entry.object_type == "incident"
    assert entry.after["note"] == "已核对" and entry.after["resolved"] is True
    with pytest.raises(AppError) as again:
        await health.resolve_incident(OPERATOR, record.id, "再处理一次", now())
    assert again.value.code == "charging.incident_resolved"
    assert (await Incident.get(id=record.id)).resolution_note == "已核对"
    assert await AuditEntry.filter(action="charging.resolve_incident").count() == 1


@pytest.mark.parametrize("note", ["", "   ", "说" * 201])
async def test_a_resolve_without_a_fitting_note_is_refused_and_changes_nothing(charging_world, note):
    record = await incident(charging_world.pile, now())
    with pytest.raises(AppError) as refused:
        await health.resolve_incident(OPERATOR, record.id, note, now())
    assert refused.value.code == "charging.resolution_note_invalid" and "200" in refused.value.message
    assert (await Incident.get(id=record.id)).resolved_at is None
    assert not await AuditEntry.filter(action="charging.resolve_incident").exists()


async def test_resolving_an_unknown_incident_is_refused(charging_world):
    with pytest.raises(AppError) as refused:
        await health.resolve_incident(OPERATOR, 999_999, "不存在", now())
    assert refused.value.code == "charging.incident_not_found" and refused.value.status == 404


async def test_two_staff_resolving_one_incident_at_once_resolve_it_once(charging_world, requires_postgres):
    record = await incident(charging_world.pile, now())
    results = await asyncio.gather(
        *(health.resolve_incident(Actor(None, f"值班员{i}"), record.id, f"处理{i}", now()) for i in range(8)),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, AppError)]
    assert len(won) == 1 and len(refused) == 7, results
    assert {r.code for r in refused} == {"charging.incident_resolved"}
    assert (await Incident.get(id=record.id)).resolution_note == won[0]["note"]  # the winner's note, whole
    assert await AuditEntry.filter(action="charging.resolve_incident", object_id=str(record.id)).count() == 1


async def test_the_summary_counts_piles_sessions_faults_and_incidents(charging_world):
    w = charging_world
    at = now()
    await Pile.filter(id=w.pile.id).update(last_seen_at=at)
    await active_session(w.pile, w.tariff, at - timedelta(minutes=20), "04A1B2C3")
    await active_session(w.pile, w.tariff, at - timedelta(minutes=10), "FLEET0001", connector_id=2)
    await fault(w.other_pile, at - timedelta(minutes=5))
    await fault(w.pile, at - timedelta(hours=5), at - timedelta(hours=4))
    await incident(w.pile, at)

    assert await health.summary(at) == {
        "piles": 2,
        "online": 1,
        "offline": 1,
        "charging": 2,
        "open_faults": 1,
        "open_incidents": 1,
    }


async def test_the_health_page_shows_faults_offline_piles_and_incidents_to_a_viewer(client, charging_world):
    w = charging_world
    at = now()
    await Pile.filter(id=w.pile.id).update(last_seen_at=at)
    await fault(w.other_pile, at - timedelta(minutes=30))
    record = await incident(w.pile, at)
    await console_admin(client, "charging_viewer", VIEW)

    page = await client.get("/console/charging/health")

    assert page.status_code == 200, page.text
    assert 'data-testid="piles-offline">1<' in page.text and 'data-testid="open-faults">1<' in page.text
    assert "接地故障" in page.text and "30 分钟" in page.text and "从未连接" in page.text
    assert f'data-incident="{record.id}"' in page.text
    assert "标记已处理" not in page.text  # a viewer gets no form
    refused = await client.post(f"/console/charging/incidents/{record.id}/resolve", data={"note": "越权"})
    assert refused.status_code == 403
    assert (await Incident.get(id=record.id)).resolved_at is None
    sheet = load_workbook(io.BytesIO((await client.get("/console/charging/health/faults.xlsx")).content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:5] == ["站点", "充电桩", "桩编号", "枪", "故障"]
    assert rows[1][1:5] == ["2 号桩", "CP-1002", "1 号枪", "接地故障"] and rows[1][9] == "未恢复"


async def test_an_operator_resolves_an_incident_from_the_page(client, charging_world):
    record = await incident(charging_world.pile, now())
    csrf = await console_admin(client, "charging_operator", MANAGE)

    page = await client.get("/console/charging/health")
    assert "标记已处理" in page.text
    blank = await client.post(
        f"/console/charging/incidents/{record.id}/resolve", data={"csrf_token": csrf, "note": " "}
    )
    assert blank.status_code == 422 and "请填写处理说明" in blank.text
    done = await client.post(
        f"/console/charging/incidents/{record.id}/resolve", data={"csrf_token": csrf, "note": "已联系厂家校准"}
    )
    assert done.status_code == 302 and "done=resolved" in done.headers["location"]
    assert (await Incident.get(id=record.id)).resolved_at is not None
    again = await client.post(
        f"/console/charging/incidents/{record.id}/resolve", data={"csrf_token": csrf, "note": "再来一次"}
    )
    assert again.status_code == 409 and "这条异常已经处理过了" in again.text
    resolved = await client.get("/console/charging/health?state=resolved")
    assert f'data-incident="{record.id}"' in resolved.text and "已联系厂家校准" in resolved.text
    assert "经办：charging_operator" in resolved.text


async def test_the_dashboard_card_counts_online_charging_and_faults(client, charging_world):
    w = charging_world
    at = now()
    await Pile.filter(id=w.pile.id).update(last_seen_at=at)
    await active_session(w.pile, w.tariff, at - timedelta(minutes=20), "04A1B2C3")
    await fault(w.other_pile, at - timedelta(minutes=5))
    await console_admin(client, "charging_viewer", VIEW)

    page = await client.get("/console/")

    assert page.status_code == 200, page.text
    assert 'data-testid="charging-online">1<' in page.text
    assert 'stat-bad" data-testid="charging-offline">1<' in page.text
    assert 'data-testid="charging-now">1<' in page.text
    assert 'data-testid="charging-faults">1<' in page.text
    assert "1 台充电桩离线" in page.text and "1 个充电桩故障未恢复" in page.text
