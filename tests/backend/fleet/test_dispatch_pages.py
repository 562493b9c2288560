"""The dispatchers' console pages over HTTP: the requests list with its filters and export, a
request's page with suggestions and the dispatch form, a refusal shown at its field, the form's
key making a double submit one trip, cancel and reassign, the dispatch board's timeline with a
late-return highlight, and who may see and who may act."""

import io
import re
from datetime import timedelta

from openpyxl import load_workbook

from backend.core.timeutil import BUSINESS_TZ, now
from backend.fleet.models import (
    ComplianceFlag,
    FlagKind,
    RentalCompany,
    RentalRate,
    RequestState,
    Trip,
    TripRequest,
    TripState,
    VehicleType,
)
from tests.fixtures.fleet import MONDAY, make_request, make_trip
from tests.helpers import admin_token, bearer, console_admin

VIEWER = ["fleet.view_fleet"]
DISPATCHER = ["fleet.view_fleet", "fleet.dispatch_trip"]
ROW_IDS = re.compile(r'<a href="/console/fleet/requests/(\d+)">')
FORM_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


async def test_the_requests_list_filters_by_state_unit_and_day(client, fleet_world):
    waiting = await make_request(fleet_world)
    other_day = await make_request(fleet_world, MONDAY + timedelta(days=1, hours=9), state=RequestState.PENDING)
    other_unit = await make_request(fleet_world, unit_id=fleet_world.other_unit_id)
    await console_admin(client, "viewer", VIEWER)
    page = await client.get("/console/fleet/requests")
    assert page.status_code == 200 and "待派车 2 件" in page.text
    assert ROW_IDS.findall(page.text) == [str(waiting.id), str(other_unit.id), str(other_day.id)]
    for query, expected in (
        ("state=approved", [waiting.id, other_unit.id]),
        (f"unit={fleet_world.other_unit_id}", [other_unit.id]),
        (f"day={(MONDAY + timedelta(days=1)).date().isoformat()}", [other_day.id]),
    ):
        found = await client.get(f"/console/fleet/requests?{query}")
        assert ROW_IDS.findall(found.text) == [str(i) for i in expected], query


async def test_the_export_holds_the_filtered_requests(client, fleet_world):
    await make_request(fleet_world)
    await make_request(fleet_world, state=RequestState.PENDING)
    await console_admin(client, "viewer", VIEWER)
    response = await client.get("/console/fleet/requests/export.xlsx?state=approved")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "用车开始", "用车结束") and len(rows) == 2 and rows[1][8] == "待派车"


async def test_a_viewer_sees_a_request_but_no_forms_and_cannot_dispatch(client, fleet_world):
    request = await make_request(fleet_world)
    csrf = await console_admin(client, "viewer", VIEWER)
    page = await client.get(f"/console/fleet/requests/{request.id}")
    assert page.status_code == 200 and "赴市政府参加会议" in page.text and 'id="dispatch-form"' not in page.text
    refused = await client.post(
        f"/console/fleet/requests/{request.id}/dispatch",
        data={
            "csrf_token": csrf,
            "vehicle_id": fleet_world.sedan.id,
            "driver_id": fleet_world.driver.id,
            "idempotency_key": "viewer-form-01",
        },
    )
    assert refused.status_code == 403 and await Trip.all().count() == 0


async def test_the_dispatch_form_is_prefilled_with_the_best_suggestion_and_dispatches_once(client, fleet_world):
    request = await make_request(fleet_world)
    csrf = await console_admin(client, "dispatcher", DISPATCHER)
    page = await client.get(f"/console/fleet/requests/{request.id}")
    assert 'data-testid="suggestions"' in page.text and "刘洋（C1）" in page.text
    # The new-energy business car comes first among the pool's cars, with the first free driver.
    assert re.search(rf'<option value="{fleet_world.business.id}" selected>浙AD12345', page.text)
    key = FORM_KEY.search(page.text).group(1)
    form = {
        "csrf_token": csrf,
        "mode": "fleet",
        "vehicle_id": fleet_world.business.id,
        "driver_id": fleet_world.driver.id,
        "idempotency_key": key,
    }
    done = await client.post(f"/console/fleet/requests/{request.id}/dispatch", data=form)
    assert done.status_code == 302 and done.headers["location"].endswith("done=dispatched")
    again = await client.post(f"/console/fleet/requests/{request.id}/dispatch", data=form)
    assert again.status_code == 302 and again.headers["location"].endswith("done=dispatched_replayed")
    assert await Trip.filter(request_id=request.id).count() == 1
    shown = await client.get(done.headers["location"])
    assert "已派车" in shown.text and "浙AD12345" in shown.text and 'id="reassign-form"' in shown.text


