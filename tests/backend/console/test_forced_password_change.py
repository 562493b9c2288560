"""In the console, an admin whose password someone else chose is sent to the password page from
every page until they choose their own; then the console works, with the new password only."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from backend.accounts.service import admins
from backend.core.audit import CLI_ACTOR
from backend.core.models import AuditEntry
from tests.helpers import CSRF_FIELD, PASSWORD, console_login

OWN = "My-0wn-Passw0rd"


async def _log_in(client, username: str, password: str):
    form = await client.get("/console/login")
    return await client.post(
        "/console/login",
        data={
            "csrf_token": CSRF_FIELD.search(form.text).group(1),
            "username": username,
            "password": password,
            "next": "/console/people",
        },
    )


async def _new_admin() -> None:
    await admins.create_admin(CLI_ACTOR, "clerk", "办事员", PASSWORD)


async def test_login_leads_to_the_password_page_and_every_page_redirects_there(client):
    await _new_admin()
    logged_in = await _log_in(client, "clerk", PASSWORD)
    target = urlsplit(logged_in.headers["location"])
    assert target.path == "/console/password" and parse_qs(target.query)["next"] == ["/console/people"]
    for path in ("/console/", "/console/admins", "/console/audit"):
        redirected = await client.get(path)
        assert redirected.status_code == 302 and redirected.headers["location"].startswith("/console/password?next=")
    htmx = await client.get("/console/people", headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].startswith("/console/password")
    form = await client.get("/console/password")
    assert form.status_code == 200 and "请先设置只有您自己知道的新密码" in form.text


async def test_choosing_a_password_opens_the_console_and_retires_the_old_password(client):
    await _new_admin()
    await _log_in(client, "clerk", PASSWORD)
    form = await client.get("/console/password?next=/console/")
    csrf = CSRF_FIELD.search(form.text).group(1)
    mismatch = await client.post(
        "/console/password",
        data={"csrf_token": csrf, "current_password": PASSWORD, "new_password": OWN, "confirm_password": "other"},
    )
    assert mismatch.status_code == 422 and "两次输入的新密码不一致" in mismatch.text
    wrong = await client.post(
        "/console/password",
        data={"csrf_token": csrf, "current_password": "Wr0ng-Passw0rd", "new_password": OWN, "confirm_password": OWN},
    )
    assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
    changed = await client.post(
        "/console/password",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": OWN,
            "confirm_password": OWN,
            "next": "/console/",
        },
    )
    assert changed.status_code == 302 and changed.headers["location"] == "/console/?done=password_changed"
    dashboard = await client.get(changed.headers["location"])
    assert dashboard.status_code == 200 and "密码已修改" in dashboard.text
    assert await AuditEntry.filter(action="accounts.change_own_password", request_id=changed.headers["x-request-id"])
    await client.post("/console/logout", data={"csrf_token": CSRF_FIELD.search(dashboard.text).group(1)})
    assert (await _log_in(client, "clerk", PASSWORD)).status_code == 401
    assert await console_login(client, "clerk", OWN)


async def test_an_admin_may_log_out_before_changing(client):
    await _new_admin()
    await _log_in(client, "clerk", PASSWORD)
    form = await client.get("/console/password")
    out = await client.post("/console/logout", data={"csrf_token": CSRF_FIELD.search(form.text).group(1)})
    assert out.status_code == 302 and out.headers["location"] == "/console/login"
    assert (await client.get("/console/password")).headers["location"].startswith("/console/login")
