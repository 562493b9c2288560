"""Deriving use from cumulative readings (用量推算): a meter's readings after its watermark
(`Meter.derived_until`) are folded into hour, day and month rollups in a transaction that holds
the meter's row lock and moves the watermark with a conditional update, so a derivation run
twice, or twice at once, counts every reading once. `derive` folds up to BATCH_METERS meters a
transaction (locked in id order), reading their new readings in one query and writing their
rollups in one upsert: a fold costs a few statements per hundred meters, not per reading.

The rules, all in `fold` (pure, so a re-derivation reproduces exactly what was written before):

- Use between two counted readings is the register's advance times the CT multiplier. Recorded
  events (reset, replacement, CT change) between them split it: (old final − previous) × old
  multiplier + (next − new start) × new multiplier. An event at `at` applies to readings whose
  slot is at or after `at`; nothing is ever inferred from the readings themselves.
- A reading below the register's last counted value with no event between, or above the final
  value a later event records, is held (HELD_BACKWARD). One whose use is above the spike limit
  is held (HELD_SPIKE): the meter's own limit per collection slot, else ENERGY_SPIKE_FACTOR × the
  median use per slot of the meter's last 96 intervals, once there are 24 (a meter whose usual
  use is nothing has only its own limit). Held readings are skipped, so the next counted
  reading's difference carries their energy: nothing is lost or invented. Each raises an alert;
  a person reviews it (an accepted one counts, a rejected one stays skipped).
- An interval longer than one collection slot is a gap: its use is spread over the hours it
  covers in proportion to time, in whole thousandths by largest remainder so the parts sum
  exactly, and counted as estimated. A shorter interval crossing an hour is split the same way
  but counts as measured.

A change behind the watermark (a reviewed reading, a late manual or imported reading, a meter
event) re-derives the meter from the hour it touches (`rederive`, in the caller's transaction):
from the last counted reading P before the change, the hours from P's hour on are folded again
from the last counted reading at or before that hour's start, and the difference to what the
rollups hold is written, so the rollups end exactly as if the readings had always been there.
A re-derivation that would have to start from a reading purged past retention (`purged_from`) is
refused: folding only what is left would replace the use the purged readings made with nothing.

Hours are whole hours of epoch time: Beijing (UTC+8) has no daylight saving, so its hours start
on UTC hours; days and months start at Beijing midnight (`BUSINESS_TZ`)."""

from __future__ import annotations

import bisect
from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tortoise import connections
from tortoise.transactions import in_transaction

from backend.core import sql
from backend.core.timeutil import BUSINESS_TZ, day_start, now
from backend.energy.config import EnergySettings
from backend.energy.errors import EnergyError
from backend.energy.models import AlertKind, Grain, ReadingStatus
from backend.energy.service import alerts

HOUR = 3600
# Intervals the usual use per slot is taken from, and how many it needs before it is trusted.
SPIKE_HISTORY = 96
SPIKE_MIN_HISTORY = 24
# Meters folded in one transaction by `derive`: few statements for many meters, locks held briefly.
BATCH_METERS = 100

VALID = ReadingStatus.VALID.value
ACCEPTED = ReadingStatus.ACCEPTED.value
REJECTED = ReadingStatus.REJECTED.value
HELD_BACKWARD = ReadingStatus.HELD_BACKWARD.value
HELD_SPIKE = ReadingStatus.HELD_SPIKE.value


# (id, slot as epoch seconds, register, status value)
Row = tuple[int, int, int, str]


@dataclass
class DeriveReport:
    """What a derivation did: meters whose readings it folded, readings it examined, readings it
    held for review, and the use (with its estimated part) it added to the rollups."""

    meters: int = 0
    readings: int = 0
    held: int = 0
    amount_milli: int = 0
    estimated_milli: int = 0

    def add(self, other: DeriveReport) -> None:
        self.meters += other.meters
        self.readings += other.readings
        self.held += other.held
        self.amount_milli += other.amount_milli
        self.estimated_milli += other.estimated_milli


@dataclass(frozen=True)
class Event:
    """A meter event as `fold` needs it (`at` in epoch seconds)."""

    at: int
    old_final: int
    new_start: int
    old_multiplier: int
    new_multiplier: int


@dataclass(frozen=True)
class Rules:
    slot_seconds: int
    spike_limit: int | None  # the meter's own limit per slot, after the multiplier
    spike_factor: int


