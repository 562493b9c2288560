"""The quota and report pages of official cars: they render the ledger and the trips, a unit's
office sees only its own units, the forms allocate and transfer (and say why not), each table
exports to an Excel file that opens, and the dashboard card counts today's trips."""

import io
from datetime import datetime, timedelta

from openpyxl import load_workbook
from tortoise.transactions import in_transaction

from backend.accounts.models import Person, Unit
from backend.approvals import service as approvals
from backend.approvals.models import ApproverRole
from backend.approvals.service import setup
from backend.core.audit import CLI_ACTOR
from backend.core.timeutil import BUSINESS_TZ, DaySpan, now
from backend.fleet.models import QuotaEntry, RequestState, TripRequest, TripState
from backend.fleet.service import quotas, reports
from tests.fixtures.fleet import MONDAY, make_request, make_trip
from tests.helpers import console_admin

AT = datetime(2027, 3, 1, 10, tzinfo=BUSINESS_TZ)
FLEET = ["fleet.view_quota", "fleet.view_fleet"]


def _rows(content: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(content)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


async def _ledger(world):
    """FGW-BGS: 10,000 yuan allocated, 2,000 moved to CZJ-BGS, one sedan trip of 60 km charged on
    Monday 8 March 2027, and one new-energy trip of 40 km."""
    await quotas.allocate(CLI_ACTOR, world.unit_id, 2027, 10_000_00, "年度核定", AT)
    await quotas.transfer(CLI_ACTOR, world.unit_id, world.other_unit_id, 2027, 2_000_00, "调剂", "page-key-1", AT)
    for vehicle, km, cost in ((world.sedan, 60, 90_00), (world.business, 40, 80_00)):
        request = await make_request(world, state=RequestState.FINISHED)
        trip = await make_trip(
            request,
            vehicle,
            world.driver if vehicle is world.sedan else world.bus_driver,
            state=TripState.FINISHED,
            actual_start=request.starts_at,
            actual_end=request.starts_at + timedelta(hours=2),
            start_odometer_km=1000,
            end_odometer_km=1000 + km,
            cost_fen=cost,
        )
        await quotas.charge(None, trip, AT)


async def test_the_quota_page_shows_each_units_year_and_exports_it(client, fleet_world):
    await _ledger(fleet_world)
    await console_admin(client, "quota_viewer", ["fleet.view_quota"])
    page = await client.get("/console/fleet/quotas?year=2027")
    assert page.status_code == 200, page.text
    assert "市发展和改革委员会·办公室" in page.text and "市财政局·办公室" in page.text
    assert 'data-testid="quota-chart"' in page.text and 'class="bar"' in page.text
    assert "8,000.00" in page.text and "7,830.00" in page.text  # FGW-BGS: quota, remaining
    assert 'action="/console/fleet/quotas/allocate"' not in page.text  # viewing only
    rows = _rows((await client.get("/console/fleet/quotas/export.xlsx?year=2027")).content)
    header = rows.index(["单位", "年度额度（元）", "其中核定（元）", "其中调剂（元）", "已用（元）", "剩余（元）"])
    fgw = next(r for r in rows[header + 1 :] if r[0] == "市发展和改革委员会·办公室")
    assert fgw[1:] == [8000, 10000, -2000, 170, 7830]


async def test_a_units_months_show_the_charge_in_march(client, fleet_world):
    await _ledger(fleet_world)
    await console_admin(client, "quota_viewer", ["fleet.view_quota"])
    page = await client.get(f"/console/fleet/quotas/{fleet_world.unit_id}?year=2027")
    assert page.status_code == 200 and 'data-testid="quota-months-chart"' in page.text
    assert 'data-testid="quota-remaining">¥7,830.00<' in page.text
    rows = _rows((await client.get(f"/console/fleet/quotas/{fleet_world.unit_id}/export.xlsx?year=2027")).content)
    assert ["3月", 10000, -2000, 170, 7830] in rows


async def test_a_units_office_sees_only_its_own_units(client, fleet_world):
    await _ledger(fleet_world)
    await console_admin(client, "fgw_office", ["fleet.view_quota"], unit_code="FGW")
    page = await client.get("/console/fleet/quotas?year=2027")
    assert "市发展和改革委员会·办公室" in page.text and "市财政局" not in page.text
    assert (await client.get(f"/console/fleet/quotas/{fleet_world.other_unit_id}?year=2027")).status_code == 404
    report = await client.get("/console/fleet/reports?since=2027-03-01&until=2027-03-31")
    assert report.status_code == 200 and "市财政局" not in report.text
    assert 'data-testid="vehicles-table"' not in report.text  # the fleet is not theirs to see
    assert (await client.get("/console/fleet/reports/vehicles.xlsx")).status_code == 403
    rows = _rows((await client.get("/console/fleet/reports/units.xlsx?since=2027-03-01&until=2027-03-31")).content)
    assert [r[0] for r in rows if r and r[0] and "办公室" in str(r[0])] == ["市发展和改革委员会·办公室"]


async def test_the_allocate_and_transfer_forms_book_the_ledger_and_say_why_not(client, fleet_world):
    csrf = await console_admin(client, "quota_manager", ["fleet.view_quota", "fleet.manage_quota"])
    page = await client.get("/console/fleet/quotas?year=2027")
    assert 'action="/console/fleet/quotas/allocate"' in page.text
    allocated = await client.post(
        "/console/fleet/quotas/allocate",
        data={
            "csrf_token": csrf,
            "unit_id": fleet_world.unit_id,
            "year": "2027",
            "amount_fen": "500.50",
            "reason": "年度核定",
        },
    )
    assert allocated.status_code == 302 and "done=allocated" in allocated.headers["location"]
    assert await quotas.balance(fleet_world.unit_id, 2027) == 500_50
    form = {"csrf_token": csrf, "from_unit_id": fleet_world.unit_id, "to_unit_id": fleet_world.other_unit_id}
    short = await client.post(
        "/console/fleet/quotas/transfer",
        data={**form, "year": "2027", "amount_fen": "600", "reason": "调剂", "key": "form-key-0001"},
    )
    assert short.status_code == 422 and "不足调出 600.00 元" in short.text
    bad = await client.post(
        "/console/fleet/quotas/transfer",
        data={**form, "year": "2027", "amount_fen": "12.345", "reason": "调剂", "key": "form-key-0002"},
    )
    assert bad.status_code == 422 and "请输入金额" in bad.text
    moved = await client.post(
        "/console/fleet/quotas/transfer",
        data={**form, "year": "2027", "amount_fen": "100", "reason": "调剂", "key": "form-key-0003"},
    )
    assert moved.status_code == 302
    assert await quotas.balance(fleet_world.other_unit_id, 2027) == 100_00
    assert await QuotaEntry.filter(transfer_key="form-key-0003").count() == 2


async def test_a_viewer_cannot_post_the_quota_forms(client, fleet_world):
    csrf = await console_admin(client, "quota_viewer", ["fleet.view_quota"])
    refused = await client.post(
        "/console/fleet/quotas/allocate",
        data={"csrf_token": csrf, "unit_id": fleet_world.unit_id, "year": "2027", "amount_fen": "5", "reason": "核定"},
    )
    assert refused.status_code == 403 and await QuotaEntry.all().count() == 0


async def test_the_report_shows_usage_utilisation_and_new_energy_share_and_exports_them(client, fleet_world):
    await _ledger(fleet_world)
    await console_admin(client, "fleet_centre", FLEET)
    page = await client.get("/console/fleet/reports?since=2027-03-08&until=2027-03-08")
    assert page.status_code == 200, page.text
    assert 'data-testid="report-trips">2<' in page.text and 'data-testid="units-chart"' in page.text
    units = _rows((await client.get("/console/fleet/reports/units.xlsx?since=2027-03-08&until=2027-03-08")).content)
    assert ["市发展和改革委员会·办公室", 2, 100, 170, 8000, 170, 7830, 2.1] in units
    vehicles = _rows(
        (await client.get("/console/fleet/reports/vehicles.xlsx?since=2027-03-08&until=2027-03-08")).content
    )
    # two hours out of the day's 24
    assert ["浙A12345", "轿车", "否", 1, 60, 2.0, 8.3] in vehicles
    assert ["浙A88888", "中巴", "否", 0, 0, 0.0, 0.0] in vehicles
    energy = _rows((await client.get("/console/fleet/reports/energy.xlsx?since=2027-03-08&until=2027-03-08")).content)
    assert ["新能源", 1, 40] in energy and ["新能源占比（%）", 50.0, 40.0] in energy


async def test_a_range_with_no_trips_reports_no_share_rather_than_zero(fleet_world):
    span = DaySpan(MONDAY.date(), MONDAY.date())
    energy = await reports.energy_share(reports.Scope.EVERYTHING, span)
    assert energy["trips"] == 0 and energy["trip_share"] is None


async def test_todays_trips_are_counted_planned_running_late_and_finished(fleet_world):
    nine = MONDAY + timedelta(hours=9)
    late = await make_trip(
        await make_request(fleet_world, starts_at=nine, hours=1), fleet_world.sedan, fleet_world.driver
    )
    await late.filter(id=late.id).update(state=TripState.STARTED, actual_start=nine)
    await make_trip(
        await make_request(fleet_world, starts_at=nine, hours=1),
        fleet_world.business,
        fleet_world.bus_driver,
        state=TripState.FINISHED,
        actual_start=nine,
        actual_end=nine + timedelta(hours=1),
    )
    await make_trip(
        await make_request(fleet_world, starts_at=nine + timedelta(days=1)), fleet_world.minibus, fleet_world.bus_driver
    )
    counts = await reports.today_counts(MONDAY.date(), nine + timedelta(hours=2))
    assert counts == {"planned": 2, "running": 1, "overdue": 1, "finished": 1}
    assert (await reports.today_counts(MONDAY.date(), nine + timedelta(minutes=30)))["overdue"] == 0


async def test_the_dashboard_card_alerts_on_a_car_out_past_its_plan(client, fleet_world):
    start = now() - timedelta(hours=3)
    late = await make_trip(
        await make_request(fleet_world, starts_at=start, hours=1), fleet_world.sedan, fleet_world.driver
    )
    await late.filter(id=late.id).update(state=TripState.STARTED, actual_start=start)
    await console_admin(client, "fleet_centre", FLEET)
    dashboard = await client.get("/console/")
    assert 'data-testid="fleet-card"' in dashboard.text and 'data-testid="fleet-running">1<' in dashboard.text
    assert "1 趟公务用车已过计划收车时间" in dashboard.text


async def test_the_approval_speed_of_each_units_requests_is_reported_and_exported(client, fleet_world):
    """Two requests of 发改委·办公室 approved by its leader 30 and 90 minutes after they were
    filed on Monday 8 March 2027: on average an hour, 90% within 90 minutes."""
    await setup.assign_approver(CLI_ACTOR, "D0002", ApproverRole.UNIT_LEADER, "FGW")
    leader = await Person.get(employee_no="D0002")
    for minutes in (30, 90):
        request = await make_request(fleet_world, state=RequestState.PENDING)
        subject = approvals.Subject(
            "fleet.trip_request", request.id, fleet_world.unit_id, fleet_world.requester_id, "用车"
        )
        async with in_transaction() as conn:
            view = await approvals.start(conn, subject, frozenset(), AT.replace(day=8))
        await approvals.decide(view.id, 1, leader.id, True, "", AT.replace(day=8) + timedelta(minutes=minutes))
    await console_admin(client, "fleet_quota", ["fleet.view_quota"])
    page = await client.get("/console/fleet/reports?since=2027-03-08&until=2027-03-08")
    assert 'data-testid="approvals-table"' in page.text
    rows = _rows((await client.get("/console/fleet/reports/approvals.xlsx?since=2027-03-08&until=2027-03-08")).content)
    assert rows == [
        ["单位", "审批通过（份）", "平均用时（分钟）", "90% 在（分钟）以内"],
        ["市发展和改革委员会·办公室", 2, 60.0, 90.0],
    ]
    assert (await TripRequest.filter(state=RequestState.APPROVED).count()) == 2
    # nothing approved the next day
    empty = await client.get("/console/fleet/reports/approvals.xlsx?since=2027-03-09&until=2027-03-09")
    assert _rows(empty.content) == [["单位", "审批通过（份）", "平均用时（分钟）", "90% 在（分钟）以内"]]


async def test_an_offices_trip_counts_for_the_agency_whose_quota_paid_for_it(fleet_world):
    agency = await Unit.get(code="FGW")
    await quotas.allocate(CLI_ACTOR, agency.id, 2027, 10_000_00, "年度核定", AT)
    request = await make_request(fleet_world, state=RequestState.FINISHED)  # 发改委·办公室
    trip = await make_trip(
        request,
        fleet_world.sedan,
        fleet_world.driver,
        state=TripState.FINISHED,
        actual_start=request.starts_at,
        actual_end=request.starts_at + timedelta(hours=2),
        start_odometer_km=1000,
        end_odometer_km=1030,
        cost_fen=45_00,
    )
    await quotas.charge(None, trip, AT)
    rows = await reports.usage_by_unit(reports.Scope.EVERYTHING, DaySpan(MONDAY.date(), MONDAY.date()))
    assert [(r["unit"], r["trips"], r["cost_fen"], r["used_fen"]) for r in rows] == [
        ("市发展和改革委员会", 1, 45_00, 45_00)
    ]
