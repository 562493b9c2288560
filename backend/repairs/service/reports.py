"""Repair reports from submission to closing: every step goes through `workflow.step()`, is
written with a check that nobody changed the report meanwhile, and leaves a timeline entry;
an admin's step (a dispatch, 派工) leaves an audit entry as well.

Who acts is a `Who`: a cadre (the reporter or the assigned technician), an admin dispatching
from the console, or the system (scheduled jobs, automatic assignment).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.expressions import Case, F, Q, When
from tortoise.functions import Count
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from backend.accounts.service import people as accounts
from backend.core import idempotency
from backend.core.audit import Actor, record
from backend.core.errors import AppError
from backend.core.pagination import paginate
from backend.places import service as places
from backend.repairs.errors import RepairsError
from backend.repairs.models import (
    OPEN_STATES,
    PhotoKind,
    RepairCategory,
    RepairEvent,
    RepairPhoto,
    RepairReport,
    RepairTeam,
    ReportState,
    TeamMember,
)
from backend.repairs.service import catalog, notices, parts, sla
from backend.repairs.service.workflow import ACTION_LABELS, STEPS, Role, allowed_actions, step

MAX_PHOTOS = 9


@dataclass(frozen=True)
class Who:
    kind: str  # cadre | admin | system
    id: int | None
    name: str
    actor: Actor | None = None  # an admin's, with the request it came from, for the audit log

    @classmethod
    async def of_cadre(cls, person_id: int) -> Who:
        return cls("cadre", person_id, await accounts.person_name(person_id))

    @classmethod
    def admin(cls, actor: Actor) -> Who:
        return cls("admin", actor.admin_id, actor.name, actor)

    def as_actor(self) -> Actor:
        """Whom an admin's step is audited against: the request's actor, or this admin by id and name."""
        return self.actor or Actor(self.id, self.name)


SYSTEM = Who("system", None, "系统")


def roles_of(report: RepairReport, who: Who) -> set[Role]:
    if who.kind == "admin":
        return {Role.DISPATCHER}
    if who.kind == "system":
        return {Role.SYSTEM}
    roles = set()
    if report.reporter_id == who.id:
        roles.add(Role.REPORTER)
    if report.assignee_id == who.id:
        roles.add(Role.TECHNICIAN)
    return roles


def _role_for(report: RepairReport, who: Who, action: str) -> Role:
    mine = roles_of(report, who) & STEPS[action].roles
    if not mine:
        raise RepairsError.NOT_YOURS.error(action=STEPS[action].label)
    return next(iter(sorted(mine)))


# ---- views -------------------------------------------------------------------------------------


def due_at(report: RepairReport) -> datetime | None:
    """The time limit of the stage a report is in: accept_due_at until it is accepted, then
    resolve_due_at until it is resolved; none after that."""
    if report.state == ReportState.SUBMITTED:
        return report.accept_due_at
    if report.state in (ReportState.ACCEPTED, ReportState.IN_PROGRESS):
        return report.resolve_due_at
    return None


def stage_due() -> Case:
    """due_at() in SQL, to annotate a query and sort reports by how soon they fall due."""
    return Case(When(state=ReportState.SUBMITTED, then=F("accept_due_at")), default=F("resolve_due_at"))


def overdue(report: RepairReport, at: datetime) -> bool:
    """Late for the stage it is in (see due_at). Computed, so it is right on every page before
    any job has run."""
    due = due_at(report)
    return due is not None and at > due


def photo_view(photo: RepairPhoto, base: str) -> dict:
    return {
        "id": photo.id,
        "kind": photo.kind.value,
        "width": photo.width,
        "height": photo.height,
        "url": f"{base}/{photo.id}",
        "thumbnail_url": f"{base}/{photo.id}?size=thumb",
    }


def report_view(report: RepairReport, at: datetime, place_names: Mapping[int, str]) -> dict:
    """A report as lists show it (category, reporter and assignee prefetched; `place_names` from
    `place_names_of`)."""
    return {
        "id": report.id,
        "state": report.state.value,
        "state_label": report.state.label,
        "category": {"id": report.category.id, "code": report.category.code, "name": report.category.name},
        "location": place_names.get(report.location_id, "") if report.location_id else "",
        "location_id": report.location_id,
        "spot": report.spot,
        "description": report.description,
        "reporter": {"id": report.reporter.id, "name": report.reporter.name},
        "assignee": {"id": report.assignee.id, "name": report.assignee.name} if report.assignee else None,
        "team_id": report.team_id,
        "submitted_at": report.submitted_at.isoformat(),
        "accept_due_at": report.accept_due_at.isoformat(),
        "resolve_due_at": report.resolve_due_at.isoformat(),
        "accepted_at": report.accepted_at and report.accepted_at.isoformat(),
        "resolved_at": report.resolved_at and report.resolved_at.isoformat(),
        "closed_at": report.closed_at and report.closed_at.isoformat(),
        "overdue": overdue(report, at),
        "rating": report.rating,
        "rating_comment": report.rating_comment,
        "duplicate_of": report.duplicate_of_id,
        "reopen_count": report.reopen_count,
    }


RELATED = ("category", "reporter", "assignee")


async def place_names_of(reports: Iterable[RepairReport]) -> dict[int, str]:
    """The full names of the places these reports are filed against (from the places module)."""
    return await places.full_names({r.location_id for r in reports if r.location_id})


async def report_views(reports: list[RepairReport], at: datetime) -> list[dict]:
    """Reports as lists show them, their places' names read in one query."""
    names = await place_names_of(reports)
    return [report_view(r, at, names) for r in reports]


