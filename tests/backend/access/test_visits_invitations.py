"""Invitations: every detail of the draft is checked with its own code; the link opens once and
not after it expires; the visitor's ID number makes the visit READY with a mobile pass; only the
host acts on their visits; a revoked visit takes its passes with it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backend.access.config import AccessSettings
from backend.access.models import PassKind, Visit, VisitPass, VisitState
from backend.access.service import visits
from backend.accounts.models import Person
from backend.core.errors import AppError
from backend.core.timeutil import now
from backend.notices.models import Notice
from tests.fixtures.access_v import VISITOR_PHONE, draft, id_number, link_token, ready_visit

SETTINGS = AccessSettings()


async def _refused(call) -> str:
    with pytest.raises(AppError) as refused:
        await call
    return refused.value.code


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"visitor_name": "李"}, "access.name_invalid"),
        ({"phone": "1380000000"}, "access.phone_invalid"),
        ({"plate": "浙A1234"}, "access.plate_invalid"),
        ({"purpose": "事" * 201}, "access.text_too_long"),
        ({"building_ids": []}, "access.building_invalid"),
        ({"building_ids": [99999]}, "access.building_invalid"),
        ({"companions": ["王强"] * 11}, "access.companions_invalid"),
        ({"companions": ["王"]}, "access.companions_invalid"),
    ],
)
async def test_a_bad_detail_of_an_invitation_is_refused_with_its_code(runtime, access_world, changes, code):
    at = now()
    call = visits.invite(runtime.cipher, SETTINGS, access_world.host_id, draft(access_world, at, **changes), at)
    assert await _refused(call) == code
    assert await Visit.all().count() == 0


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        (timedelta(hours=5), timedelta(hours=1), "结束时间应晚于开始时间"),
        (timedelta(hours=-5), timedelta(hours=-1), "结束时间已过"),
        (timedelta(hours=1), timedelta(days=31, hours=2), "最长 30 天"),
    ],
)
async def test_a_bad_window_is_refused_saying_why(runtime, access_world, start, end, problem):
    at = now()
    bad = draft(access_world, at, window_start=at + start, window_end=at + end)
    with pytest.raises(AppError) as refused:
        await visits.invite(runtime.cipher, SETTINGS, access_world.host_id, bad, at)
    assert refused.value.code == "access.window_invalid" and problem in refused.value.message


async def test_the_link_opens_once_and_the_visitor_completes_to_a_mobile_pass(runtime, access_world):
    at = now()
    visit, url = await visits.invite(runtime.cipher, SETTINGS, access_world.host_id, draft(access_world, at), at)
    assert visit["state"] == "awaiting_visitor" and url.startswith(f"{SETTINGS.link_base_url}/v/")
    assert visit["phone"] == "139****5678" and visit["visitor_name"] == "李*"

    seen, token = await visits.open_link(link_token(url), at)
    assert seen["host_name"] == "张*" and seen["visitor_name"] == "李*" and "phone" not in seen
    assert await _refused(visits.open_link(link_token(url), at)) == "access.link_invalid"

    ready = await visits.complete(runtime.cipher, SETTINGS, token, id_number(), "浙A12345", at)

    assert (ready["state"], ready["plate"]) == ("ready", "浙A***45")
    issued = await VisitPass.get(visit_id=visit["id"])
    assert (issued.kind, issued.max_entries) == (PassKind.MOBILE, SETTINGS.pass_entries)
    assert await Notice.filter(template="access.visit", person_id=access_world.host_id).count() == 1
    again = visits.complete(runtime.cipher, SETTINGS, token, id_number(), None, at)
    assert await _refused(again) == "access.visit_state"


async def test_an_expired_or_unknown_link_is_refused(runtime, access_world):
    at = now()
    _, url = await visits.invite(runtime.cipher, SETTINGS, access_world.host_id, draft(access_world, at), at)
    later = at + timedelta(hours=SETTINGS.invite_link_hours, minutes=1)
    assert await _refused(visits.open_link(link_token(url), later)) == "access.link_invalid"
    assert await _refused(visits.open_link("made-up", at)) == "access.link_invalid"
    assert await _refused(visits.by_visitor_token("made-up")) == "access.visitor_token_invalid"


async def test_a_bad_id_number_at_completion_changes_nothing(runtime, access_world):
    at = now()
    _, url = await visits.invite(runtime.cipher, SETTINGS, access_world.host_id, draft(access_world, at), at)
    _, token = await visits.open_link(link_token(url), at)
    bad = id_number()[:17] + ("1" if id_number()[17] != "1" else "2")
    assert await _refused(visits.complete(runtime.cipher, SETTINGS, token, bad, None, at)) == "access.id_number_invalid"
    assert (await Visit.get()).state == VisitState.AWAITING_VISITOR and not await VisitPass.exists()


async def test_only_the_host_revokes_and_the_passes_go_with_the_visit(runtime, access_world):
    at = now()
    visit, _ = await ready_visit(runtime, access_world, at)
    other = await Person.get(employee_no="D0002")

    assert await _refused(visits.revoke(other.id, visit["id"], "", at)) == "access.not_host"
    assert await _refused(visits.host_visit(runtime.cipher, other.id, visit["id"])) == "access.visit_not_found"
    revoked = await visits.revoke(access_world.host_id, visit["id"], "会议取消", at)

    assert (revoked["state"], revoked["revoked_reason"]) == ("revoked", "会议取消")
    assert await VisitPass.filter(visit_id=visit["id"], revoked_at=None).count() == 0
    assert await _refused(visits.revoke(access_world.host_id, visit["id"], "", at)) == "access.visit_state"


async def test_the_host_lists_only_their_own_visits_masked(runtime, access_world):
    at = now()
    await ready_visit(runtime, access_world, at)
    mine, total = await visits.host_visits(runtime.cipher, access_world.host_id, 1, 20)
    other = await Person.get(employee_no="D0002")
    assert total == 1 and mine[0]["id_number"] == "330" + "*" * 11 + id_number()[-4:]
    assert id_number() not in str(mine) and VISITOR_PHONE not in str(mine)
    assert await visits.host_visits(runtime.cipher, other.id, 1, 20) == ([], 0)
    rows, total = await visits.list_visits(search="李")
    assert total == 1 and rows[0]["state"] == "ready" and rows[0]["host_name"] == "张伟"