async def test_a_refused_dispatch_shows_the_colliding_trip_at_the_vehicle(client, fleet_world):
    held = await make_trip(await make_request(fleet_world, state=RequestState.DISPATCHED), fleet_world.sedan, None)
    request = await make_request(fleet_world, MONDAY + timedelta(hours=10))
    csrf = await console_admin(client, "dispatcher", DISPATCHER)
    refused = await client.post(
        f"/console/fleet/requests/{request.id}/dispatch",
        data={
            "csrf_token": csrf,
            "vehicle_id": fleet_world.sedan.id,
            "driver_id": fleet_world.driver.id,
            "idempotency_key": "refused-form-01",
        },
    )
    assert refused.status_code == 422
    assert re.search(rf'field-error" role="alert">车辆 浙A12345 在该时段已有行程 #{held.id}', refused.text)
    assert (await TripRequest.get(id=request.id)).state == RequestState.APPROVED


async def test_a_rental_is_dispatched_from_its_own_form(client, fleet_world):
    company = await RentalCompany.create(name="安达租车")
    await RentalRate.create(company=company, vehicle_type=VehicleType.MINIBUS, per_day_fen=120000)
    request = await make_request(fleet_world, passengers=15)
    csrf = await console_admin(client, "dispatcher", DISPATCHER)
    page = await client.get(f"/console/fleet/requests/{request.id}")
    assert "安达租车（中巴 1,200.00 元/天）" in page.text
    done = await client.post(
        f"/console/fleet/requests/{request.id}/dispatch",
        data={
            "csrf_token": csrf,
            "mode": "rental",
            "rental_company_id": company.id,
            "rental_vehicle_type": "minibus",
            "idempotency_key": FORM_KEY.search(page.text).group(1),
        },
    )
    assert done.status_code == 302
    trip = await Trip.get(request_id=request.id)
    assert trip.rental_company_id == company.id and trip.vehicle_id is None


async def test_a_rental_trip_is_closed_from_the_companys_bill_and_charged_at_the_contract_price(client, fleet_world):
    company = await RentalCompany.create(name="安达租车")
    await RentalRate.create(company=company, vehicle_type=VehicleType.MINIBUS, per_day_fen=120000, per_km_fen=300)
    start = (now() - timedelta(days=2)).astimezone(BUSINESS_TZ).replace(hour=8, minute=0, second=0, microsecond=0)
    request = await make_request(fleet_world, start, hours=10, passengers=15, state=RequestState.DISPATCHED)
    trip = await make_trip(request, None, None, rental_company=company, rental_vehicle_type=VehicleType.MINIBUS)
    csrf = await console_admin(client, "dispatcher", DISPATCHER)
    page = await client.get(f"/console/fleet/requests/{request.id}")
    assert "租赁收车结算" in page.text
    bill = {"csrf_token": csrf, "km": "180", "toll_fen": "45.50", "parking_fen": "20"}
    future = await client.post(
        f"/console/fleet/trips/{trip.id}/finish-rental",
        data={**bill, "returned_at": (now() + timedelta(hours=2)).astimezone(BUSINESS_TZ).strftime("%Y-%m-%dT%H:%M")},
    )
    assert future.status_code == 422 and "还车时间不能晚于现在" in future.text
    returned = (start + timedelta(hours=30)).strftime("%Y-%m-%dT%H:%M")  # a second started day
    done = await client.post(f"/console/fleet/trips/{trip.id}/finish-rental", data={**bill, "returned_at": returned})
    assert done.status_code == 302 and "rental_finished" in done.headers["location"]
    closed = await Trip.get(id=trip.id)
    assert closed.state == TripState.FINISHED
    assert closed.cost_fen == 2 * 120000 + 180 * 300 + 4550 + 2000
    assert (await TripRequest.get(id=request.id)).state == RequestState.FINISHED


async def test_cancel_and_reassign_from_the_request_page(client, fleet_world):
    request = await make_request(fleet_world, state=RequestState.DISPATCHED)
    trip = await make_trip(request, fleet_world.sedan, fleet_world.driver)
    csrf = await console_admin(client, "dispatcher", DISPATCHER)
    moved = await client.post(
        f"/console/fleet/trips/{trip.id}/reassign",
        data={
            "csrf_token": csrf,
            "vehicle_id": fleet_world.business.id,
            "driver_id": fleet_world.driver.id,
            "idempotency_key": "reassign-form-01",
        },
    )
    assert moved.status_code == 302 and moved.headers["location"].endswith("done=reassigned")
    new = await Trip.get(request_id=request.id, state=TripState.ASSIGNED)
    assert new.vehicle_id == fleet_world.business.id
    no_reason = await client.post(f"/console/fleet/trips/{new.id}/cancel", data={"csrf_token": csrf})
    assert no_reason.status_code == 422
    cancelled = await client.post(
        f"/console/fleet/trips/{new.id}/cancel", data={"csrf_token": csrf, "reason": "会议取消"}
    )
    assert cancelled.status_code == 302
    assert (await TripRequest.get(id=request.id)).state == RequestState.APPROVED
    assert await Trip.filter(request_id=request.id, state=TripState.CANCELLED).count() == 2


