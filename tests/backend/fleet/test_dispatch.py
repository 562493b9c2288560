"""Dispatching a request (派车) on whichever database the tests run on: every refusal with its
code, the half-open overlap rule with the buffer, cancelled trips holding nothing, the key that
makes a retry return the first trip, cancel and reassign, and late returns flagged at once."""

from datetime import timedelta

import pytest
from tortoise.transactions import in_transaction

from backend.core.audit import Actor
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.fleet.models import (
    ComplianceFlag,
    DriverLeave,
    FlagKind,
    RentalCompany,
    RentalRate,
    RequestState,
    SealPeriod,
    SealSource,
    Trip,
    TripRequest,
    TripState,
    VehicleStatus,
    VehicleType,
)
from backend.fleet.service import dispatch as service
from tests.fixtures.fleet import MONDAY, make_request, make_trip

ADMIN = Actor(None, "调度员")
AT = MONDAY - timedelta(days=1)
BUFFER = 15


async def _dispatch(request, vehicle=None, driver=None, key: str | None = None, **target):
    return await service.dispatch(
        ADMIN,
        request.id,
        vehicle_id=vehicle.id if vehicle else None,
        driver_id=driver.id if driver else None,
        key=key or f"dispatch-form-{request.id}",
        at=AT,
        buffer_minutes=BUFFER,
        **target,
    )


async def _refused(code: str, request, vehicle=None, driver=None, **target) -> AppError:
    with pytest.raises(AppError) as refused:
        await _dispatch(request, vehicle, driver, **target)
    assert refused.value.code == code, refused.value.message
    assert await Trip.filter(request_id=request.id).count() == 0
    assert (await TripRequest.get(id=request.id)).state == RequestState.APPROVED
    return refused.value


async def test_dispatch_holds_the_car_and_driver_over_the_window_plus_the_buffer(fleet_world):
    request = await make_request(fleet_world)
    trip = await _dispatch(request, fleet_world.sedan, fleet_world.driver)
    assert (trip.planned_start, trip.planned_end) == (request.starts_at, request.ends_at)
    assert trip.blocked_until == request.ends_at + timedelta(minutes=BUFFER)
    assert (trip.plate, trip.driver_name, trip.state, trip.replayed) == ("浙A12345", "刘洋", "assigned", False)
    assert (await TripRequest.get(id=request.id)).state == RequestState.DISPATCHED
    entry = await AuditEntry.get(action="fleet.dispatch_trip")
    assert entry.object_id == str(trip.id) and entry.after["plate"] == "浙A12345"


async def test_the_same_key_again_returns_the_first_trip(fleet_world):
    request = await make_request(fleet_world)
    first = await _dispatch(request, fleet_world.sedan, fleet_world.driver, key="form-key-0001")
    again = await _dispatch(request, fleet_world.business, fleet_world.driver, key="form-key-0001")
    assert again.id == first.id and again.replayed and again.plate == "浙A12345"
    assert await Trip.all().count() == 1
    assert await AuditEntry.filter(action="fleet.dispatch_trip").count() == 1


async def test_a_key_used_for_another_request_is_refused(fleet_world):
    first = await make_request(fleet_world)
    await _dispatch(first, fleet_world.sedan, fleet_world.driver, key="form-key-0001")
    other = await make_request(fleet_world, MONDAY + timedelta(hours=14))
    await _refused("fleet.dispatch_key_used", other, fleet_world.business, fleet_world.driver, key="form-key-0001")


async def test_a_dispatched_request_is_not_dispatched_again_with_another_form(fleet_world):
    request = await make_request(fleet_world)
    await _dispatch(request, fleet_world.sedan, fleet_world.driver)
    with pytest.raises(AppError) as refused:
        await _dispatch(request, fleet_world.business, fleet_world.driver, key="another-form")
    assert refused.value.code == "fleet.request_state" and "已派车" in refused.value.message


@pytest.mark.parametrize("state", [RequestState.PENDING, RequestState.REFUSED, RequestState.CANCELLED])
async def test_only_an_approved_request_is_dispatched(fleet_world, state):
    request = await make_request(fleet_world, state=state)
    with pytest.raises(AppError) as refused:
        await _dispatch(request, fleet_world.sedan, fleet_world.driver)
    assert refused.value.code == "fleet.request_state"


