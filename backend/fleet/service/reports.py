"""Reports on official cars over a range of business days (用车报表): usage and cost per unit
against its quota, utilisation per vehicle, the new-energy share of trips and kilometres, the
speed of approval per unit; and today's trips for the dashboard.

A trip counts in the range its actual end falls in (when it was charged), except for
utilisation, which counts the hours a car was out within the range, cut at its edges. A unit's
quota columns are of the year the range ends in. Rentals are in the units' usage and cost but not
in utilisation or the new-energy share: they are not the fleet's cars."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from backend.accounts.service import people
from backend.approvals import service as approvals
from backend.core.permissions import Scope
from backend.core.timeutil import DaySpan
from backend.fleet.models import QuotaEntry, Trip, TripState, Vehicle, VehicleType
from backend.fleet.service import quotas, requests

# A longer range is cut to its last year: the report is summed per request.
MAX_DAYS = 366


def share(part: float, whole: float) -> float | None:
    """`part` of `whole` in per cent, one decimal; None for nothing to share."""
    return round(100 * part / whole, 1) if whole else None


async def _finished_trips(span: DaySpan, unit_ids: Iterable[int] | None) -> list[dict]:
    """Trips ended in the range, each with the unit it counts for (`unit_id`): the one whose
    quota it was charged to (an office's trips go on its agency's quota), within `unit_ids`."""
    trips = await Trip.filter(state=TripState.FINISHED, actual_end__gte=span.start, actual_end__lt=span.end).values(
        "id",
        "request__unit_id",
        "vehicle_id",
        "vehicle__new_energy",
        "start_odometer_km",
        "end_odometer_km",
        "cost_fen",
    )
    charged = dict(await QuotaEntry.filter(trip_id__in=[t["id"] for t in trips]).values_list("trip_id", "unit_id"))
    reach = None if unit_ids is None else set(unit_ids)
    counted = [{**t, "unit_id": charged.get(t["id"], t["request__unit_id"])} for t in trips]
    return [t for t in counted if reach is None or t["unit_id"] in reach]


def _km(trip: dict) -> int:
    return (trip["end_odometer_km"] or 0) - (trip["start_odometer_km"] or 0)


async def usage_by_unit(scope: Scope, span: DaySpan) -> list[dict]:
    """Per unit the scope reaches with trips in the range or a quota in its year: trips, km and
    cost in the range; the year's quota (allocated and transferred), used and remaining."""
    unit_ids = await people.units_within(scope)
    trips = await _finished_trips(span, unit_ids)
    year = quotas.check_year(span.last.year)
    ledger = await quotas.yearly(unit_ids, year)
    labels = await quotas.unit_labels(scope)
    rows: dict[int, dict] = {}

    def row(unit_id: int) -> dict:
        return rows.setdefault(
            unit_id,
            {"unit_id": unit_id, "unit": labels.get(unit_id, f"#{unit_id}"), "trips": 0, "km": 0, "cost_fen": 0},
        )

    for trip in trips:
        line = row(trip["unit_id"])
        line["trips"] += 1
        line["km"] += _km(trip)
        line["cost_fen"] += trip["cost_fen"] or 0
    for unit_id in ledger:
        row(unit_id)
    for unit_id, line in rows.items():
        year_line = ledger.get(unit_id) or quotas.empty_year()
        quota = year_line["allocated_fen"] + year_line["transferred_fen"]
        line |= {
            "quota_fen": quota,
            "used_fen": year_line["charged_fen"],
            "remaining_fen": year_line["remaining_fen"],
            "used_share": share(year_line["charged_fen"], quota),
        }
    return sorted(rows.values(), key=lambda r: (-r["cost_fen"], r["unit"]))