async def report_detail(report_id: int, at: datetime, who: Who, photo_base: str) -> dict:
    """A report with its photos and timeline, and what `who` may do next."""
    report = await RepairReport.get_or_none(id=report_id).select_related(*RELATED)
    if report is None:
        raise RepairsError.REPORT_NOT_FOUND.error()
    events = await RepairEvent.filter(report_id=report_id).order_by("at", "id").prefetch_related("photos")
    photos = await RepairPhoto.filter(report_id=report_id).order_by("id")
    view = report_view(report, at, await place_names_of([report]))
    view["photos"] = [photo_view(p, photo_base) for p in photos if p.kind == PhotoKind.REPORT]
    view["timeline"] = [
        {
            "at": e.at.isoformat(),
            "action": e.action,
            "label": ACTION_LABELS.get(e.action, e.action),
            "from_state": e.from_state,
            "to_state": e.to_state,
            "actor": e.actor_name,
            "actor_kind": e.actor_kind,
            "note": e.note,
            "photos": [photo_view(p, photo_base) for p in e.photos],
        }
        for e in events
    ]
    view["actions"] = allowed_actions(report.state, roles_of(report, who))
    view["parts"] = await parts.used_on(report_id)
    return view


async def visible_to_cadre(report_id: int, person_id: int) -> RepairReport:
    """A report its reporter, its assigned technician or its team's dispatcher (who is told when
    it runs late) may see; to anyone else it does not exist."""
    report = await RepairReport.get_or_none(id=report_id)
    if report is not None and person_id not in (report.reporter_id, report.assignee_id):
        if not (report.team_id and await RepairTeam.exists(id=report.team_id, dispatcher_id=person_id)):
            report = None
    if report is None:
        raise RepairsError.REPORT_NOT_FOUND.error()
    return report


async def get_report(report_id: int) -> RepairReport:
    report = await RepairReport.get_or_none(id=report_id)
    if report is None:
        raise RepairsError.REPORT_NOT_FOUND.error()
    return report


