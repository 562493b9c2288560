"""The kiosk's signed HTTP client, against the real backend and a stand-in of its replay rules."""

import asyncio
import math
import time

import httpx

from backend.accounts.models import Device
from kiosk.backend_client import BackendClient
from tests.helpers import bearer, superadmin_token


async def test_kiosk_client_heartbeat_is_accepted_and_its_replays_are_not(client, app):
    token = await superadmin_token(client)
    registered = (
        await client.post(
            "/admin/v1/devices", headers=bearer(token), json={"code": "K-01", "name": "一楼自助机", "kind": "kiosk"}
        )
    ).json()
    kiosk = BackendClient(app.ctx.base_url, "K-01", registered["secret"])
    try:
        response = await kiosk.heartbeat("1.2.0", {"printer": "paper_low", "reader": True})
        assert response.status_code == 200 and "server_time" in response.json()
        device = await Device.get(code="K-01")
        assert device.last_status == {"printer": "paper_low", "reader": True, "app_version": "1.2.0"}
        wrong = BackendClient(app.ctx.base_url, "K-01", "not-the-secret")
        refused = await wrong.heartbeat("1.2.0", {})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "device.bad_signature"
        await wrong.aclose()
    finally:
        await kiosk.aclose()


class Recording(httpx.AsyncHTTPTransport):
    """The real transport, keeping each answer's status."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        self.statuses.append(response.status_code)
        return response


async def test_kiosk_client_signs_again_after_the_backend_lost_its_redis_data(client, app, runtime):
    """Redis restarted empty: the first attempt is refused for the replay epoch, the client signs
    it again at the stamp the backend names, and it is recorded once."""
    token = await superadmin_token(client)
    registered = (
        await client.post(
            "/admin/v1/devices", headers=bearer(token), json={"code": "K-01", "name": "一楼自助机", "kind": "kiosk"}
        )
    ).json()
    transport = Recording()
    kiosk = BackendClient(app.ctx.base_url, "K-01", registered["secret"], transport=transport)
    await runtime.redis.flushdb()
    try:
        response = await kiosk.heartbeat("1.2.0", {"printer": "ok"})
        assert response.status_code == 200, response.text
        assert transport.statuses == [401, 200]
        assert (await Device.get(code="K-01")).last_status == {"printer": "ok", "app_version": "1.2.0"}
        assert kiosk.stamps.not_before > time.time()
    finally:
        await kiosk.aclose()


def epoch_backend(skew: int, refusals: list[str]):
    """A backend whose Redis has just begun a replay epoch: stamps before `not_before` are refused
    naming it (good from the next whole second), stamps more than `skew` ahead as skewed."""
    ready = math.ceil(time.time() + 0.3)
    not_before = ready + skew

    def answer(request: httpx.Request) -> httpx.Response:
        stamp = int(request.headers["X-Timestamp"])
        if stamp < not_before:
            refusals.append("device.signed_before_epoch")
            details = {"not_before": not_before, "retry_after_ms": max(0, int((ready - time.time()) * 1000))}
            error = {"code": "device.signed_before_epoch", "message": "请重新签名后重试", "details": details}
            return httpx.Response(401, json={"error": error})
        if stamp - time.time() > skew:
            refusals.append("device.timestamp_skew")
            error = {"code": "device.timestamp_skew", "message": "设备时间与服务器相差过大，请校准时间"}
            return httpx.Response(401, json={"error": error})
        return httpx.Response(200, json={"server_time": "now"})

    return answer


async def test_a_request_signed_while_another_waits_for_the_replay_epoch_waits_for_it_too():
    """The stamp the epoch names is good only from the moment it names: a second task (the
    journal upload beside a payment) signing in the meantime waits for it instead of being
    refused as skewed."""
    refusals: list[str] = []
    kiosk = BackendClient(
        "http://backend", "K-01", "secret", transport=httpx.MockTransport(epoch_backend(300, refusals))
    )

    async def after_the_refusal() -> httpx.Response:
        while not refusals:
            await asyncio.sleep(0.005)
        return await kiosk.heartbeat("1.2.0", {})

    try:
        first, second = await asyncio.gather(kiosk.heartbeat("1.2.0", {}), after_the_refusal())
    finally:
        await kiosk.aclose()
    assert (first.status_code, second.status_code) == (200, 200)
    assert refusals == ["device.signed_before_epoch"]