async def test_an_unknown_request_vehicle_or_driver_is_refused(fleet_world):
    request = await make_request(fleet_world)
    with pytest.raises(AppError) as refused:
        await service.dispatch(ADMIN, 9999, vehicle_id=1, driver_id=1, key="key-00001", at=AT, buffer_minutes=15)
    assert refused.value.code == "fleet.request_not_found"
    with pytest.raises(AppError) as refused:
        await service.dispatch(
            ADMIN,
            request.id,
            vehicle_id=9999,
            driver_id=fleet_world.driver.id,
            key="key-00002",
            at=AT,
            buffer_minutes=0,
        )
    assert refused.value.code == "fleet.vehicle_not_found"
    with pytest.raises(AppError) as refused:
        await service.dispatch(
            ADMIN, request.id, vehicle_id=fleet_world.sedan.id, driver_id=9999, key="key-00003", at=AT, buffer_minutes=0
        )
    assert refused.value.code == "fleet.driver_not_found"


async def test_a_dispatch_needs_a_vehicle_and_a_driver_or_a_rental_and_a_usable_key(fleet_world):
    request = await make_request(fleet_world)
    await _refused("fleet.dispatch_target", request, fleet_world.sedan)
    await _refused("fleet.dispatch_target", request)
    await _refused(
        "fleet.dispatch_target",
        request,
        fleet_world.sedan,
        fleet_world.driver,
        rental_company_id=1,
        rental_vehicle_type=VehicleType.SEDAN,
    )
    await _refused("fleet.dispatch_key_invalid", request, fleet_world.sedan, fleet_world.driver, key="short")


@pytest.mark.parametrize("status", [VehicleStatus.SEALED, VehicleStatus.REPAIR, VehicleStatus.DISPOSAL])
async def test_a_car_not_in_use_is_refused(fleet_world, status):
    fleet_world.sedan.status = status
    await fleet_world.sedan.save()
    refusal = await _refused(
        "fleet.vehicle_unavailable", await make_request(fleet_world), fleet_world.sedan, fleet_world.driver
    )
    assert status.label in refusal.message


async def test_a_car_whose_inspection_falls_due_before_the_trip_is_refused(fleet_world):
    fleet_world.sedan.inspection_due = MONDAY.date() - timedelta(days=1)
    await fleet_world.sedan.save()
    await _refused("fleet.inspection_overdue", await make_request(fleet_world), fleet_world.sedan, fleet_world.driver)
    fleet_world.sedan.inspection_due = MONDAY.date()
    await fleet_world.sedan.save()
    assert await _dispatch(await make_request(fleet_world), fleet_world.sedan, fleet_world.driver)


async def test_more_passengers_than_seats_besides_the_driver_is_refused(fleet_world):
    # the sedan's 5 seats are the driver and four passengers
    request = await make_request(fleet_world, passengers=5)
    refusal = await _refused("fleet.passengers_over_seats", request, fleet_world.sedan, fleet_world.driver)
    assert "浙A12345" in refusal.message and "可载乘客 4 人" in refusal.message
    assert await _dispatch(request, fleet_world.business, fleet_world.driver)
    four = await make_request(fleet_world, MONDAY + timedelta(hours=14), passengers=4)
    assert await _dispatch(four, fleet_world.sedan, fleet_world.driver)


async def test_a_request_whose_time_has_passed_is_not_dispatched(fleet_world):
    request = await make_request(fleet_world)
    with pytest.raises(AppError) as refused:
        await service.dispatch(
            ADMIN,
            request.id,
            vehicle_id=fleet_world.sedan.id,
            driver_id=fleet_world.driver.id,
            key="late-key-01",
            at=request.ends_at,
            buffer_minutes=15,
        )
    assert refused.value.code == "fleet.request_ended"
    assert not await Trip.filter(request_id=request.id).exists()


async def test_an_inactive_driver_is_refused(fleet_world):
    fleet_world.driver.is_active = False
    await fleet_world.driver.save()
    await _refused("fleet.driver_inactive", await make_request(fleet_world), fleet_world.sedan, fleet_world.driver)


async def test_a_licence_expiring_before_the_trip_ends_is_refused(fleet_world):
    fleet_world.driver.licence_expires = MONDAY.date() - timedelta(days=1)
    await fleet_world.driver.save()
    await _refused("fleet.licence_expired", await make_request(fleet_world), fleet_world.sedan, fleet_world.driver)


async def test_a_small_car_licence_does_not_drive_a_minibus(fleet_world):
    request = await make_request(fleet_world, passengers=12)
    refusal = await _refused("fleet.licence_unfit", request, fleet_world.minibus, fleet_world.driver)
    assert "中巴" in refusal.message
    assert await _dispatch(request, fleet_world.minibus, fleet_world.bus_driver)


