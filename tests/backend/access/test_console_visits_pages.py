"""The console's visits: the list filtered and masked, a visit's page with its passes, 查看完整信息
only with UNMASK_VISITOR and audited each time, and 撤销 with a reason."""

from __future__ import annotations

from backend.access.models import Visit, VisitPass, VisitState
from backend.core.models import AuditEntry
from tests.fixtures.access_g import VISITOR_ID_NUMBER, VISITOR_PHONE
from tests.helpers import console_admin

VIEWER = ["access.view_access"]
SECURITY = ["access.view_access", "access.register_visitor", "access.unmask_visitor"]


async def test_visit_list_filters_by_state_and_shows_nothing_unmasked(client, access_world, guard_desk):
    await console_admin(client, "viewer", VIEWER)
    waiting = await guard_desk.walk_in("李四")
    ready = await guard_desk.walk_in("欧阳娜娜", confirmed=True)
    listed = await client.get("/console/access/visits")
    assert listed.status_code == 200 and "李*" in listed.text and "欧阳**" in listed.text
    assert (
        VISITOR_PHONE not in listed.text
        and VISITOR_ID_NUMBER not in listed.text
        and "李四" not in listed.text
        and "欧阳娜娜" not in listed.text
    )
    only_ready = await client.get("/console/access/visits?state=ready")
    assert f"/console/access/visits/{ready}" in only_ready.text
    assert f'/console/access/visits/{waiting}"' not in only_ready.text
    by_host = await client.get("/console/access/visits?q=张伟")
    assert f"/console/access/visits/{ready}" in by_host.text


async def test_visit_page_is_masked_and_unmask_needs_the_permission(client, access_world, guard_desk):
    visit_id = await guard_desk.walk_in(confirmed=True)
    csrf = await console_admin(client, "viewer", VIEWER)
    shown = await client.get(f"/console/access/visits/{visit_id}")
    assert shown.status_code == 200 and "单次通行条" in shown.text
    assert "139****5678" in shown.text and VISITOR_PHONE not in shown.text and "查看完整信息" not in shown.text
    refused = await client.post(f"/console/access/visits/{visit_id}/unmask", data={"csrf_token": csrf})
    assert refused.status_code == 403 and VISITOR_ID_NUMBER not in refused.text
    assert await AuditEntry.filter(action="access.unmask_visitor").count() == 0


async def test_unmask_shows_the_full_details_once_and_is_audited(client, access_world, guard_desk):
    visit_id = await guard_desk.walk_in(confirmed=True)
    csrf = await console_admin(client, "security", SECURITY)
    assert "查看完整信息" in (await client.get(f"/console/access/visits/{visit_id}")).text
    full = await client.post(f"/console/access/visits/{visit_id}/unmask", data={"csrf_token": csrf})
    assert full.status_code == 200 and VISITOR_ID_NUMBER in full.text and VISITOR_PHONE in full.text
    entry = await AuditEntry.get(action="access.unmask_visitor")
    assert entry.object_id == str(visit_id) and entry.actor_name == "security"
    assert VISITOR_ID_NUMBER not in str(entry.after) and VISITOR_PHONE not in str(entry.after)
    assert VISITOR_ID_NUMBER not in (await client.get(f"/console/access/visits/{visit_id}")).text


async def test_revoke_needs_a_reason_and_ends_the_passes(client, access_world, guard_desk):
    visit_id = await guard_desk.walk_in(confirmed=True)
    csrf = await console_admin(client, "security", SECURITY)
    blank = await client.post(f"/console/access/visits/{visit_id}/revoke", data={"csrf_token": csrf, "reason": " "})
    assert blank.status_code == 422 and "请填写原因" in blank.text
    assert (await Visit.get(id=visit_id)).state is VisitState.READY
    assert await VisitPass.filter(visit_id=visit_id, revoked_at=None).count() > 0
    done = await client.post(
        f"/console/access/visits/{visit_id}/revoke", data={"csrf_token": csrf, "reason": "来访取消"}
    )
    assert done.status_code == 302 and (await Visit.get(id=visit_id)).state is VisitState.REVOKED
    assert (await Visit.get(id=visit_id)).revoked_reason == "来访取消"
    assert await VisitPass.filter(visit_id=visit_id, revoked_at=None).count() == 0
    assert await AuditEntry.filter(action="access.revoke_visit", object_id=str(visit_id)).count() == 1