def reports_query(filters: dict) -> QuerySet:
    """Reports by state ("open" for every open state), category code, team, places (a list of
    location ids), reporter, assignee, overdue-at (a datetime: late at that moment) and
    submission dates."""
    query = RepairReport.all()
    state = filters.get("state")
    if state == "open":
        query = query.filter(state__in=OPEN_STATES)
    elif state:
        query = query.filter(state=state)
    for key, field in (
        ("category", "category__code"),
        ("team_id", "team_id"),
        ("reporter_id", "reporter_id"),
        ("assignee_id", "assignee_id"),
    ):
        if filters.get(key):
            query = query.filter(**{field: filters[key]})
    if filters.get("location_ids") is not None:  # e.g. a building's, from places.ids_within()
        query = query.filter(location_id__in=filters["location_ids"])
    if filters.get("since"):
        query = query.filter(submitted_at__gte=filters["since"])
    if filters.get("until"):
        query = query.filter(submitted_at__lt=filters["until"])
    if filters.get("overdue_at"):
        at = filters["overdue_at"]
        query = query.filter(
            Q(state=ReportState.SUBMITTED, accept_due_at__lt=at)
            | Q(state__in=[ReportState.ACCEPTED, ReportState.IN_PROGRESS], resolve_due_at__lt=at)
        )
    return query


async def list_for_cadre(person_id: int, role: str, at: datetime, page: int, page_size: int) -> dict:
    """A cadre's own reports (role "reporter") or their tasks as a technician ("technician")."""
    query = (
        RepairReport.filter(reporter_id=person_id) if role == "reporter" else RepairReport.filter(assignee_id=person_id)
    )
    found = await paginate(query.select_related(*RELATED), page, page_size, order_by=("-id",))
    return {**found.as_dict(), "items": await report_views(found.items, at)}


async def open_counts(at: datetime) -> dict:
    """For the dashboard: open reports, late ones, and the ones nobody has accepted yet."""
    return {
        "open": await RepairReport.filter(state__in=OPEN_STATES).count(),
        "overdue": await reports_query({"overdue_at": at}).count(),
        "unassigned": await RepairReport.filter(state=ReportState.SUBMITTED).count(),
    }


async def open_by_team() -> dict[int | None, int]:
    """Open reports per team (None: not yet given to any), for the dispatch board's tabs."""
    return dict(
        await RepairReport.filter(state__in=OPEN_STATES)
        .annotate(n=Count("id"))
        .group_by("team_id")
        .values_list("team_id", "n")
    )


# ---- submitting --------------------------------------------------------------------------------


async def _claim_photos(
    conn: Any, photo_ids: list[int], uploader_id: int, report_id: int, event_id: int, kind: PhotoKind
) -> None:
    """Attach the uploader's own unattached photos; any other id is refused (nothing attached)."""
    if len(photo_ids) > MAX_PHOTOS:
        raise RepairsError.TOO_MANY_PHOTOS.error()
    if not photo_ids:
        return
    attached = (
        await RepairPhoto.filter(id__in=set(photo_ids), uploader_id=uploader_id, report_id=None)
        .using_db(conn)
        .update(report_id=report_id, event_id=event_id, kind=kind)
    )
    if attached != len(set(photo_ids)):
        raise RepairsError.PHOTO_NOT_USABLE.error()


async def _event(
    conn: Any, report: RepairReport, action: str, who: Who, at: datetime, from_state: str, note: str = ""
) -> RepairEvent:
    return await RepairEvent.create(
        report_id=report.id,
        at=at,
        action=action,
        from_state=from_state,
        to_state=report.state.value,
        actor_kind=who.kind,
        actor_id=who.id,
        actor_name=who.name,
        note=note[:500],
        using_db=conn,
    )


