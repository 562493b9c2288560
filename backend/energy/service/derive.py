"""Deriving use from cumulative readings (用量推算): a meter's readings after its watermark
(`Meter.derived_until`) are folded into hour, day and month rollups in one transaction per meter
that holds the meter's row lock and moves the watermark with a conditional update, so a
derivation run twice, or twice at once, counts every reading once.

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
from backend.core.timeutil import BUSINESS_TZ, day_start
from backend.energy.config import EnergySettings
from backend.energy.models import AlertKind, Grain, ReadingStatus
from backend.energy.service import alerts

HOUR = 3600
# Intervals the usual use per slot is taken from, and how many it needs before it is trusted.
SPIKE_HISTORY = 96
SPIKE_MIN_HISTORY = 24

VALID = ReadingStatus.VALID.value
ACCEPTED = ReadingStatus.ACCEPTED.value
REJECTED = ReadingStatus.REJECTED.value
HELD_BACKWARD = ReadingStatus.HELD_BACKWARD.value
HELD_SPIKE = ReadingStatus.HELD_SPIKE.value
COUNTED_SQL = f"('{VALID}', '{ACCEPTED}')"

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


def _is_postgres(conn: Any) -> bool:
    return conn.capabilities.dialect == "postgres"


def _rows_of(found: list[dict]) -> list[Row]:
    return [(r["id"], epoch(r["slot_at"]), r["raw_milli"], r["status"]) for r in found]


async def _events(conn: Any, meter_id: int) -> list[Event]:
    found = await sql.rows(
        conn,
        "SELECT at, old_final_milli, new_start_milli, old_multiplier, new_multiplier FROM energy_meter_event "
        "WHERE meter_id = $1 ORDER BY at, id",
        meter_id,
    )
    return [
        Event(epoch(e["at"]), e["old_final_milli"], e["new_start_milli"], e["old_multiplier"], e["new_multiplier"])
        for e in found
    ]


async def _last_counted(conn: Any, meter_id: int, before: datetime, inclusive: bool) -> Any:
    """The slot (as stored) of the meter's last counted reading before (or at) `before`."""
    found = await sql.row(
        conn,
        f"SELECT slot_at FROM energy_reading WHERE meter_id = $1 AND status IN {COUNTED_SQL} "
        f"AND slot_at {'<=' if inclusive else '<'} $2 ORDER BY slot_at DESC LIMIT 1",
        meter_id,
        before,
    )
    return found["slot_at"] if found else None


async def _readings_around(conn: Any, meter_id: int, anchor_at: Any, history: int) -> tuple[list[Row], list[Row]]:
    """The counted readings up to `anchor_at` (at most `history`, ascending) and every reading
    after it, in one query."""
    if anchor_at is None:
        found = await sql.rows(
            conn, "SELECT id, slot_at, raw_milli, status FROM energy_reading WHERE meter_id = $1", meter_id
        )
        return [], sorted(_rows_of(found), key=lambda r: r[1])
    found = await sql.rows(
        conn,
        "SELECT * FROM (SELECT id, slot_at, raw_milli, status FROM energy_reading "
        f"WHERE meter_id = $1 AND status IN {COUNTED_SQL} AND slot_at <= $2 ORDER BY slot_at DESC LIMIT $3) AS h "
        "UNION ALL SELECT * FROM (SELECT id, slot_at, raw_milli, status FROM energy_reading "
        "WHERE meter_id = $4 AND slot_at > $5) AS l",
        meter_id,
        anchor_at,
        history,
        meter_id,
        anchor_at,
    )
    boundary = epoch(anchor_at)
    rows = sorted(_rows_of(found), key=lambda r: r[1])
    split = bisect.bisect_right(rows, boundary, key=lambda r: r[1])
    return rows[:split], rows[split:]


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


