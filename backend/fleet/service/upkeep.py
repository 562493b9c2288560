"""Upkeep of the fleet: maintenance, repair, fuel, charging, insurance and inspection records with
their designated provider and cost, and the reminders of what falls due (annual inspection,
insurance, service by km) that the upkeep page and the dashboard show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from backend.core.audit import Actor, record
from backend.core.timeutil import today
from backend.fleet.errors import FleetError
from backend.fleet.models import ProviderKind, ServiceProvider, UpkeepKind, UpkeepRecord, Vehicle, VehicleStatus
from backend.fleet.service.records import home_names, record_odometer

# The providers each kind of record may name: a garage services and repairs (and takes cars to
# their inspection), a station fuels and charges, an insurer insures.
PROVIDER_FOR = {
    UpkeepKind.MAINTENANCE: (ProviderKind.GARAGE,),
    UpkeepKind.REPAIR: (ProviderKind.GARAGE,),
    UpkeepKind.FUEL: (ProviderKind.FUEL,),
    UpkeepKind.CHARGING: (ProviderKind.FUEL,),
    UpkeepKind.INSURANCE: (ProviderKind.INSURER,),
    UpkeepKind.INSPECTION: (ProviderKind.GARAGE,),
}
# The vehicle's due date an insurance or inspection record may move on.
DUE_FIELD = {UpkeepKind.INSURANCE: "insurance_due", UpkeepKind.INSPECTION: "inspection_due"}
# A service is reminded of this many km before the interval is reached.
SERVICE_MARGIN_KM = 500
REMINDER_DAYS = 30


@dataclass(frozen=True)
class UpkeepDetails:
    vehicle_id: int
    kind: UpkeepKind
    day: date
    cost_fen: int
    provider_id: int | None = None
    odometer_km: int | None = None
    next_due: date | None = None
    note: str = ""


def _invalid(problem: str) -> Exception:
    return FleetError.UPKEEP_INVALID.error(problem=problem)


def upkeep_view(entry: UpkeepRecord) -> dict:
    return {
        "id": entry.id,
        "vehicle_id": entry.vehicle_id,
        "kind": entry.kind.value,
        "kind_label": entry.kind.label,
        "provider_id": entry.provider_id,
        "day": entry.day.isoformat(),
        "odometer_km": entry.odometer_km,
        "cost_fen": entry.cost_fen,
        "note": entry.note,
    }


async def record_upkeep(actor: Actor, details: UpkeepDetails) -> dict:
    """Record upkeep done on a past or present day. A reading above the vehicle's odometer moves
    it on; a maintenance needs its reading and restarts the service interval there; an
    insurance or inspection record may set the next due date (after the day it was done)."""
    kind = UpkeepKind(details.kind)
    if details.day > today():
        raise _invalid("登记日期不能晚于今天")
    if details.cost_fen < 0:
        raise _invalid("费用不能为负数")
    if kind == UpkeepKind.MAINTENANCE and details.odometer_km is None:
        raise _invalid("保养须填写当时的里程表读数")
    if details.next_due is not None:
        if kind not in DUE_FIELD:
            raise _invalid("只有保险和年检记录可以设定下次到期日")
        if details.next_due <= details.day:
            raise _invalid("下次到期日应晚于办理日期")
    async with in_transaction() as conn:
        vehicle = await Vehicle.filter(id=details.vehicle_id).using_db(conn).select_for_update().first()
        if vehicle is None:
            raise FleetError.VEHICLE_NOT_FOUND.error()
        if details.provider_id is not None:
            provider = await ServiceProvider.get_or_none(id=details.provider_id, is_active=True).using_db(conn)
            if provider is None:
                raise FleetError.PROVIDER_NOT_FOUND.error()
            if provider.kind not in PROVIDER_FOR[kind]:
                raise _invalid(f"{provider.kind.label}单位“{provider.name}”不能登记{kind.label}")
        entry = await UpkeepRecord.create(
            vehicle_id=vehicle.id,
            kind=kind,
            provider_id=details.provider_id,
            day=details.day,
            odometer_km=details.odometer_km,
            cost_fen=details.cost_fen,
            note=details.note,
            using_db=conn,
        )
        after = upkeep_view(entry)
        if details.odometer_km is not None and details.odometer_km > vehicle.odometer_km:
            await record_odometer(conn, vehicle.id, details.odometer_km)
            after["vehicle_odometer_km"] = details.odometer_km
        changes: dict[str, object] = {}
        if kind == UpkeepKind.MAINTENANCE and details.odometer_km is not None:
            # A record entered late, below the last service, does not pull the interval back.
            if details.odometer_km > vehicle.last_service_km:
                changes["last_service_km"] = details.odometer_km
        if details.next_due is not None:
            changes[DUE_FIELD[kind]] = details.next_due
        if changes:
            await Vehicle.filter(id=vehicle.id).using_db(conn).update(**changes)
            after.update({k: v.isoformat() if isinstance(v, date) else v for k, v in changes.items()})
        await record(conn, actor, "fleet.record_upkeep", "fleet_upkeep", entry.id, after=after)
    return after


def upkeep_query(filters: dict[str, str]) -> QuerySet[UpkeepRecord]:
    """Upkeep records by vehicle (id, or a part of its plate), kind, provider (id) and days from/to; blank filters
    select everything."""
    query = UpkeepRecord.all()
    for name, field in (("vehicle", "vehicle_id"), ("provider", "provider_id")):
        if (value := filters.get(name) or "").isdigit():
            query = query.filter(**{field: int(value)})
    if plate := (filters.get("plate") or "").strip().upper():
        query = query.filter(vehicle__plate__contains=plate)
    if kind := filters.get("kind"):
        query = query.filter(kind=kind)
    if since := filters.get("since"):
        query = query.filter(day__gte=date.fromisoformat(since))
    if until := filters.get("until"):
        query = query.filter(day__lte=date.fromisoformat(until))
    return query


async def upkeep_of(vehicle_id: int, limit: int = 50) -> list[dict]:
    """A vehicle's latest upkeep records, with the provider's name."""
    entries = await UpkeepRecord.filter(vehicle_id=vehicle_id).order_by("-day", "-id").limit(limit)
    names = dict(
        await ServiceProvider.filter(id__in={e.provider_id for e in entries if e.provider_id}).values_list("id", "name")
    )
    return [{**upkeep_view(e), "provider_name": names.get(e.provider_id, "")} for e in entries]


async def describe_upkeep(ids: list[int]) -> dict[int, str]:
    """Upkeep records as the audit log names them: the plate and what was done."""
    entries = await UpkeepRecord.filter(id__in=ids).select_related("vehicle")
    return {e.id: f"{e.vehicle.plate} {e.kind.label}（{e.day.isoformat()}）" for e in entries}


@dataclass(frozen=True)
class Reminder:
    """What is due on one vehicle: each reason says what and since or until when."""

    vehicle_id: int
    plate: str
    vehicle_type_label: str
    home_name: str
    reasons: tuple[str, ...]
    overdue: bool


def _date_reason(what: str, due: date | None, day: date) -> tuple[str, bool] | None:
    if due is None:
        return None
    left = (due - day).days
    if left < 0:
        return f"{what}已于 {due.isoformat()} 到期（逾期 {-left} 天）", True
    if left == 0:
        return f"{what}今天到期", False
    return f"{what}将于 {due.isoformat()} 到期（还有 {left} 天）", False


async def due_reminders(day: date, within_days: int = REMINDER_DAYS, vehicle_id: int | None = None) -> list[Reminder]:
    """Vehicles (not awaiting disposal) whose inspection or insurance falls due within
    `within_days` of `day` or is overdue, or whose km since the last service are within
    SERVICE_MARGIN_KM of the interval: overdue ones first, then by plate. `vehicle_id` asks about
    one vehicle only."""
    horizon = day + timedelta(days=within_days)
    query = Vehicle.exclude(status=VehicleStatus.DISPOSAL)
    if vehicle_id is not None:
        query = query.filter(id=vehicle_id)
    vehicles = await query.order_by("plate")
    found = []
    for vehicle in vehicles:
        reasons, overdue = [], False
        for what, due in (("年检", vehicle.inspection_due), ("保险", vehicle.insurance_due)):
            if due is not None and due <= horizon and (reason := _date_reason(what, due, day)):
                reasons.append(reason[0])
                overdue = overdue or reason[1]
        driven = vehicle.odometer_km - vehicle.last_service_km
        if driven >= vehicle.service_interval_km - SERVICE_MARGIN_KM:
            over = driven - vehicle.service_interval_km
            reasons.append(
                f"距上次保养已行驶 {driven} 公里，超出保养间隔 {over} 公里"
                if over > 0
                else f"距上次保养已行驶 {driven} 公里，保养间隔 {vehicle.service_interval_km} 公里"
            )
            overdue = overdue or over > 0
        if reasons:
            found.append((vehicle, tuple(reasons), overdue))
    names = await home_names({v.home_unit_id for v, _, _ in found})
    reminders = [
        Reminder(v.id, v.plate, v.vehicle_type.label, names.get(v.home_unit_id, ""), reasons, overdue)
        for v, reasons, overdue in found
    ]
    return sorted(reminders, key=lambda r: (not r.overdue, r.plate))


async def record_charging(conn: Any, vehicle_id: int, day: date, cost_fen: int, kwh_note: str) -> int:
    """A charging record of an official car billed at the platform's own piles (the charging
    module's bill, in its transaction `conn`): no provider, the cost already settled to the
    unit's fleet cost. Its id."""
    entry = await UpkeepRecord.create(
        vehicle_id=vehicle_id, kind=UpkeepKind.CHARGING, day=day, cost_fen=cost_fen, note=kwh_note[:200], using_db=conn
    )
    return entry.id
