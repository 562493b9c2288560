"""Visitors in the mini-program over HTTP: the host invites, lists, revokes and decides; the
visitor opens the link once, completes the ID number and sees the pass code, which the host
cannot fetch; a visitor's request is decided by the named host only. No ID number or phone
appears unmasked in any answer, error body or log line."""

from __future__ import annotations

import logging
from datetime import timedelta

from backend.core.timeutil import now
from tests.fixtures.access_v import VISITOR_PHONE, id_number, link_token
from tests.helpers import bearer
from tests.helpers.cadres import bound_token
from tests.helpers.errors import assert_error


def _body(world, **changes) -> dict:
    at = now()
    return {
        "visitor_name": "李明",
        "phone": VISITOR_PHONE,
        "company": "杭州某某科技",
        "purpose": "洽谈项目",
        "window_start": (at + timedelta(hours=1)).isoformat(),
        "window_end": (at + timedelta(hours=5)).isoformat(),
        "building_ids": [world.building_id],
        "companions": ["王强"],
        **changes,
    }


def _visitor(token: str) -> dict:
    return {"X-Visitor-Token": token}


async def test_the_host_routes_are_for_signed_in_cadres_and_the_visitor_needs_a_token(client, access_world):
    for method, path in (
        ("get", "/mp/v1/access/visits"),
        ("post", "/mp/v1/access/visits"),
        ("get", "/mp/v1/access/visits/1"),
        ("post", "/mp/v1/access/visits/1/revoke"),
        ("post", "/mp/v1/access/visits/1/decision"),
        ("get", "/mp/v1/access/buildings"),
    ):
        assert (await getattr(client, method)(path)).status_code == 401, path
    assert_error(await client.get("/mp/v1/visitor/visits/V123456789"), 401, "access.visitor_token_invalid")
    answer = await client.get("/mp/v1/visitor/visits/V123456789/pass", headers=_visitor("nope"))
    assert_error(answer, 401, "access.visitor_token_invalid")


async def test_an_invitation_goes_from_link_to_pass_code_without_unmasked_data(client, wechat, access_world, caplog):
    caplog.set_level(logging.DEBUG)
    texts = []
    host = bearer(await bound_token(client, wechat))

    buildings = await client.get("/mp/v1/access/buildings", headers=host)
    assert [b["name"] for b in buildings.json()["items"]] == ["行政中心A座", "行政中心B座"]
    invited = await client.post("/mp/v1/access/visits", json=_body(access_world), headers=host)
    assert invited.status_code == 200, invited.text
    visit_id, code = invited.json()["visit"]["id"], invited.json()["visit"]["code"]
    link = link_token(invited.json()["link"])
    bad_phone = await client.post("/mp/v1/access/visits", json=_body(access_world, phone="139123456789"), headers=host)
    assert_error(bad_phone, 422, "access.phone_invalid")

    opened = await client.post("/mp/v1/visitor/open", json={"link": link})
    assert opened.status_code == 200 and opened.json()["visit"]["host_name"] == "张*"
    assert_error(await client.post("/mp/v1/visitor/open", json={"link": link}), 404, "access.link_invalid")
    visitor = _visitor(opened.json()["visitor_token"])
    wrong_digit = id_number()[:17] + ("1" if id_number()[17] != "1" else "2")
    refused = await client.post(
        f"/mp/v1/visitor/visits/{code}/complete", json={"id_number": wrong_digit}, headers=visitor
    )
    assert_error(refused, 422, "access.id_number_invalid")
    assert_error(await client.get(f"/mp/v1/visitor/visits/{code}/pass", headers=visitor), 409, "access.visit_state")
    done = await client.post(f"/mp/v1/visitor/visits/{code}/complete", json={"id_number": id_number()}, headers=visitor)
    assert done.status_code == 200 and done.json()["state"] == "ready"

    shown = await client.get(f"/mp/v1/visitor/visits/{code}/pass", headers=visitor)
    assert shown.status_code == 200 and shown.json()["token"].startswith("HQP1.")
    assert 0 < shown.json()["refresh_in"] <= 60
    assert (await client.get(f"/mp/v1/access/visits/{visit_id}/pass", headers=host)).status_code == 404
    detail = await client.get(f"/mp/v1/access/visits/{visit_id}", headers=host)
    assert detail.json()["phone"] == "139****5678" and detail.json()["id_number"].startswith("330***")
    mine = await client.get("/mp/v1/access/visits", headers=host)
    assert mine.json()["total"] == 1
    revoked = await client.post(f"/mp/v1/access/visits/{visit_id}/revoke", json={"reason": "改期"}, headers=host)
    assert revoked.json()["state"] == "revoked"
    assert_error(await client.get(f"/mp/v1/visitor/visits/{code}/pass", headers=visitor), 409, "access.visit_state")

    texts += [r.text for r in (invited, bad_phone, opened, refused, done, shown, detail, mine, revoked)]
    texts += [record.getMessage() for record in caplog.records]
    for text in texts:
        assert VISITOR_PHONE not in text and id_number() not in text and wrong_digit not in text


async def test_a_visitors_request_is_decided_by_the_named_host_only(client, wechat, access_world, caplog):
    caplog.set_level(logging.DEBUG)
    request = {**_body(access_world), "id_number": id_number(), "host_name": "张伟", "host_phone": "13800000001"}
    asked = await client.post("/mp/v1/visitor/requests", json=request)
    assert asked.status_code == 200, asked.text
    visit_id, code = asked.json()["visit"]["id"], asked.json()["visit"]["code"]
    visitor = _visitor(asked.json()["visitor_token"])
    unknown = await client.post("/mp/v1/visitor/requests", json={**request, "host_name": "王芳"})
    assert_error(unknown, 404, "access.host_not_found")

    other = bearer(await bound_token(client, wechat, openid="o-wangfang", phone="13800000002"))
    decision = {"approve": True, "reason": ""}
    answer = await client.post(f"/mp/v1/access/visits/{visit_id}/decision", json=decision, headers=other)
    assert_error(answer, 403, "access.not_host")
    host = bearer(await bound_token(client, wechat))
    approved = await client.post(f"/mp/v1/access/visits/{visit_id}/decision", json=decision, headers=host)
    assert approved.json()["state"] == "ready"
    seen = await client.get(f"/mp/v1/visitor/visits/{code}", headers=visitor)
    assert seen.json()["state"] == "ready"
    someone_elses = await client.get("/mp/v1/visitor/visits/V123456789", headers=visitor)
    assert_error(someone_elses, 401, "access.visitor_token_invalid")

    for text in [r.text for r in (asked, unknown, answer, approved, seen)] + [r.getMessage() for r in caplog.records]:
        assert VISITOR_PHONE not in text and id_number() not in text
