"""Demo data of the official-cars module's records: a pool of cars of every type (new-energy ones
among them, one sealed, one in repair, one with its inspection falling due, one due a service by
km), cars stationed at two units, cost rates for every type, six drivers (roster people added
for them), two rental companies with their contracted rates, three designated providers and a
few upkeep records. Then the life of the platform on them: this year's quotas (one moved
between units), the approval chain of a car request with its extra steps, a request in every
state (waiting at the first and at the second step, waiting for a car, dispatched to a car or a
rental, on the road, refused, cancelled, done and rated) and a week of finished trips with a
track, the statutory holidays sealed, the city's geofence, and the flags of the checks.
Everything goes through the module's services with the times it would have happened at, so it
is audited and approved as the console's and the mini-program's writes are."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from backend.accounts.service import people
from backend.approvals import service as approvals
from backend.approvals.service import setup as approval_setup
from backend.core.audit import CLI_ACTOR
from backend.core.demo import DemoContext
from backend.core.errors import AppError
from backend.core.permissions import Scope
from backend.core.timeutil import BUSINESS_TZ, day_start, now, today
from backend.fleet.models import Datum, LicenceClass, ProviderKind, Purpose, UpkeepKind, VehicleStatus, VehicleType
from backend.fleet.service import compliance, dispatch, quotas, records, requests, sealing, tracks, trips, upkeep
from backend.fleet.service.records import CompanyDetails, VehicleDetails
from backend.fleet.service.requests import KIND, RequestForm
from backend.fleet.service.upkeep import UpkeepDetails

# The fleet centre's drivers, added to the roster of the bureau (市机关事务管理局).
DRIVER_ROSTER = """工号,姓名,单位编码,人员类别,手机号
D0101,赵军,SJGSW,聘用,13900000101
D0102,钱勇,SJGSW,聘用,13900000102
D0103,孙磊,SJGSW,外包,13900000103
D0104,周强,SJGSW,聘用,13900000104
D0105,吴斌,SJGSW,在编,13900000105
D0106,郑涛,SJGSW,外包,13900000106
"""
DRIVERS = {
    "D0101": LicenceClass.C1,
    "D0102": LicenceClass.C1,
    "D0103": LicenceClass.C2,
    "D0104": LicenceClass.B1,
    "D0105": LicenceClass.A1,
    "D0106": LicenceClass.B2,
}

CIVIC_CENTRE = ("市民中心地下车库", 30.2450, 120.2100)
BUREAU_YARD = ("机关事务局车队", 30.2741, 120.1551)

# plate, type, seats, new-energy, home unit code (None: the pool), base, odometer, on duty
VEHICLES = (
    ("浙A10001", VehicleType.SEDAN, 5, False, None, CIVIC_CENTRE, 36_200, False),
    ("浙A10002", VehicleType.SEDAN, 5, False, None, CIVIC_CENTRE, 48_500, False),
    ("浙AD10003", VehicleType.SEDAN, 5, True, None, CIVIC_CENTRE, 12_800, True),
    ("浙AD20004", VehicleType.BUSINESS, 7, True, None, BUREAU_YARD, 20_400, False),
    ("浙A20005", VehicleType.BUSINESS, 7, False, None, BUREAU_YARD, 81_000, True),
    ("浙A30006", VehicleType.OFF_ROAD, 5, False, None, BUREAU_YARD, 44_900, False),
    ("浙A40007", VehicleType.MINIBUS, 19, False, None, BUREAU_YARD, 65_500, False),
    ("浙A50008", VehicleType.BUS, 45, False, None, BUREAU_YARD, 120_300, False),
    ("浙A60009", VehicleType.SPECIAL, 5, False, None, BUREAU_YARD, 9_700, True),
    ("浙AF10010", VehicleType.SEDAN, 5, True, "FGW", ("发改委大院", 30.2590, 120.1690), 8_200, False),
    ("浙A10011", VehicleType.SEDAN, 5, False, "CZJ", ("财政局大院", 30.2670, 120.1620), 91_000, False),
    ("浙A10012", VehicleType.SEDAN, 5, False, None, CIVIC_CENTRE, 73_600, False),
)
SEALED, IN_REPAIR, INSPECTION_SOON, SERVICE_DUE = "浙A10011", "浙A10012", "浙A30006", "浙A10002"

COST_RATES = {
    VehicleType.SEDAN: (150, 3000),
    VehicleType.BUSINESS: (200, 3000),
    VehicleType.OFF_ROAD: (220, 3000),
    VehicleType.MINIBUS: (400, 4000),
    VehicleType.BUS: (800, 5000),
    VehicleType.SPECIAL: (300, 4000),
}
RENTALS = (
    (
        CompanyDetails("市汽车租赁有限公司", "黄经理", "0571-88001234", "ZL-2026-01"),
        {VehicleType.SEDAN: (35000, 0), VehicleType.BUSINESS: (60000, 0), VehicleType.MINIBUS: (120000, 300)},
    ),
    (
        CompanyDetails("交运旅游客运公司", "林经理", "0571-88005678", "ZL-2026-02"),
        {VehicleType.MINIBUS: (100000, 350), VehicleType.BUS: (180000, 500)},
    ),
)


async def _add_drivers(demo: DemoContext) -> int:
    await people.import_roster(
        CLI_ACTOR, demo.cipher, Scope.EVERYTHING, "fleet-drivers.csv", DRIVER_ROSTER.encode(), dry_run=False
    )
    expires = today() + timedelta(days=4 * 365)
    for employee_no, licence in DRIVERS.items():
        await records.create_driver(CLI_ACTOR, employee_no, licence, expires)
    # 孙磊 is on leave for two days next week: dispatch must not pick him then.
    sun = next(d for d in await records.list_drivers() if d["employee_no"] == "D0103")
    start = day_start(today() + timedelta(days=7))
    await records.add_leave(CLI_ACTOR, sun["id"], start, start + timedelta(days=2), "年休假")
    return len(DRIVERS)


async def _add_vehicles() -> dict[str, int]:
    day = today()
    ids = {}
    for plate, kind, seats, green, unit_code, (base, lat, lng), odometer, on_duty in VEHICLES:
        unit = await people.unit_by_code(unit_code) if unit_code else None
        inspection = day + timedelta(days=12 if plate == INSPECTION_SOON else 200 + len(ids) * 11)
        created = await records.create_vehicle(
            CLI_ACTOR,
            VehicleDetails(
                plate=plate,
                vehicle_type=kind,
                seats=seats,
                new_energy=green,
                home_unit_id=unit.id if unit else None,
                base_name=base,
                base_lat=lat,
                base_lng=lng,
                on_duty=on_duty,
                odometer_km=odometer,
                inspection_due=inspection,
                insurance_due=day + timedelta(days=120 + len(ids) * 17),
                service_interval_km=5000 if kind in (VehicleType.MINIBUS, VehicleType.BUS) else 10000,
            ),
        )
        ids[plate] = created["id"]
    await records.change_status(CLI_ACTOR, ids[SEALED], VehicleStatus.SEALED, "单位撤并，车辆暂时封存")
    await records.change_status(CLI_ACTOR, ids[IN_REPAIR], VehicleStatus.REPAIR, "变速箱异响，送定点维修")
    return ids


async def _add_upkeep(ids: dict[str, int]) -> int:
    garage = await records.save_provider(
        CLI_ACTOR, None, ProviderKind.GARAGE, "市公务车定点维修中心", "江干区机场路 88 号"
    )
    station = await records.save_provider(CLI_ACTOR, None, ProviderKind.FUEL, "市民中心加油充电站", "市民中心东侧")
    insurer = await records.save_provider(CLI_ACTOR, None, ProviderKind.INSURER, "人保财险市分公司", "延安路 100 号")
    day = today()
    entries = (
        # Serviced at 48,500 km and fuelled at 58,300 since: due a service within the margin.
        UpkeepDetails(ids[SERVICE_DUE], UpkeepKind.MAINTENANCE, day - timedelta(days=150), 38000, garage["id"], 48_500),
        UpkeepDetails(ids[SERVICE_DUE], UpkeepKind.FUEL, day - timedelta(days=1), 39000, station["id"], 58_300),
        UpkeepDetails(ids["浙A10001"], UpkeepKind.MAINTENANCE, day - timedelta(days=20), 52000, garage["id"], 36_000),
        UpkeepDetails(ids[IN_REPAIR], UpkeepKind.REPAIR, day - timedelta(days=1), 186000, garage["id"], 73_600),
        UpkeepDetails(ids["浙A20005"], UpkeepKind.FUEL, day - timedelta(days=2), 42000, station["id"], 80_950),
        UpkeepDetails(ids["浙AD10003"], UpkeepKind.CHARGING, day - timedelta(days=3), 3500, station["id"], 12_700),
        UpkeepDetails(
            ids["浙AD20004"],
            UpkeepKind.INSURANCE,
            day - timedelta(days=5),
            468000,
            insurer["id"],
            next_due=day + timedelta(days=360),
        ),
    )
    for entry in entries:
        await upkeep.record_upkeep(CLI_ACTOR, entry)
    return len(entries)


async def seed(demo: DemoContext) -> list[str]:
    if await records.vehicle_by_plate(VEHICLES[0][0]):
        return []
    ids = await _add_vehicles()
    for kind, (per_km, overtime) in COST_RATES.items():
        await records.save_cost_rate(CLI_ACTOR, kind, per_km, overtime)
    drivers = await _add_drivers(demo)
    for details, rates in RENTALS:
        company = await records.save_company(
            CLI_ACTOR, None, replace(details, contract_ends=date(today().year + 1, 12, 31))
        )
        for kind, (per_day, per_km) in rates.items():
            await records.save_rental_rate(CLI_ACTOR, company["id"], kind, per_day, per_km)
    upkept = await _add_upkeep(ids)
    await _quotas()
    await _approval_chain()
    made = await _requests()
    await _sealing_and_geofence()
    await compliance.run_daily_checks(today() - timedelta(days=1), now())
    raised = await compliance.open_flag_count()
    return [
        f"公务车辆 {len(ids)} 辆（新能源 {sum(1 for v in VEHICLES if v[3])} 辆），驾驶员 {drivers} 名，"
        f"租赁公司 {len(RENTALS)} 家，定点单位 3 家，维修保养记录 {upkept} 条。",
        f"用车申请 {made} 份（审批中、待派车、已派车、行驶中、已完成、已驳回、已取消各有），"
        f"本年度各单位用车额度、审批流程（出市、超额度、封存期加审）、法定节假日封存期、市区电子围栏；"
        f"待处理的督查问题 {raised} 条。",
    ]


# ---- quotas, the approval chain ------------------------------------------------------------------

# Yearly car quotas (元) by unit code; the bureau's pool lends to the finance bureau.
QUOTAS = {"SJGSW": 300_000, "FGW": 120_000, "CZJ": 80_000}


async def _unit_id(code: str) -> int:
    unit = await people.unit_by_code(code)
    assert unit is not None, code
    return unit.id


async def _quotas() -> None:
    year, at = today().year, now()
    for code, yuan in QUOTAS.items():
        await quotas.allocate(CLI_ACTOR, await _unit_id(code), year, yuan * 100, "年度用车额度核定", at)
    await quotas.transfer(
        CLI_ACTOR,
        await _unit_id("SJGSW"),
        await _unit_id("CZJ"),
        year,
        20_000 * 100,
        "下半年执法检查任务增加，从蓄水池调剂",
        "demo-quota-transfer",
        at,
    )


async def _approval_chain() -> None:
    """The default chain of a car request: the unit's leader, then a leader in charge when the
    trip leaves the city, the fleet centre when over quota or in a sealing period."""
    flow_id = (await approval_setup.create_flow(CLI_ACTOR, KIND, ""))["id"]  # with 单位审批
    for role, condition, title in (
        (approvals.ApproverRole.LEADER_IN_CHARGE, "outside_city", "出市审批"),
        (approvals.ApproverRole.AUTHORITY, "over_quota", "超额度审批"),
        (approvals.ApproverRole.AUTHORITY, "sealed_period", "封存期应急审批"),
    ):
        await approval_setup.add_step(CLI_ACTOR, flow_id, role, condition, title)
    # Outside-city trips of every unit go to the bureau's leader in charge.
    await approval_setup.assign_approver(CLI_ACTOR, "D0002", approvals.ApproverRole.LEADER_IN_CHARGE, "SJGSW")


# ---- requests in every state, a week of trips --------------------------------------------------

PLACES = {
    "市民中心": (30.2450, 120.2100),
    "市政府": (30.2743, 120.1552),
    "市发改委": (30.2590, 120.1690),
    "高铁东站": (30.2906, 120.2127),
    "萧山机场": (30.2295, 120.4344),
}
# 王芳 (发改委) and 刘洋 (财政局) ask for cars; their units' leaders (张伟, 李娜), the bureau's
# leader in charge (王芳, for outside-city trips of other units) and the fleet centre (陈静) approve.
WANG, LIU = "D0002", "D0004"
FGW_LEADER, CZJ_LEADER, IN_CHARGE = "D0001", "D0003", "D0002"


def _at(days: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(today() + timedelta(days=days), time(hour, minute), BUSINESS_TZ)


def _form(start: datetime, hours: float, pickup: str, destination: str, **fields) -> RequestForm:
    lat, lng = PLACES[pickup]
    values = {
        "purpose": Purpose.GENERAL,
        "reason": f"赴{destination}办理公务",
        "passengers": 2,
        "pickup": pickup,
        "destination": destination,
        "starts_at": start,
        "ends_at": start + timedelta(hours=hours),
        "pickup_lat": lat,
        "pickup_lng": lng,
        "estimated_km": 20,
        **fields,
    }
    return RequestForm(**values)


async def _file(cadres: dict[str, int], who: str, ref: str, form: RequestForm, at: datetime) -> dict:
    return (await requests.submit(cadres[who], f"demo-{ref}", form, at))[0]


async def _approve(cadres: dict[str, int], request: dict, approvers: tuple[str, ...], at: datetime) -> None:
    approval_id = request["approval"]["id"]
    for position, approver in enumerate(approvers, start=1):
        await approvals.decide(
            approval_id, position, cadres[approver], True, "同意", at + timedelta(minutes=25 * position)
        )


async def _send(request: dict, plate: str, driver: str, at: datetime) -> dispatch.TripView:
    vehicle = await records.vehicle_by_plate(plate)
    assert vehicle is not None, plate
    drivers = {d["employee_no"]: d["id"] for d in await records.list_drivers()}
    return await dispatch.dispatch(
        CLI_ACTOR,
        request["id"],
        vehicle_id=vehicle["id"],
        driver_id=drivers[driver],
        key=f"demo-dispatch-{request['id']:04d}",
        at=at,
        buffer_minutes=15,
    )


def _gpx(pickup: str, destination: str, start: datetime, end: datetime) -> bytes:
    """There and back in a gentle curve, a point every two minutes, in GCJ-02 as a Chinese
    phone's map app records it."""
    (lat1, lng1), (lat2, lng2) = PLACES[pickup], PLACES[destination]
    steps = max(4, int((end - start).total_seconds() // 120))
    points = []
    for i in range(steps + 1):
        f = i / steps
        leg = 1 - abs(1 - 2 * f)  # 0 → 1 (there) → 0 (back)
        bend = 0.004 * math.sin(math.pi * leg)
        lat, lng = lat1 + (lat2 - lat1) * leg + bend, lng1 + (lng2 - lng1) * leg
        at = (start + (end - start) * f).astimezone(BUSINESS_TZ)
        points.append(f'<trkpt lat="{lat:.6f}" lon="{lng:.6f}"><time>{at.isoformat()}</time></trkpt>')
    return (
        '<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="houqin-demo" '
        'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>' + "".join(points) + "</trkseg></trk></gpx>"
    ).encode()


async def _drive(
    trip: dispatch.TripView, km: int, end: datetime | None, track: tuple[str, str] | None = None, gap_km: int = 0
) -> None:
    """The trip started five minutes after the plan with the car's reading (plus `gap_km` that
    no trip explains); back at `end` (None: still out), with its track when given."""
    assert trip.vehicle_id is not None and trip.driver_person_id is not None
    start = trip.planned_start + timedelta(minutes=5)
    reading = (await records.get_vehicle(trip.vehicle_id))["odometer_km"] + gap_km
    await trips.start(trip.driver_person_id, trip.id, reading, start)
    if end is None:
        return
    await trips.finish(trip.driver_person_id, trip.id, reading + km, 1500 if km > 40 else 0, 500, 0, end)
    if track:
        await tracks.import_gpx(CLI_ACTOR, trip.id, _gpx(*track, start, end), Datum.GCJ02, 5 * 1024 * 1024, end)


async def _requests() -> int:
    cadres = await people.people_by_employee_no([WANG, LIU, FGW_LEADER, CZJ_LEADER, "D0005", *DRIVERS])
    made = 0
    # A week of trips done: 王芳 to the city government each working morning, rated.
    for days in range(-7, 0):
        day = today() + timedelta(days=days)
        if day.weekday() >= 5:
            continue
        start = _at(days, 9)
        filed = await _file(
            cadres, WANG, f"week-{days}", _form(start, 2, "市发改委", "市政府"), start - timedelta(days=1)
        )
        await _approve(cadres, filed, (FGW_LEADER,), start - timedelta(days=1))
        trip = await _send(filed, "浙AF10010" if days % 2 else "浙AD10003", "D0101", start - timedelta(hours=18))
        # the second of the week's trips finds 12 km on the clock that no trip explains
        gap = 12 if made == 1 else 0
        await _drive(trip, 9 + days % 3, start + timedelta(hours=1, minutes=50), ("市发改委", "市政府"), gap)
        await trips.confirm(cadres[WANG], filed["id"], 5 if days % 3 else 4, "准时、安全", start + timedelta(hours=3))
        made += 1
    # On the road now: 刘洋 to the high-speed rail station.
    start = now() - timedelta(minutes=50)
    filed = await _file(cadres, LIU, "now", _form(start, 2, "市民中心", "高铁东站"), start - timedelta(hours=20))
    await _approve(cadres, filed, (CZJ_LEADER,), start - timedelta(hours=20))
    await _drive(await _send(filed, "浙AD20004", "D0102", start - timedelta(hours=12)), 0, None)
    # Dispatched for tomorrow: a car and driver, and a rental coach for a 30-person inspection.
    for ref, form, target in (
        ("car", _form(_at(1, 8, 30), 1.5, "市民中心", "市政府"), ("浙AD10003", "D0103")),
        ("coach", _form(_at(1, 13, 30), 4, "市民中心", "萧山机场", passengers=30, reason="调研组接站"), None),
    ):
        filed = await _file(cadres, WANG, ref, form, now() - timedelta(hours=3))
        await _approve(cadres, filed, (FGW_LEADER,), now() - timedelta(hours=3))
        if target:
            await _send(filed, *target, now() - timedelta(hours=1))
        else:
            await _rent(filed, now() - timedelta(hours=1))
    # Waiting for a car, at the first step, at the second (outside the city), refused, cancelled.
    waiting = await _file(
        cadres, WANG, "approved", _form(_at(1, 14), 2.5, "市发改委", "市民中心"), now() - timedelta(hours=2)
    )
    await _approve(cadres, waiting, (FGW_LEADER,), now() - timedelta(hours=2))
    await _file(cadres, WANG, "pending", _form(_at(2, 9), 2, "市发改委", "高铁东站"), now() - timedelta(minutes=40))
    outside = _form(_at(3, 7, 30), 10, "市民中心", "宁波市（出市）", outside_city=True, estimated_km=320)
    second = await _file(cadres, LIU, "outside", outside, now() - timedelta(hours=5))
    await _approve(cadres, second, (CZJ_LEADER,), now() - timedelta(hours=5))
    refused = await _file(
        cadres, WANG, "refused", _form(_at(2, 15), 1, "市发改委", "市政府"), now() - timedelta(hours=6)
    )
    await approvals.decide(
        refused["approval"]["id"], 1, cadres[FGW_LEADER], False, "与上午的用车同路，请合并", now() - timedelta(hours=5)
    )
    cancelled = await _file(
        cadres, LIU, "cancelled", _form(_at(2, 10), 2, "市民中心", "市政府"), now() - timedelta(hours=4)
    )
    await requests.cancel(cadres[LIU], cancelled["id"], now() - timedelta(hours=3))
    return made + 8


async def _rent(request: dict, at: datetime) -> None:
    companies = {c["name"]: c["id"] for c in await records.list_companies()}
    await dispatch.dispatch(
        CLI_ACTOR,
        request["id"],
        rental_company_id=companies["交运旅游客运公司"],
        rental_vehicle_type=VehicleType.BUS,
        key=f"demo-dispatch-{request['id']:04d}",
        at=at,
        buffer_minutes=15,
    )


# ---- sealing, the geofence -------------------------------------------------------------------

# The urban districts, roughly (WGS-84 [lng, lat]): the airport is inside, Ningbo is not.
CITY = [[119.95, 30.05], [120.55, 30.05], [120.55, 30.45], [119.95, 30.45]]


async def _sealing_and_geofence() -> None:
    for year in (today().year, today().year + 1):
        try:
            await sealing.from_calendar(CLI_ACTOR, year)
        except AppError:
            # next year's holidays are not in the calendar data yet
            continue
    await compliance.save_geofence(CLI_ACTOR, "市区", CITY, 10)
