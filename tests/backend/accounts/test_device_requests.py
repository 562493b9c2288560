"""Signed device requests: accepted once, refused (401, nothing recorded) when replayed,
tampered, badly signed, stale, unknown or from a disabled device; and still refused when
replayed after Redis lost the nonces (a flush, a restart, a failover)."""

import asyncio
import math
import time

from backend.accounts.models import Device
from backend.core import replay
from kiosk.backend_client import signature_headers
from tests.helpers import bearer, json_body, superadmin_token
from tests.helpers.errors import assert_error
from tests.helpers.replay import epoch_started_ms

PATH = "/device/v1/heartbeat"
BODY = json_body({"app_version": "1.0.0", "status": {"printer": "ok", "paper": True}})


async def register(client, code="T-0001") -> tuple[str, str, int]:
    token = await superadmin_token(client)
    response = await client.post(
        "/admin/v1/devices",
        headers=bearer(token),
        json={"code": code, "name": "第一食堂 1 号机", "kind": "canteen_terminal", "location": "一楼"},
    )
    assert response.status_code == 201, response.text
    return token, response.json()["secret"], response.json()["id"]


async def post_signed(client, headers, body=BODY):
    return await client.post(PATH, content=body, headers={**headers, "Content-Type": "application/json"})


async def test_signed_heartbeat_is_accepted_and_recorded(client):
    token, secret, device_id = await register(client)
    response = await post_signed(client, signature_headers("T-0001", secret, "POST", PATH, "", BODY))
    assert response.status_code == 200, response.text
    device = await Device.get(id=device_id)
    assert device.last_status["printer"] == "ok" and device.last_seen_at is not None
    listed = (await client.get("/admin/v1/devices", headers=bearer(token))).json()["items"][0]
    assert listed["online"] is True and "secret" not in listed


async def test_secret_is_shown_once_and_not_stored_in_clear(client):
    token, secret, device_id = await register(client)
    device = await Device.get(id=device_id)
    assert secret not in device.secret_encrypted
    listed = await client.get("/admin/v1/devices", headers=bearer(token))
    assert secret not in listed.text


async def test_replayed_request_is_refused(client):
    _, secret, device_id = await register(client)
    headers = signature_headers("T-0001", secret, "POST", PATH, "", BODY)
    assert (await post_signed(client, headers)).status_code == 200
    await Device.filter(id=device_id).update(last_status=None)
    assert_error(await post_signed(client, headers), 401, "device.nonce_reused")
    assert (await Device.get(id=device_id)).last_status is None


async def test_tampered_body_is_refused(client):
    _, secret, device_id = await register(client)
    headers = signature_headers("T-0001", secret, "POST", PATH, "", BODY)
    tampered = BODY.replace(b'"ok"', b'"no"')
    assert_error(await post_signed(client, headers, tampered), 401, "device.bad_signature")
    assert (await Device.get(id=device_id)).last_seen_at is None


async def test_signature_with_wrong_secret_is_refused(client):
    _, _, device_id = await register(client)
    headers = signature_headers("T-0001", "not-the-secret", "POST", PATH, "", BODY)
    assert_error(await post_signed(client, headers), 401, "device.bad_signature")
    assert (await Device.get(id=device_id)).last_seen_at is None


async def test_bad_signature_does_not_burn_the_nonce(client):
    _, secret, _ = await register(client)
    good = signature_headers("T-0001", secret, "POST", PATH, "", BODY)
    forged = {**good, "X-Signature": "0" * 64}
    assert_error(await post_signed(client, forged), 401, "device.bad_signature")
    assert (await post_signed(client, good)).status_code == 200


async def test_stale_or_future_timestamp_is_refused(client):
    _, secret, _ = await register(client)
    for skew in (-400, 400):
        headers = signature_headers("T-0001", secret, "POST", PATH, "", BODY, timestamp=int(time.time()) + skew)
        assert_error(await post_signed(client, headers), 401, "device.timestamp_skew")


async def test_disabled_device_is_refused(client):
    """At once, though the device was just seen and is kept in memory."""
    token, secret, device_id = await register(client)
    assert (await post_signed(client, signature_headers("T-0001", secret, "POST", PATH, "", BODY))).status_code == 200
    await client.post(f"/admin/v1/devices/{device_id}/enabled", headers=bearer(token), json={"is_enabled": False})
    headers = signature_headers("T-0001", secret, "POST", PATH, "", BODY)
    assert_error(await post_signed(client, headers), 401, "device.disabled")


