"""Demo data of energy for `make run`: in the demo building 行政中心, electricity meters on
simulators (a bank of Modbus TCP meters and a DL/T 645 gateway, started by `houqin run`, see
`service/simulators.py`) for the development and reform commission's two offices, the finance
bureau, the shared public lighting and air conditioning (apportioned by area), a safety circuit,
and the roof's PV generation and grid export; manual water meters; the quotas, the 2020 baseline
and the plan's targets (−6 %, −7 %, −7 %, −7 % by 2025); the units' energy contacts; eleven
months of history read daily and this month so far read every collection slot, so that the
commission is near its budget (about 90 % used) whatever the day and hour. Everything goes
through energy's services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from backend.accounts.service import people
from backend.core.audit import CLI_ACTOR
from backend.core.demo import DemoContext
from backend.core.timeutil import BUSINESS_TZ, add_months, now
from backend.energy.config import EnergySettings
from backend.energy.models import Indicator, MeterKind, MeterRole, Protocol, ReadingSource
from backend.energy.service import budgets, contacts, derive, meters, quotas, readings, targets
from backend.energy.service.readings import ReadingIn
from backend.modules import settings_of
from backend.places import service as places

BUILDING = "行政中心"
MODBUS_MODEL = "DDS1352 导轨式电能表（Modbus）"
DLT645_MODEL = "DDZY1710 费控智能电能表（DL/T 645）"
# Total active energy as a big-endian uint32 of 0.01 kWh in holding registers 0-1, the supply
# relay on coil 0 (the fixture's map, the commonest layout of DIN-rail meters).
MODBUS_MAP = {
    "function": "holding",
    "address": 0,
    "data_type": "uint32",
    "word_order": "big",
    "milli_per_count": 10,
    "coil": 0,
}
# Where the simulators listen (service/simulators.py starts them there in `houqin run`).
SIM_HOST = "127.0.0.1"
MODBUS_PORT = 15502
DLT645_PORT = 16645
DLT645_SECRET = "02123456:00000001"
HISTORY_MONTHS = 11
# Electricity use by month of the year, relative to the year's average (summer and winter air
# conditioning).
SEASON = (115, 100, 90, 85, 90, 105, 120, 125, 105, 90, 95, 110)


@dataclass(frozen=True)
class DemoMeter:
    code: str
    name: str
    kind: MeterKind
    room: str  # a room of the demo building, or "" for the building itself
    unit: str = ""  # unit code; "" with `shared` for a shared meter, or for PV
    shared: tuple[str, ...] = ()
    model: str = ""  # "" for a manual meter
    address: str = ""
    multiplier: int = 1
    role: MeterRole = MeterRole.CONSUMPTION
    is_safety: bool = False
    start_milli: int = 0  # the register a year ago (as read, before the multiplier)
    monthly_milli: int = 0  # an average month's use in the history (after the multiplier)
    # This month so far, in hundredths of the unit's budget of the kind (a shared meter: of
    # FGW's). FGW's own electricity meters add up to 84 % and its part of the shared one to a few
    # more: near its budget, not over.
    budget_share: int = 0
    # The simulator's load (register thousandths per hour), so that use goes on after the start.
    sim_load: int = 0


METERS = (
    DemoMeter(
        "E-FGW-01",
        "发改委办公室用电",
        MeterKind.ELECTRICITY,
        "301",
        unit="FGW",
        model=MODBUS_MODEL,
        address="1",
        start_milli=12_345_670,
        monthly_milli=620_000,
        budget_share=50,
        sim_load=900,
    ),
    DemoMeter(
        "E-FGW-02",
        "发改委发展规划处用电",
        MeterKind.ELECTRICITY,
        "302",
        unit="FGW",
        model=DLT645_MODEL,
        address="000000000102",
        start_milli=8_765_430,
        monthly_milli=410_000,
        budget_share=30,
        sim_load=600,
    ),
    DemoMeter(
        "E-FGW-SAFE",
        "发改委消防与应急照明",
        MeterKind.ELECTRICITY,
        "301",
        unit="FGW",
        model=MODBUS_MODEL,
        address="4",
        is_safety=True,
        start_milli=1_024_000,
        monthly_milli=40_000,
        budget_share=4,
        sim_load=60,
    ),
    DemoMeter(
        "E-CZJ-01",
        "财政局办公室用电",
        MeterKind.ELECTRICITY,
        "102",
        unit="CZJ",
        model=MODBUS_MODEL,
        address="2",
        start_milli=5_432_100,
        monthly_milli=150_000,
        budget_share=45,
        sim_load=200,
    ),
    DemoMeter(
        "E-PUB-01",
        "行政中心公共照明与空调",
        MeterKind.ELECTRICITY,
        "",
        shared=("FGW", "CZJ"),
        model=MODBUS_MODEL,
        address="3",
        multiplier=20,
        start_milli=2_000_000,
        monthly_milli=160_000,
        budget_share=8,
        sim_load=12,
    ),
    DemoMeter(
        "E-PV-01",
        "屋顶光伏发电",
        MeterKind.ELECTRICITY,
        "",
        model=MODBUS_MODEL,
        address="5",
        role=MeterRole.PV_GENERATION,
        start_milli=3_000_000,
        monthly_milli=300_000,
        sim_load=400,
    ),
    DemoMeter(
        "E-PV-02",
        "屋顶光伏上网",
        MeterKind.ELECTRICITY,
        "",
        model=MODBUS_MODEL,
        address="6",
        role=MeterRole.GRID_EXPORT,
        start_milli=500_000,
        monthly_milli=60_000,
        sim_load=80,
    ),
    DemoMeter(
        "W-FGW-01",
        "发改委用水",
        MeterKind.WATER,
        "301",
        unit="FGW",
        start_milli=2_345_000,
        monthly_milli=5_000,
        budget_share=50,
    ),
    DemoMeter(
        "W-CZJ-01",
        "财政局用水",
        MeterKind.WATER,
        "102",
        unit="CZJ",
        start_milli=1_234_000,
        monthly_milli=2_000,
        budget_share=40,
    ),
)
# kind -> (per person a month, per m² of building area a month), in the kind's unit.
QUOTAS = {MeterKind.ELECTRICITY: ("400", "5"), MeterKind.WATER: ("3", "0.05")}
BASELINE_YEAR, TARGET_YEAR = 2020, 2025
BASELINE = {"area": "286.00", "headcount": 3, MeterKind.ELECTRICITY: "15800", MeterKind.WATER: "95"}
TARGETS = (
    (Indicator.ENERGY_PER_M2, "6"),
    (Indicator.ENERGY_PER_PERSON, "7"),
    (Indicator.WATER_PER_PERSON, "7"),
    (Indicator.CARBON_PER_M2, "7"),
)
CONTACTS = (("FGW", "D0001"), ("CZJ", "D0003"))


# A month younger than this is seeded with ordinary use and a lowered budget (see `seed`).
YOUNG_MONTH = timedelta(days=2)
NEAR_PERCENT = 90


def _month_start(day: date) -> datetime:
    return datetime(day.year, day.month, 1, tzinfo=BUSINESS_TZ)


def _weight(at: datetime) -> int:
    """How busy an office is at `at` (Beijing time): working hours on weekdays, a base load else."""
    local = at.astimezone(BUSINESS_TZ)
    return 10 if local.weekday() < 5 and 8 <= local.hour < 18 else 3


def _spread(total: int, moments: list[datetime]) -> list[int]:
    """`total` thousandths over `moments` by their weights, in whole thousandths summing exactly."""
    weights = [_weight(m) for m in moments]
    whole = sum(weights) or 1
    parts = [total * w // whole for w in weights]
    for i in range(total - sum(parts)):
        parts[i % len(parts)] += 1
    return parts


def _meter_fields(
    demo_meter: DemoMeter, rooms: dict[str, int], building_id: int, units: dict[str, int], models: dict[str, dict]
) -> meters.MeterFields:
    model = models.get(demo_meter.model)
    port = DLT645_PORT if model and model["protocol"] == Protocol.DLT645.value else MODBUS_PORT
    return meters.MeterFields(
        code=demo_meter.code,
        name=demo_meter.name,
        kind=demo_meter.kind.value,
        role=demo_meter.role.value,
        place_id=str(rooms[demo_meter.room] if demo_meter.room else building_id),
        unit_id=str(units[demo_meter.unit]) if demo_meter.unit else "",
        shared_unit_ids=tuple(str(units[u]) for u in demo_meter.shared),
        apportion="area" if demo_meter.shared else "none",
        model_id=str(model["id"]) if model else "",
        endpoint=f"{SIM_HOST}:{port}" if model else "",
        device_address=demo_meter.address,
        control_secret=DLT645_SECRET if model and model["protocol"] == Protocol.DLT645.value else "",
        multiplier=str(demo_meter.multiplier),
        is_safety=demo_meter.is_safety,
        installed_on=add_months(now().astimezone(BUSINESS_TZ).date().replace(day=1), -HISTORY_MONTHS - 1).isoformat(),
    )


def _history(demo_meter: DemoMeter, first_month: date, this_month: date) -> list[tuple[datetime, int]]:
    """(moment, use since the previous moment) read once a day, from a year ago to this month's start."""
    points: list[tuple[datetime, int]] = []
    month = first_month
    while month < this_month:
        days = (add_months(month, 1) - month).days
        season = SEASON[month.month - 1] if demo_meter.kind is MeterKind.ELECTRICITY else 100
        total = demo_meter.monthly_milli * season // 100
        moments = [_month_start(month) + timedelta(days=d + 1) for d in range(days)]
        points += list(zip(moments, _spread_days(total, moments), strict=True))
        month = add_months(month, 1)
    return points


