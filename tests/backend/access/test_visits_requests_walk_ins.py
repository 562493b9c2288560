"""A visitor's own request naming the host (matched by name and phone), the host's approval or
refusal, walk-ins at the guard post confirmed in the mini-program or by phone (a single-entry
slip), with the entry screening when on; and the blacklist at each step."""

from __future__ import annotations

import pytest

from backend.access.config import AccessSettings
from backend.access.models import BlockKind, HostConfirmation, PassKind, Visit, VisitPass, VisitState
from backend.access.service import blacklist, screening, visits
from backend.accounts.models import Person
from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import now
from tests.fixtures.access_v import GUARD, VISITOR_PHONE, draft, id_number, ready_visit

SETTINGS = AccessSettings()
OFFICE = Actor(None, "保卫科")


async def _refused(call) -> str:
    with pytest.raises(AppError) as refused:
        await call
    return refused.value.code


async def _request(runtime, world, at, host_name="张伟", host_phone="13800000001", serial=1):
    return await visits.request_visit(
        runtime.cipher, SETTINGS, draft(world, at), id_number(serial), host_name, host_phone, at
    )


async def test_a_request_names_the_host_who_approves_it_into_a_mobile_pass(runtime, access_world):
    at = now()
    asked, token = await _request(runtime, access_world, at)
    assert asked["state"] == "awaiting_host" and asked["source"] == "requested"
    assert (await visits.by_visitor_token(token)).id == asked["id"]

    other = await Person.get(employee_no="D0002")
    approve_as_other = visits.host_decide(SETTINGS, other.id, asked["id"], True, "", at)
    assert await _refused(approve_as_other) == "access.not_host"
    approved = await visits.host_decide(SETTINGS, access_world.host_id, asked["id"], True, "", at)

    assert approved["state"] == "ready"
    assert (await VisitPass.get(visit_id=asked["id"])).kind == PassKind.MOBILE


async def test_a_refused_request_gets_no_pass(runtime, access_world):
    at = now()
    asked, _ = await _request(runtime, access_world, at)
    refused = await visits.host_decide(SETTINGS, access_world.host_id, asked["id"], False, "不在单位", at)
    assert (refused["state"], refused["refused_reason"]) == ("refused", "不在单位")
    assert not await VisitPass.exists()


@pytest.mark.parametrize(("name", "phone"), [("王芳", "13800000001"), ("张伟", "13800000009")])
async def test_a_request_for_a_host_not_matching_the_roster_is_refused(runtime, access_world, name, phone):
    at = now()
    assert await _refused(_request(runtime, access_world, at, name, phone)) == "access.host_not_found"
    assert not await Visit.exists()


async def test_a_walk_in_confirmed_by_phone_gets_a_single_entry_slip_audited(runtime, access_world):
    at = now()
    walk_in = await visits.register_walk_in(
        GUARD, runtime.cipher, SETTINGS, draft(access_world, at), id_number(), access_world.host_id, None, at
    )
    assert (walk_in["state"], walk_in["source"], walk_in["screening"]) == ("awaiting_host", "walk_in", None)

    confirmed = await visits.confirm_by_phone(GUARD, SETTINGS, walk_in["id"], at)

    assert confirmed["state"] == "ready" and confirmed["host_confirmed_via"] == HostConfirmation.PHONE.label
    slip = await VisitPass.get(visit_id=walk_in["id"])
    assert (slip.kind, slip.max_entries) == (PassKind.SLIP, 1)
    actions = set(
        await AuditEntry.filter(object_type="visit", object_id=str(walk_in["id"])).values_list("action", flat=True)
    )
    assert actions == {"access.register_walk_in", "access.confirm_by_phone"}
    assert await _refused(visits.confirm_by_phone(GUARD, SETTINGS, walk_in["id"], at)) == "access.visit_state"