async def test_unknown_device_and_missing_headers_are_refused(client):
    headers = signature_headers("T-NOPE", "whatever", "POST", PATH, "", BODY)
    assert_error(await post_signed(client, headers), 401, "device.unknown")
    assert_error(await post_signed(client, {}), 401, "device.signature_missing")


async def test_rotated_secret_replaces_the_old_one(client):
    token, old_secret, device_id = await register(client)
    assert (
        await post_signed(client, signature_headers("T-0001", old_secret, "POST", PATH, "", BODY))
    ).status_code == 200
    new_secret = (await client.post(f"/admin/v1/devices/{device_id}/secret", headers=bearer(token))).json()["secret"]
    old = signature_headers("T-0001", old_secret, "POST", PATH, "", BODY)
    assert_error(await post_signed(client, old), 401, "device.bad_signature")
    new = signature_headers("T-0001", new_secret, "POST", PATH, "", BODY)
    assert (await post_signed(client, new)).status_code == 200


async def test_signed_but_invalid_body_is_refused_in_error_shape(client):
    _, secret, _ = await register(client)
    body = json_body({"status": ["not", "an", "object"]})
    headers = signature_headers("T-0001", secret, "POST", PATH, "", body)
    assert_error(await post_signed(client, headers, body), 422, "common.invalid_input")


async def test_duplicate_device_code_is_refused(client):
    token, _, _ = await register(client)
    again = await client.post(
        "/admin/v1/devices", headers=bearer(token), json={"code": "T-0001", "name": "x", "kind": "kiosk"}
    )
    assert_error(again, 409, "accounts.device_code_taken")


async def test_absurd_timestamps_are_refused_not_crashed_on(client):
    _, secret, _ = await register(client)
    for raw in ("1" + "0" * 400, "9" * 4400, "²".encode(), "-5", "12.5"):
        headers = signature_headers("T-0001", secret, "POST", PATH, "", BODY)
        headers["X-Timestamp"] = raw  # bytes: a header the client cannot encode as ASCII
        assert_error(await post_signed(client, headers), 401, "device.signature_missing")


async def test_captured_request_is_refused_after_redis_loses_its_data(client, runtime):
    _, secret, device_id = await register(client)
    captured = signature_headers("T-0001", secret, "POST", PATH, "", BODY)
    assert (await post_signed(client, captured)).status_code == 200
    await Device.filter(id=device_id).update(last_status=None)
    await runtime.redis.flushdb()
    refused = await post_signed(client, captured)
    assert_error(refused, 401, "device.signed_before_epoch")
    started = await epoch_started_ms(runtime.redis)
    assert refused.json()["error"]["details"]["not_before"] == math.ceil((started + 300_000) / 1000)
    assert (await Device.get(id=device_id)).last_status is None


async def test_captured_request_is_refused_after_a_failover_lost_its_nonce(client, runtime):
    """The promoted replica has the epoch as replicated, named after the old master, and not the
    nonce written just before the old master died."""
    _, secret, _ = await register(client)
    captured = signature_headers("T-0001", secret, "POST", PATH, "", BODY)
    assert (await post_signed(client, captured)).status_code == 200
    started = await epoch_started_ms(runtime.redis)
    await runtime.redis.delete(*[key async for key in runtime.redis.scan_iter("nonce:*")])
    await runtime.redis.set(replay.EPOCH_KEY, b"0" * 40 + b":" + str(started).encode())
    assert_error(await post_signed(client, captured), 401, "device.signed_before_epoch")


async def test_request_stamped_ahead_before_the_loss_is_refused_after_it(client, runtime):
    """A device whose clock ran four minutes ahead: its stamp is later than the loss, yet it was
    accepted before it."""
    _, secret, _ = await register(client)
    ahead = signature_headers("T-0001", secret, "POST", PATH, "", BODY, timestamp=int(time.time()) + 240)
    assert (await post_signed(client, ahead)).status_code == 200
    await runtime.redis.flushdb()
    assert_error(await post_signed(client, ahead), 401, "device.signed_before_epoch")


async def test_request_signed_again_at_the_named_stamp_is_accepted_once(client, runtime):
    _, secret, device_id = await register(client)
    await runtime.redis.flushdb()
    refused = await post_signed(client, signature_headers("T-0001", secret, "POST", PATH, "", BODY))
    details = refused.json()["error"]["details"]
    await asyncio.sleep(details["retry_after_ms"] / 1000)
    fresh = signature_headers("T-0001", secret, "POST", PATH, "", BODY, timestamp=details["not_before"])
    assert (await post_signed(client, fresh)).status_code == 200
    assert (await Device.get(id=device_id)).last_seen_at is not None
    assert_error(await post_signed(client, fresh), 401, "device.nonce_reused")
