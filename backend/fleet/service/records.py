"""The fleet's records: vehicles (plate, type, seats, where they are kept, status, odometer, due
dates), drivers with their licences and leaves, the social-rental companies (社会租赁) with their
contracted rates, the platform's own cost rates per vehicle type, and the designated providers
(定点单位). Every write is audited; dispatch and trips read these through the functions here
(`licence_fits`, `leave_overlapping`, `rental_rate`, `cost_rate`, `record_odometer`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.core.audit import Actor, record
from backend.core.permissions import Scope
from backend.core.timeutil import today
from backend.fleet.errors import FleetError
from backend.fleet.models import (
    CostRate,
    Driver,
    DriverLeave,
    LicenceClass,
    ProviderKind,
    RentalCompany,
    RentalRate,
    ServiceProvider,
    Trip,
    TripState,
    Vehicle,
    VehicleStatus,
    VehicleType,
)
from backend.fleet.service.plates import is_new_energy_plate, normalise_plate

POOL = "集中管理"

# Seats a vehicle of each type may have: a small passenger car (轿车, 商务车, 越野车) carries
# at most 9, a medium bus (中巴) 10–19, a large one (大巴) 20 and up; special vehicles vary.
SEAT_RANGE = {
    VehicleType.SEDAN: (2, 7),
    VehicleType.BUSINESS: (5, 9),
    VehicleType.OFF_ROAD: (2, 9),
    VehicleType.MINIBUS: (10, 19),
    VehicleType.BUS: (20, 60),
    VehicleType.SPECIAL: (2, 60),
}
LONGEST_LEAVE = timedelta(days=366)


def licence_fits(licence_class: LicenceClass | str, vehicle_type: VehicleType | str, seats: int) -> bool:
    """Whether a licence of `licence_class` may drive the vehicle (公安部准驾车型): every class
    covers a small passenger car (C2 only automatics, which the fleet's are); a medium bus
    (10–19 seats) needs B1, or A1 or A2 that include it; a large bus (20 seats and up) needs A1;
    a special vehicle B2, A1 or A2."""
    licence, kind = LicenceClass(licence_class), VehicleType(vehicle_type)
    if kind == VehicleType.BUS or seats >= 20:
        return licence == LicenceClass.A1
    if kind == VehicleType.MINIBUS or seats >= 10:
        return licence in (LicenceClass.A1, LicenceClass.A2, LicenceClass.B1)
    if kind == VehicleType.SPECIAL:
        return licence in (LicenceClass.A1, LicenceClass.A2, LicenceClass.B2)
    return True


# ---- vehicles ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VehicleDetails:
    """What a vehicle's form sets; the status has its own audited change, and the service
    mileage moves only with a maintenance record."""

    plate: str
    vehicle_type: VehicleType
    seats: int
    new_energy: bool = False
    home_unit_id: int | None = None
    base_name: str = ""
    base_lat: float | None = None
    base_lng: float | None = None
    on_duty: bool = False
    odometer_km: int = 0
    inspection_due: date | None = None
    insurance_due: date | None = None
    service_interval_km: int = 10000
    note: str = ""


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def vehicle_view(vehicle: Vehicle, home_name: str = POOL) -> dict:
    return {
        "id": vehicle.id,
        "plate": vehicle.plate,
        "vehicle_type": vehicle.vehicle_type.value,
        "vehicle_type_label": vehicle.vehicle_type.label,
        "seats": vehicle.seats,
        "new_energy": vehicle.new_energy,
        "home_unit_id": vehicle.home_unit_id,
        "home_name": home_name,
        "base_name": vehicle.base_name,
        "base_lat": vehicle.base_lat,
        "base_lng": vehicle.base_lng,
        "status": vehicle.status.value,
        "status_label": vehicle.status.label,
        "on_duty": vehicle.on_duty,
        "odometer_km": vehicle.odometer_km,
        "inspection_due": _day(vehicle.inspection_due),
        "insurance_due": _day(vehicle.insurance_due),
        "service_interval_km": vehicle.service_interval_km,
        "last_service_km": vehicle.last_service_km,
        "note": vehicle.note,
    }


async def home_names(unit_ids: set[int | None]) -> dict[int | None, str]:
    """Unit id -> name for the units vehicles are stationed at; None is the central pool."""
    units = await people.units_by_id(i for i in unit_ids if i is not None)
    return {None: POOL, **{i: u.name for i, u in units.items()}}


async def vehicle_home_names() -> dict[int | None, str]:
    """The names of the central pool and of every unit a vehicle is stationed at."""
    stationed = await Vehicle.exclude(home_unit_id=None).distinct().values_list("home_unit_id", flat=True)
    return await home_names(set(stationed))


async def _view_with_home(vehicle: Vehicle) -> dict:
    names = await home_names({vehicle.home_unit_id})
    return vehicle_view(vehicle, names.get(vehicle.home_unit_id, POOL))


async def _checked(details: VehicleDetails) -> dict[str, Any]:
    """The details as they are stored: the plate normalised, the seats within the type's range,
    the home unit existing, and a green plate's car marked new-energy, since such plates are
    issued to new-energy vehicles only (a blue-plated one may still be, say a hybrid)."""
    plate = normalise_plate(details.plate)
    kind = VehicleType(details.vehicle_type)
    least, most = SEAT_RANGE[kind]
    if not least <= details.seats <= most:
        raise FleetError.SEATS_FOR_TYPE.error(vehicle_type=kind.label, least=least, most=most)
    if details.home_unit_id is not None and not await people.units_by_id([details.home_unit_id]):
        raise FleetError.UNIT_NOT_FOUND.error()
    values = asdict(details)
    values.update(plate=plate, vehicle_type=kind, new_energy=details.new_energy or is_new_energy_plate(plate))
    return values


async def create_vehicle(actor: Actor, details: VehicleDetails) -> dict:
    """Register a vehicle, in use from now; its service mileage starts at its odometer."""
    values = await _checked(details)
    async with in_transaction() as conn:
        if await Vehicle.filter(plate=values["plate"]).using_db(conn).exists():
            raise FleetError.PLATE_TAKEN.error(plate=values["plate"])
        try:
            vehicle = await Vehicle.create(**values, last_service_km=values["odometer_km"], using_db=conn)
        except IntegrityError:  # the same plate registered at the same moment
            raise FleetError.PLATE_TAKEN.error(plate=values["plate"]) from None
        after = await _view_with_home(vehicle)
        await record(conn, actor, "fleet.create_vehicle", "fleet_vehicle", vehicle.id, after=after)
    return after


async def _locked_vehicle(conn: Any, vehicle_id: int) -> Vehicle:
    vehicle = await Vehicle.filter(id=vehicle_id).using_db(conn).select_for_update().first()
    if vehicle is None:
        raise FleetError.VEHICLE_NOT_FOUND.error()
    return vehicle


async def update_vehicle(actor: Actor, vehicle_id: int, details: VehicleDetails) -> dict:
    """Change a vehicle's details; its odometer never goes back."""
    values = await _checked(details)
    async with in_transaction() as conn:
        vehicle = await _locked_vehicle(conn, vehicle_id)
        if values["odometer_km"] < vehicle.odometer_km:
            raise FleetError.ODOMETER_BACKWARDS.error(reading=values["odometer_km"], floor=vehicle.odometer_km)
        if await Vehicle.filter(plate=values["plate"]).exclude(id=vehicle_id).using_db(conn).exists():
            raise FleetError.PLATE_TAKEN.error(plate=values["plate"])
        before = await _view_with_home(vehicle)
        for name, value in values.items():
            setattr(vehicle, name, value)
        await vehicle.save(using_db=conn, update_fields=list(values))
        after = await _view_with_home(vehicle)
        await record(conn, actor, "fleet.update_vehicle", "fleet_vehicle", vehicle_id, before, after)
    return after


async def change_status(actor: Actor, vehicle_id: int, status: VehicleStatus, reason: str) -> dict:
    """Put a vehicle in use, in repair, sealed (封存) or up for disposal (待处置), saying why."""
    async with in_transaction() as conn:
        vehicle = await _locked_vehicle(conn, vehicle_id)
        before = {"status": vehicle.status.value, "status_label": vehicle.status.label}
        vehicle.status = VehicleStatus(status)
        await vehicle.save(using_db=conn, update_fields=["status"])
        after = {"status": vehicle.status.value, "status_label": vehicle.status.label, "reason": reason}
        await record(conn, actor, "fleet.change_vehicle_status", "fleet_vehicle", vehicle_id, before, after)
    return await _view_with_home(vehicle)


async def record_odometer(conn: Any, vehicle_id: int, reading: int) -> int:
    """Move the vehicle's odometer up to `reading` inside the caller's transaction (a finished
    trip, an upkeep record); a reading below it is refused. Returns the previous reading."""
    vehicle = await _locked_vehicle(conn, vehicle_id)
    if reading < vehicle.odometer_km:
        raise FleetError.ODOMETER_BACKWARDS.error(reading=reading, floor=vehicle.odometer_km)
    if reading != vehicle.odometer_km:
        await Vehicle.filter(id=vehicle_id).using_db(conn).update(odometer_km=reading)
    return vehicle.odometer_km


def vehicles_query(filters: dict[str, str]) -> QuerySet[Vehicle]:
    """Vehicles by type, status, home ("pool" or a unit id) and a part of the plate; filters
    left blank select everything."""
    query = Vehicle.all()
    if kind := filters.get("vehicle_type"):
        query = query.filter(vehicle_type=kind)
    if status := filters.get("status"):
        query = query.filter(status=status)
    home = filters.get("home") or ""
    if home == "pool":
        query = query.filter(home_unit_id=None)
    elif home.isdigit():
        query = query.filter(home_unit_id=int(home))
    if plate := (filters.get("plate") or "").strip().upper():
        query = query.filter(plate__contains=plate)
    return query


async def get_vehicle(vehicle_id: int) -> dict:
    vehicle = await Vehicle.get_or_none(id=vehicle_id)
    if vehicle is None:
        raise FleetError.VEHICLE_NOT_FOUND.error()
    return await _view_with_home(vehicle)


async def vehicle_by_plate(plate: str) -> dict | None:
    """The vehicle carrying `plate` (as typed, normalised first), None when there is none."""
    vehicle = await Vehicle.get_or_none(plate=normalise_plate(plate))
    return None if vehicle is None else await _view_with_home(vehicle)


async def station_units() -> list[tuple[int, str]]:
    """(id, name) of every enabled unit, for choosing where a vehicle is stationed."""
    return [(u["id"], u["name"]) for u in await people.list_units(Scope.EVERYTHING, enabled_only=True)]


# ---- drivers -----------------------------------------------------------------------------------


def driver_view(driver: Driver, person: people.PersonSummary) -> dict:
    return {
        "id": driver.id,
        "person_id": driver.person_id,
        "employee_no": person.employee_no,
        "name": person.name,
        "licence_class": driver.licence_class.value,
        "licence_class_label": driver.licence_class.label,
        "licence_expires": driver.licence_expires.isoformat(),
        "is_active": driver.is_active,
    }


async def create_driver(actor: Actor, employee_no: str, licence_class: LicenceClass, licence_expires: date) -> dict:
    """Make a roster person a driver; someone already a driver (even an inactive one, to be
    reactivated instead) or with a licence already expired is refused."""
    person_id = (await people.people_by_employee_no([employee_no]))[employee_no]
    person = await people.person_summary(person_id)
    if licence_expires < today():
        raise FleetError.LICENCE_EXPIRED.error(name=person.name, day=licence_expires.isoformat())
    async with in_transaction() as conn:
        if await Driver.filter(person_id=person_id).using_db(conn).exists():
            raise FleetError.DRIVER_EXISTS.error()
        try:
            driver = await Driver.create(
                person_id=person_id,
                licence_class=LicenceClass(licence_class),
                licence_expires=licence_expires,
                using_db=conn,
            )
        except IntegrityError:  # the same person made a driver at the same moment
            raise FleetError.DRIVER_EXISTS.error() from None
        after = driver_view(driver, person)
        await record(conn, actor, "fleet.create_driver", "fleet_driver", driver.id, after=after)
    return after


async def update_driver(
    actor: Actor, driver_id: int, licence_class: LicenceClass, licence_expires: date, is_active: bool
) -> dict:
    """Renew or change a driver's licence, or take them off (and back on) the roster of drivers."""
    async with in_transaction() as conn:
        driver = await Driver.filter(id=driver_id).using_db(conn).select_for_update().first()
        if driver is None:
            raise FleetError.DRIVER_NOT_FOUND.error()
        person = await people.person_summary(driver.person_id, conn)
        before = driver_view(driver, person)
        driver.licence_class = LicenceClass(licence_class)
        driver.licence_expires = licence_expires
        driver.is_active = is_active
        await driver.save(using_db=conn, update_fields=["licence_class", "licence_expires", "is_active"])
        after = driver_view(driver, person)
        await record(conn, actor, "fleet.update_driver", "fleet_driver", driver_id, before, after)
    return after


async def list_drivers(active_only: bool = False) -> list[dict]:
    """Drivers by employee number."""
    query = Driver.filter(is_active=True) if active_only else Driver.all()
    drivers = await query
    persons = {p.id: p for p in await people.people_summaries(d.person_id for d in drivers)}
    return sorted((driver_view(d, persons[d.person_id]) for d in drivers), key=lambda d: d["employee_no"])


async def get_driver(driver_id: int) -> dict:
    driver = await Driver.get_or_none(id=driver_id)
    if driver is None:
        raise FleetError.DRIVER_NOT_FOUND.error()
    return driver_view(driver, await people.person_summary(driver.person_id))


async def describe_drivers(ids: list[int]) -> dict[int, str]:
    """Drivers as the audit log names them: name and employee number."""
    drivers = await Driver.filter(id__in=ids).values_list("id", "person_id")
    persons = {p.id: p for p in await people.people_summaries(p for _, p in drivers)}
    return {i: f"{persons[p].name}（{persons[p].employee_no}）" for i, p in drivers if p in persons}


def leave_view(leave: DriverLeave) -> dict:
    return {
        "id": leave.id,
        "driver_id": leave.driver_id,
        "starts_at": leave.starts_at.isoformat(),
        "ends_at": leave.ends_at.isoformat(),
        "reason": leave.reason,
    }


async def add_leave(actor: Actor, driver_id: int, starts_at: datetime, ends_at: datetime, reason: str) -> dict:
    """A period the driver cannot be dispatched, from `starts_at` up to `ends_at` (at most a year)."""
    if ends_at <= starts_at or ends_at - starts_at > LONGEST_LEAVE:
        raise FleetError.LEAVE_WINDOW_INVALID.error()
    async with in_transaction() as conn:
        if not await Driver.filter(id=driver_id).using_db(conn).exists():
            raise FleetError.DRIVER_NOT_FOUND.error()
        leave = await DriverLeave.create(
            driver_id=driver_id, starts_at=starts_at, ends_at=ends_at, reason=reason, using_db=conn
        )
        after = leave_view(leave)
        await record(conn, actor, "fleet.add_driver_leave", "fleet_driver", driver_id, after=after)
    return after


async def remove_leave(actor: Actor, driver_id: int, leave_id: int) -> None:
    """Withdraw a leave entered by mistake or cut short."""
    async with in_transaction() as conn:
        leave = await DriverLeave.get_or_none(id=leave_id, driver_id=driver_id).using_db(conn)
        if leave is None:
            raise FleetError.LEAVE_NOT_FOUND.error()
        await leave.delete(using_db=conn)
        await record(conn, actor, "fleet.remove_driver_leave", "fleet_driver", driver_id, before=leave_view(leave))


async def leaves_of(driver_id: int) -> list[dict]:
    """The driver's leaves, latest first."""
    return [leave_view(x) for x in await DriverLeave.filter(driver_id=driver_id).order_by("-starts_at")]


async def leave_overlapping(driver_id: int, start: datetime, end: datetime, conn: Any = None) -> dict | None:
    """A leave of the driver overlapping [start, end), if any (what dispatch refuses on)."""
    leave = (
        await DriverLeave.filter(driver_id=driver_id, starts_at__lt=end, ends_at__gt=start)
        .using_db(conn)
        .order_by("starts_at")
        .first()
    )
    return None if leave is None else leave_view(leave)


# ---- rental companies and rates ----------------------------------------------------------------


def company_view(company: RentalCompany) -> dict:
    return {
        "id": company.id,
        "name": company.name,
        "contact": company.contact,
        "phone": company.phone,
        "contract_no": company.contract_no,
        "contract_ends": _day(company.contract_ends),
        "is_active": company.is_active,
    }


@dataclass(frozen=True)
class CompanyDetails:
    name: str
    contact: str = ""
    phone: str = ""
    contract_no: str = ""
    contract_ends: date | None = None
    is_active: bool = True


async def save_company(actor: Actor, company_id: int | None, details: CompanyDetails) -> dict:
    """Register a rental company (company_id None) or change one; names are unique."""
    return await _save_named(actor, "company", company_id, asdict(details), {"name": details.name})


def rate_view(rate: RentalRate) -> dict:
    return {
        "company_id": rate.company_id,
        "vehicle_type": rate.vehicle_type.value,
        "vehicle_type_label": rate.vehicle_type.label,
        "per_day_fen": rate.per_day_fen,
        "per_km_fen": rate.per_km_fen,
    }


def _check_fen(*amounts: int) -> None:
    if any(amount < 0 for amount in amounts):
        raise FleetError.RATE_INVALID.error()


async def save_rental_rate(
    actor: Actor, company_id: int, vehicle_type: VehicleType, per_day_fen: int, per_km_fen: int
) -> dict:
    """Set a company's contracted price for one vehicle type (per day plus per km)."""
    _check_fen(per_day_fen, per_km_fen)
    kind = VehicleType(vehicle_type)
    async with in_transaction() as conn:
        if not await RentalCompany.filter(id=company_id).using_db(conn).select_for_update().exists():
            raise FleetError.COMPANY_NOT_FOUND.error()
        rate = await RentalRate.get_or_none(company_id=company_id, vehicle_type=kind).using_db(conn)
        before = rate_view(rate) if rate else None
        if rate is None:
            rate = await RentalRate.create(
                company_id=company_id, vehicle_type=kind, per_day_fen=per_day_fen, per_km_fen=per_km_fen, using_db=conn
            )
        else:
            rate.per_day_fen, rate.per_km_fen = per_day_fen, per_km_fen
            await rate.save(using_db=conn, update_fields=["per_day_fen", "per_km_fen"])
        after = rate_view(rate)
        await record(conn, actor, "fleet.save_rental_rate", "fleet_rental_company", company_id, before, after)
    return after


async def list_companies(active_only: bool = False) -> list[dict]:
    """Rental companies by name, each with its rates in the order of the vehicle types."""
    query = RentalCompany.filter(is_active=True) if active_only else RentalCompany.all()
    companies = await query.order_by("name")
    rates: dict[int, list[dict]] = {}
    order = list(VehicleType)
    for rate in sorted(
        await RentalRate.filter(company_id__in=[c.id for c in companies]), key=lambda r: order.index(r.vehicle_type)
    ):
        rates.setdefault(rate.company_id, []).append(rate_view(rate))
    return [{**company_view(c), "rates": rates.get(c.id, [])} for c in companies]


async def rental_rate(company_id: int, vehicle_type: VehicleType, conn: Any = None) -> dict:
    """An active company's contracted price for a vehicle type, or the refusal to rent without one."""
    company = await RentalCompany.get_or_none(id=company_id, is_active=True).using_db(conn)
    if company is None:
        raise FleetError.COMPANY_NOT_FOUND.error()
    kind = VehicleType(vehicle_type)
    rate = await RentalRate.get_or_none(company_id=company_id, vehicle_type=kind).using_db(conn)
    if rate is None:
        raise FleetError.NO_RENTAL_RATE.error(company=company.name, vehicle_type=kind.label)
    return rate_view(rate)


# ---- the platform's cost rates -----------------------------------------------------------------


def cost_rate_view(rate: CostRate) -> dict:
    return {
        "id": rate.id,
        "vehicle_type": rate.vehicle_type.value,
        "vehicle_type_label": rate.vehicle_type.label,
        "per_km_fen": rate.per_km_fen,
        "overtime_per_hour_fen": rate.overtime_per_hour_fen,
    }


async def save_cost_rate(actor: Actor, vehicle_type: VehicleType, per_km_fen: int, overtime_per_hour_fen: int) -> dict:
    """Set what a trip in a fleet vehicle of a type costs its unit per km, and the driver's
    overtime per hour."""
    _check_fen(per_km_fen, overtime_per_hour_fen)
    kind = VehicleType(vehicle_type)
    async with in_transaction() as conn:
        rate = await CostRate.filter(vehicle_type=kind).using_db(conn).select_for_update().first()
        before = cost_rate_view(rate) if rate else None
        if rate is None:
            rate = await CostRate.create(
                vehicle_type=kind, per_km_fen=per_km_fen, overtime_per_hour_fen=overtime_per_hour_fen, using_db=conn
            )
        else:
            rate.per_km_fen, rate.overtime_per_hour_fen = per_km_fen, overtime_per_hour_fen
            await rate.save(using_db=conn, update_fields=["per_km_fen", "overtime_per_hour_fen"])
        after = cost_rate_view(rate)
        await record(conn, actor, "fleet.save_cost_rate", "fleet_cost_rate", rate.id, before, after)
    return after


async def cost_rates() -> list[dict]:
    """The rates set, in the order of the vehicle types."""
    order = list(VehicleType)
    return [cost_rate_view(r) for r in sorted(await CostRate.all(), key=lambda r: order.index(r.vehicle_type))]


async def cost_rate(vehicle_type: VehicleType, conn: Any = None) -> dict | None:
    """The platform's rate for a vehicle type, None while none is set."""
    rate = await CostRate.get_or_none(vehicle_type=VehicleType(vehicle_type)).using_db(conn)
    return None if rate is None else cost_rate_view(rate)


# ---- designated providers (定点单位) --------------------------------------------------------------


def provider_view(provider: ServiceProvider) -> dict:
    return {
        "id": provider.id,
        "kind": provider.kind.value,
        "kind_label": provider.kind.label,
        "name": provider.name,
        "address": provider.address,
        "contract_ends": _day(provider.contract_ends),
        "is_active": provider.is_active,
    }


# What `_save_named` saves: the table, its view, the refusals, and the audit action and object.
NAMED = {
    "company": (
        RentalCompany,
        company_view,
        FleetError.COMPANY_NAME_TAKEN,
        FleetError.COMPANY_NOT_FOUND,
        "fleet.save_rental_company",
        "fleet_rental_company",
    ),
    "provider": (
        ServiceProvider,
        provider_view,
        FleetError.PROVIDER_NAME_TAKEN,
        FleetError.PROVIDER_NOT_FOUND,
        "fleet.save_provider",
        "fleet_provider",
    ),
}


async def _save_named(actor: Actor, what: str, row_id: int | None, values: dict, unique: dict) -> dict:
    """Create (row_id None) or change a rental company or a provider whose `unique` fields no
    other row of its table may share, audited with the row before and after."""
    model, view, taken_error, missing_error, action, object_type = NAMED[what]
    async with in_transaction() as conn:
        taken = model.filter(**unique).using_db(conn)
        if row_id is not None:
            taken = taken.exclude(id=row_id)
        if await taken.exists():
            raise taken_error.error(name=unique["name"])
        if row_id is None:
            try:
                row = await model.create(**values, using_db=conn)
            except IntegrityError:
                raise taken_error.error(name=unique["name"]) from None
            before = None
        else:
            row = await model.filter(id=row_id).using_db(conn).select_for_update().first()
            if row is None:
                raise missing_error.error()
            before = view(row)
            for name, value in values.items():
                setattr(row, name, value)
            await row.save(using_db=conn, update_fields=list(values))
        after = view(row)
        await record(conn, actor, action, object_type, row.id, before, after)
    return after


async def save_provider(
    actor: Actor,
    provider_id: int | None,
    kind: ProviderKind,
    name: str,
    address: str = "",
    contract_ends: date | None = None,
    is_active: bool = True,
) -> dict:
    """Register a designated garage, fuel or charging station, or insurer, or change one; a name
    is unique within its kind."""
    values = {
        "kind": ProviderKind(kind),
        "name": name,
        "address": address,
        "contract_ends": contract_ends,
        "is_active": is_active,
    }
    return await _save_named(actor, "provider", provider_id, values, {"kind": values["kind"], "name": name})


async def list_providers(active_only: bool = False) -> list[dict]:
    """Providers by kind, then name."""
    query = ServiceProvider.filter(is_active=True) if active_only else ServiceProvider.all()
    order = list(ProviderKind)
    return [provider_view(p) for p in sorted(await query, key=lambda p: (order.index(p.kind), p.name))]


@dataclass(frozen=True)
class VehicleInfo:
    """An official car that may be charged at the platform's piles, billed to its home unit
    (None: the central pool, 集中管理)."""

    id: int
    plate: str
    home_unit_id: int | None


async def chargeable_vehicle(plate: str) -> VehicleInfo | None:
    """The in-use new-energy vehicle carrying `plate` (as typed), None when there is none; a
    plate that is not one is PLATE_INVALID."""
    vehicle = await Vehicle.get_or_none(plate=normalise_plate(plate), status=VehicleStatus.IN_USE, new_energy=True)
    return None if vehicle is None else VehicleInfo(vehicle.id, vehicle.plate, vehicle.home_unit_id)


async def is_active_driver(person_id: int) -> bool:
    """Whether the person is an active driver of the fleet: one indexed look-up, for checks made
    on every request (a charging start for an official car)."""
    return await Driver.filter(person_id=person_id, is_active=True).exists()


# Trips never keep more buffer than FLEET_BUFFER_MINUTES allows (240): the widest look-back.
_LONGEST_BUFFER = timedelta(minutes=240)


async def drivable_by(person_id: int, vehicle_id: int, at: datetime) -> bool:
    """Whether the driver `person_id` has the vehicle in hand at `at`, so that something done to
    it in their name (a charging session billed to its unit) is theirs to do. That is one of
    their trips on this vehicle:

    - started (行驶中): the car is out with them, however late;
    - assigned (待出车) and within its dispatched window widened by its buffer on both sides
      (planned start − buffer to `blocked_until`, which is the planned end + buffer): a driver
      charges before setting off, or waits for a late departure;
    - finished (已收车) no longer than the buffer ago: the car is plugged in on its return.

    The buffer is the trip's own (`blocked_until − planned_end`, set from FLEET_BUFFER_MINUTES
    when it was dispatched), so this needs no settings. A cancelled trip, another driver's trip
    or a trip on another car gives nothing; a car merely kept at the driver's base does not
    either, as the fleet assigns cars by trip, not to drivers."""
    trips = await Trip.filter(
        Q(state=TripState.STARTED)
        | Q(state=TripState.ASSIGNED, planned_start__lte=at + _LONGEST_BUFFER, blocked_until__gte=at)
        | Q(state=TripState.FINISHED, actual_end__gte=at - _LONGEST_BUFFER, actual_end__lte=at),
        driver__person_id=person_id,
        vehicle_id=vehicle_id,
    )
    for trip in trips:
        buffer = max(trip.blocked_until - trip.planned_end, timedelta(0))
        if trip.state == TripState.STARTED:
            return True
        if trip.state == TripState.ASSIGNED and trip.planned_start - buffer <= at <= trip.blocked_until:
            return True
        if trip.state == TripState.FINISHED and trip.actual_end is not None and at - trip.actual_end <= buffer:
            return True
    return False
