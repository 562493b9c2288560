"""Reports of gates and visitors over a range of days, reconstructed from the access log: visits
per host unit, visitors' arrivals per hour of day, the daily peak of people inside each building,
entries per gate and refusals by reason."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta

from backend.access.errors import AccessError
from backend.access.models import AccessEvent, Direction, Gate, SubjectKind, Visit
from backend.core.errors import message_of
from backend.core.timeutil import business_time, day_start
from backend.places import service as places

MAX_DAYS = 366
# People, not cars: the cars' drivers are counted when they walk through a pedestrian gate.
PEOPLE = (SubjectKind.VISITOR, SubjectKind.STAFF)


async def report(first: date, last: date) -> dict:
    """Figures of the days `first` through `last` (business days, both included)."""
    if last < first or (last - first).days >= MAX_DAYS:
        raise AccessError.REPORT_RANGE_INVALID.error(days=MAX_DAYS)
    events = await (
        AccessEvent.filter(at__gte=day_start(first), at__lt=day_start(last + timedelta(days=1)))
        .order_by("at", "id")
        .values("at", "gate_id", "direction", "subject", "allowed", "reason", "visit_id", "people_count")
    )
    gates = {g.id: g for g in await Gate.all()}
    buildings = await places.full_names({g.building_id for g in gates.values()})

    hours = [0] * 24
    visits_of_unit: dict[tuple[int, str], set[int]] = defaultdict(set)
    arrivals = [
        e for e in events if e["allowed"] and e["direction"] == Direction.IN and e["subject"] == SubjectKind.VISITOR
    ]
    units = {
        visit_id: (unit_id, unit)
        for visit_id, unit_id, unit in await Visit.filter(
            id__in={e["visit_id"] for e in arrivals if e["visit_id"]}
        ).values_list("id", "host_unit_id", "host_unit__name")
    }
    for e in arrivals:
        hours[business_time(e["at"]).hour] += e["people_count"]
        if e["visit_id"] in units:
            visits_of_unit[units[e["visit_id"]]].add(e["visit_id"])

    entries: Counter[int] = Counter()
    refused_at: Counter[int] = Counter()
    reasons: Counter[str] = Counter()
    for e in events:
        if e["allowed"] and e["direction"] == Direction.IN:
            entries[e["gate_id"]] += 1
        elif not e["allowed"]:
            refused_at[e["gate_id"]] += 1
            reasons[e["reason"]] += 1

    peaks = _peaks(events, gates, buildings, first, last)
    return {
        "visits": sum(len(v) for v in visits_of_unit.values()),
        "visitors": sum(hours),
        "units": sorted(
            ({"unit": unit, "visits": len(v)} for (_, unit), v in visits_of_unit.items()),
            key=lambda r: (-r["visits"], r["unit"]),
        ),
        "hours": [{"hour": h, "people": n} for h, n in enumerate(hours)],
        "peaks": peaks,
        "top_peak": max(d["people"] for d in peaks),
        "gates": [
            {
                "gate": gates[g].name,
                "building": buildings.get(gates[g].building_id, ""),
                "entries": entries[g],
                "refused": refused_at[g],
            }
            for g in sorted(set(entries) | set(refused_at), key=lambda g: gates[g].code)
        ],
        "refusals": [{"reason": message_of(r), "code": r, "count": n} for r, n in reasons.most_common()],
        "refused": sum(reasons.values()),
    }


def _peaks(events: list[dict], gates: dict, buildings: dict[int, str], first: date, last: date) -> list[dict]:
    """Each day's highest count of people inside, all buildings together and per building, replayed
    from the allowed entries and exits. Each day starts empty (the day's end signs visitors out);
    an exit with no entry that day does not go below zero."""
    inside: dict[tuple[date, int], int] = defaultdict(int)
    peak: dict[date, dict] = {}
    for e in events:
        if not e["allowed"] or e["subject"] not in PEOPLE:
            continue
        moment = business_time(e["at"])
        day, building = moment.date(), gates[e["gate_id"]].building_id
        step = e["people_count"] if e["direction"] == Direction.IN else -e["people_count"]
        inside[(day, building)] = max(0, inside[(day, building)] + step)
        total = sum(n for (d, _), n in inside.items() if d == day)
        best = peak.setdefault(day, {"people": 0, "at": None, "buildings": {}})
        if total > best["people"]:
            best["people"], best["at"] = total, moment.strftime("%H:%M")
        name = buildings.get(building, "")
        best["buildings"][name] = max(best["buildings"].get(name, 0), inside[(day, building)])
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [{"day": d, **peak.get(d, {"people": 0, "at": None, "buildings": {}})} for d in days]