async def submit(
    reporter: Who,
    client_ref: str,
    category_id: int,
    location_id: int | None,
    spot: str,
    description: str,
    photo_ids: list[int],
    at: datetime,
) -> tuple[dict, bool]:
    """File a report (随手拍). The same client_ref from the same cadre files it once: a retry gets
    the first report back. Returns (report, created)."""
    assert reporter.kind == "cadre" and reporter.id is not None
    reporter_id = reporter.id

    async def filed(conn: Any, _unlocked: None) -> tuple[dict, bool]:
        if location_id is None and not spot.strip():
            raise RepairsError.WHERE_REQUIRED.error()
        category = await catalog.active_category(category_id, conn)
        if location_id is not None:
            await catalog.active_location(location_id, conn)
        report = await RepairReport.create(
            reporter_id=reporter_id,
            client_ref=client_ref,
            category_id=category.id,
            location_id=location_id,
            spot=spot.strip(),
            description=description.strip(),
            team_id=category.team_id,
            submitted_at=at,
            accept_due_at=sla.add_working_hours(at, float(category.accept_hours)),
            resolve_due_at=sla.add_working_hours(at, float(category.resolve_hours)),
            using_db=conn,
        )
        event = await _event(conn, report, "submit", reporter, at, "")
        await _claim_photos(conn, photo_ids, reporter_id, report.id, event.id, PhotoKind.REPORT)
        if category.auto_assign and category.team_id:
            technician = await _least_busy_technician(conn, category.team_id)
            if technician:
                await _move(
                    conn, report, "accept", SYSTEM, at, "按类别自动派工", assignee_id=technician, accepted_at=at
                )
        return {"id": report.id, "state": report.state.value}, True

    async def replayed(existing: RepairReport) -> tuple[dict, bool]:
        return {"id": existing.id, "state": existing.state.value}, False

    return await idempotency.run_once(
        filed,
        find=lambda conn: RepairReport.get_or_none(reporter_id=reporter_id, client_ref=client_ref).using_db(conn),
        replay=replayed,
    )


async def _least_busy_technician(conn: Any, team_id: int) -> int | None:
    members = (
        await TeamMember.filter(team_id=team_id, person__is_active=True)
        .using_db(conn)
        .values_list("person_id", flat=True)
    )
    if not members:
        return None
    busy = dict(
        await RepairReport.filter(assignee_id__in=members, state__in=OPEN_STATES)
        .using_db(conn)
        .annotate(n=Count("id"))
        .group_by("assignee_id")
        .values_list("assignee_id", "n")
    )
    return min(members, key=lambda person_id: (busy.get(person_id, 0), person_id))


async def possible_duplicates(location_id: int, category_id: int, at: datetime) -> list[dict]:
    """Open reports in the same room and category: the reporter may find theirs is known already."""
    reports = (
        await RepairReport.filter(location_id=location_id, category_id=category_id, state__in=OPEN_STATES)
        .order_by("-id")
        .limit(10)
    )
    return [
        {
            "id": r.id,
            "state": r.state.value,
            "state_label": r.state.label,
            "description": r.description,
            "submitted_at": r.submitted_at.isoformat(),
            "overdue": overdue(r, at),
        }
        for r in reports
    ]


# ---- moving a report along ---------------------------------------------------------------------

# The steps an admin takes, as the audit log names them (labelled in the module's audit_labels).
AUDITED_STEPS = {
    "accept": "repairs.accept_report",
    "reassign": "repairs.reassign_report",
    "reopen": "repairs.reopen_report",
    "reject": "repairs.reject_report",
    "mark_duplicate": "repairs.mark_duplicate_report",
    "cancel": "repairs.cancel_report",
}


async def _dispatch_view(report: RepairReport) -> dict:
    """What a dispatcher's step changes on a report, as the audit log keeps it."""
    return {
        "state": report.state.value,
        "assignee_id": report.assignee_id,
        "assignee": await accounts.person_name(report.assignee_id) if report.assignee_id else None,
        "team_id": report.team_id,
        "duplicate_of": report.duplicate_of_id,
    }


