"""The charging console: every page renders for whoever may see charging and is refused to anyone
else; a viewer gets no forms; the board says which piles are online and what each connector is
doing; sessions list, filter, export and show their samples, bill and incidents."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl

from backend.charging.models import (
    Bill,
    Connector,
    ConnectorStatus,
    Incident,
    IncidentKind,
    MeterValue,
    PayerKind,
    Pile,
    Session,
    SessionState,
)
from backend.core.timeutil import now
from tests.helpers import console_admin

VIEWER = ["charging.view_charging"]


def _pages(world) -> tuple[str, ...]:
    return (
        "/console/charging/board",
        "/console/charging/sites",
        "/console/charging/piles",
        "/console/charging/piles/export.xlsx",
        f"/console/charging/piles/{world.pile.id}",
        f"/console/charging/piles/{world.pile.id}/qr/1",
        "/console/charging/tags",
        "/console/charging/sessions",
        "/console/charging/sessions/export.xlsx",
        "/console/charging/tariffs",
        "/console/charging/commands",
    )


async def _sessions(world) -> tuple[Session, Session]:
    """A stopped wallet session billed 3.20 yuan with samples and an incident, and a fleet
    session charging now on connector 2 of the first pile."""
    at = now()
    stopped = await Session.create(
        pile=world.pile,
        connector_id=1,
        id_tag=world.card_uid,
        payer_kind=PayerKind.WALLET,
        person_id=world.cadre_id,
        tariff=world.tariff,
        state=SessionState.STOPPED,
        meter_start_wh=1000,
        meter_last_wh=5000,
        meter_stop_wh=5000,
        started_at=at - timedelta(hours=3),
        stopped_at=at - timedelta(hours=2),
        received_at=at - timedelta(hours=3),
    )
    await MeterValue.create(session=stopped, at=at - timedelta(hours=2, minutes=30), energy_wh=3000, received_at=at)
    await Bill.create(
        session=stopped,
        energy_wh=4000,
        bands={"flat": 4000},
        energy_fen=280,
        service_fen=160,
        amount_fen=440,
        paid_fen=440,
        billed_at=at - timedelta(hours=2),
    )
    await Incident.create(pile=world.pile, session=stopped, kind=IncidentKind.LATE_METER_VALUES, at=at)
    active = await Session.create(
        pile=world.pile,
        connector_id=2,
        id_tag=world.fleet_card,
        payer_kind=PayerKind.FLEET,
        vehicle=world.vehicle,
        unit_id=world.unit_id,
        tariff=world.tariff,
        meter_start_wh=0,
        meter_last_wh=2500,
        running_fen=275,
        started_at=at - timedelta(minutes=20),
        received_at=at - timedelta(minutes=20),
    )
    return stopped, active


async def test_every_page_renders_for_a_viewer_and_is_refused_without_the_permission(client, charging_world):
    await _sessions(charging_world)
    await console_admin(client, "other", ["fleet.view_fleet"])
    for path in _pages(charging_world):
        assert (await client.get(path)).status_code == 403, path
    await console_admin(client, "viewer", VIEWER)
    for path in _pages(charging_world):
        answer = await client.get(path)
        assert answer.status_code == 200, path
        if path.endswith(".xlsx"):
            assert openpyxl.load_workbook(io.BytesIO(answer.content)).active.max_row >= 2, path
        elif path.endswith("/qr/1"):
            assert answer.headers["content-type"] == "image/png" and answer.content.startswith(b"\x89PNG")
        else:
            assert 'action="/console/charging/' not in answer.text, path  # a viewer gets no forms
    assert (await client.get("/console/charging/piles/new")).status_code == 403
    assert (await client.get(f"/console/charging/piles/{charging_world.pile.id}/qr/3")).status_code == 422


async def test_the_board_tells_online_from_offline_and_shows_each_connectors_state_and_session(client, charging_world):
    _, active = await _sessions(charging_world)
    at = now()
    await Pile.filter(id=charging_world.pile.id).update(last_seen_at=at - timedelta(seconds=30))
    # Two heartbeat intervals (60 s) and one second ago: offline.
    await Pile.filter(id=charging_world.other_pile.id).update(last_seen_at=at - timedelta(seconds=121))
    await Connector.create(pile=charging_world.pile, connector_id=2, status=ConnectorStatus.CHARGING, status_at=at)
    await Connector.create(
        pile=charging_world.pile,
        connector_id=1,
        status=ConnectorStatus.FAULTED,
        error_code="GroundFailure",
        status_at=at,
    )
    await console_admin(client, "viewer", VIEWER)
    text = (await client.get("/console/charging/board")).text
    assert 'data-testid="online-CP-1001">在线' in text
    assert 'data-testid="online-CP-1002">离线' in text
    assert "接地故障" in text and "GroundFailure" not in text
    assert f'href="/console/charging/sessions/{active.id}"' in text and "单位公务用车" in text
    assert "2.75" in text  # the running cost of the session on connector 2


async def test_sessions_filter_export_and_show_their_samples_bill_and_incidents(client, charging_world):
    stopped, active = await _sessions(charging_world)
    await console_admin(client, "viewer", VIEWER)
    listed = (await client.get("/console/charging/sessions?state=stopped")).text
    assert f">{stopped.id}</a>" in listed and f">{active.id}</a>" not in listed
    assert "张伟" in listed and "4.40" in listed
    fleet = (await client.get("/console/charging/sessions?payer=fleet")).text
    assert "浙AD12345" in fleet and f">{stopped.id}</a>" not in fleet
    sheet = openpyxl.load_workbook(
        io.BytesIO((await client.get("/console/charging/sessions/export.xlsx?state=stopped")).content)
    ).active
    assert [c.value for c in sheet[2]][0] == str(stopped.id) and sheet.max_row == 2
    detail = (await client.get(f"/console/charging/sessions/{stopped.id}")).text
    assert "平时段电量" in detail and "4.00 千瓦时" in detail and "4.40 元" in detail
    assert "结束后到达的电表读数" in detail and "2.000" in detail  # the sample, 2 kWh in
    assert (await client.get("/console/charging/sessions/999999")).status_code == 404


async def test_card_numbers_are_shown_masked_on_the_session_and_health_pages(client, charging_world):
    """A UID-only card is cloned from its number: pages show 04A1****C3, never the whole."""
    w = charging_world
    stopped, _ = await _sessions(w)
    # An incident written before UIDs were kept out of details still carries one.
    await Incident.create(kind=IncidentKind.SESSION_WITHOUT_PAYER, pile=w.pile, detail={"id_tag": w.card_uid}, at=now())
    await console_admin(client, "viewer", VIEWER)
    for path in (f"/console/charging/sessions/{stopped.id}", "/console/charging/health"):
        text = (await client.get(path)).text
        assert "04A1****C3" in text and w.card_uid not in text, path
