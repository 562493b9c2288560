"""Console login, logout, session expiry, CSRF and permission refusals, over HTTP."""

from urllib.parse import parse_qs, urlsplit

from backend.console.session import COOKIE
from backend.demo import create_superadmin
from tests.helpers import CSRF_FIELD, PASSWORD, console_admin, console_login


async def test_login_form_signs_in_and_lands_on_the_dashboard(client):
    await create_superadmin("root", "超级管理员", PASSWORD)
    await console_login(client, "root")
    dashboard = await client.get("/console/")
    assert dashboard.status_code == 200
    assert "今日概况" in dashboard.text and "超级管理员" in dashboard.text
    assert "default-src 'self'" in dashboard.headers["content-security-policy"]


async def test_session_cookie_is_http_only_and_same_site_strict(client):
    await create_superadmin("root", "超级管理员", PASSWORD)
    form = await client.get("/console/login")
    response = await client.post(
        "/console/login",
        data={"csrf_token": CSRF_FIELD.search(form.text).group(1), "username": "root", "password": PASSWORD},
    )
    cookie = response.headers["set-cookie"]
    assert f"{COOKIE}=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie


async def test_wrong_password_is_shown_on_the_form_and_no_session_is_made(client):
    await create_superadmin("root", "超级管理员", PASSWORD)
    form = await client.get("/console/login")
    response = await client.post(
        "/console/login",
        data={"csrf_token": CSRF_FIELD.search(form.text).group(1), "username": "root", "password": "wrong-password"},
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text
    assert (await client.get("/console/")).status_code == 302


async def test_blank_fields_are_reported_next_to_them(client):
    form = await client.get("/console/login")
    response = await client.post("/console/login", data={"csrf_token": CSRF_FIELD.search(form.text).group(1)})
    assert response.status_code == 422
    assert response.text.count("必填") == 2


async def test_login_without_the_form_token_is_refused(client):
    await create_superadmin("root", "超级管理员", PASSWORD)
    response = await client.post("/console/login", data={"username": "root", "password": PASSWORD})
    assert response.status_code == 403
    assert "页面已失效" in response.text and response.headers["content-type"].startswith("text/html")


async def test_a_page_without_a_session_redirects_to_login_and_back(client):
    response = await client.get("/console/people?q=张")
    assert response.status_code == 302
    target = urlsplit(response.headers["location"])
    assert target.path == "/console/login" and parse_qs(target.query)["next"] == ["/console/people?q=%E5%BC%A0"]


async def test_login_never_redirects_off_site(client):
    await create_superadmin("root", "超级管理员", PASSWORD)
    for evil in ("https://evil.example/", "//evil.example/console", "/admin/v1/units"):
        client.cookies.clear()
        form = await client.get("/console/login")
        response = await client.post(
            "/console/login",
            data={
                "csrf_token": CSRF_FIELD.search(form.text).group(1),
                "username": "root",
                "password": PASSWORD,
                "next": evil,
            },
        )
        assert response.headers["location"] == "/console/"


async def test_an_expired_session_sends_the_admin_to_login_saying_so(client, runtime):
    await create_superadmin("root", "超级管理员", PASSWORD)
    await console_login(client, "root")
    await runtime.admin_sessions.revoke(client.cookies[COOKIE])
    response = await client.get("/console/devices")
    assert response.status_code == 302 and "expired=1" in response.headers["location"]
    login_page = await client.get(response.headers["location"])
    assert "登录已过期" in login_page.text


async def test_htmx_requests_are_redirected_with_a_header(client, runtime):
    await create_superadmin("root", "超级管理员", PASSWORD)
    await console_login(client, "root")
    await runtime.admin_sessions.revoke(client.cookies[COOKIE])
    response = await client.get("/console/devices", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["hx-redirect"].startswith("/console/login?next=")


async def test_a_write_without_the_session_csrf_token_is_refused(client):
    await create_superadmin("root", "超级管理员", PASSWORD)
    await console_login(client, "root")
    for token in ("", "forged", "伪造的令牌"):
        response = await client.post("/console/units", data={"csrf_token": token, "code": "X1", "name": "某单位"})
        assert response.status_code == 403 and "页面已失效" in response.text
    page = await client.get("/console/units")
    assert "某单位" not in page.text


async def test_csrf_token_in_the_htmx_header_is_accepted(client):
    await create_superadmin("root", "超级管理员", PASSWORD)
    csrf = await console_login(client, "root")
    response = await client.post(
        "/console/units", data={"code": "X1", "name": "某单位"}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 302


async def test_logout_ends_the_session(client, runtime):
    await create_superadmin("root", "超级管理员", PASSWORD)
    csrf = await console_login(client, "root")
    token = client.cookies[COOKIE]
    response = await client.post("/console/logout", data={"csrf_token": csrf})
    assert response.status_code == 302
    assert await runtime.admin_sessions.read(token) is None


async def test_navigation_lists_only_permitted_pages_and_other_urls_refuse(client):
    await console_admin(client, "auditor", ["core.view_audit"])
    dashboard = (await client.get("/console/")).text
    assert 'href="/console/audit"' in dashboard
    assert 'href="/console/admins"' not in dashboard and 'href="/console/devices"' not in dashboard
    refused = await client.get("/console/admins")
    assert refused.status_code == 403
    assert "无权访问" in refused.text and refused.headers["content-type"].startswith("text/html")
    assert (await client.get("/console/devices/export.xlsx")).status_code == 403


async def test_a_password_reset_ends_console_sessions(client, runtime):
    from backend.accounts.models import AdminUser
    from backend.accounts.service import admins
    from backend.core.audit import CLI_ACTOR

    await console_admin(client, "clerk", ["core.view_audit"])
    admin = await AdminUser.get(username="clerk")
    await admins.reset_password(CLI_ACTOR, None, admin.id, "An0ther-Passw0rd!")
    assert (await client.get("/console/audit")).status_code == 302


async def test_unknown_console_pages_are_an_html_404_and_the_api_stays_json(client):
    page = await client.get("/console/no-such-page")
    assert page.status_code == 404 and "页面不存在" in page.text
    api = await client.get("/admin/v1/no-such-thing")
    assert api.status_code == 404 and api.json()["error"]["code"] == "common.not_found"


async def test_console_pages_are_not_in_the_api_description(client):
    spec = (await client.get("/openapi.json")).json()
    assert spec["paths"] and not [p for p in spec["paths"] if p.startswith("/console")]