async def test_a_driver_on_leave_over_the_window_is_refused(fleet_world):
    request = await make_request(fleet_world)
    leave = await DriverLeave.create(
        driver=fleet_world.driver,
        starts_at=request.ends_at - timedelta(minutes=1),
        ends_at=MONDAY + timedelta(days=1),
        reason="年休假",
    )
    refusal = await _refused("fleet.driver_on_leave", request, fleet_world.sedan, fleet_world.driver)
    assert "年休假" in refusal.message
    leave.starts_at = request.ends_at  # from the end of the window: not over it
    await leave.save()
    assert await _dispatch(request, fleet_world.sedan, fleet_world.driver)


async def test_a_sealed_period_lets_out_only_emergency_requests_on_cars_on_duty(fleet_world):
    request = await make_request(fleet_world)
    await SealPeriod.create(
        name="清明节",
        starts_at=request.ends_at - timedelta(hours=1),
        ends_at=MONDAY + timedelta(days=3),
        source=SealSource.MANUAL,
    )
    fleet_world.business.on_duty = True
    await fleet_world.business.save()
    # without the emergency step, not even a car on duty
    refusal = await _refused("fleet.sealed_needs_emergency", request, fleet_world.business, fleet_world.bus_driver)
    assert "清明节" in refusal.message
    # with it, a car on duty but no other
    emergency = await make_request(fleet_world, emergency=True)
    await _refused("fleet.sealed_period", emergency, fleet_world.sedan, fleet_world.driver)
    assert await _dispatch(emergency, fleet_world.business, fleet_world.bus_driver)


async def test_a_trip_ending_when_the_sealing_starts_is_outside_it(fleet_world):
    request = await make_request(fleet_world)
    await SealPeriod.create(
        name="清明节", starts_at=request.ends_at, ends_at=MONDAY + timedelta(days=3), source=SealSource.CALENDAR
    )
    assert await _dispatch(request, fleet_world.sedan, fleet_world.driver)


# ---- the overlap rule --------------------------------------------------------------------------


async def test_a_trip_may_start_exactly_when_the_buffered_previous_one_ends(fleet_world):
    first = await make_request(fleet_world, MONDAY + timedelta(hours=9), hours=2)
    await _dispatch(first, fleet_world.sedan, fleet_world.driver)
    # 11:00 + 15 minutes' buffer: 11:15 is free, 11:14 is not.
    touching = await make_request(fleet_world, MONDAY + timedelta(hours=11, minutes=15))
    assert await _dispatch(touching, fleet_world.sedan, fleet_world.driver)
    # And backwards: a trip whose buffered end is exactly the first one's start fits before it.
    before = await make_request(fleet_world, MONDAY + timedelta(hours=7), hours=1.75)
    assert await _dispatch(before, fleet_world.sedan, fleet_world.driver)


async def test_one_minute_into_the_buffer_is_refused_naming_the_trip(fleet_world):
    first = await make_request(fleet_world, MONDAY + timedelta(hours=9), hours=2)
    held = await _dispatch(first, fleet_world.sedan, fleet_world.driver)
    late = await make_request(fleet_world, MONDAY + timedelta(hours=11, minutes=14))
    refusal = await _refused("fleet.vehicle_busy", late, fleet_world.sedan, fleet_world.bus_driver)
    assert refusal.status == 409 and refusal.details["trip_id"] == held.id
    assert f"#{held.id}" in refusal.message and "09:00" in refusal.message and "11:15" in refusal.message


async def test_the_same_driver_in_another_car_is_refused_naming_the_trip(fleet_world):
    held = await _dispatch(await make_request(fleet_world), fleet_world.sedan, fleet_world.driver)
    overlapping = await make_request(fleet_world, MONDAY + timedelta(hours=10))
    refusal = await _refused("fleet.driver_busy", overlapping, fleet_world.business, fleet_world.driver)
    assert refusal.details["trip_id"] == held.id and "刘洋" in refusal.message


