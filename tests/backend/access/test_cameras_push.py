"""Plate cameras pushing to the backend: the signed JSON event, Hikvision's ISAPI XML, the
allowlist of camera addresses, and what is refused (bad or stale signature, unknown address: 403
and a log line without the plate; garbage: 422)."""

import json
import logging
import time

from backend.access.models import AccessEvent, Gate, PlateAlert
from backend.access.service import barrier
from hardware.plate_camera import PlateCamera, isapi_event, json_event, push_plate, sign
from tests.fixtures.access import CAMERA_SECRET
from tests.fixtures.access_c import official_car


def _camera(app, secret: str | None = CAMERA_SECRET) -> PlateCamera:
    return PlateCamera(app.ctx.base_url, "V-A-IN", secret)


async def _not_allowlisted(world) -> None:
    await Gate.filter(id=world.car_gate.id).update(camera_addresses=["192.0.2.0/24"])


async def test_signed_json_push_of_an_official_car_lifts_the_barrier(app, car_world):
    await official_car("浙A12345")
    await _not_allowlisted(car_world)
    answer = await push_plate(app.ctx.base_url, "V-A-IN", "浙A12345", CAMERA_SECRET, event_id="cam-1")
    await barrier.settle()
    assert answer == {"allowed": True, "reason": "", "message": "公务车，请通行"}
    assert barrier.relay_of(car_world.car_gate.id).openings == 1
    assert (await AccessEvent.get(event_no="CAM-V-A-IN-cam-1")).detail["protocol"] == "json"


async def test_isapi_anpr_push_is_decided_like_json(app, car_world):
    answer = await push_plate(app.ctx.base_url, "V-A-IN", "苏E99999", CAMERA_SECRET, isapi=True, event_id="u-77")
    assert (answer["allowed"], answer["reason"]) == (False, "access.plate_unknown")
    event = await AccessEvent.get(event_no="CAM-V-A-IN-u-77")
    assert event.detail["protocol"] == "isapi" and event.plate_masked == "苏E***99"
    assert await PlateAlert.exists()


async def test_isapi_event_other_than_anpr_is_acknowledged_and_ignored(app, car_world):
    response = await _camera(app).push_body(isapi_event("", event_type="videoloss"), isapi=True)
    assert response.status_code == 200 and response.json()["allowed"] is False
    assert not await AccessEvent.exists()


async def test_malformed_isapi_xml_and_entity_tricks_are_422(app, car_world):
    camera = _camera(app)
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b"<EventNotificationAlert><eventType>ANPR</eventType><ANPR><licensePlate>&b;</licensePlate></ANPR>"
        b"</EventNotificationAlert>"
    )
    for body in (b"<EventNotificationAlert><eventType>ANPR", bomb, b"<Other/>", b"not xml at all"):
        response = await camera.push_body(body, isapi=True)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "access.camera_event_invalid"), body
    no_plate = isapi_event("")
    assert (await camera.push_body(no_plate, isapi=True)).status_code == 422
    assert not await AccessEvent.exists()


async def test_garbage_json_is_422(app, car_world):
    camera = _camera(app)
    for body in (
        b"{",
        b"[]",
        b'{"plate": ""}',
        b'{"plate": "A", "event_id": "bad id!"}',
        b'{"plate": "A", "confidence": 101}',
    ):
        response = await camera.push_body(body, isapi=False)
        assert (response.status_code, response.json()["error"]["code"]) == (422, "access.camera_event_invalid"), body


async def test_bad_signature_is_refused_and_logged_without_the_plate(app, car_world, caplog):
    await _not_allowlisted(car_world)
    caplog.set_level(logging.WARNING, logger="backend.access.protocols")
    response = await _camera(app, "wrong-secret").push_body(json_event("浙A12345"), isapi=False)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "access.camera_refused")
    assert "V-A-IN" in caplog.text and "bad signature" in caplog.text
    assert "12345" not in caplog.text and "12345" not in response.text
    assert not await AccessEvent.exists()


async def test_stale_timestamp_is_refused_even_when_signed_right(app, car_world):
    await _not_allowlisted(car_world)
    body = json_event("浙A12345")
    stale = sign(CAMERA_SECRET, body, int(time.time()) - 3600)
    response = await _camera(app, None).push_body(body, isapi=False, headers=stale)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "access.camera_refused")


async def test_unsigned_push_from_an_unknown_address_is_refused(app, car_world, caplog):
    await _not_allowlisted(car_world)
    caplog.set_level(logging.WARNING, logger="backend.access.protocols")
    response = await _camera(app, None).push(plate="浙A12345", isapi=True)
    assert response.status_code == 403
    assert "127.0.0.1" in caplog.text and "allowlist" in caplog.text and "12345" not in caplog.text


async def test_unsigned_push_from_an_allowlisted_address_is_decided(app, car_world):
    await official_car("浙A12345")
    response = await _camera(app, None).push("浙A12345")
    await barrier.settle()
    assert response.status_code == 200 and response.json()["allowed"] is True


async def test_push_for_an_unknown_or_pedestrian_gate_is_refused(app, car_world):
    for code in ("NOPE", "G-A-IN"):
        response = await PlateCamera(app.ctx.base_url, code, CAMERA_SECRET).push("浙A12345")
        assert (response.status_code, response.json()["error"]["code"]) == (403, "access.camera_refused")


async def test_duplicate_camera_event_pulses_once(app, car_world):
    await official_car("浙A12345")
    camera = _camera(app)
    answers = [(await camera.push("浙A12345", event_id="dup-1")).json() for _ in range(3)]
    await barrier.settle()
    assert answers[0] == answers[1] == answers[2] and answers[0]["allowed"]
    assert barrier.relay_of(car_world.car_gate.id).openings == 1


async def test_a_signed_push_without_event_id_cannot_be_replayed(app, car_world, caplog):
    """The same signed push again within the skew: refused (403, logged without the plate), the
    barrier not lifted twice; the push itself worked once."""
    await official_car("浙A12345")
    await _not_allowlisted(car_world)
    caplog.set_level(logging.WARNING, logger="backend.access.protocols")
    body = json.dumps({"plate": "浙A12345"}).encode()
    headers = sign(CAMERA_SECRET, body)
    camera = _camera(app, None)
    first = await camera.push_body(body, isapi=False, headers=headers)
    assert first.status_code == 200 and first.json()["allowed"] is True
    again = await camera.push_body(body, isapi=False, headers=headers)
    await barrier.settle()
    assert (again.status_code, again.json()["error"]["code"]) == (403, "access.camera_refused")
    assert "replay" in caplog.text and "12345" not in caplog.text
    assert barrier.relay_of(car_world.car_gate.id).openings == 1
    assert await AccessEvent.filter(allowed=True).count() == 1