async def test_a_walk_in_confirmed_by_the_host_in_the_mini_program_gets_a_slip(runtime, access_world):
    at = now()
    walk_in = await visits.register_walk_in(
        GUARD, runtime.cipher, SETTINGS, draft(access_world, at), id_number(), access_world.host_id, None, at
    )
    await visits.host_decide(SETTINGS, access_world.host_id, walk_in["id"], True, "", at)
    assert (await VisitPass.get(visit_id=walk_in["id"])).kind == PassKind.SLIP
    assert (await Visit.get(id=walk_in["id"])).host_confirmed_via == HostConfirmation.MINI_PROGRAM


async def test_a_walk_in_answers_the_screening_when_it_is_on_and_it_is_kept(runtime, access_world):
    at = now()
    await screening.save(
        OFFICE,
        {
            "enabled": True,
            "questions": [{"text": "近 14 天是否到过中高风险地区", "allowed_answer": "否"}],
            "measurement": {"name": "体温", "unit": "℃", "max": "37.3"},
            "registrations": ["来源地"],
        },
    )
    args = (GUARD, runtime.cipher, SETTINGS, draft(access_world, at), id_number(), access_world.host_id)
    passing = {"questions": ["否"], "measurement": "36.6", "registrations": {"来源地": "杭州"}}
    fever = {**passing, "measurement": "38.1"}
    assert await _refused(visits.register_walk_in(*args, fever, at)) == "access.screening_failed"
    assert await _refused(visits.register_walk_in(*args, {**passing, "questions": []}, at)) == "access.answers_invalid"

    walk_in = await visits.register_walk_in(*args, passing, at)

    assert walk_in["screening"]["measurement"]["value"] == "36.6"
    assert walk_in["screening"]["registrations"] == {"来源地": "杭州"}


async def test_the_blacklist_blocks_invitation_request_and_registration(runtime, access_world):
    at = now()
    await blacklist.add(OFFICE, runtime.cipher, BlockKind.PHONE, VISITOR_PHONE, "冒用身份")
    invite = visits.invite(runtime.cipher, SETTINGS, access_world.host_id, draft(access_world, at), at)
    assert await _refused(invite) == "access.blocked"
    assert await _refused(_request(runtime, access_world, at)) == "access.blocked"
    walk_in = visits.register_walk_in(
        GUARD, runtime.cipher, SETTINGS, draft(access_world, at), id_number(), access_world.host_id, None, at
    )
    assert await _refused(walk_in) == "access.blocked"
    assert not await Visit.exists()


async def test_a_blocked_id_number_stops_completion(runtime, access_world):
    at = now()
    await blacklist.add(OFFICE, runtime.cipher, BlockKind.ID_NUMBER, id_number(), "冒用身份")
    with pytest.raises(AppError) as refused:
        await ready_visit(runtime, access_world, at)
    assert refused.value.code == "access.blocked"
    assert (await Visit.get()).state == VisitState.AWAITING_VISITOR


async def test_blocking_revokes_an_active_visit_and_lifting_lets_new_ones_in(runtime, access_world):
    at = now()
    visit, _ = await ready_visit(runtime, access_world, at)

    added = await blacklist.add(OFFICE, runtime.cipher, BlockKind.ID_NUMBER, id_number(), "冒用身份")

    assert added["revoked_visits"] == 1 and added["value"] == "330" + "*" * 11 + id_number()[-4:]
    assert (await Visit.get(id=visit["id"])).state == VisitState.REVOKED
    assert not await VisitPass.filter(visit_id=visit["id"], revoked_at=None).exists()
    again = blacklist.add(OFFICE, runtime.cipher, BlockKind.ID_NUMBER, id_number(), "重复")
    assert await _refused(again) == "access.block_exists"
    await blacklist.lift(OFFICE, added["id"])
    assert await blacklist.list_blocks() == [] and len(await blacklist.list_blocks(active_only=False)) == 1
    await ready_visit(runtime, access_world, at)
    assert await _refused(blacklist.lift(OFFICE, added["id"])) == "access.block_not_found"
