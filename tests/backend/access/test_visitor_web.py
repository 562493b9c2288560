"""The visitor's web page behind the invitation link (/v/): the link opens once into an HttpOnly,
SameSite=Strict cookie scoped to /v/ and bound to its visit; the ID number form refuses a bad
number in Chinese with nothing written and a forged form token outright; then the pass QR is
shown inline and /pass.svg answers a fresh SVG that is never cached; an ended visit says so in
words; a refusal no route answered (an unknown path) is the same page, never JSON. No page
carries the visitor's ID number or phone."""

from __future__ import annotations

import re

from backend.access.config import AccessSettings
from backend.access.errors import AccessError
from backend.access.models import Visit, VisitPass, VisitState
from backend.access.service import visits
from backend.core.timeutil import now
from tests.fixtures.access_v import VISITOR_PHONE, draft, id_number, link_token

SETTINGS = AccessSettings()
COOKIE = "houqin_visitor_"


async def _invited(runtime, world, **changes) -> tuple[dict, str]:
    at = now()
    visit, url = await visits.invite(runtime.cipher, SETTINGS, world.host_id, draft(world, at, **changes), at)
    return visit, link_token(url)


def _form_token(page: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def _no_personal_data(page: str) -> None:
    assert id_number() not in page and VISITOR_PHONE not in page
    assert "李明" not in page  # the name is masked too


async def test_the_link_opens_once_into_a_strict_cookie_scoped_to_the_visitor_pages(client, runtime, access_world):
    visit, link = await _invited(runtime, access_world)

    opened = await client.get(f"/v/{link}")

    assert opened.status_code == 303 and opened.headers["location"] == f"/v/visit/{visit['code']}"
    cookie = opened.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}{visit['code']}=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/v/" in cookie
    assert "Secure" not in cookie  # plain http in the tests; Secure over https
    shown = await client.get(opened.headers["location"])
    assert shown.status_code == 200 and 'data-testid="complete-form"' in shown.text
    assert "李*，您好" in shown.text and "张*" in shown.text
    assert "script-src 'self'" in shown.headers["content-security-policy"]
    _no_personal_data(shown.text)

    again = await client.get(f"/v/{link}")
    assert again.status_code == 404 and "邀请链接无效" in again.text
    assert "set-cookie" not in again.headers


async def test_the_cookie_opens_only_its_own_visit(client, runtime, access_world):
    first, first_link = await _invited(runtime, access_world)
    second, second_link = await _invited(runtime, access_world)
    await client.get(f"/v/{first_link}")
    first_token = client.cookies.get(COOKIE + first["code"])

    client.cookies.clear()
    assert (await client.get(f"/v/visit/{first['code']}")).status_code == 401
    client.cookies.set(COOKIE + second["code"], first_token, path="/v/")
    stolen = await client.get(f"/v/visit/{second['code']}")
    assert stolen.status_code == 401 and AccessError.VISITOR_TOKEN_INVALID.message in stolen.text
    assert (await client.get(f"/v/visit/{second['code']}/pass.svg")).status_code == 401
    assert (await Visit.get(id=second["id"])).link_opened_at is None


async def test_a_bad_id_number_is_refused_in_chinese_and_a_good_one_shows_the_pass(client, runtime, access_world):
    visit, link = await _invited(runtime, access_world)
    await client.get(f"/v/{link}")
    page = f"/v/visit/{visit['code']}"
    token = _form_token((await client.get(page)).text)

    bad_number = id_number()[:-1] + ("0" if id_number()[-1] != "0" else "1")
    refused = await client.post(page, data={"form_token": token, "id_number": bad_number, "plate": "浙B67890"})
    assert refused.status_code == 422
    assert AccessError.ID_NUMBER_INVALID.message in refused.text and 'data-testid="complete-form"' in refused.text
    assert bad_number not in refused.text and "浙B67890" not in refused.text  # nothing typed is put back
    forged = await client.post(page, data={"form_token": "x" * 64, "id_number": id_number()})
    assert forged.status_code == 401
    kept = await Visit.get(id=visit["id"])
    assert kept.state == VisitState.AWAITING_VISITOR and kept.id_number_encrypted is None and not kept.plate_masked
    assert await VisitPass.filter(visit_id=visit["id"]).count() == 0

    done = await client.post(page, data={"form_token": token, "id_number": id_number(), "plate": "浙B67890"})
    assert done.status_code == 303 and done.headers["location"] == page
    assert (await Visit.get(id=visit["id"])).state == VisitState.READY
    shown = await client.get(page)
    assert shown.status_code == 200 and 'id="pass-qr"' in shown.text and "<svg" in shown.text
    assert 'src="/static/access/visitor.js"' in shown.text and "浙B***90" in shown.text
    assert 'data-testid="complete-form"' not in shown.text
    _no_personal_data(shown.text)

    svg = await client.get(f"{page}/pass.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.startswith("<svg") and "no-store" in svg.headers["cache-control"]
    assert 0 < int(svg.headers["x-refresh-in"]) <= SETTINGS.qr_step_seconds
    _no_personal_data(svg.text)
    again = await client.post(page, data={"form_token": token, "id_number": id_number(2)})
    assert again.status_code == 409 and "不能填写" in again.text


async def test_a_revoked_visit_says_so_in_words_and_has_no_pass(client, runtime, access_world):
    visit, link = await _invited(runtime, access_world)
    await client.get(f"/v/{link}")
    page = f"/v/visit/{visit['code']}"
    token = _form_token((await client.get(page)).text)
    await client.post(page, data={"form_token": token, "id_number": id_number()})
    await visits.revoke(access_world.host_id, visit["id"], "会议取消", now())

    shown = await client.get(page)
    assert shown.status_code == 200 and "本次来访已撤销" in shown.text and "会议取消" in shown.text
    assert 'id="pass-qr"' not in shown.text and "visitor.js" not in shown.text
    assert (await client.get(f"{page}/pass.svg")).status_code == 409


async def test_a_refusal_no_handler_answered_is_the_visitors_page_not_json(client):
    unknown = await client.get("/v/visit/NOSUCHVISIT/nothing-here")
    assert unknown.status_code == 404 and unknown.headers["content-type"].startswith("text/html")
    assert "无法打开" in unknown.text and "Content-Security-Policy" in unknown.headers