async def _move(
    conn: Any, report: RepairReport, action: str, who: Who, at: datetime, note: str = "", **changes: Any
) -> RepairEvent:
    """Take the step (checked), write it only if the report is still as read, keep the timeline
    and, for an admin's step, the audit log."""
    role = Role.SYSTEM if who.kind == "system" else _role_for(report, who, action)
    taken = step(action, report.state, role, note)
    from_state = report.state.value
    before = await _dispatch_view(report) if who.kind == "admin" else None
    target = taken.target or report.state
    changed = (
        await RepairReport.filter(id=report.id, version=report.version)
        .using_db(conn)
        .update(state=target, version=report.version + 1, **changes)
    )
    if changed != 1:
        raise RepairsError.STALE.error()
    report.state, report.version = target, report.version + 1
    for field, value in changes.items():
        setattr(report, field, value)
    event = await _event(conn, report, action, who, at, from_state, note)
    if taken.notifies_reporter:
        await notices.queue(conn, report, event)
    if who.kind == "admin":
        audit_action = AUDITED_STEPS[action]
        after = {**await _dispatch_view(report), "note": note}
        await record(conn, who.as_actor(), audit_action, "repair_report", report.id, before, after)
    return event


async def assign(who: Who, report_id: int, technician_id: int, at: datetime, note: str = "") -> None:
    """Accept and assign a new report, or reassign an accepted one (a dispatcher's step). The
    report goes to the technician's team if it was not already one of theirs."""
    teams = await catalog.technician_teams(technician_id)
    if not teams:
        raise RepairsError.NOT_A_TECHNICIAN.error()
    async with in_transaction() as conn:
        report = await get_report(report_id)
        changes = {"assignee_id": technician_id, "team_id": report.team_id if report.team_id in teams else teams[0]}
        if report.state == ReportState.SUBMITTED:
            # A new stage, a new time limit: being late to accept is not being late to repair.
            await _move(conn, report, "accept", who, at, note, accepted_at=at, overdue_at=None, **changes)
        else:
            await _move(conn, report, "reassign", who, at, note, **changes)


async def bulk_assign(who: Who, report_ids: list[int], technician_id: int, at: datetime) -> dict:
    """Assign several reports to one technician, each on its own: one refused does not hold up
    the others, and the answer says which were refused and why."""
    assigned, refused = [], []
    for report_id in dict.fromkeys(report_ids):
        try:
            await assign(who, report_id, technician_id, at, "批量派工")
            assigned.append(report_id)
        except AppError as refusal:
            refused.append({"id": report_id, "code": refusal.code, "message": refusal.message})
    return {"assigned": assigned, "refused": refused}


async def acknowledge(who: Who, report_id: int, at: datetime) -> None:
    """The technician has seen the task (接单)."""
    async with in_transaction() as conn:
        await _move(conn, await get_report(report_id), "acknowledge", who, at)


async def start(who: Who, report_id: int, at: datetime) -> None:
    async with in_transaction() as conn:
        await _move(conn, await get_report(report_id), "start", who, at, started_at=at)


async def resolve(
    who: Who, report_id: int, note: str, photo_ids: list[int], used: list[tuple[int, int]], at: datetime
) -> None:
    """Done: a note, after-photos and the spare parts used (taken from stock in the same step)."""
    async with in_transaction() as conn:
        report = await get_report(report_id)
        event = await _move(conn, report, "resolve", who, at, note, resolved_at=at)
        assert who.id is not None
        await _claim_photos(conn, photo_ids, who.id, report.id, event.id, PhotoKind.AFTER)
        await parts.use(conn, report.id, used, who.name, at)


async def confirm(who: Who, report_id: int, rating: int, comment: str, at: datetime) -> None:
    """The reporter confirms the repair and rates it (1–5): the report is closed."""
    async with in_transaction() as conn:
        await _move(
            conn,
            await get_report(report_id),
            "confirm",
            who,
            at,
            comment,
            closed_at=at,
            rating=rating,
            rating_comment=comment[:200],
        )


async def reopen(who: Who, report_id: int, note: str, at: datetime) -> None:
    """Not fixed after all: back to the technician who resolved it, with the category's full
    time to repair counted again from now."""
    async with in_transaction() as conn:
        report = await get_report(report_id)
        category = await RepairCategory.get(id=report.category_id).using_db(conn)
        await _move(
            conn,
            report,
            "reopen",
            who,
            at,
            note,
            resolved_at=None,
            reopen_count=report.reopen_count + 1,
            resolve_due_at=sla.add_working_hours(at, float(category.resolve_hours)),
            overdue_at=None,
        )


