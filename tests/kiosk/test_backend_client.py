"""The kiosk's signed HTTP client against the real backend."""

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
