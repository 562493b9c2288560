"""The units' yearly car quota (用车额度) as a ledger: the yearly allocation (年度核定), transfers
between units from the pooled fund (蓄水池调剂), and the charge of each finished trip. A unit's
balance for a year is the sum of its lines; amounts are signed fen (allocations and transfers in
positive, transfers out and charges negative).

A transfer refuses to take a unit below zero, and must hold under concurrency: each transfer locks
the source unit's positive lines of the year (allocations and transfers in) in id order before it
sums the balance, so transfers out of one unit queue on the same rows and each sums what the one
before it wrote. A unit with no positive line has nothing to give, so there is always a row to
queue on when a transfer can succeed. Charges are never refused: a trip already happened; going
over quota is what the extra approval step of a request is for (`remaining`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.functions import Sum
from tortoise.transactions import in_transaction

from backend.accounts.service import people
from backend.core.audit import Actor, record
from backend.core.money import format_yuan
from backend.core.permissions import Scope
from backend.core.timeutil import BUSINESS_TZ
from backend.fleet.errors import FleetError
from backend.fleet.models import QuotaEntry, QuotaEntryKind, Trip, TripRequest

FIRST_YEAR, LAST_YEAR = 2020, 2100
# One line of the ledger moves at most this much (a hundred million yuan): a typo of extra
# zeros is refused, not booked.
MAX_AMOUNT_FEN = 10_000_000_000
POSITIVE = (QuotaEntryKind.ALLOCATE, QuotaEntryKind.TRANSFER_IN)


def check_year(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise FleetError.QUOTA_YEAR_INVALID.error(first=FIRST_YEAR, last=LAST_YEAR)
    return year


def _check_amount(amount_fen: int) -> int:
    if not 0 < amount_fen <= MAX_AMOUNT_FEN:
        raise FleetError.QUOTA_AMOUNT_INVALID.error()
    return amount_fen


async def _unit(unit_id: int) -> people.UnitSummary:
    found = (await people.units_by_id([unit_id])).get(unit_id)
    if found is None:
        raise FleetError.UNIT_NOT_FOUND.error()
    return found


async def unit_labels(scope: Scope) -> dict[int, str]:
    """unit id -> how pages and messages name it (`people.unit_label`)."""
    units = await people.list_units(scope)
    names = {unit["id"]: unit["name"] for unit in await people.list_units(Scope.EVERYTHING)}
    return {unit["id"]: people.unit_label(unit["name"], names.get(unit["parent_id"]), unit["depth"]) for unit in units}


def _month(at: datetime) -> tuple[int, int]:
    local = at.astimezone(BUSINESS_TZ)
    return local.year, local.month


def _booking_month(year: int, at: datetime) -> int:
    """The month a line booked at `at` for `year` counts in: the current month within the year,
    January for a year ahead, December for a year gone."""
    year_now, month_now = _month(at)
    return month_now if year_now == year else (1 if year > year_now else 12)


def entry_view(entry: QuotaEntry) -> dict:
    return {
        "id": entry.id,
        "unit_id": entry.unit_id,
        "year": entry.year,
        "month": entry.month,
        "kind": entry.kind.value,
        "kind_label": entry.kind.label,
        "amount_fen": entry.amount_fen,
        "trip_id": entry.trip_id,
        "transfer_key": entry.transfer_key,
        "reason": entry.reason,
    }


async def _sum(unit_id: int, year: int, conn: Any = None, kinds: Iterable[QuotaEntryKind] | None = None) -> int:
    query = QuotaEntry.filter(unit_id=unit_id, year=year)
    if kinds is not None:
        query = query.filter(kind__in=list(kinds))
    rows = await query.using_db(conn).annotate(total=Sum("amount_fen")).values("total")
    return int(rows[0]["total"] or 0) if rows else 0


async def balance(unit_id: int, year: int, conn: Any = None) -> int:
    """What is left of the unit's quota for `year`, in fen (negative once charges exceed it)."""
    return await _sum(unit_id, check_year(year), conn)


async def holder(unit_id: int, year: int, conn: Any = None) -> int:
    """The unit whose quota a request of `unit_id` draws on in `year`: the nearest unit up its
    tree (itself first) that was given a quota that year, as quotas are set per agency while
    requests come from its offices (处室); the unit itself when none was."""
    unit = await _unit(unit_id)
    codes = [code for code in unit.path.strip("/").split("/") if code]
    ancestors = {u.id: u.path for u in [await people.unit_by_code(code) for code in codes] if u is not None}
    given = set(
        await QuotaEntry.filter(unit_id__in=list(ancestors), year=year, kind__in=list(POSITIVE))
        .using_db(conn)
        .values_list("unit_id", flat=True)
    )
    return max(given, key=lambda i: len(ancestors[i]), default=unit_id)


