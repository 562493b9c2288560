"""Repair statistics (报修统计) for a period: per category, building, team and technician, how
many reports were filed and closed, how long they took to be accepted and to be resolved, and
how satisfied the reporters were.

Times are WORKING hours (`sla.working_time_between`), the same clock the time limits run on, so
a report filed on Friday evening and accepted on Monday at 09:00 took half an hour, not 63.

Each duration is summarised by its mean and its 90th percentile, by the nearest-rank method: the
smallest duration that at least 90 % of the reports did not exceed, i.e. the ⌈0.9·n⌉-th of the
n durations in ascending order. It is always a duration some report really took (no
interpolation), and "p90 3.0 h" means that at most one report in ten took longer than 3.0 h.

Reports are counted in the period they were filed in (submitted_at), whatever happened to them
later; a report counts for the technician it is assigned to now. Only the fields needed are read,
so a year of reports (~14,000) is summed in one pass.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from backend.core.timeutil import day_start
from backend.places import service as places
from backend.repairs.models import RepairReport, ReportState
from backend.repairs.service import sla

GROUPINGS = {"category": "类别", "building": "楼宇", "team": "班组", "technician": "维修人员"}
NO_BUILDING, NO_TEAM, NO_TECHNICIAN = "未选地点", "未分派班组", "未派工"

_FIELDS = (
    "state",
    "category_id",
    "category__name",
    "location_id",
    "team_id",
    "team__name",
    "assignee_id",
    "assignee__name",
    "assignee__employee_no",
    "submitted_at",
    "accepted_at",
    "resolved_at",
    "rating",
)


def p90(values: list[float]) -> float | None:
    """The nearest-rank 90th percentile (see the module docstring); None for no values."""
    if not values:
        return None
    return sorted(values)[math.ceil(0.9 * len(values)) - 1]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass
class _Tally:
    """What one group (a category, a building, ...) has gathered so far."""

    reports: int = 0
    closed: int = 0
    accept_hours: list[float] = field(default_factory=list)
    resolve_hours: list[float] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)

    def add(self, report: dict, accept: float | None, resolve: float | None) -> None:
        self.reports += 1
        self.closed += report["state"] == ReportState.CLOSED
        if accept is not None:
            self.accept_hours.append(accept)
        if resolve is not None:
            self.resolve_hours.append(resolve)
        if report["rating"] is not None:
            self.ratings.append(report["rating"])

    def row(self, name: str) -> dict:
        return {
            "name": name,
            "reports": self.reports,
            "closed": self.closed,
            "accept_avg": _mean(self.accept_hours),
            "accept_p90": p90(self.accept_hours),
            "resolve_avg": _mean(self.resolve_hours),
            "resolve_p90": p90(self.resolve_hours),
            "rating_avg": _mean(self.ratings),
            "rated": len(self.ratings),
        }


async def report_stats(first_day: date, last_day: date) -> dict:
    """Reports filed from first_day through last_day (business days): {"overall": row, "by":
    {grouping: [row, ...]}}, each grouping's rows busiest first. A row's hours are floats (None
    where nothing was accepted or resolved yet); `rating_avg` is the mean of the 1–5 ratings
    given, `rated` how many there were."""
    since, until = day_start(first_day), day_start(last_day + timedelta(days=1))
    reports = await RepairReport.filter(submitted_at__gte=since, submitted_at__lt=until).values(*_FIELDS)
    building_of = await places.building_ids({r["location_id"] for r in reports if r["location_id"]})
    buildings = await places.full_names(set(building_of.values()))  # a building's full name is its name
    # Working-hours arithmetic for a year of reports takes a while: off the event loop.
    return await asyncio.to_thread(_summarise, reports, building_of, buildings)


def _working_hours(start: datetime, end: datetime | None) -> float | None:
    return sla.working_time_between(start, end).total_seconds() / 3600 if end else None


def _summarise(reports: list[dict], building_of: dict[int, int], buildings: dict[int, str]) -> dict:
    overall = _Tally()
    # grouping -> (id, name) -> tally: two technicians of one name stay two rows
    groups: dict[str, dict[tuple, _Tally]] = {grouping: {} for grouping in GROUPINGS}
    for report in reports:
        accept = _working_hours(report["submitted_at"], report["accepted_at"])
        resolve = _working_hours(report["submitted_at"], report["resolved_at"])
        overall.add(report, accept, resolve)
        for grouping, key in _keys(report, building_of, buildings).items():
            groups[grouping].setdefault(key, _Tally()).add(report, accept, resolve)
    return {
        "overall": overall.row("合计"),
        "by": {
            grouping: sorted(
                (tally.row(name) for (_, name), tally in tallies.items()),
                key=lambda row: (-row["reports"], row["name"]),
            )
            for grouping, tallies in groups.items()
        },
    }


def _keys(report: dict, building_of: dict[int, int], buildings: dict[int, str]) -> dict[str, tuple]:
    """The (id, name) of the group a report falls in, for each grouping (`building_of` gives the
    building of each place reports are filed against, `buildings` their names)."""
    building = building_of.get(report["location_id"])
    technician = report["assignee_id"]
    return {
        "category": (report["category_id"], report["category__name"]),
        "building": (building, buildings.get(building, NO_BUILDING)),
        "team": (report["team_id"], report["team__name"] or NO_TEAM),
        "technician": (
            technician,
            f"{report['assignee__name']}（{report['assignee__employee_no']}）" if technician else NO_TECHNICIAN,
        ),
    }