@dataclass
class Folded:
    hours: dict[int, list[int]] = field(default_factory=dict)  # hour -> [amount, estimated]
    changes: list[tuple[int, str]] = field(default_factory=list)  # (reading id, new status)
    held: list[Row] = field(default_factory=list)  # readings newly held
    anchor: tuple[int, int] | None = None  # (slot, register) of the last counted reading
    examined: int = 0


class _Window:
    """The last SPIKE_HISTORY uses per slot, kept sorted for the median."""

    def __init__(self) -> None:
        self.order: deque[int] = deque()
        self.sorted: list[int] = []

    def add(self, value: int) -> None:
        if len(self.order) == SPIKE_HISTORY:
            del self.sorted[bisect.bisect_left(self.sorted, self.order.popleft())]
        self.order.append(value)
        bisect.insort(self.sorted, value)

    def limit(self, factor: int) -> int | None:
        if len(self.sorted) < SPIKE_MIN_HISTORY:
            return None
        median = self.sorted[len(self.sorted) // 2]
        return factor * median if median > 0 else None


def spread(hours: dict[int, list[int]], start: int, end: int, use: int, estimated: bool, emit_from: int | None) -> None:
    """Add `use` over [start, end) to the hours it covers, in proportion to time (largest
    remainder, so the parts sum to `use`); hours before `emit_from` are left out."""
    first = start - start % HOUR
    if end <= first + HOUR:
        parts = [(first, use)]
    else:
        span = end - start
        overlaps = []
        hour = first
        while hour < end:
            overlaps.append((hour, min(end, hour + HOUR) - max(start, hour)))
            hour += HOUR
        shares = [use * overlap // span for _, overlap in overlaps]
        left = use - sum(shares)
        if left:
            by_remainder = sorted(range(len(overlaps)), key=lambda i: (-(use * overlaps[i][1] % span), i))
            for i in by_remainder[:left]:
                shares[i] += 1
        parts = [(hour, share) for (hour, _), share in zip(overlaps, shares, strict=True)]
    for hour, share in parts:
        if emit_from is not None and hour < emit_from:
            continue
        cell = hours.get(hour)
        if cell is None:
            hours[hour] = [share, share if estimated else 0]
        else:
            cell[0] += share
            if estimated:
                cell[1] += share


def fold(
    history: Sequence[Row],
    later: Sequence[Row],
    events: Sequence[Event],
    multiplier: int,
    rules: Rules,
    classify_from: int | None = None,
    emit_from: int | None = None,
) -> Folded:
    """Fold readings into hourly use. `history` is counted readings (ascending) ending at the
    anchor the fold starts from: their intervals only feed the spike median. `later` is every
    reading after the anchor (ascending). Readings in `later` at or after `classify_from` (all,
    when None) and not decided by a person are classified; the others keep their status. Hours
    before `emit_from` are not returned."""
    out = Folded()
    hours = out.hours
    slot = rules.slot_seconds
    window = _Window() if rules.spike_limit is None else None
    event_at = [e.at for e in events]
    n_events = len(events)
    anchor_t = anchor_raw = anchor_mult = event_i = 0
    anchored = False

    def multiplier_at(index: int) -> int:
        # `index` is the first event after the moment.
        if index:
            return events[index - 1].new_multiplier
        return events[0].old_multiplier if n_events else multiplier

    for rows, emit in ((history, False), (later, True)):
        for reading_id, t, raw, status in rows:
            if status == REJECTED:
                continue
            classify = emit and status != ACCEPTED and (classify_from is None or t >= classify_from)
            if not classify and status != VALID and status != ACCEPTED:
                continue  # held, and before the point being re-derived: stays held
            if emit:
                out.examined += 1
            if not anchored:
                event_i = bisect.bisect_right(event_at, t)
                if classify:
                    new = HELD_BACKWARD if event_i < n_events and raw > events[event_i].old_final else VALID
                    if new != status:
                        out.changes.append((reading_id, new))
                        if new != VALID:
                            out.held.append((reading_id, t, raw, new))
                    if new != VALID:
                        continue
                anchor_t, anchor_raw, anchor_mult, anchored = t, raw, multiplier_at(event_i), True
                continue
            use = 0
            current_raw, current_mult, j = anchor_raw, anchor_mult, event_i
            while j < n_events and event_at[j] <= t:
                event = events[j]
                use += max(event.old_final - current_raw, 0) * current_mult
                current_raw, current_mult = event.new_start, event.new_multiplier
                j += 1
            advance = raw - current_raw
            span = t - anchor_t
            slots = (span + slot // 2) // slot or 1
            if classify:
                if advance < 0 or (j < n_events and raw > events[j].old_final):
                    new = HELD_BACKWARD
                else:
                    use += advance * current_mult
                    limit = rules.spike_limit if window is None else window.limit(rules.spike_factor)
                    new = HELD_SPIKE if limit is not None and use > limit * slots else VALID
                if new != status:
                    out.changes.append((reading_id, new))
                    if new != VALID:
                        out.held.append((reading_id, t, raw, new))
                if new != VALID:
                    continue
            else:
                # Counted as stored (a person's decision, or before the point re-derived).
                use += max(advance, 0) * current_mult
            if emit:
                spread(hours, anchor_t, t, use, span > slot, emit_from)
            if window is not None:
                window.add(use // slots)
            anchor_t, anchor_raw, anchor_mult, event_i = t, raw, current_mult, j
    if anchored:
        out.anchor = (anchor_t, anchor_raw)
    return out


def moment(value: Any) -> datetime:
    """A datetime read back from the database (SQLite returns ISO text)."""
    found = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return found.astimezone(BUSINESS_TZ)


def epoch(value: Any) -> int:
    return int((value if isinstance(value, datetime) else datetime.fromisoformat(value)).timestamp())


def at_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, BUSINESS_TZ)


def periods(hours: dict[int, list[int]]) -> list[tuple[str, datetime, int, int]]:
    """Hour amounts with the day and month amounts they add up to, as rollup rows
    (grain, period start, amount, estimated)."""
    days: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    rows = []
    for hour, (amount, estimated) in hours.items():
        start = at_epoch(hour)
        rows.append((Grain.HOUR.value, start, amount, estimated))
        day = days[start.date()]
        day[0] += amount
        day[1] += estimated
    months: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for day, (amount, estimated) in days.items():
        rows.append((Grain.DAY.value, day_start(day), amount, estimated))
        month = months[day.replace(day=1)]
        month[0] += amount
        month[1] += estimated
    rows.extend(
        (Grain.MONTH.value, day_start(month), amount, estimated) for month, (amount, estimated) in months.items()
    )
    return rows


def counted(alias: str = "") -> str:
    """The SQL condition that a reading counts (valid or accepted), written as the statuses that
    do not: the index on status cannot serve it, so the planner walks (meter_id, slot_at) instead
    of ANDing in the index entry of nearly every reading."""
    return f"{alias}status NOT IN ('{HELD_BACKWARD}', '{HELD_SPIKE}', '{REJECTED}')"


def _is_postgres(conn: Any) -> bool:
    return conn.capabilities.dialect == "postgres"


def value_text(milli: int) -> str:
    """A register or amount in thousandths as people write it ("12345.67")."""
    whole, part = divmod(milli, 1000)
    return f"{whole}.{part:03d}".rstrip("0").rstrip(".") if part else str(whole)


@dataclass
class _Plan:
    """One meter's fold as loaded under its row lock: the readings around its starting point, its
    events, and for a re-derivation where classifying and writing start and what the rollups
    held there (to be replaced)."""

    meter: dict
    history: list[Row]
    later: list[Row]
    events: list[Event] = field(default_factory=list)
    classify_from: int | None = None
    emit_from: int | None = None
    replaced: dict[int, list[int]] = field(default_factory=dict)


_METER_FIELDS = "id, code, name, unit_id, multiplier, spike_limit_milli, derived_until"
_READING_FIELDS = "id, meter_id, slot_at, raw_milli, status"


async def _lock_meters(conn: Any, meter_ids: list[int]) -> list[dict]:
    """Row-lock the meters in id order (derivations and writers of readings never wait on each
    other crosswise)."""
    if _is_postgres(conn):
        return await sql.rows(
            conn,
            f"SELECT {_METER_FIELDS} FROM energy_meter WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE",
            meter_ids,
        )
    found = []
    for meter_id in sorted(meter_ids):
        found += await sql.rows(conn, f"SELECT {_METER_FIELDS} FROM energy_meter WHERE id = $1", meter_id)
    return found


async def _events_of(conn: Any, meter_ids: list[int]) -> dict[int, list[Event]]:
    """Each meter's events in time order. Read after the row locks: an event recorded meanwhile
    is seen."""
    statement = (
        "SELECT meter_id, at, old_final_milli, new_start_milli, old_multiplier, new_multiplier FROM energy_meter_event "
    )
    if _is_postgres(conn):
        found = await sql.rows(conn, statement + "WHERE meter_id = ANY($1::int[]) ORDER BY at, id", meter_ids)
    else:
        found = []
        for meter_id in meter_ids:
            found += await sql.rows(conn, statement + "WHERE meter_id = $1 ORDER BY at, id", meter_id)
    events: dict[int, list[Event]] = defaultdict(list)
    for e in found:
        events[e["meter_id"]].append(
            Event(epoch(e["at"]), e["old_final_milli"], e["new_start_milli"], e["old_multiplier"], e["new_multiplier"])
        )
    return events


def _split(found: Sequence[Any], starts: dict[int, Any]) -> dict[int, tuple[list[Row], list[Row]]]:
    """Readings (id, meter_id, slot_at, raw_milli, status) by meter, cut at each meter's starting
    point into (history, later)."""
    by_meter: dict[int, list[Row]] = defaultdict(list)
    for reading_id, meter_id, slot_at, raw, status in found:
        t = int(slot_at.timestamp()) if isinstance(slot_at, datetime) else epoch(slot_at)
        by_meter[meter_id].append((reading_id, t, raw, status))
    split = {}
    for meter_id, start in starts.items():
        rows = sorted(by_meter.get(meter_id, []), key=lambda r: r[1])
        cut = 0 if start is None else bisect.bisect_right(rows, epoch(start), key=lambda r: r[1])
        split[meter_id] = (rows[:cut], rows[cut:])
    return split


async def _readings_from(conn: Any, starts: dict[int, Any]) -> dict[int, tuple[list[Row], list[Row]]]:
    """For each meter, its last counted readings up to its starting point (at most
    SPIKE_HISTORY + 1, the last being the anchor) and every reading after it (all, when the
    starting point is None): one query for all the meters on PostgreSQL."""
    limit = SPIKE_HISTORY + 1
    if _is_postgres(conn):
        ids = list(starts)
        until = [starts[i] for i in ids]
        # Records as they come (not dicts): this is the one query whose rows are many.
        _, found = await conn.execute_query(
            f"SELECT h.* FROM unnest($1::int[], $2::timestamptz[]) AS w(meter_id, until) CROSS JOIN LATERAL "
            f"(SELECT {_READING_FIELDS} FROM energy_reading r WHERE r.meter_id = w.meter_id "
            f"AND {counted('r.')} AND r.slot_at <= w.until ORDER BY r.slot_at DESC LIMIT $3) AS h "
            f"UNION ALL SELECT l.* FROM unnest($4::int[], $5::timestamptz[]) AS w(meter_id, until) CROSS JOIN LATERAL "
            f"(SELECT {_READING_FIELDS} FROM energy_reading r WHERE r.meter_id = w.meter_id "
            "AND r.slot_at > coalesce(w.until, '-infinity'::timestamptz)) AS l",
            [ids, until, limit, ids, until],
        )
        return _split(found, starts)
    found = []
    for meter_id, start in starts.items():
        if start is None:
            found += await sql.rows(conn, f"SELECT {_READING_FIELDS} FROM energy_reading WHERE meter_id = $1", meter_id)
            continue
        found += await sql.rows(
            conn,
            f"SELECT * FROM (SELECT {_READING_FIELDS} FROM energy_reading WHERE meter_id = $1 "
            f"AND {counted()} AND slot_at <= $2 ORDER BY slot_at DESC LIMIT $3) AS h "
            f"UNION ALL SELECT * FROM (SELECT {_READING_FIELDS} FROM energy_reading WHERE meter_id = $4 "
            "AND slot_at > $5) AS l",
            meter_id,
            start,
            limit,
            meter_id,
            start,
        )
    return _split([(r["id"], r["meter_id"], r["slot_at"], r["raw_milli"], r["status"]) for r in found], starts)


async def _last_counted(conn: Any, meter_id: int, before: datetime, inclusive: bool) -> Any:
    """The slot (as stored) of the meter's last counted reading before (or at) `before`."""
    found = await sql.row(
        conn,
        f"SELECT slot_at FROM energy_reading WHERE meter_id = $1 AND {counted()} "
        f"AND slot_at {'<=' if inclusive else '<'} $2 ORDER BY slot_at DESC LIMIT 1",
        meter_id,
        before,
    )
    return found["slot_at"] if found else None


async def purged_from(conn: Any, meter_id: int) -> datetime | None:
    """Where the meter's stored readings begin when older ones have been purged, None when none
    have. Rollups are the fold of the stored readings, whose first hour is that of the meter's
    first reading: use in an hour before it was made by readings that are gone."""
    first = await sql.row(conn, "SELECT min(slot_at) AS slot_at FROM energy_reading WHERE meter_id = $1", meter_id)
    first_at = first["slot_at"] if first else None
    statement = (
        "SELECT period_start FROM energy_rollup WHERE meter_id = $1 AND grain = $2 "
        "AND (amount_milli <> 0 OR estimated_milli <> 0)"
    )
    params: list[Any] = [meter_id, Grain.HOUR.value]
    if first_at is not None:
        first_epoch = epoch(first_at)
        statement += " AND period_start < $3"
        params.append(at_epoch(first_epoch - first_epoch % HOUR))
    if await sql.row(conn, statement + " LIMIT 1", *params) is None:
        return None
    if first_at is None:
        meter = await sql.row(conn, "SELECT derived_until FROM energy_meter WHERE id = $1", meter_id)
        return moment(meter["derived_until"]) if meter and meter["derived_until"] is not None else now()
    return moment(first_at)


def purged_problem(at: datetime, kept: datetime) -> str:
    """Why a change at `at` cannot be derived once the readings before `kept` are purged."""
    return (
        f"{at.astimezone(BUSINESS_TZ):%Y-%m-%d %H:%M} 所在时段的原始读数已过保留期限被清理"
        f"（现存读数从 {kept:%Y-%m-%d %H:%M} 起），重新推算会抹掉已统计的用量，不能补录或更改"
    )


async def _hours_held(conn: Any, meter_id: int, since: datetime | None) -> dict[int, list[int]]:
    """The meter's hour rollups from `since` on (all, when None)."""
    statement = (
        "SELECT period_start, amount_milli, estimated_milli FROM energy_rollup WHERE meter_id = $1 AND grain = $2"
    )
    params: list[Any] = [meter_id, Grain.HOUR.value]
    if since is not None:
        statement += " AND period_start >= $3"
        params.append(since)
    found = await sql.rows(conn, statement, *params)
    return {epoch(r["period_start"]): [r["amount_milli"], r["estimated_milli"]] for r in found}


@dataclass
class _Outcome:
    meter: dict
    hours: dict[int, list[int]]  # what to add to the hour rollups
    folded: Folded
    derived_until: datetime


def _compute(plan: _Plan, settings: EnergySettings) -> _Outcome | None:
    if not plan.later:
        return None
    meter = plan.meter
    rules = Rules(settings.poll_minutes * 60, meter["spike_limit_milli"], settings.spike_factor)
    folded = fold(plan.history, plan.later, plan.events, meter["multiplier"], rules, plan.classify_from, plan.emit_from)
    hours = folded.hours
    if plan.replaced:
        for hour, (amount, estimated) in plan.replaced.items():
            cell = hours.setdefault(hour, [0, 0])
            cell[0] -= amount
            cell[1] -= estimated
        hours = {hour: cell for hour, cell in hours.items() if cell != [0, 0]}
    newest = at_epoch(plan.later[-1][1])
    watermark = meter["derived_until"]
    return _Outcome(meter, hours, folded, max(newest, moment(watermark)) if watermark is not None else newest)


async def _add_to_rollups(conn: Any, outcomes: list[_Outcome]) -> None:
    """Add hour amounts (and the day and month amounts they make) to the meters' rollups."""
    rows = [(o.meter["id"], *row) for o in outcomes for row in periods(o.hours)]
    if not rows:
        return
    if _is_postgres(conn):
        await sql.execute(
            conn,
            "INSERT INTO energy_rollup AS r (meter_id, grain, period_start, amount_milli, estimated_milli) "
            "SELECT * FROM unnest($1::int[], $2::varchar[], $3::timestamptz[], $4::bigint[], $5::bigint[]) "
            "ON CONFLICT (meter_id, grain, period_start) DO UPDATE SET "
            "amount_milli = r.amount_milli + excluded.amount_milli, "
            "estimated_milli = r.estimated_milli + excluded.estimated_milli",
            *(list(column) for column in zip(*rows, strict=True)),
        )
        return
    for row in rows:
        await sql.execute(
            conn,
            "INSERT INTO energy_rollup (meter_id, grain, period_start, amount_milli, estimated_milli) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (meter_id, grain, period_start) DO UPDATE SET "
            "amount_milli = amount_milli + excluded.amount_milli, "
            "estimated_milli = estimated_milli + excluded.estimated_milli",
            *row,
        )


async def _set_statuses(conn: Any, outcomes: list[_Outcome]) -> None:
    changes = [change for o in outcomes for change in o.folded.changes]
    if not changes:
        return
    if _is_postgres(conn):
        await sql.execute(
            conn,
            "UPDATE energy_reading AS r SET status = u.s FROM unnest($1::bigint[], $2::varchar[]) AS u(id, s) "
            "WHERE r.id = u.id",
            *(list(column) for column in zip(*changes, strict=True)),
        )
        return
    for reading_id, status in changes:
        await sql.execute(conn, "UPDATE energy_reading SET status = $1 WHERE id = $2", status, reading_id)


async def _move_watermarks(conn: Any, outcomes: list[_Outcome]) -> None:
    """Each meter's watermark, moved from where the fold found it. The row locks make the
    condition always hold; it keeps a second fold of the same readings from ever being written,
    lock or not."""
    rows = [
        (o.meter["id"], o.derived_until, o.folded.anchor[1] if o.folded.anchor else None, o.meter["derived_until"])
        for o in outcomes
    ]
    if _is_postgres(conn):
        moved = await sql.execute(
            conn,
            "UPDATE energy_meter AS m SET derived_until = u.until, derived_raw_milli = u.raw "
            "FROM unnest($1::int[], $2::timestamptz[], $3::bigint[], $4::timestamptz[]) AS u(id, until, raw, was) "
            "WHERE m.id = u.id AND m.derived_until IS NOT DISTINCT FROM u.was",
            *(list(column) for column in zip(*rows, strict=True)),
        )
    else:
        moved = 0
        for meter_id, until, raw, was in rows:
            moved += await sql.execute(
                conn,
                "UPDATE energy_meter SET derived_until = $1, derived_raw_milli = $2 "
                "WHERE id = $3 AND derived_until IS $4",
                until,
                raw,
                meter_id,
                was,
            )
    if moved != len(rows):
        raise RuntimeError("energy derivation: a meter's watermark moved while its readings were folded")


async def _alert_held(conn: Any, outcomes: list[_Outcome]) -> None:
    for outcome in outcomes:
        meter = outcome.meter
        for reading_id, t, raw, status in outcome.folded.held:
            await alerts.raise_alert(
                AlertKind.READING_HELD,
                f"{meter['code']}（{meter['name']}）{at_epoch(t):%Y-%m-%d %H:%M} 的读数 {value_text(raw)} "
                f"{ReadingStatus(status).label}，暂不计入用量，请核对后确认或作废",
                f"reading_held:{reading_id}",
                unit_id=meter["unit_id"],
                meter_id=meter["id"],
                conn=conn,
            )


async def _write(conn: Any, plans: list[_Plan], settings: EnergySettings) -> DeriveReport:
    outcomes = [o for o in (_compute(plan, settings) for plan in plans) if o is not None]
    report = DeriveReport()
    if not outcomes:
        return report
    await _add_to_rollups(conn, outcomes)
    await _set_statuses(conn, outcomes)
    await _move_watermarks(conn, outcomes)
    await _alert_held(conn, outcomes)
    for o in outcomes:
        report.meters += 1
        report.readings += o.folded.examined
        report.held += len(o.folded.held)
        report.amount_milli += sum(cell[0] for cell in o.hours.values())
        report.estimated_milli += sum(cell[1] for cell in o.hours.values())
    return report


async def fold_new(conn: Any, meter_ids: list[int], settings: EnergySettings) -> DeriveReport:
    """Fold the readings after each meter's watermark, in the caller's transaction, holding the
    meters' row locks (taken here, in id order) to its end."""
    meters = await _lock_meters(conn, meter_ids)
    if not meters:
        return DeriveReport()
    ids = [m["id"] for m in meters]
    events = await _events_of(conn, ids)
    readings = await _readings_from(conn, {m["id"]: m["derived_until"] for m in meters})
    plans = [_Plan(m, *readings[m["id"]], events.get(m["id"], [])) for m in meters]
    return await _write(conn, plans, settings)


async def rederive(
    conn: Any,
    meter_id: int,
    since: datetime,
    settings: EnergySettings,
    *,
    refused: EnergyError = EnergyError.READING_INVALID,
) -> DeriveReport:
    """Re-derive a meter after a change at `since` (a reading reviewed or added late, an event),
    in the caller's transaction; with nothing derived at or after `since` it folds what is new.

    From the last counted reading P before `since`, the hours from P's hour on are folded again,
    starting from the last counted reading at or before that hour's start (so every interval that
    reaches those hours is folded whole), and what the rollups held there is replaced. When that
    starting reading has been purged (`purged_from`) the change is refused as `refused`
    (energy.reading_invalid, or energy.event_invalid for an event): the rollups stay as they are."""
    since = since.astimezone(BUSINESS_TZ)
    meters = await _lock_meters(conn, [meter_id])
    if not meters:
        return DeriveReport()
    meter = meters[0]
    if meter["derived_until"] is None or since > moment(meter["derived_until"]):
        return await fold_new(conn, [meter_id], settings)
    changed_after = await _last_counted(conn, meter_id, since, inclusive=False)
    restart_hour = start_at = None
    if changed_after is not None:
        restart_hour = at_epoch(epoch(changed_after) - epoch(changed_after) % HOUR)
        start_at = await _last_counted(conn, meter_id, restart_hour, inclusive=True)
    if start_at is None:
        # Folding from the meter's first reading replaces every hour it holds: right only when
        # no reading has been purged.
        kept = await purged_from(conn, meter_id)
        if kept is not None:
            raise refused.error(problem=purged_problem(since, kept))
    readings = await _readings_from(conn, {meter_id: start_at})
    plan = _Plan(
        meter,
        *readings[meter_id],
        (await _events_of(conn, [meter_id])).get(meter_id, []),
        classify_from=epoch(since),
        emit_from=epoch(restart_hour) if restart_hour is not None else None,
        replaced=await _hours_held(conn, meter_id, restart_hour),
    )
    return await _write(conn, [plan], settings)


async def _meters_with_new_readings() -> list[int]:
    # Two probes rather than one with "derived_until IS NULL OR slot_at > derived_until": that
    # one cannot seek the (meter, slot) index, so PostgreSQL reads every reading ever stored.
    found = await sql.rows(
        connections.get("default"),
        "SELECT m.id FROM energy_meter m WHERE EXISTS (SELECT 1 FROM energy_reading r WHERE r.meter_id = m.id "
        "AND r.slot_at > m.derived_until) OR (m.derived_until IS NULL AND EXISTS (SELECT 1 FROM energy_reading r "
        "WHERE r.meter_id = m.id)) ORDER BY m.id",
    )
    return [r["id"] for r in found]


async def derive(meter_ids: Iterable[int] | None, settings: EnergySettings) -> DeriveReport:
    """Fold the readings after each meter's watermark into its rollups (every meter with new
    readings when `meter_ids` is None). Meters are folded BATCH_METERS to a transaction, which
    holds their row locks and moves their watermarks: each meter's fold is whole or not at all."""
    pending = await _meters_with_new_readings()
    if meter_ids is not None:
        wanted = set(meter_ids)
        pending = [m for m in pending if m in wanted]
    report = DeriveReport()
    for first in range(0, len(pending), BATCH_METERS):
        async with in_transaction() as conn:
            if _is_postgres(conn):
                # Rollups are recomputable from the readings: a crash may forget the last
                # moments' folds (each whole, with its watermark, to be folded again), so a
                # fold need not wait for its own flush to disk.
                await sql.execute(conn, "SET LOCAL synchronous_commit TO off")
            report.add(await fold_new(conn, pending[first : first + BATCH_METERS], settings))
    return report