async def remaining(unit_id: int, year: int) -> int:
    """What is left for a request of `unit_id` in `year` (of its holder's quota): what the
    request's approval compares its estimated cost with, to decide whether the over-quota step
    is needed."""
    return await balance(await holder(unit_id, year), year)


async def allocate(actor: Actor, unit_id: int, year: int, amount_fen: int, reason: str, at: datetime) -> dict:
    """Book `amount_fen` of the yearly allocation (年度核定) for the unit; a second allocation in
    the same year adds to the first (a supplementary allocation), it does not replace it."""
    check_year(year)
    _check_amount(amount_fen)
    unit = await _unit(unit_id)
    async with in_transaction() as conn:
        entry = await QuotaEntry.create(
            unit_id=unit.id,
            year=year,
            month=_booking_month(year, at),
            kind=QuotaEntryKind.ALLOCATE,
            amount_fen=amount_fen,
            reason=reason,
            using_db=conn,
        )
        left = await balance(unit.id, year, conn)
        view = entry_view(entry)
        await record(
            conn,
            actor,
            "fleet.allocate_quota",
            "fleet_quota",
            entry.id,
            None,
            {
                "unit": (await unit_labels(Scope.units([unit.path])))[unit.id],
                "year": year,
                "amount_fen": amount_fen,
                "reason": reason,
                "balance_fen": left,
            },
        )
    return {**view, "balance_fen": left}


async def _lock_positive_lines(conn: Any, unit_id: int, year: int) -> None:
    await (
        QuotaEntry.filter(unit_id=unit_id, year=year, kind__in=list(POSITIVE))
        .using_db(conn)
        .select_for_update()
        .order_by("id")
        # Whole rows: a values query would drop the FOR UPDATE.
        .only("id")
    )


async def _transfer_result(key: str, asked: tuple[int, int, int, int], conn: Any = None) -> dict | None:
    """The transfer already made with `key`, if any; refused when it was made for another
    (from unit, to unit, year, amount) than `asked`: a reused key never reports a transfer that
    did not happen."""
    lines = await QuotaEntry.filter(transfer_key=key).using_db(conn).order_by("id")
    if not lines:
        return None
    out = next(line for line in lines if line.kind == QuotaEntryKind.TRANSFER_OUT)
    into = next(line for line in lines if line.kind == QuotaEntryKind.TRANSFER_IN)
    if (out.unit_id, into.unit_id, out.year, into.amount_fen) != asked:
        raise FleetError.QUOTA_KEY_REUSED.error()
    return {
        "transfer_key": key,
        "from_unit_id": out.unit_id,
        "to_unit_id": into.unit_id,
        "year": out.year,
        "amount_fen": into.amount_fen,
        "reason": out.reason,
    }


async def transfer(
    actor: Actor,
    from_unit_id: int,
    to_unit_id: int,
    year: int,
    amount_fen: int,
    reason: str,
    key: str,
    at: datetime,
) -> dict:
    """Move `amount_fen` of `year`'s quota from one unit to another (蓄水池调剂): two lines with
    one `key`, written together, refused if the source would go below zero. The same key again
    (a double click, a retry) returns the first transfer and moves nothing more."""
    check_year(year)
    _check_amount(amount_fen)
    if from_unit_id == to_unit_id:
        raise FleetError.QUOTA_SAME_UNIT.error()
    asked = (from_unit_id, to_unit_id, year, amount_fen)
    if (done := await _transfer_result(key, asked)) is not None:
        return done
    units = await people.units_by_id([from_unit_id, to_unit_id])
    if from_unit_id not in units or to_unit_id not in units:
        raise FleetError.UNIT_NOT_FOUND.error()
    source, target = units[from_unit_id], units[to_unit_id]
    labels = await unit_labels(Scope.units([source.path, target.path]))
    month = _booking_month(year, at)
    try:
        async with in_transaction() as conn:
            await _lock_positive_lines(conn, source.id, year)
            # After the lock: a transfer with this key that held it first is now committed.
            if (done := await _transfer_result(key, asked, conn)) is not None:
                return done
            left = await balance(source.id, year, conn)
            target_before = await balance(target.id, year, conn)
            if left < amount_fen:
                raise FleetError.QUOTA_SHORT.error(
                    unit=labels[source.id], year=year, left=format_yuan(max(left, 0)), amount=format_yuan(amount_fen)
                )
            common = {"year": year, "month": month, "transfer_key": key, "reason": reason, "using_db": conn}
            await QuotaEntry.create(
                unit_id=source.id, kind=QuotaEntryKind.TRANSFER_OUT, amount_fen=-amount_fen, **common
            )
            await QuotaEntry.create(unit_id=target.id, kind=QuotaEntryKind.TRANSFER_IN, amount_fen=amount_fen, **common)
            await record(
                conn,
                actor,
                "fleet.transfer_quota",
                "fleet_quota_transfer",
                key,
                {"from_balance_fen": left, "to_balance_fen": target_before},
                {
                    "from_unit": labels[source.id],
                    "to_unit": labels[target.id],
                    "year": year,
                    "amount_fen": amount_fen,
                    "reason": reason,
                    "from_balance_fen": left - amount_fen,
                    "to_balance_fen": target_before + amount_fen,
                },
            )
    except IntegrityError:
        # Two first transfers with one key into a unit with no positive line yet cannot both
        # have passed the lock; the loser finds the winner's lines.
        done = await _transfer_result(key)
        if done is None:
            raise
        return done
    return {
        "transfer_key": key,
        "from_unit_id": source.id,
        "to_unit_id": target.id,
        "year": year,
        "amount_fen": amount_fen,
        "reason": reason,
    }


