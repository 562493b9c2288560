"""Sealing periods: generated from the holiday calendar once, set by hand without overlap, the
half-open edges dispatch relies on, and the report of sealed cars that moved."""

from datetime import datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from backend.core.audit import CLI_ACTOR
from backend.core.errors import AppError
from backend.core.models import AuditEntry
from backend.core.timeutil import BUSINESS_TZ
from backend.fleet.models import ComplianceFlag, FlagKind, Position, PositionSource, SealPeriod, SealSource, TripState
from backend.fleet.service import sealing
from tests.fixtures.fleet import make_request, make_trip

SEAL_START = datetime(2026, 10, 1, tzinfo=BUSINESS_TZ)
SEAL_END = datetime(2026, 10, 8, tzinfo=BUSINESS_TZ)


async def test_national_day_2026_is_sealed_from_its_first_day_off_to_the_day_after_its_last(fleet_world):
    result = await sealing.from_calendar(CLI_ACTOR, 2026)
    national = [p for p in result["created"] if "国庆节" in p["name"]]
    assert len(national) == 1
    assert (national[0]["starts_at"], national[0]["ends_at"]) == (SEAL_START, SEAL_END)
    assert national[0]["source"] == SealSource.CALENDAR.value
    # plain weekends are not sealed: every period holds a statutory holiday
    assert all(p["name"].startswith("2026年") for p in result["created"])
    assert len(result["created"]) == 7
    assert await AuditEntry.filter(action="fleet.seal_from_calendar").count() == 7


async def test_generating_the_calendar_twice_creates_nothing_more(fleet_world):
    await sealing.from_calendar(CLI_ACTOR, 2026)
    again = await sealing.from_calendar(CLI_ACTOR, 2026)
    assert again["created"] == [] and len(again["kept"]) == 7
    assert await SealPeriod.all().count() == 7


async def test_a_year_the_calendar_does_not_know_is_refused(fleet_world):
    with pytest.raises(AppError) as refused:
        await sealing.from_calendar(CLI_ACTOR, 2099)
    assert refused.value.code == "fleet.seal_calendar_unknown"


async def test_a_trip_ending_exactly_at_the_sealing_start_or_starting_at_its_end_is_not_covered(fleet_world):
    await sealing.add_manual(CLI_ACTOR, "国庆封存", SEAL_START, SEAL_END)
    async with in_transaction() as conn:
        assert await sealing.seal_covering(conn, SEAL_START - timedelta(hours=2), SEAL_START) is None
        assert await sealing.seal_covering(conn, SEAL_END, SEAL_END + timedelta(hours=2)) is None
        inside = await sealing.seal_covering(conn, SEAL_START - timedelta(hours=2), SEAL_START + timedelta(minutes=1))
        assert inside is not None and inside.name == "国庆封存"
        assert await sealing.seal_covering(conn, SEAL_END - timedelta(minutes=1), SEAL_END + timedelta(hours=1))


async def test_a_manual_period_overlapping_another_is_refused_naming_it(fleet_world):
    await sealing.add_manual(CLI_ACTOR, "国庆封存", SEAL_START, SEAL_END)
    with pytest.raises(AppError) as refused:
        await sealing.add_manual(CLI_ACTOR, "重大活动", SEAL_END - timedelta(hours=1), SEAL_END + timedelta(days=1))
    assert refused.value.code == "fleet.seal_overlaps" and "国庆封存" in refused.value.message
    adjacent = await sealing.add_manual(CLI_ACTOR, "紧接其后", SEAL_END, SEAL_END + timedelta(days=1))
    assert adjacent["name"] == "紧接其后"
    assert await AuditEntry.filter(action="fleet.add_seal_period").count() == 2


@pytest.mark.parametrize(
    ("name", "starts", "ends", "code"),
    [
        ("", SEAL_START, SEAL_END, "fleet.seal_name_invalid"),
        ("倒置", SEAL_END, SEAL_START, "fleet.seal_window_invalid"),
        ("太长", SEAL_START, SEAL_START + timedelta(days=40), "fleet.seal_too_long"),
    ],
)
async def test_a_bad_manual_period_is_refused(fleet_world, name, starts, ends, code):
    with pytest.raises(AppError) as refused:
        await sealing.add_manual(CLI_ACTOR, name, starts, ends)
    assert refused.value.code == code


async def _position(vehicle, at, lat, lng):
    await Position.create(vehicle=vehicle, at=at, lat=lat, lng=lng, datum="wgs84", source=PositionSource.TERMINAL)


async def test_sealed_cars_that_moved_are_reported_and_flagged_once(fleet_world):
    period = await SealPeriod.get(id=(await sealing.add_manual(CLI_ACTOR, "国庆封存", SEAL_START, SEAL_END))["id"])
    sedan, business, minibus = fleet_world.sedan, fleet_world.business, fleet_world.minibus
    # the sedan was driven 2 km; the business car only drifted; the minibus is on duty and drove
    await _position(sedan, SEAL_START + timedelta(days=1), 30.27, 120.15)
    await _position(sedan, SEAL_START + timedelta(days=1, hours=1), 30.288, 120.15)
    await _position(business, SEAL_START + timedelta(days=1), 30.27, 120.15)
    await _position(business, SEAL_START + timedelta(days=2), 30.2705, 120.1505)
    minibus.on_duty = True
    await minibus.save()
    await _position(minibus, SEAL_START + timedelta(days=1), 30.27, 120.15)
    await _position(minibus, SEAL_START + timedelta(days=1, hours=1), 30.35, 120.15)
    # and a trip of the business car starting at the very end of the period is not inside it
    request = await make_request(fleet_world, starts_at=SEAL_END)
    await make_trip(request, business, fleet_world.driver, state=TripState.FINISHED, actual_start=SEAL_END)

    moved = await sealing.sealed_moved(period)
    assert [m["plate"] for m in moved] == [sedan.plate]
    assert 1900 < moved[0]["metres"] < 2100
    # the report only reads; the check flags each car once however often it runs
    assert not await ComplianceFlag.filter(kind=FlagKind.SEALED_MOVED).exists()
    assert await sealing.flag_sealed_moved(period) == 1
    await sealing.flag_sealed_moved(period)
    flags = await ComplianceFlag.filter(kind=FlagKind.SEALED_MOVED)
    assert len(flags) == 1 and flags[0].vehicle_id == sedan.id


async def test_a_trip_started_inside_the_period_counts_as_moving(fleet_world):
    period = await SealPeriod.get(id=(await sealing.add_manual(CLI_ACTOR, "国庆封存", SEAL_START, SEAL_END))["id"])
    request = await make_request(fleet_world, starts_at=SEAL_START + timedelta(days=2))
    trip = await make_trip(
        request,
        fleet_world.business,
        fleet_world.driver,
        state=TripState.FINISHED,
        actual_start=SEAL_START + timedelta(days=2),
    )
    moved = await sealing.sealed_moved(period)
    assert [(m["plate"], m["trip_ids"]) for m in moved] == [(fleet_world.business.plate, [trip.id])]