async def _add_to_rollups(conn: Any, meter_id: int, hours: dict[int, list[int]]) -> None:
    """Add hour amounts (and the day and month amounts they make) to the meter's rollups."""
    rows = periods(hours)
    if not rows:
        return
    if _is_postgres(conn):
        grains, starts, amounts, estimates = (list(column) for column in zip(*rows, strict=True))
        await sql.execute(
            conn,
            "INSERT INTO energy_rollup AS r (meter_id, grain, period_start, amount_milli, estimated_milli) "
            "SELECT $1, g, p, a, e FROM unnest($2::varchar[], $3::timestamptz[], $4::bigint[], $5::bigint[]) "
            "AS u(g, p, a, e) ON CONFLICT (meter_id, grain, period_start) DO UPDATE SET "
            "amount_milli = r.amount_milli + excluded.amount_milli, "
            "estimated_milli = r.estimated_milli + excluded.estimated_milli",
            meter_id,
            grains,
            starts,
            amounts,
            estimates,
        )
        return
    for grain, start, amount, estimated in rows:
        await sql.execute(
            conn,
            "INSERT INTO energy_rollup (meter_id, grain, period_start, amount_milli, estimated_milli) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (meter_id, grain, period_start) DO UPDATE SET "
            "amount_milli = amount_milli + excluded.amount_milli, "
            "estimated_milli = estimated_milli + excluded.estimated_milli",
            meter_id,
            grain,
            start,
            amount,
            estimated,
        )


async def _set_statuses(conn: Any, changes: list[tuple[int, str]]) -> None:
    if not changes:
        return
    if _is_postgres(conn):
        ids, statuses = (list(column) for column in zip(*changes, strict=True))
        await sql.execute(
            conn,
            "UPDATE energy_reading AS r SET status = u.s FROM unnest($1::bigint[], $2::varchar[]) AS u(id, s) "
            "WHERE r.id = u.id",
            ids,
            statuses,
        )
        return
    for reading_id, status in changes:
        await sql.execute(conn, "UPDATE energy_reading SET status = $1 WHERE id = $2", status, reading_id)


def value_text(milli: int) -> str:
    """A register or amount in thousandths as people write it ("12345.67")."""
    whole, part = divmod(milli, 1000)
    return f"{whole}.{part:03d}".rstrip("0").rstrip(".") if part else str(whole)


async def _alert_held(conn: Any, meter: dict, held: list[Row]) -> None:
    for reading_id, t, raw, status in held:
        label = ReadingStatus(status).label
        await alerts.raise_alert(
            AlertKind.READING_HELD,
            f"{meter['code']}（{meter['name']}）{at_epoch(t):%Y-%m-%d %H:%M} 的读数 {value_text(raw)} {label}，"
            "暂不计入用量，请核对后确认或作废",
            f"reading_held:{reading_id}",
            unit_id=meter["unit_id"],
            meter_id=meter["id"],
            conn=conn,
        )


async def _lock_meter(conn: Any, meter_id: int) -> dict | None:
    return await sql.row(
        conn,
        "SELECT id, code, name, unit_id, multiplier, spike_limit_milli, derived_until FROM energy_meter "
        "WHERE id = $1 FOR UPDATE",
        meter_id,
    )


