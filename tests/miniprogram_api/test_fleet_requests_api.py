"""A cadre's request for an official car in the mini-program: filed once, through the approval
chain its facts call for (出市, 超出额度, 封存期), told of the outcome, cancelled until dispatch,
and seen by nobody else."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from backend.approvals.models import ApproverRole
from backend.approvals.service import setup
from backend.core.audit import CLI_ACTOR
from backend.core.timeutil import BUSINESS_TZ, now
from backend.fleet.models import RequestState, SealPeriod, SealSource, TripRequest
from backend.fleet.service import quotas
from backend.notices.models import Notice
from tests.fixtures.fleet import make_trip
from tests.helpers import bearer
from tests.helpers.cadres import bound_token
from tests.helpers.errors import assert_error

KIND = "fleet.trip_request"
PHONES = {"D0001": "13800000001", "D0002": "13800000002", "D0003": "13800000003", "D0005": "13800000005"}


def _tomorrow(hour: int) -> datetime:
    return (now().astimezone(BUSINESS_TZ) + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0)


def _form(**fields) -> dict:
    return {
        "client_ref": secrets.token_hex(8),
        "purpose": "general",
        "reason": "赴市政府参加协调会",
        "passengers": 2,
        "pickup": "市民中心A座",
        "destination": "市政府",
        "starts_at": _tomorrow(9).isoformat(),
        "ends_at": _tomorrow(11).isoformat(),
        "estimated_km": 20,
        **fields,
    }


async def _tokens(client, wechat) -> dict[str, str]:
    return {no: await bound_token(client, wechat, f"o-{no}", phone) for no, phone in PHONES.items()}


async def _flow_with_extra_steps() -> None:
    """The default chain: the unit's leader; a leader in charge when the trip leaves the city;
    the fleet centre (主管部门) when over quota or in a sealing period."""
    flow_id = (await setup.create_flow(CLI_ACTOR, KIND, ""))["id"]
    await setup.add_step(CLI_ACTOR, flow_id, ApproverRole.LEADER_IN_CHARGE, "outside_city", "出市审批")
    await setup.add_step(CLI_ACTOR, flow_id, ApproverRole.AUTHORITY, "over_quota", "超额度审批")
    await setup.add_step(CLI_ACTOR, flow_id, ApproverRole.AUTHORITY, "sealed_period", "封存期应急审批")
    await setup.assign_approver(CLI_ACTOR, "D0002", ApproverRole.UNIT_LEADER, "FGW")
    await setup.assign_approver(CLI_ACTOR, "D0003", ApproverRole.LEADER_IN_CHARGE, "SJGSW")
    await setup.assign_approver(CLI_ACTOR, "D0005", ApproverRole.AUTHORITY, "SJGSW")


async def _decide(client, token: str, request: dict, position: int, approve: bool = True, comment: str = ""):
    approval_id = request["approval"]["id"]
    return await client.post(
        f"/mp/v1/approvals/{approval_id}/decide",
        headers=bearer(token),
        json={"position": position, "approve": approve, "comment": comment},
    )


async def test_a_request_is_filed_once_and_waits_for_its_units_leader(client, wechat, fleet_world):
    await quotas.allocate(CLI_ACTOR, fleet_world.unit_id, _tomorrow(9).year, 1_000_000, "年度核定", now())
    tokens = await _tokens(client, wechat)
    form = _form()
    first = await client.post("/mp/v1/fleet/requests", headers=bearer(tokens["D0001"]), json=form)
    again = await client.post("/mp/v1/fleet/requests", headers=bearer(tokens["D0001"]), json=form)
    assert (first.status_code, again.status_code) == (201, 200), first.text
    assert first.json()["id"] == again.json()["id"]
    assert await TripRequest.filter(requester_id=fleet_world.requester_id).count() == 1
    request = first.json()
    # no flow set up yet: the built-in chain, one step by the unit's leader
    assert request["state"] == "pending" and request["state_label"] == "审批中"
    assert [s["title"] for s in request["approval"]["steps"]] == ["单位审批"]
    mine = await client.get("/mp/v1/fleet/requests", headers=bearer(tokens["D0001"]))
    assert [r["id"] for r in mine.json()["items"]] == [request["id"]]


async def test_an_outside_city_request_over_quota_takes_every_extra_step_in_order(client, wechat, fleet_world):
    await _flow_with_extra_steps()
    tokens = await _tokens(client, wechat)
    filed = await client.post(
        "/mp/v1/fleet/requests",
        headers=bearer(tokens["D0001"]),
        json=_form(outside_city=True, destination="省城", estimated_km=300),
    )
    request = filed.json()
    assert [s["title"] for s in request["approval"]["steps"]] == ["单位审批", "出市审批", "超额度审批"]
    # the fleet centre cannot take its step before the leaders (no skipping)
    assert_error(await _decide(client, tokens["D0005"], request, 3), 409, "approvals.not_current_step")
    for position, approver in ((1, "D0002"), (2, "D0003"), (3, "D0005")):
        decided = await _decide(client, tokens[approver], request, position)
        assert decided.status_code == 200, decided.text
    approved = await client.get(f"/mp/v1/fleet/requests/{request['id']}", headers=bearer(tokens["D0001"]))
    assert approved.json()["state"] == "approved" and approved.json()["approval"]["state"] == "approved"
    told = await Notice.filter(template="fleet.request", person_id=fleet_world.requester_id).count()
    assert told == 1


async def test_a_refused_request_is_refused_and_its_requester_told(client, wechat, fleet_world):
    await quotas.allocate(CLI_ACTOR, fleet_world.unit_id, _tomorrow(9).year, 1_000_000, "年度核定", now())
    await _flow_with_extra_steps()
    tokens = await _tokens(client, wechat)
    request = (await client.post("/mp/v1/fleet/requests", headers=bearer(tokens["D0001"]), json=_form())).json()
    assert [s["title"] for s in request["approval"]["steps"]] == ["单位审批"]
    refused = await _decide(client, tokens["D0002"], request, 1, approve=False, comment="可乘公共交通")
    assert refused.status_code == 200, refused.text
    stored = await TripRequest.get(id=request["id"])
    assert (stored.state, stored.refusal_reason) == (RequestState.REFUSED, "可乘公共交通")
    assert await Notice.filter(template="fleet.request", subject_id=request["id"]).count() == 1


async def test_a_request_in_a_sealing_period_needs_the_emergency_step(client, wechat, fleet_world):
    await quotas.allocate(CLI_ACTOR, fleet_world.unit_id, _tomorrow(9).year, 1_000_000, "年度核定", now())
    await _flow_with_extra_steps()
    await SealPeriod.create(
        name="节日封存", starts_at=_tomorrow(0), ends_at=_tomorrow(0) + timedelta(days=3), source=SealSource.MANUAL
    )
    tokens = await _tokens(client, wechat)
    request = (await client.post("/mp/v1/fleet/requests", headers=bearer(tokens["D0001"]), json=_form())).json()
    assert request["emergency"] is True
    assert [s["title"] for s in request["approval"]["steps"]] == ["单位审批", "封存期应急审批"]


async def test_the_requester_cancels_until_dispatch_and_nobody_decides_after(client, wechat, fleet_world):
    await _flow_with_extra_steps()
    tokens = await _tokens(client, wechat)
    request = (await client.post("/mp/v1/fleet/requests", headers=bearer(tokens["D0001"]), json=_form())).json()
    cancelled = await client.post(f"/mp/v1/fleet/requests/{request['id']}/cancel", headers=bearer(tokens["D0001"]))
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert cancelled.json()["approval"]["state"] == "cancelled"
    assert_error(await _decide(client, tokens["D0002"], request, 1), 409, "approvals.cancelled")
    # a dispatched request is the dispatcher's to cancel, not the requester's
    other = (await client.post("/mp/v1/fleet/requests", headers=bearer(tokens["D0001"]), json=_form())).json()
    await _decide(client, tokens["D0002"], other, 1)
    stored = await TripRequest.get(id=other["id"])
    await make_trip(stored, fleet_world.sedan, fleet_world.driver)
    await TripRequest.filter(id=other["id"]).update(state=RequestState.DISPATCHED)
    late = await client.post(f"/mp/v1/fleet/requests/{other['id']}/cancel", headers=bearer(tokens["D0001"]))
    assert_error(late, 409, "fleet.request_state")


async def test_another_cadre_neither_sees_nor_cancels_a_request(client, wechat, fleet_world):
    tokens = await _tokens(client, wechat)
    request = (await client.post("/mp/v1/fleet/requests", headers=bearer(tokens["D0001"]), json=_form())).json()
    seen = await client.get(f"/mp/v1/fleet/requests/{request['id']}", headers=bearer(tokens["D0003"]))
    assert_error(seen, 404, "fleet.not_your_request")
    cancel = await client.post(f"/mp/v1/fleet/requests/{request['id']}/cancel", headers=bearer(tokens["D0003"]))
    assert_error(cancel, 404, "fleet.not_your_request")


async def test_bad_windows_passengers_and_purposes_are_refused_with_their_reasons(client, wechat, fleet_world):
    token = (await _tokens(client, wechat))["D0001"]
    cases = {
        "fleet.window_invalid": {"ends_at": _tomorrow(8).isoformat()},
        "fleet.window_in_past": {
            "starts_at": (now() - timedelta(hours=2)).isoformat(),
            "ends_at": (now() - timedelta(hours=1)).isoformat(),
        },
        "fleet.window_too_long": {"ends_at": (_tomorrow(11) + timedelta(days=8)).isoformat()},
        "fleet.window_too_far": {
            "starts_at": (_tomorrow(9) + timedelta(days=120)).isoformat(),
            "ends_at": (_tomorrow(11) + timedelta(days=120)).isoformat(),
        },
        "fleet.purpose_invalid": {"purpose": "shopping"},
        "common.invalid_input": {"passengers": 0, "estimated_km": 0},
    }
    for code, fields in cases.items():
        refused = await client.post("/mp/v1/fleet/requests", headers=bearer(token), json=_form(**fields))
        assert_error(refused, 422, code)
    naive = await client.post(
        "/mp/v1/fleet/requests",
        headers=bearer(token),
        json=_form(starts_at=_tomorrow(9).replace(tzinfo=None).isoformat()),
    )
    assert_error(naive, 422, "common.invalid_input")
    assert await TripRequest.all().count() == 0


async def test_a_request_in_a_sealing_period_is_refused_when_no_emergency_step_is_set_up(client, wechat, fleet_world):
    await SealPeriod.create(
        name="节日封存", starts_at=_tomorrow(0), ends_at=_tomorrow(0) + timedelta(days=3), source=SealSource.MANUAL
    )
    token = (await _tokens(client, wechat))["D0001"]
    refused = await client.post("/mp/v1/fleet/requests", headers=bearer(token), json=_form())
    assert_error(refused, 409, "fleet.sealed_no_emergency_step")
    assert "节日封存" in refused.json()["error"]["message"]
    assert await TripRequest.all().count() == 0