def empty_year() -> dict:
    return {"allocated_fen": 0, "transferred_fen": 0, "charged_fen": 0, "remaining_fen": 0}


def _add(line: dict, kind: QuotaEntryKind, total: int) -> None:
    """Sum a ledger total into a line's columns: charges shown as the positive amount used,
    transfers in and out netted."""
    if kind == QuotaEntryKind.ALLOCATE:
        line["allocated_fen"] += total
    elif kind == QuotaEntryKind.CHARGE:
        line["charged_fen"] -= total
    else:
        line["transferred_fen"] += total


async def monthly(unit_id: int, year: int) -> dict:
    """The unit's year month by month: allocated, transferred in and out (net), charged, and the
    balance at each month's end; with the year's totals."""
    check_year(year)
    rows = (
        await QuotaEntry.filter(unit_id=unit_id, year=year)
        .group_by("month", "kind")
        .annotate(total=Sum("amount_fen"))
        .values("month", "kind", "total")
    )
    months = [{"month": m, **empty_year()} for m in range(1, 13)]
    for row in rows:
        _add(months[row["month"] - 1], QuotaEntryKind(row["kind"]), int(row["total"] or 0))
    running = 0
    for line in months:
        running += line["allocated_fen"] + line["transferred_fen"] - line["charged_fen"]
        line["remaining_fen"] = running
    totals = {k: sum(line[k] for line in months) for k in ("allocated_fen", "transferred_fen", "charged_fen")}
    return {"unit_id": unit_id, "year": year, "months": months, **totals, "remaining_fen": running}


async def yearly(unit_ids: Iterable[int] | None, year: int) -> dict[int, dict]:
    """unit id -> the year's allocated, transferred (net), charged and remaining fen, for the units
    asked for (None: every unit with a line); units with no line are left out."""
    check_year(year)
    query = QuotaEntry.filter(year=year)
    if unit_ids is not None:
        query = query.filter(unit_id__in=list(unit_ids))
    rows = await query.group_by("unit_id", "kind").annotate(total=Sum("amount_fen")).values("unit_id", "kind", "total")
    found: dict[int, dict] = {}
    for row in rows:
        line = found.setdefault(row["unit_id"], empty_year())
        total = int(row["total"] or 0)
        _add(line, QuotaEntryKind(row["kind"]), total)
        line["remaining_fen"] += total
    return found


async def charge(conn: Any, trip: Trip, at: datetime) -> QuotaEntry:
    """Charge a finished trip's cost to its request's unit (the quota it draws on: `holder`), in
    the month it ended, on `conn`
    (the finishing transaction). Once per trip: the trip's line is one-to-one, so finishing again
    finds and returns the line already written."""
    existing = await QuotaEntry.filter(trip_id=trip.id).using_db(conn).first()
    if existing is not None:
        return existing
    (unit_id,) = await TripRequest.filter(id=trip.request_id).using_db(conn).values_list("unit_id", flat=True)
    year, month = _month(trip.actual_end or at)
    return await QuotaEntry.create(
        unit_id=await holder(unit_id, year, conn),
        year=year,
        month=month,
        kind=QuotaEntryKind.CHARGE,
        amount_fen=-(trip.cost_fen or 0),
        trip_id=trip.id,
        reason=f"行程 #{trip.id}",
        using_db=conn,
    )