def _spread_days(total: int, moments: list[datetime]) -> list[int]:
    """A month's use over its days, weekdays busier than weekends (each day ends at a moment)."""
    weights = [10 if (m - timedelta(days=1)).weekday() < 5 else 4 for m in moments]
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    for i in range(total - sum(parts)):
        parts[i % len(parts)] += 1
    return parts


def _backfill(
    demo_meter: DemoMeter, meter_id: int, this_month_use: int, at: datetime, settings: EnergySettings
) -> list[ReadingIn]:
    """The meter's readings as the collector (or a person, for a manual meter) would have taken
    them: daily for eleven months, then every slot of this month up to `at`."""
    this_month = at.astimezone(BUSINESS_TZ).date().replace(day=1)
    first_month = add_months(this_month, -HISTORY_MONTHS)
    source = ReadingSource.COLLECTOR if demo_meter.model else ReadingSource.MANUAL
    slot = timedelta(minutes=settings.poll_minutes)
    start = _month_start(this_month)
    slots = [start + slot * i for i in range(1, int((at - start) / slot) + 1)]
    if not demo_meter.model:  # read by hand once a day, at nine
        slots = [s for s in slots if s.astimezone(BUSINESS_TZ).hour == 9 and s.minute == 0]
    points = _history(demo_meter, first_month, this_month)
    points += list(zip(slots, _spread(this_month_use, slots), strict=True)) if slots else []
    register = demo_meter.start_milli
    rows = [ReadingIn(meter_id, _month_start(first_month), _month_start(first_month), register, source)]
    carried = 0  # use below one register count, carried to the next reading
    for moment, use in points:
        carried += use
        register += carried // demo_meter.multiplier
        carried %= demo_meter.multiplier
        rows.append(ReadingIn(meter_id, moment, moment + timedelta(seconds=7), register, source))
    return rows


