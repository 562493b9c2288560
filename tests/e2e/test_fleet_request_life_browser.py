"""A car request's whole life, its console side in a real browser: a cadre asks for a car to
leave the city, the unit's leader and the leader in charge approve it in the mini-program, the
dispatcher sees the chain and dispatches the suggested car, the driver starts and finishes the
trip, the dispatcher uploads its GPX track and sees it drawn on the trip page, and the cost is on
the unit's quota. Pages are saved as screenshots and checked for horizontal overflow."""

import secrets
from datetime import timedelta

from backend.approvals.models import ApproverRole
from backend.approvals.service import setup
from backend.core.audit import CLI_ACTOR
from backend.core.timeutil import BUSINESS_TZ, now
from backend.fleet.models import CostRate, Trip
from backend.fleet.service import quotas, trips
from tests.helpers import bearer, make_admin
from tests.helpers.browser import log_in
from tests.helpers.cadres import bound_token
from tests.helpers.gpx import gpx


async def _no_horizontal_overflow(page) -> None:
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


async def _approved_request(client, wechat, world) -> int:
    """张伟 (发改委·办公室) asks for a car to the provincial capital tomorrow morning; 王芳 approves
    for the unit, 李娜 as the leader in charge of trips out of the city."""
    flow_id = (await setup.create_flow(CLI_ACTOR, "fleet.trip_request", ""))["id"]
    await setup.add_step(CLI_ACTOR, flow_id, ApproverRole.LEADER_IN_CHARGE, "outside_city", "出市审批")
    await setup.assign_approver(CLI_ACTOR, "D0002", ApproverRole.UNIT_LEADER, "FGW")
    await setup.assign_approver(CLI_ACTOR, "D0003", ApproverRole.LEADER_IN_CHARGE, "SJGSW")
    requester = await bound_token(client, wechat, "o-zhangwei", "13800000001")
    start = (now().astimezone(BUSINESS_TZ) + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    filed = await client.post(
        "/mp/v1/fleet/requests",
        headers=bearer(requester),
        json={
            "client_ref": secrets.token_hex(8),
            "purpose": "general",
            "reason": "赴省发改委汇报重点项目进展",
            "passengers": 3,
            "pickup": "市民中心A座",
            "destination": "省发改委",
            "outside_city": True,
            "estimated_km": 160,
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=5)).isoformat(),
        },
    )
    request = filed.json()
    for position, (openid, phone) in enumerate((("o-wangfang", "13800000002"), ("o-lina", "13800000003")), 1):
        approver = await bound_token(client, wechat, openid, phone)
        decided = await client.post(
            f"/mp/v1/approvals/{request['approval']['id']}/decide",
            headers=bearer(approver),
            json={"position": position, "approve": True, "comment": "同意"},
        )
        assert decided.status_code == 200, decided.text
    return request["id"]


async def test_a_request_is_approved_dispatched_driven_tracked_and_charged(
    browser_page, client, wechat, fleet_world, screenshot
):
    await quotas.allocate(CLI_ACTOR, fleet_world.unit_id, now().year + 1, 50_000_00, "年度核定", now())
    await quotas.allocate(CLI_ACTOR, fleet_world.unit_id, now().year, 50_000_00, "年度核定", now())
    request_id = await _approved_request(client, wechat, fleet_world)
    await make_admin("centre", ["fleet.view_fleet", "fleet.dispatch_trip", "fleet.manage_fleet", "fleet.view_quota"])
    page = browser_page
    await log_in(page, "centre")
    # the dispatcher finds it waiting, with the chain that approved it
    await page.click("nav >> text=用车申请")
    await page.click(f"table.data >> text={request_id}")
    await page.wait_for_url(f"**/console/fleet/requests/{request_id}")
    approval = page.locator("#approval")
    assert await approval.locator("tbody tr").count() == 2
    assert "出市审批" in await approval.inner_text() and "李娜" in await approval.inner_text()
    await _no_horizontal_overflow(page)
    await screenshot(page, "fleet-life-request-approved", full_page=True)
    await page.click("#dispatch-form button[type=submit]")
    await page.wait_for_url("**done=dispatched")
    trip = await Trip.get(request_id=request_id).select_related("driver")
    # the driver runs it: 8:05 to 11:50, 152 km, back before the planned 13:00
    started = trip.planned_start + timedelta(minutes=5)
    await trips.start(trip.driver.person_id, trip.id, 1000, started)
    await trips.finish(trip.driver.person_id, trip.id, 1152, 3000, 1000, 0, started + timedelta(hours=3, minutes=45))
    # the dispatcher uploads the track and sees it drawn
    await page.goto(f"/console/fleet/requests/{request_id}")
    await page.click(f"#trips >> text=#{trip.id}")
    await page.wait_for_url(f"**/console/fleet/trips/{trip.id}")
    points = [(30.27 + i * 0.01, 120.15 + i * 0.006, started + timedelta(minutes=5 * i)) for i in range(40)]
    await page.set_input_files(
        "input[type=file][name=file]",
        files=[{"name": "行程.gpx", "mimeType": "application/gpx+xml", "buffer": gpx(points)}],
    )
    await page.click("form[enctype='multipart/form-data'] button[type=submit]")
    await page.wait_for_load_state("load")
    assert await page.locator("[data-testid=track-svg]").count() == 1
    await _no_horizontal_overflow(page)
    await screenshot(page, "fleet-life-trip-track", full_page=True)
    # done, and on the unit's quota
    await page.goto(f"/console/fleet/requests/{request_id}")
    assert "已完成" in await page.locator(".page-title").inner_text()
    await screenshot(page, "fleet-life-request-done", full_page=True)
    await page.goto(f"/console/fleet/quotas/{fleet_world.unit_id}?year={started.year}")
    await _no_horizontal_overflow(page)
    await screenshot(page, "fleet-life-quota", full_page=True)
    done = await Trip.get(id=trip.id).select_related("vehicle")
    rate = await CostRate.get(vehicle_type=done.vehicle.vehicle_type)
    cost = done.cost_fen
    assert cost == 152 * rate.per_km_fen + 3000 + 1000
    assert await quotas.remaining(fleet_world.unit_id, started.year) == 50_000_00 - cost