async def test_a_trip_ending_where_the_next_starts_is_refused_only_by_the_buffer(fleet_world):
    """The buffer is what holds the car after the trip: with none, back to back is fine."""
    later = await make_request(fleet_world, MONDAY + timedelta(hours=11))
    await make_trip(later, fleet_world.sedan, fleet_world.driver)
    before = await make_request(fleet_world, MONDAY + timedelta(hours=9), hours=2)
    await _refused("fleet.vehicle_busy", before, fleet_world.sedan, fleet_world.bus_driver)
    trip = await service.dispatch(
        ADMIN,
        before.id,
        vehicle_id=fleet_world.business.id,
        driver_id=fleet_world.bus_driver.id,
        key="key-nobuffer",
        at=AT,
        buffer_minutes=0,
    )
    assert trip.blocked_until == trip.planned_end


async def test_cancelled_trips_hold_nothing(fleet_world):
    old = await make_request(fleet_world)
    await make_trip(old, fleet_world.sedan, fleet_world.driver, state=TripState.CANCELLED)
    assert await _dispatch(await make_request(fleet_world), fleet_world.sedan, fleet_world.driver)


async def test_finished_trips_still_hold_their_planned_range(fleet_world):
    old = await make_request(fleet_world)
    await make_trip(old, fleet_world.sedan, fleet_world.driver, state=TripState.FINISHED)
    await _refused("fleet.vehicle_busy", await make_request(fleet_world), fleet_world.sedan, fleet_world.bus_driver)


# ---- rentals -----------------------------------------------------------------------------------


async def test_a_rental_dispatch_needs_a_contracted_rate_for_the_type(fleet_world):
    company = await RentalCompany.create(name="安达租车")
    await RentalRate.create(company=company, vehicle_type=VehicleType.BUSINESS, per_day_fen=60000)
    request = await make_request(fleet_world)
    refusal = await _refused(
        "fleet.no_rental_rate", request, rental_company_id=company.id, rental_vehicle_type=VehicleType.BUS
    )
    assert "安达租车" in refusal.message and "大巴" in refusal.message
    trip = await _dispatch(
        request, rental_company_id=company.id, rental_vehicle_type=VehicleType.BUSINESS, rental_plate="浙a7788x"
    )
    assert (trip.rental_company, trip.rental_vehicle_type, trip.plate, trip.vehicle_id) == (
        "安达租车",
        "business",
        "浙A7788X",
        None,
    )


async def test_an_inactive_rental_company_is_refused(fleet_world):
    company = await RentalCompany.create(name="停用租车", is_active=False)
    await RentalRate.create(company=company, vehicle_type=VehicleType.SEDAN, per_day_fen=30000)
    await _refused(
        "fleet.company_not_found",
        await make_request(fleet_world),
        rental_company_id=company.id,
        rental_vehicle_type=VehicleType.SEDAN,
    )


# ---- cancel and reassign -----------------------------------------------------------------------


async def test_cancelling_a_dispatch_frees_the_car_and_reopens_the_request(fleet_world):
    request = await make_request(fleet_world)
    trip = await _dispatch(request, fleet_world.sedan, fleet_world.driver)
    cancelled = await service.cancel_dispatch(ADMIN, trip.id, "用车人改期", AT)
    assert cancelled.state == "cancelled"
    assert (await TripRequest.get(id=request.id)).state == RequestState.APPROVED
    assert (await AuditEntry.get(action="fleet.cancel_dispatch")).after["reason"] == "用车人改期"
    again = await _dispatch(request, fleet_world.sedan, fleet_world.driver, key="second-form")
    assert again.id != trip.id


async def test_only_a_trip_not_yet_started_is_cancelled_or_reassigned(fleet_world):
    request = await make_request(fleet_world, state=RequestState.DISPATCHED)
    trip = await make_trip(request, fleet_world.sedan, fleet_world.driver, state=TripState.STARTED)
    with pytest.raises(AppError) as refused:
        await service.cancel_dispatch(ADMIN, trip.id, "改期", AT)
    assert refused.value.code == "fleet.trip_state"
    with pytest.raises(AppError) as refused:
        await service.reassign(
            ADMIN, trip.id, fleet_world.business.id, fleet_world.driver.id, "reassign-01", AT, buffer_minutes=BUFFER
        )
    assert refused.value.code == "fleet.trip_state"
    with pytest.raises(AppError) as refused:
        await service.cancel_dispatch(ADMIN, 9999, "改期", AT)
    assert refused.value.code == "fleet.trip_not_found"