def _quantity_text(milli: int) -> str:
    sign = "-" if milli < 0 else ""
    return f"{sign}{abs(milli) // 1000}.{abs(milli) % 1000:03d}"


async def _lower_to_near(unit_id: int, month: date, at: datetime, settings: EnergySettings) -> None:
    """Lower the unit's electricity budget so that what it used so far is NEAR_PERCENT of it."""
    row = next(r for r in await budgets.unit_budget(unit_id, month) if r["kind"] == MeterKind.ELECTRICITY.value)
    if row["used_milli"] <= 0:
        return
    target = row["used_milli"] * 100 // NEAR_PERCENT
    await budgets.adjust(
        CLI_ACTOR, row["id"], _quantity_text(target - row["amount_milli"]), "演示数据：月初压减本月用电预算"
    )
    await budgets.evaluate(at, settings)


async def seed(demo: DemoContext) -> list[str]:
    if any(m["name"] == MODBUS_MODEL for m in await meters.models()):
        return []
    building_id = next((b["id"] for b in await places.buildings() if b["name"] == BUILDING), None)
    units = {}
    for code in {m.unit for m in METERS if m.unit} | {u for m in METERS for u in m.shared}:
        unit = await people.unit_by_code(code)
        if unit is None:
            return []
        units[code] = unit.id
    if building_id is None:
        return []
    within = set(await places.ids_within(building_id))
    rooms = {p["name"]: p["id"] for p in await places.tree() if p["id"] in within and p["kind"] == "room"}
    if any(m.room and m.room not in rooms for m in METERS):
        return []
    settings = settings_of(demo.settings, "energy")
    at = now()
    this_month = at.astimezone(BUSINESS_TZ).date().replace(day=1)

    models = {
        MODBUS_MODEL: await meters.create_model(CLI_ACTOR, MODBUS_MODEL, Protocol.MODBUS_TCP, MODBUS_MAP, True),
        DLT645_MODEL: await meters.create_model(CLI_ACTOR, DLT645_MODEL, Protocol.DLT645, {}, True),
    }
    registered = {}
    for demo_meter in METERS:
        fields = _meter_fields(demo_meter, rooms, building_id, units, models)
        registered[demo_meter.code] = (await meters.create_meter(CLI_ACTOR, demo.cipher, fields))["id"]

    for kind, (per_person, per_m2) in QUOTAS.items():
        await quotas.set_quota(CLI_ACTOR, kind, this_month, per_person, per_m2)
    await targets.set_baseline(
        CLI_ACTOR,
        BASELINE_YEAR,
        BASELINE["area"],
        BASELINE["headcount"],
        {kind: BASELINE.get(kind, "0") for kind in MeterKind},
    )
    for indicator, reduction in TARGETS:
        await targets.set_target(CLI_ACTOR, indicator, BASELINE_YEAR, TARGET_YEAR, reduction)
    staff = await people.people_by_employee_no([no for _, no in CONTACTS])
    for unit_code, employee_no in CONTACTS:
        await contacts.add_contact(CLI_ACTOR, units[unit_code], staff[employee_no])

    # This month's use is set from the budgets as computed from today's roster, so that the
    # commission is near its budget however the budget comes out.
    await budgets.ensure_month(this_month)
    amounts = {(r["unit_id"], r["kind"]): r["amount_milli"] for r in await budgets.budget_status(this_month, None)}
    # In a month's first days most of a budget cannot have been used without every reading being
    # held as a spike, so then the use is an ordinary month's so far and the commission's budget
    # is lowered to match instead (an audited adjustment, as the energy office would make).
    elapsed = at - _month_start(this_month)
    young = elapsed < YOUNG_MONTH
    for demo_meter in METERS:
        base_unit = units[demo_meter.unit or "FGW"] if demo_meter.role is MeterRole.CONSUMPTION else None
        budget = amounts.get((base_unit, demo_meter.kind.value), 0) if base_unit else 0
        if base_unit and not young:
            this_month_use = budget * demo_meter.budget_share // 100
        else:
            this_month_use = demo_meter.monthly_milli * int(elapsed.total_seconds()) // (30 * 86400)
        rows = _backfill(demo_meter, registered[demo_meter.code], this_month_use, at, settings)
        await readings.ingest(rows)
    await derive.derive(registered.values(), settings)
    await budgets.evaluate(at, settings)
    if young:
        await _lower_to_near(units["FGW"], this_month, at, settings)
    near = next(
        (
            r["percent"]
            for r in await budgets.unit_budget(units["FGW"], this_month)
            if r["kind"] == MeterKind.ELECTRICITY.value
        ),
        0,
    )
    return [
        f"能耗：{BUILDING}的 {len(METERS)} 块表（电表读数来自 houqin run 启动的模拟器："
        f"Modbus {SIM_HOST}:{MODBUS_PORT}，DL/T 645 {SIM_HOST}:{DLT645_PORT}），电、水定额，"
        f"{BASELINE_YEAR} 年基准与 {TARGET_YEAR} 年目标；市发展和改革委员会本月用电预算已用 {near}%。"
    ]
