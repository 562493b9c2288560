"""Approvals in the mini-program: an approver sees what waits for them and decides it in order;
the requester follows it; nobody else sees it; an approver of another unit, a skipped step and
a decision after the request was withdrawn are refused; and no admin, the super admin included,
has a way to decide one."""

from __future__ import annotations

from tortoise.transactions import in_transaction

from backend.approvals import service
from backend.approvals.models import ApprovalOutcome, ApproverRole
from backend.approvals.service import setup
from backend.core.audit import CLI_ACTOR
from backend.core.timeutil import now
from backend.notices import service as notices
from backend.runtime import make_mini_program
from tests.helpers import bearer, superadmin_token
from tests.helpers.cadres import bound_token
from tests.helpers.errors import assert_error

LEADER, AUTHORITY = ApproverRole.UNIT_LEADER, ApproverRole.AUTHORITY


async def _two_step_flow(w) -> None:
    flow_id = (await setup.create_flow(CLI_ACTOR, "approvals_test.thing", ""))["id"]
    await setup.add_step(CLI_ACTOR, flow_id, AUTHORITY, "outside_city", "出市审批")
    await w.approver("D0002", LEADER, "FGW")
    await w.approver("D0005", AUTHORITY, "SJGSW")
    await w.approver("D0003", LEADER, "CZJ")


async def _tokens(client, wechat) -> dict[str, str]:
    phones = {"D0001": "13800000001", "D0002": "13800000002", "D0003": "13800000003", "D0005": "13800000005"}
    return {no: await bound_token(client, wechat, f"o-{no}", phone) for no, phone in phones.items()}


async def test_an_outside_city_request_is_approved_step_by_step_by_its_approvers(
    client, wechat, approvals_world, settings
):
    w = approvals_world
    await _two_step_flow(w)
    tokens = await _tokens(client, wechat)
    subject = w.subject("D0001", "FGW-BGS", "赴省城开会用车")
    view = await w.start(subject, frozenset({"outside_city"}))
    # the unit leader is told, and finds it waiting for them
    wechat.state.reset()
    await notices.send_due(make_mini_program(settings), notices.template_ids(settings), now())
    assert [m["touser"] for m in wechat.state.messages] == ["o-D0002"]
    assert wechat.state.messages[0]["page"] == f"pages/approvals/detail?id={view.id}"
    pending = await client.get("/mp/v1/approvals/pending", headers=bearer(tokens["D0002"]))
    assert pending.status_code == 200, pending.text
    assert [(a["id"], a["current_position"], a["facts"]) for a in pending.json()["items"]] == [(view.id, 1, ["出市"])]
    # the authority cannot take step 2 before step 1 (no skipping)
    skipped = await client.post(
        f"/mp/v1/approvals/{view.id}/decide", headers=bearer(tokens["D0005"]), json={"position": 2, "approve": True}
    )
    assert_error(skipped, 409, "approvals.not_current_step")
    # the leader of another unit is refused
    foreign = await client.post(
        f"/mp/v1/approvals/{view.id}/decide", headers=bearer(tokens["D0003"]), json={"position": 1, "approve": True}
    )
    assert_error(foreign, 403, "approvals.not_approver")
    first = await client.post(
        f"/mp/v1/approvals/{view.id}/decide",
        headers=bearer(tokens["D0002"]),
        json={"position": 1, "approve": True, "comment": "同意"},
    )
    assert first.status_code == 200, first.text
    assert (first.json()["state"], first.json()["current_position"]) == ("pending", 2)
    second = await client.post(
        f"/mp/v1/approvals/{view.id}/decide", headers=bearer(tokens["D0005"]), json={"position": 2, "approve": True}
    )
    assert second.json()["state"] == "approved"
    assert [(s["state_label"], s["decided_by"]["name"]) for s in second.json()["steps"]] == [
        ("同意", "王芳"),
        ("同意", "陈静"),
    ]
    assert [d[:2] for d in w.decisions] == [(subject.id, ApprovalOutcome.APPROVED)]


async def test_an_approval_is_seen_by_its_requester_and_approvers_only(client, wechat, approvals_world):
    w = approvals_world
    await _two_step_flow(w)
    tokens = await _tokens(client, wechat)
    view = await w.start(w.subject("D0001", "FGW-BGS"))
    for no in ("D0001", "D0002"):
        seen = await client.get(f"/mp/v1/approvals/{view.id}", headers=bearer(tokens[no]))
        assert seen.status_code == 200, seen.text
        assert seen.json()["title"] == "出差用车"
    for no in ("D0003", "D0005"):  # another unit's leader; the authority, with no step here
        assert_error(
            await client.get(f"/mp/v1/approvals/{view.id}", headers=bearer(tokens[no])),
            404,
            "approvals.approval_not_found",
        )


async def test_a_decision_after_the_requester_withdrew_is_refused(client, wechat, approvals_world):
    w = approvals_world
    await _two_step_flow(w)
    tokens = await _tokens(client, wechat)
    subject = w.subject("D0001", "FGW-BGS")
    view = await w.start(subject)
    async with in_transaction() as conn:
        await service.cancel(conn, subject.kind, subject.id, now())
    late = await client.post(
        f"/mp/v1/approvals/{view.id}/decide", headers=bearer(tokens["D0002"]), json={"position": 1, "approve": True}
    )
    assert_error(late, 409, "approvals.cancelled")
    assert (await client.get("/mp/v1/approvals/pending", headers=bearer(tokens["D0002"]))).json()["items"] == []


async def test_a_refusal_without_a_comment_is_refused_and_a_retry_of_a_decision_changes_nothing(
    client, wechat, approvals_world
):
    w = approvals_world
    await _two_step_flow(w)
    tokens = await _tokens(client, wechat)
    view = await w.start(w.subject("D0001", "FGW-BGS"))
    url, leader = f"/mp/v1/approvals/{view.id}/decide", bearer(tokens["D0002"])
    bare = await client.post(url, headers=leader, json={"position": 1, "approve": False})
    assert_error(bare, 422, "approvals.comment_required")
    refusal = {"position": 1, "approve": False, "comment": "非公务出行"}
    first, again = [await client.post(url, headers=leader, json=refusal) for _ in range(2)]
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and first.json()["state"] == "refused"
    assert len(w.decisions) == 1


async def test_no_admin_the_super_admin_included_can_decide_an_approval(client, wechat, app, approvals_world):
    w = approvals_world
    await _two_step_flow(w)
    view = await w.start(w.subject("D0001", "FGW-BGS"))
    token = await superadmin_token(client)
    # the only writes about approvals outside the mini-program set up flows and approvers
    writes = {
        r.uri
        for r in app.router.routes
        if "approval" in r.uri
        and r.uri.startswith(("/admin/v1", "/console"))
        and set(r.methods) & {"POST", "PUT", "PATCH", "DELETE"}
    }
    assert writes and all(
        uri.startswith(("/console/approvals/flows", "/console/approvals/approvers")) for uri in writes
    )
    for path in (f"/admin/v1/approvals/{view.id}/decide", f"/console/approvals/{view.id}/decide"):
        answer = await client.post(path, headers=bearer(token), json={"position": 1, "approve": True})
        assert answer.status_code in (403, 404, 405), (path, answer.status_code)
    # and the mini-program's decision takes a cadre's session, never an admin's
    as_admin = await client.post(
        f"/mp/v1/approvals/{view.id}/decide", headers=bearer(token), json={"position": 1, "approve": True}
    )
    assert as_admin.status_code == 401
    assert (await service.get(view.id)).state == "pending" and w.decisions == []