async def test_reassigning_cancels_the_trip_and_makes_another_in_one_step(fleet_world):
    request = await make_request(fleet_world)
    trip = await _dispatch(request, fleet_world.sedan, fleet_world.driver)
    # The same driver in another car: the old trip's hold on the driver does not stand in the way.
    moved = await service.reassign(
        ADMIN, trip.id, fleet_world.business.id, fleet_world.driver.id, "reassign-01", AT, buffer_minutes=BUFFER
    )
    assert moved.id != trip.id and moved.plate == "浙AD12345"
    assert (await Trip.get(id=trip.id)).state == TripState.CANCELLED
    assert (await TripRequest.get(id=request.id)).state == RequestState.DISPATCHED
    again = await service.reassign(
        ADMIN, trip.id, fleet_world.business.id, fleet_world.driver.id, "reassign-01", AT, buffer_minutes=BUFFER
    )
    assert again.id == moved.id and again.replayed
    entry = await AuditEntry.get(action="fleet.reassign_trip")
    assert entry.before["plate"] == "浙A12345" and entry.after["replaced_trip_id"] == trip.id


async def test_a_refused_reassignment_leaves_the_trip_as_it_was(fleet_world):
    request = await make_request(fleet_world)
    trip = await _dispatch(request, fleet_world.sedan, fleet_world.driver)
    other = await make_request(fleet_world, MONDAY + timedelta(hours=10))
    blocking = await make_trip(other, fleet_world.business, fleet_world.bus_driver)
    with pytest.raises(AppError) as refused:
        await service.reassign(
            ADMIN, trip.id, fleet_world.business.id, fleet_world.driver.id, "reassign-01", AT, buffer_minutes=BUFFER
        )
    assert refused.value.code == "fleet.vehicle_busy" and refused.value.details["trip_id"] == blocking.id
    assert (await Trip.get(id=trip.id)).state == TripState.ASSIGNED
    assert await Trip.filter(request_id=request.id).count() == 1


# ---- late returns ------------------------------------------------------------------------------


async def test_a_late_return_into_the_next_trip_flags_it_once(fleet_world):
    first = await make_request(fleet_world, MONDAY + timedelta(hours=9), hours=2)
    late = await make_trip(first, fleet_world.sedan, fleet_world.driver, state=TripState.FINISHED)
    following = await make_trip(
        await make_request(fleet_world, MONDAY + timedelta(hours=11, minutes=30)),
        fleet_world.sedan,
        fleet_world.bus_driver,
    )
    late.actual_end = MONDAY + timedelta(hours=11, minutes=40)
    async with in_transaction() as conn:
        assert await service.flag_late_return(conn, late, late.actual_end) == [following.id]
        assert await service.flag_late_return(conn, late, late.actual_end) == [following.id]
    flag = await ComplianceFlag.get(kind=FlagKind.LATE_RETURN)
    assert flag.trip_id == following.id and flag.dedupe_key == f"late:{late.id}:{following.id}"
    assert f"#{following.id}" in flag.detail
    assert await service.late_return_trip_ids([following.id, late.id]) == {following.id}


async def test_a_return_within_the_buffer_flags_nothing(fleet_world):
    first = await make_request(fleet_world, MONDAY + timedelta(hours=9), hours=2)
    trip = await make_trip(first, fleet_world.sedan, fleet_world.driver, state=TripState.FINISHED)
    await make_trip(
        await make_request(fleet_world, MONDAY + timedelta(hours=11, minutes=15)),
        fleet_world.sedan,
        fleet_world.bus_driver,
    )
    trip.actual_end = trip.blocked_until
    async with in_transaction() as conn:
        assert await service.flag_late_return(conn, trip, trip.actual_end) == []
    assert await ComplianceFlag.all().count() == 0


async def test_a_trip_still_out_is_flagged_by_the_check_and_listed_as_overrunning(fleet_world):
    first = await make_request(fleet_world, MONDAY + timedelta(hours=9), hours=2)
    out = await make_trip(first, fleet_world.sedan, fleet_world.driver, state=TripState.STARTED)
    # The driver's next trip, in another car, is run into as well.
    following = await make_trip(
        await make_request(fleet_world, MONDAY + timedelta(hours=12)), fleet_world.business, fleet_world.driver
    )
    assert await service.flag_running_late(MONDAY + timedelta(hours=11, minutes=10)) == 0
    assert await service.flag_running_late(MONDAY + timedelta(hours=12, minutes=5)) == 1
    assert await ComplianceFlag.filter(trip_id=following.id).count() == 1
    running = await service.overrunning(MONDAY + timedelta(hours=12, minutes=5))
    assert [(r["id"], r["minutes_over"]) for r in running] == [(out.id, 65)]
