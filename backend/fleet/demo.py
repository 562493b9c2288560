"""Demo data of the official-cars module's records: a pool of cars of every type (new-energy ones
among them, one sealed, one in repair, one with its inspection falling due, one due a service by
km), cars stationed at two units, cost rates for every type, six drivers (roster people added
for them), two rental companies with their contracted rates, three designated providers and a
few upkeep records. Everything goes through the records and upkeep services, so it is audited
as the console's writes are. The requests and trips of the demo build on these, finding the
cars by plate (`records.vehicle_by_plate`) and the drivers by employee number (`DRIVERS`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from backend.accounts.service import people
from backend.core.audit import CLI_ACTOR
from backend.core.demo import DemoContext
from backend.core.permissions import Scope
from backend.core.timeutil import day_start, today
from backend.fleet.models import LicenceClass, ProviderKind, UpkeepKind, VehicleStatus, VehicleType
from backend.fleet.service import records, upkeep
from backend.fleet.service.records import CompanyDetails, VehicleDetails
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
    return [
        f"公务车辆 {len(ids)} 辆（新能源 {sum(1 for v in VEHICLES if v[3])} 辆），驾驶员 {drivers} 名，"
        f"租赁公司 {len(RENTALS)} 家，定点单位 3 家，维修保养记录 {upkept} 条。"
    ]
