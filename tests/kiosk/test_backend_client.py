"""The kiosk's signed HTTP client against the real backend."""

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