async def approval_speed(scope: Scope, span: DaySpan) -> list[dict]:
    """Per unit the scope reaches: car requests approved in the range, and the average and 90th
    percentile of the minutes from request to the last approval (审批时效)."""
    within = await people.units_within(scope)
    labels = await quotas.unit_labels(scope)
    return [
        {**row, "unit": labels.get(row["unit_id"], row["unit_name"])}
        for row in await approvals.approval_durations(requests.KIND, span.first, span.last)
        if within is None or row["unit_id"] in within
    ]


def totals(rows: list[dict], keys: tuple[str, ...]) -> dict:
    return {key: sum(row[key] for row in rows) for key in keys}


async def vehicle_utilisation(span: DaySpan) -> list[dict]:
    """Per vehicle of the fleet: trips ended in the range, their km, and the hours the car was out
    within the range against the range's hours."""
    vehicles = await Vehicle.all().order_by("plate").values("id", "plate", "vehicle_type", "new_energy")
    out = await Trip.filter(
        vehicle_id__isnull=False,
        state__in=[TripState.STARTED, TripState.FINISHED],
        actual_start__lt=span.end,
    ).values("vehicle_id", "state", "actual_start", "actual_end", "start_odometer_km", "end_odometer_km")
    hours: dict[int, float] = {}
    counted: dict[int, tuple[int, int]] = {}
    for trip in out:
        ended = trip["actual_end"] or span.end
        if ended <= span.start:
            continue
        inside = min(ended, span.end) - max(trip["actual_start"], span.start)
        hours[trip["vehicle_id"]] = hours.get(trip["vehicle_id"], 0.0) + inside.total_seconds() / 3600
        if trip["state"] == TripState.FINISHED and span.start <= trip["actual_end"] < span.end:
            count, km = counted.get(trip["vehicle_id"], (0, 0))
            counted[trip["vehicle_id"]] = (count + 1, km + _km(trip))
    rows = []
    for vehicle in vehicles:
        count, km = counted.get(vehicle["id"], (0, 0))
        used = hours.get(vehicle["id"], 0.0)
        rows.append(
            {
                "vehicle_id": vehicle["id"],
                "plate": vehicle["plate"],
                "vehicle_type": VehicleType(vehicle["vehicle_type"]).label,
                "new_energy": vehicle["new_energy"],
                "trips": count,
                "km": km,
                "hours": round(used, 1),
                "utilisation": share(used, span.hours),
            }
        )
    return sorted(rows, key=lambda r: (-(r["utilisation"] or 0), r["plate"]))


async def energy_share(scope: Scope, span: DaySpan) -> dict:
    """The fleet's trips ended in the range for the units the scope reaches, split new-energy or
    not: trips and km of each, and the new-energy share of both."""
    trips = [t for t in await _finished_trips(span, await people.units_within(scope)) if t["vehicle_id"]]
    green = [t for t in trips if t["vehicle__new_energy"]]
    all_km, green_km = sum(_km(t) for t in trips), sum(_km(t) for t in green)
    return {
        "trips": len(trips),
        "new_energy_trips": len(green),
        "other_trips": len(trips) - len(green),
        "km": all_km,
        "new_energy_km": green_km,
        "other_km": all_km - green_km,
        "trip_share": share(len(green), len(trips)),
        "km_share": share(green_km, all_km),
    }


async def today_counts(day: date, at: datetime) -> dict:
    """Today's trips: planned to start today (not cancelled), on the road now (and of those, out
    past their planned end at `at`), finished today."""
    span = DaySpan(day, day)
    planned = (
        await Trip.filter(planned_start__gte=span.start, planned_start__lt=span.end)
        .exclude(state=TripState.CANCELLED)
        .count()
    )
    running = await Trip.filter(state=TripState.STARTED).count()
    overdue = await Trip.filter(state=TripState.STARTED, planned_end__lt=at).count()
    finished = await Trip.filter(state=TripState.FINISHED, actual_end__gte=span.start, actual_end__lt=span.end).count()
    return {"planned": planned, "running": running, "overdue": overdue, "finished": finished}
