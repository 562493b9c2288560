"""The OCPP 1.6J edge over a real WebSocket: the handshake's refusals, every Core CALL a pile
sends answered through the services, and CallErrors for frames that cannot be answered."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import websockets
from ocpp.exceptions import FormatViolationError, InternalError
from ocpp.v16 import call

from backend.charging.config import ChargingSettings
from backend.charging.models import (
    Command,
    CommandState,
    Connector,
    Incident,
    IncidentKind,
    Pile,
    Session,
    SessionState,
)
from backend.charging.protocols.ocpp16 import sample_interval
from backend.charging.service import background, sessions
from hardware.ocpp_pile import _sample
from tests.fixtures.charging import PASSWORD
from tests.helpers.ocpp import ocpp_url, pile_client


def _auth(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def _refused(app, box_id: str, headers: dict, subprotocols=("ocpp1.6",)) -> httpx.Response:
    with pytest.raises(websockets.InvalidStatus) as refused:
        await websockets.connect(
            f"{ocpp_url(app)}/{box_id}",
            subprotocols=[websockets.Subprotocol(p) for p in subprotocols],
            additional_headers=headers,
        )
    return refused.value.response


async def test_a_pile_without_the_ocpp16_subprotocol_is_refused_before_the_upgrade(app, charging_world):
    response = await _refused(app, "CP-1001", _auth("CP-1001", PASSWORD), subprotocols=("ocpp2.0.1",))
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["code"] == "charging.ocpp_subprotocol"


@pytest.mark.parametrize(
    ("user", "password"),
    [("CP-1001", "wrong-password-000000000"), ("CP-9999", PASSWORD), ("CP-1002", PASSWORD)],
    ids=["wrong password", "unknown box", "other box's login"],
)
async def test_a_wrong_login_is_refused_with_401_and_a_basic_challenge(app, charging_world, user, password):
    response = await _refused(app, "CP-1001" if user != "CP-9999" else user, _auth(user, password))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert json.loads(response.body)["error"] == {
        "code": "charging.ocpp_unauthorized",
        "message": "充电桩编号或密码不正确",
    }


async def test_an_inactive_pile_is_refused_like_a_wrong_password(app, charging_world):
    await Pile.filter(box_id="CP-1001").update(is_active=False)
    response = await _refused(app, "CP-1001", _auth("CP-1001", PASSWORD))
    assert response.status_code == 401
    no_login = await _refused(app, "CP-1002", {})
    assert no_login.status_code == 401


async def test_every_core_message_of_a_pile_is_answered(app, charging_world):
    async with pile_client(app, "CP-1001", PASSWORD) as pile:
        boot = await pile.boot()
        assert boot.status == "Accepted" and boot.interval >= 10
        assert (await pile.heartbeat()).current_time.endswith("Z")
        await pile.status(1, "Available")
        assert await pile.authorize(charging_world.card_uid) in {"Accepted", "Blocked", "Invalid", "ConcurrentTx"}
        transaction = await pile.start_transaction(charging_world.card_uid, 1)
        assert transaction.id is not None
        await pile.meter(1, 600)
        stop = await pile.stop(1)
        assert stop is not None
        data = await pile.send(call.DataTransfer(vendor_id="com.example", message_id="x", data="{}"))
        assert data.status == "UnknownVendorId"
        await pile.send(call.FirmwareStatusNotification(status="Downloading"))
        await pile.send(call.DiagnosticsStatusNotification(status="Uploading"))

    row = await Pile.get(box_id="CP-1001")
    assert row.vendor == "Houqin" and row.serial == "SN-CP-1001" and row.last_seen_at is not None
    assert row.firmware_status == "Downloading" and row.diagnostics_status == "Uploading"
    assert (await Connector.get(pile=row, connector_id=1)).status == "Available"
    session = await Session.get(id=transaction.id)
    assert session.state == SessionState.STOPPED and session.meter_stop_wh == 1166


async def _raw(app, frame: str | bytes) -> list:
    async with await websockets.connect(
        f"{ocpp_url(app)}/CP-1001",
        subprotocols=[websockets.Subprotocol("ocpp1.6")],
        additional_headers=_auth("CP-1001", PASSWORD),
    ) as ws:
        await ws.send(frame)
        return json.loads(await asyncio.wait_for(ws.recv(), 5))


@pytest.mark.parametrize(
    ("frame", "unique_id", "code"),
    [
        ("not json at all", "-1", "FormatViolation"),
        ('{"an": "object"}', "-1", "ProtocolError"),
        ('[2, "u1", "Heartbeat"]', "u1", "ProtocolError"),
        ('[7, "u2", "Heartbeat", {}]', "u2", "PropertyConstraintViolation"),
        # OCPP-J 1.6 §4.2.3: an action not known is NotImplemented, one known but not taken
        # NotSupported.
        ('[2, "u3", "MakeCoffee", {}]', "u3", "NotImplemented"),
        ('[2, "u4", "CancelReservation", {"reservationId": 1}]', "u4", "NotSupported"),
        ('[2, "u5", "BootNotification", {"chargePointVendor": "X"}]', "u5", "ProtocolError"),
        (
            '[2, "u6", "StatusNotification", {"connectorId": "one", "errorCode": "NoError", "status": "Available"}]',
            "u6",
            "TypeConstraintViolation",
        ),
        ('[2, "u7", "Heartbeat", {"extra": 1}]', "u7", "FormatViolation"),
        (
            '[2, "u8", "StartTransaction", {"connectorId": 1, "idTag": "A", "meterStart": 0, "timestamp": "now"}]',
            "u8",
            "FormatViolation",
        ),
        # §4.2.3: a value of the right type that its field does not allow.
        ('[2, "u9", "Authorize", {"idTag": "' + "A" * 21 + '"}]', "u9", "PropertyConstraintViolation"),
        (
            '[2, "u10", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Asleep"}]',
            "u10",
            "PropertyConstraintViolation",
        ),
    ],
    ids=[
        "not json",
        "not a list",
        "missing payload",
        "bad type id",
        "unknown action",
        "known action not taken",
        "missing field",
        "wrong type",
        "extra field",
        "bad timestamp",
        "too long",
        "not in the enumeration",
    ],
)
async def test_a_frame_that_cannot_be_answered_gets_the_calls_error_the_spec_names(
    app, charging_world, frame, unique_id, code
):
    answer = await _raw(app, frame)
    assert answer[:3] == [4, unique_id, code]


async def test_the_connection_survives_a_bad_frame_and_a_failing_service(app, charging_world, monkeypatch):
    async def broken(*_args, **_kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(sessions, "authorize", broken)
    async with pile_client(app, "CP-1001", PASSWORD) as pile:
        await pile._connection.send("garbage")
        with pytest.raises(InternalError):
            await pile.authorize("04A1B2C3")
        assert (await pile.heartbeat()).current_time


def _ago(seconds: int) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="seconds").replace("+00:00", "Z")


async def test_the_edge_answers_by_the_running_settings_not_the_defaults(app, runtime, charging_world, monkeypatch):
    # The cadre has 200 yuan: the defaults would let the card start and keep charging.
    for name, value in {
        "CHARGING_HEARTBEAT_SECONDS": "10",
        "CHARGING_MIN_BALANCE_FEN": "30000",
        "CHARGING_STOP_MARGIN_FEN": "100000",
    }.items():
        monkeypatch.setitem(runtime.settings.environ, name, value)
    card = charging_world.card_uid
    async with pile_client(app, "CP-1001", PASSWORD) as pile:
        assert (await pile.boot()).interval == 10
        assert await pile.authorize(card) == "Blocked"
        # Started 25 s ago: late by more than two 10 s heartbeats, on time by the default 60 s.
        started = await pile.send(call.StartTransaction(connector_id=1, id_tag=card, meter_start=0, timestamp=_ago(25)))
        assert started.id_tag_info["status"] == "Accepted"  # a start made offline goes on whatever the balance
        await pile.send(
            call.MeterValues(
                connector_id=1, transaction_id=started.transaction_id, meter_value=[_sample(_ago(1), 10, 7000)]
            )
        )
        session = await Session.get(id=started.transaction_id)
        # 200 yuan of cash is within the 1000 yuan margin: the pile is asked to stop.
        assert session.stop_requested_at is not None
        await background.drain()
    kinds = set(await Incident.filter(session_id=session.id).values_list("kind", flat=True))
    assert {IncidentKind.OFFLINE_START, IncidentKind.BALANCE_STOP} <= kinds


async def test_a_booted_pile_is_set_to_meter_energy_and_power_each_command_recorded(app, runtime, charging_world):
    monkeypatch_free = runtime.settings.environ.get("CHARGING_HEARTBEAT_SECONDS")
    assert monkeypatch_free is None  # the default 60 s heartbeat: samples every 60 s
    async with pile_client(app, "CP-1001", PASSWORD) as pile:
        await pile.boot()
        await background.drain()
        assert pile.config["MeterValuesSampledData"] == "Energy.Active.Import.Register,Power.Active.Import"
        assert pile.config["MeterValueSampleInterval"] == "60"
    changes = await Command.filter(action="change_configuration").order_by("id")
    assert [(c.payload["key"], c.state) for c in changes] == [
        ("MeterValuesSampledData", CommandState.ACCEPTED),
        ("MeterValueSampleInterval", CommandState.ACCEPTED),
    ]
    assert not await Incident.exists()


def test_the_sample_interval_follows_the_heartbeat_up_to_a_minute():
    assert sample_interval(ChargingSettings(heartbeat_seconds=15)) == 15
    assert sample_interval(ChargingSettings(heartbeat_seconds=300)) == 60


async def test_a_cadres_acceptance_expires_soon_and_a_fleet_cards_does_not(app, charging_world):
    async with pile_client(app, "CP-1001", PASSWORD) as pile:
        card = await pile.send(call.Authorize(id_tag=charging_world.card_uid))
        fleet = await pile.send(call.Authorize(id_tag=charging_world.fleet_card))
    assert card.id_tag_info["status"] == "Accepted"
    expiry = datetime.fromisoformat(card.id_tag_info["expiry_date"])  # expiryDate on the wire
    assert timedelta(minutes=4) < expiry - datetime.now(UTC) <= timedelta(minutes=5)  # CHARGING_START_TOKEN_MINUTES
    assert fleet.id_tag_info == {"status": "Accepted"}


async def test_no_log_line_carries_a_frames_card_number(app, charging_world, monkeypatch, caplog):
    async def broken(*_args, **_kwargs):
        raise RuntimeError("database gone")

    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(sessions, "authorize", broken)
    secret = "04A1B2C3D4E5F6"
    async with pile_client(app, "CP-1001", PASSWORD) as pile:
        with pytest.raises(InternalError):
            await pile.authorize(secret)
        bad_start = call.StartTransaction(connector_id=1, id_tag=secret, meter_start=0, timestamp="now")
        with pytest.raises(FormatViolationError):
            await pile.send(bad_start)
        too_long = await _raw(app, '[2, "u1", "Authorize", {"idTag": "' + secret * 2 + '"}]')
        assert too_long[2] == "PropertyConstraintViolation" and secret not in json.dumps(too_long)
    # The server's lines and the library's (the test's own WebSocket client logs what it sends).
    ours = [r for r in caplog.records if r.name.startswith(("backend", "ocpp", "sanic"))]
    lines = [r.getMessage() + (r.exc_text or "") for r in ours]
    assert any("Authorize" in line for line in lines)  # the failure is logged, by action and unique id
    assert not [line for line in lines if secret in line]