async def _fold_meter(conn: Any, meter_id: int, settings: EnergySettings, since: datetime | None) -> DeriveReport:
    """Fold one meter's readings in the caller's transaction: the new ones after the watermark,
    or (`since` given) everything from the hour a change at `since` touches."""
    report = DeriveReport()
    if since is not None:
        since = since.astimezone(BUSINESS_TZ)
    meter = await _lock_meter(conn, meter_id)
    if meter is None:
        return report
    watermark = meter["derived_until"]
    restart = since is not None and watermark is not None and since <= moment(watermark)
    rules = Rules(settings.poll_minutes * 60, meter["spike_limit_milli"], settings.spike_factor)
    history_size = SPIKE_HISTORY + 1 if rules.spike_limit is None else 1
    held_before: dict[int, list[int]] = {}
    classify_from = emit_from = None
    if not restart:
        history, later = await _readings_around(conn, meter_id, watermark, history_size)
    else:
        assert since is not None
        changed_after = await _last_counted(conn, meter_id, since, inclusive=False)
        restart_hour = None
        start_at = None
        if changed_after is not None:
            restart_hour = at_epoch(epoch(changed_after) - epoch(changed_after) % HOUR)
            start_at = await _last_counted(conn, meter_id, restart_hour, inclusive=True)
        history, later = await _readings_around(conn, meter_id, start_at, history_size)
        held_before = await _hours_held(conn, meter_id, restart_hour)
        classify_from = epoch(since)
        emit_from = epoch(restart_hour) if restart_hour is not None else None
    if not later:
        return report
    events = await _events(conn, meter_id)
    folded = fold(history, later, events, meter["multiplier"], rules, classify_from, emit_from)
    hours = folded.hours
    if held_before:
        for hour, (amount, estimated) in held_before.items():
            cell = hours.setdefault(hour, [0, 0])
            cell[0] -= amount
            cell[1] -= estimated
        hours = {hour: cell for hour, cell in hours.items() if cell != [0, 0]}
    await _add_to_rollups(conn, meter_id, hours)
    await _set_statuses(conn, folded.changes)
    newest = at_epoch(later[-1][1])
    anchor_raw = folded.anchor[1] if folded.anchor else None
    # The row lock makes this always match; the condition keeps a second fold of the same
    # readings from ever being written, lock or not.
    moved = await sql.execute(
        conn,
        "UPDATE energy_meter SET derived_until = $1, derived_raw_milli = $2 WHERE id = $3 AND "
        + ("derived_until IS NOT DISTINCT FROM $4" if _is_postgres(conn) else "derived_until IS $4"),
        max(newest, moment(watermark)) if watermark is not None else newest,
        anchor_raw,
        meter_id,
        watermark,
    )
    if moved != 1:
        raise RuntimeError(f"energy meter {meter_id}: watermark moved during derivation")
    await _alert_held(conn, meter, folded.held)
    report.meters = 1
    report.readings = folded.examined
    report.held = len(folded.held)
    report.amount_milli = sum(cell[0] for cell in hours.values())
    report.estimated_milli = sum(cell[1] for cell in hours.values())
    return report


async def rederive(conn: Any, meter_id: int, since: datetime, settings: EnergySettings) -> DeriveReport:
    """Re-derive a meter after a change at `since` (a reading reviewed or added late, an event),
    in the caller's transaction; with nothing derived at or after `since` it folds what is new."""
    return await _fold_meter(conn, meter_id, settings, since)


async def fold_new(conn: Any, meter_id: int, settings: EnergySettings) -> DeriveReport:
    """Fold the meter's readings after its watermark, in the caller's transaction."""
    return await _fold_meter(conn, meter_id, settings, None)


async def _meters_with_new_readings() -> list[int]:
    found = await sql.rows(
        connections.get("default"),
        "SELECT m.id FROM energy_meter m WHERE EXISTS (SELECT 1 FROM energy_reading r WHERE r.meter_id = m.id "
        "AND (m.derived_until IS NULL OR r.slot_at > m.derived_until)) ORDER BY m.id",
    )
    return [r["id"] for r in found]


async def derive(meter_ids: Iterable[int] | None, settings: EnergySettings) -> DeriveReport:
    """Fold the readings after each meter's watermark into its rollups (every meter with new
    readings when `meter_ids` is None), one transaction per meter."""
    pending = await _meters_with_new_readings()
    if meter_ids is not None:
        wanted = set(meter_ids)
        pending = [m for m in pending if m in wanted]
    report = DeriveReport()
    for meter_id in pending:
        async with in_transaction() as conn:
            report.add(await fold_new(conn, meter_id, settings))
    return report