async def test_the_board_draws_a_day_of_trips_per_vehicle_with_late_returns_highlighted(client, fleet_world):
    morning = await make_trip(
        await make_request(fleet_world, MONDAY + timedelta(hours=6), hours=6, state=RequestState.DISPATCHED),
        fleet_world.sedan,
        fleet_world.driver,
        state=TripState.STARTED,
    )
    afternoon_request = await make_request(fleet_world, MONDAY + timedelta(hours=18), state=RequestState.DISPATCHED)
    afternoon = await make_trip(afternoon_request, fleet_world.sedan, fleet_world.bus_driver)
    await ComplianceFlag.create(
        kind=FlagKind.LATE_RETURN,
        vehicle=fleet_world.sedan,
        trip=afternoon,
        detail="逾期",
        observed_at=MONDAY + timedelta(hours=18),
        dedupe_key=f"late:{morning.id}:{afternoon.id}",
    )
    await console_admin(client, "viewer", VIEWER)
    board = await client.get(f"/console/fleet/board?day={MONDAY.date().isoformat()}")
    assert board.status_code == 200
    assert board.text.count('class="tl-row" data-vehicle=') == 3
    # 06:00–12:00 (+15 minutes' buffer) of a day: from 25% for 26.042%.
    assert (
        f'class="bar bar-started" style="left:25.0%;width:26.042%" href="/console/fleet/requests/{morning.request_id}"'
        in board.text
    )
    late = 'class="bar bar-assigned bar-late" style="left:75.0%;width:9.375%" href="/console/fleet/requests/{}"'
    assert late.format(afternoon_request.id) in board.text
    week = await client.get(f"/console/fleet/board?day={(MONDAY + timedelta(days=2)).date().isoformat()}&view=week")
    assert "03-08 周一" in week.text and f'data-trip="{morning.id}"' in week.text
    minibuses = await client.get(f"/console/fleet/board?day={MONDAY.date().isoformat()}&type=minibus")
    assert minibuses.text.count('class="tl-row" data-vehicle=') == 1
    pool = await client.get(f"/console/fleet/board?day={MONDAY.date().isoformat()}&home=pool")
    assert pool.text.count('class="tl-row" data-vehicle=') == 2


async def test_the_board_names_trips_running_past_their_planned_end(client, fleet_world):
    started = now().astimezone(BUSINESS_TZ) - timedelta(hours=3)
    request = await make_request(fleet_world, started, hours=1, state=RequestState.DISPATCHED)
    trip = await make_trip(request, fleet_world.sedan, fleet_world.driver, state=TripState.STARTED)
    await console_admin(client, "viewer", VIEWER)
    board = await client.get("/console/fleet/board")
    assert 'data-testid="overrunning"' in board.text and f"#{trip.id} 浙A12345 刘洋" in board.text


async def test_a_refusal_is_shown_when_no_car_is_left_to_suggest(client, fleet_world):
    for car in (fleet_world.business, fleet_world.minibus):
        await make_trip(await make_request(fleet_world, state=RequestState.DISPATCHED), car, None)
    held = await make_trip(await make_request(fleet_world, state=RequestState.DISPATCHED), fleet_world.sedan, None)
    request = await make_request(fleet_world)
    csrf = await console_admin(client, "dispatcher", DISPATCHER)
    refused = await client.post(
        f"/console/fleet/requests/{request.id}/dispatch",
        data={
            "csrf_token": csrf,
            "vehicle_id": fleet_world.sedan.id,
            "driver_id": fleet_world.driver.id,
            "idempotency_key": "refused-form-02",
        },
    )
    assert refused.status_code == 422 and "该时段没有可派的车辆" in refused.text
    assert f'role="alert">车辆 浙A12345 在该时段已有行程 #{held.id}' in refused.text


async def test_the_admin_api_dispatches_once_per_key_and_names_the_trip_in_the_way(client, fleet_world):
    first = await make_request(fleet_world)
    second = await make_request(fleet_world, first.starts_at + timedelta(minutes=30))
    token = await admin_token(client, "dispatch_api", DISPATCHER)
    car = {"vehicle_id": fleet_world.sedan.id, "driver_id": fleet_world.driver.id}
    url = f"/admin/v1/fleet/requests/{first.id}/dispatch"
    made = await client.post(url, headers={**bearer(token), "Idempotency-Key": "key-first-1"}, json=car)
    again = await client.post(url, headers={**bearer(token), "Idempotency-Key": "key-first-1"}, json=car)
    assert (made.status_code, again.status_code) == (201, 200), made.text
    assert made.json()["id"] == again.json()["id"] and made.json()["plate"] == "浙A12345"
    busy = await client.post(
        f"/admin/v1/fleet/requests/{second.id}/dispatch",
        headers={**bearer(token), "Idempotency-Key": "key-second-1"},
        json=car,
    )
    assert busy.status_code == 409 and busy.json()["error"]["code"] == "fleet.vehicle_busy"
    assert busy.json()["error"]["details"]["trip_id"] == made.json()["id"]
    keyless = await client.post(f"/admin/v1/fleet/requests/{second.id}/dispatch", headers=bearer(token), json=car)
    assert keyless.status_code == 422
    assert await Trip.filter(request_id__in=[first.id, second.id]).count() == 1