async def close_without_repair(
    who: Who, report_id: int, action: str, note: str, at: datetime, duplicate_of: int | None = None
) -> None:
    """Reject, mark as a duplicate of another report, or cancel, with a reason."""
    assert action in ("reject", "mark_duplicate", "cancel")
    async with in_transaction() as conn:
        report = await get_report(report_id)
        changes: dict[str, Any] = {"closed_at": at}
        if action == "mark_duplicate":
            if duplicate_of is None or duplicate_of == report_id or not await RepairReport.exists(id=duplicate_of):
                raise RepairsError.DUPLICATE_TARGET_INVALID.error()
            changes["duplicate_of_id"] = duplicate_of
        await _move(conn, report, action, who, at, note, **changes)


# ---- scheduled ---------------------------------------------------------------------------------


async def auto_close(at: datetime, after_days: int) -> int:
    """Resolved reports the reporter never confirmed are closed after `after_days` days."""
    closed = 0
    for report in await RepairReport.filter(
        state=ReportState.RESOLVED, resolved_at__lt=at - timedelta(days=after_days)
    ):
        try:
            async with in_transaction() as conn:
                await _move(
                    conn, report, "auto_close", SYSTEM, at, f"报修人 {after_days} 天未确认，自动完结", closed_at=at
                )
            closed += 1
        except AppError as refusal:  # a report confirmed or reopened meanwhile is left as it is
            if refusal.code not in (RepairsError.STALE.code, RepairsError.ILLEGAL_TRANSITION.code):
                raise
    return closed


async def mark_overdue(at: datetime) -> list[int]:
    """Late reports not yet marked: marked once per stage (late to accept, late to repair; a
    step into a new stage clears the mark), with a timeline entry, and their team's dispatcher
    is sent a notice. Returns the ids marked."""
    marked = []
    for report in await reports_query({"overdue_at": at}).filter(overdue_at=None):
        async with in_transaction() as conn:
            # Still late as the update sees it: a report resolved a moment ago is not marked.
            still_late = reports_query({"overdue_at": at}).filter(id=report.id, overdue_at=None)
            if not await still_late.using_db(conn).update(overdue_at=at):
                continue
            stage = "受理" if report.state == ReportState.SUBMITTED else "修复"
            event = await _event(conn, report, "overdue", SYSTEM, at, report.state.value, f"超过{stage}时限")
            team = await RepairTeam.get_or_none(id=report.team_id).using_db(conn) if report.team_id else None
            if team and team.dispatcher_id:
                await notices.queue(conn, report, event, person_id=team.dispatcher_id)
        marked.append(report.id)
    return marked


DESCRIBED_CHARS = 20


async def describe_reports(ids: list[int]) -> dict[int, str]:
    """{id: "水电 · 三楼卫生间水龙头漏水"}: a report's category and the start of what was reported,
    as the audit log names a report."""
    found = await RepairReport.filter(id__in=ids).values_list("id", "category__name", "description")
    return {i: f"{category} · {description[:DESCRIBED_CHARS]}" for i, category, description in found}


async def views_of(report_ids: Iterable[int], at: datetime) -> list[dict]:
    """These reports as lists show them, newest first (unknown ids are left out): for another
    module that keeps its own link to reports, such as an asset's card."""
    found = await RepairReport.filter(id__in=set(report_ids)).select_related(*RELATED).order_by("-id")
    return await report_views(list(found), at)


async def reports_at_places(place_ids: Iterable[int], at: datetime, limit: int = 100) -> list[dict]:
    """The newest reports filed against these places (a room's file in the office-space
    register lists its repairs), as lists show them."""
    reports = (
        await RepairReport.filter(location_id__in=list(place_ids))
        .select_related(*RELATED)
        .order_by("-submitted_at")
        .limit(limit)
    )
    return await report_views(reports, at)
